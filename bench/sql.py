"""Bulk SQL for the benchmarks' generated data: a scratch PostgreSQL database, steps of
SQL, rows by COPY, and the large district's layout that bench.assessment and
bench.integrity share."""
import io
import sys
import time
import uuid
from contextlib import contextmanager

from sqlalchemy import create_engine, make_url, text

# The large district as the scoring benchmarks lay it out: 10,000 people, ten to a basic
# grid, five grids to a community (50 people), 17 communities to a town, 12 towns. Grid n
# (0..1019): town n // 85, community n // 5 % 17, grid n % 5, so codes look like the
# large district's: 320599 + town 001-012 + community 001-017 + grid 001-005.
COUNTY = "320599"
PEOPLE_PER_GRID = 10
GRID_CODE = ("'320599' || lpad((1 + g / 85)::text, 3, '0') || lpad((1 + g / 5 % 17)::text, 3, '0') "
             "|| lpad((1 + g % 5)::text, 3, '0')")


def grid_code(g):
    """Grid ``g``'s code, as GRID_CODE gives it in SQL."""
    return f"{COUNTY}{1 + g // 85:03d}{1 + g // 5 % 17:03d}{1 + g % 5:03d}"


def person_id(p):
    return f"person-{p}"


def posts_step(people):
    """Person p (``person_id(p)``) posted to grid p // 10 from 2026-01-01: the first of
    a grid its chief, the second full-time, the rest part-time."""
    return ("posts", f"""
        INSERT INTO post_facts (id, person_id, grid_code, role, start_date, end_date, version)
        SELECT 'post-' || p, 'person-' || p, {GRID_CODE.replace('g', f'(p / {PEOPLE_PER_GRID})')},
               CASE WHEN p % 10 = 0 THEN 'grid_chief' WHEN p % 10 = 1 THEN 'full_time_worker'
                    ELSE 'part_time_worker' END, DATE '2026-01-01', NULL, 1
        FROM generate_series(0, {people - 1}) AS p""")


@contextmanager
def scratch_database(server_url, prefix):
    """The URL of a new database ``<prefix>_<random>`` on ``server_url``'s server,
    dropped on exit."""
    name = f"{prefix}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run_steps(url, steps, what, vacuum=False):
    """Run ``steps`` ((name, statement) pairs) in one transaction, logging each one's
    time as ``<what> <name>``, then ANALYZE so the planner sees the new rows.
    ``vacuum``: VACUUM too, as autovacuum would have done to tables that grew by
    inserts in a running district (PostgreSQL 13 and later); until then index-only
    scans still visit the table, which a bulk load's reader would pay and theirs not."""
    engine = create_engine(url)
    with engine.begin() as connection:
        for name, statement in steps:
            started = time.perf_counter()
            connection.execute(text(statement))
            print(f"bench: {what} {name} in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE" if vacuum else "ANALYZE"))
    engine.dispose()


NULL = r"\N"        # COPY's text format: tab-separated, \N for NULL
COPY_CHUNK = 100_000


def copy_lines(connection, table, columns, lines):
    """COPY ``lines`` (COPY text lines, each ending in a newline) into ``table``'s
    ``columns`` through a psycopg2 ``connection``, a chunk at a time; returns the count.
    The values must hold no tab, newline or backslash (ids, codes, numbers, times)."""
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    count, chunk = 0, []
    with connection.cursor() as cursor:
        for line in lines:
            chunk.append(line)
            if len(chunk) == COPY_CHUNK:
                cursor.copy_expert(statement, io.StringIO("".join(chunk)))
                count, chunk = count + len(chunk), []
        if chunk:
            cursor.copy_expert(statement, io.StringIO("".join(chunk)))
            count += len(chunk)
    return count
