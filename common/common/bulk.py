"""Many rows in one statement: what a consumer that fell behind, or a rebuild, writes.

Given a list of parameter sets, SQLAlchemy sends an ``ON CONFLICT`` insert to psycopg2
as one statement per row (a round trip each), and it compiles its ``on_conflict_do_*``
constructs anew on every call. ``insert_rows`` writes one ``INSERT ... VALUES (...),
(...)`` per chunk of rows in the driver's own SQL, each value passed through its
column type's bind processing exactly as SQLAlchemy would pass it (UTC times, JSON,
dates and booleans on SQLite). Runs on PostgreSQL and SQLite alike."""
import functools

MAX_PARAMETERS = 30_000  # per statement: below SQLite's 32,766 and PostgreSQL's 65,535
MAX_ROWS = 1_000


def insert_rows(session, table, rows, suffix="", constants=None):
    """Insert ``rows`` (dicts with the same keys: column names of ``table``, a Table)
    in as few statements as the parameter limits allow. ``suffix`` follows the VALUES
    (``ON CONFLICT ...``, ``RETURNING ...``); ``constants`` ({column: SQL}) is the same
    in every row, e.g. ``{"written_at": "CURRENT_TIMESTAMP"}``. None is SQL NULL.
    Returns the rows a RETURNING gave, in one list."""
    if not rows:
        return []
    connection = session.connection()
    dialect = connection.dialect
    names = tuple(rows[0])
    processors = _processors(table, names, dialect)
    constants = tuple(sorted((constants or {}).items()))
    per_statement = max(1, min(MAX_ROWS, MAX_PARAMETERS // max(1, len(names))))
    returned = []
    for start in range(0, len(rows), per_statement):
        chunk = rows[start:start + per_statement]
        params = []
        for row in chunk:
            for name, process in zip(names, processors):
                value = row[name]
                params.append(value if process is None or value is None else process(value))
        sql = _statement(table.name, names, constants, len(chunk), suffix, dialect.paramstyle)
        result = connection.exec_driver_sql(sql, tuple(params))
        if result.returns_rows:
            returned.extend(result.fetchall())
    return returned


def upsert_suffix(table, key, columns, newer_only=False):
    """``ON CONFLICT (key) DO UPDATE SET`` each of ``columns`` but the key to the
    incoming value; with ``newer_only``, only where the stored ``version`` is not above
    the incoming one (an older snapshot arriving late changes nothing)."""
    return _upsert_suffix(table.name, tuple(key) if isinstance(key, (list, tuple)) else (key,), tuple(columns),
                          newer_only)


@functools.lru_cache(maxsize=256)
def _upsert_suffix(table, key, columns, newer_only):
    updates = ", ".join(f"{name} = excluded.{name}" for name in columns if name not in key)
    where = f" WHERE {table}.version <= excluded.version" if newer_only else ""
    return f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}{where}"


_PROCESSORS = {}


def _processors(table, names, dialect):
    cache_key = (table.name, names, dialect.name)
    found = _PROCESSORS.get(cache_key)
    if found is None:
        found = _PROCESSORS[cache_key] = tuple(table.c[name].type.bind_processor(dialect) for name in names)
    return found


@functools.lru_cache(maxsize=1024)
def _statement(table, names, constants, count, suffix, paramstyle):
    marker = "?" if paramstyle == "qmark" else "%s"
    values = ", ".join([marker] * len(names) + [sql for _, sql in constants])
    columns = ", ".join(list(names) + [name for name, _ in constants])
    rows = ", ".join([f"({values})"] * count)
    return f"INSERT INTO {table} ({columns}) VALUES {rows} {suffix}".rstrip()
