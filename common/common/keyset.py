"""Keyset paging: a page begins after the row the previous page's ``next`` named, in the
query's own order, with no OFFSET (a page deep in a district costs what the first does)."""
from sqlalchemy import select, tuple_

from common.errors import InvalidInput


def after(session, columns, key, value, noun, *, descending=False):
    """The condition for the rows after the one whose ``key`` column is ``value``, in the
    order of ``columns`` (all ascending, or all ``descending``; the last breaks ties);
    400 naming ``after`` when no row has that key."""
    row = session.execute(select(*columns).where(key == value)).first()
    if row is None:
        raise InvalidInput(f"after names no {noun}: pass the next of the previous page.",
                           code="VALIDATION_FAILED", details={"fields": {"after": [f"names no {noun}"]}})
    ordered, last = tuple_(*columns), tuple_(*row)
    return ordered < last if descending else ordered > last
