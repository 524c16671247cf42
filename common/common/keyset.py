"""Keyset paging: a page begins after the row the previous page's ``next`` named, in the
query's own order, with no OFFSET (a page deep in a district costs what the first does)."""
from typing import NamedTuple

from sqlalchemy import select, tuple_

from common.errors import InvalidInput


def after(session, columns, key, value, noun, *, descending=False, among=()):
    """The condition for the rows after the one whose ``key`` column is ``value``, in the
    order of ``columns`` (all ascending, or all ``descending``; the last breaks ties);
    400 naming ``after`` when no row has that key. ``among``: conditions that make the key
    name one row (an assessment's results: a subject within that assessment)."""
    if isinstance(value, str) and _python_type(key) is int:  # a cursor comes as text, in a URL
        value = int(value) if value.isdigit() and len(value) < 19 else None
    row = None if value is None else session.execute(select(*columns).where(key == value, *among)).first()
    if row is None:
        raise InvalidInput(f"after names no {noun}: pass the next of the previous page.",
                           code="VALIDATION_FAILED", details={"fields": {"after": [f"names no {noun}"]}})
    ordered, last = tuple_(*columns), tuple_(*row)
    return ordered < last if descending else ordered > last


def _python_type(column):
    try:
        return column.type.python_type
    except NotImplementedError:
        return None


class Page(NamedTuple):
    rows: list
    next: object  # the last row's name when more rows follow, else None

    def answer(self, items):
        """The page as a list route answers it: ``items`` (the rows' views) and ``next``."""
        return {"items": items, "next": self.next}


def page(session, query, columns, *, cursor=None, limit=None, noun, descending=False, among=()):
    """One page of ``query``, in the order of ``columns`` (all ascending, or all
    ``descending``), the last of which names a row (its id, or a code) and breaks ties:
    a ``Page``, whose ``next`` the client passes back as ``after`` (``cursor`` here).
    ``query`` selects an entity, or an entity first and more columns (rows are then
    tuples); ``among`` as for ``after``. ``limit`` None: every row, for a caller inside
    the platform that needs them all."""
    key = columns[-1]
    query = query.order_by(*(column.desc() for column in columns) if descending else columns)
    if cursor:
        query = query.where(after(session, columns, key, cursor, noun, descending=descending, among=among))
    whole_rows = len(query.column_descriptions) > 1
    if limit is not None:
        query = query.limit(limit + 1)
    rows = (session.execute(query) if whole_rows else session.scalars(query)).all()
    if limit is None or len(rows) <= limit:
        return Page(list(rows), None)
    shown = rows[:limit]
    last = shown[-1][0] if whole_rows else shown[-1]
    return Page(shown, str(getattr(last, key.key)))  # text, as it comes back in a URL
