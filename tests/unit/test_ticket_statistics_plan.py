"""What makes the statistics fast on PostgreSQL keeps their figures: the percentiles'
cheap seconds are exactly the ones EXTRACT gave, and the planner's statistics cover
the tally's columns."""
import datetime as dt

import pytest
from sqlalchemy import Float, cast, func, literal, select, text

from tickets import MIGRATIONS_DIR
from tickets.statistics import _DIMENSIONS, _exact_seconds

UTC = dt.timezone.utc
# (reported, resolved) from generated tickets whose span date_part puts one unit in the
# last place off the nearest float8 (425600.68315399997 for 425600.683154), a sub-second
# span, and one of 59 years
SPANS = [
    (dt.datetime(2026, 8, 9, 22, 14, 23, 374980, UTC), dt.datetime(2026, 8, 14, 20, 27, 44, 58134, UTC)),
    (dt.datetime(2026, 4, 2, 10, 20, 58, 535358, UTC), dt.datetime(2026, 4, 7, 1, 38, 56, 709094, UTC)),
    (dt.datetime(2026, 9, 28, 9, 22, 4, 764658, UTC), dt.datetime(2026, 9, 29, 18, 16, 58, 177676, UTC)),
    (dt.datetime(2026, 8, 22, 14, 3, 42, 26511, UTC), dt.datetime(2026, 8, 24, 5, 46, 13, 308925, UTC)),
    (dt.datetime(2026, 1, 20, 7, 47, 35, 915112, UTC), dt.datetime(2026, 1, 21, 19, 53, 23, 783321, UTC)),
    (dt.datetime(2026, 11, 2, 1, 0, 0, 1, UTC), dt.datetime(2026, 11, 2, 1, 0, 0, 999999, UTC)),
    (dt.datetime(1967, 3, 1, 0, 0, 0, 123457, UTC), dt.datetime(2026, 2, 28, 23, 59, 59, 987653, UTC)),
]


@pytest.fixture
def db(open_db, scratch_db):
    if not scratch_db.startswith("postgresql"):
        pytest.skip("SQLite times spans in Python")
    return open_db("tickets", MIGRATIONS_DIR)


def test_the_seconds_sorted_for_percentiles_are_the_nearest_float8(db):
    with db.read() as session:
        rows = [session.execute(select(
            _exact_seconds(literal(reported), literal(resolved)),
            cast(func.extract("epoch", literal(resolved) - literal(reported)), Float),
            func.date_part("epoch", literal(resolved) - literal(reported)),
        )).one() for reported, resolved in SPANS]
    assert any(plain != extracted for _, extracted, plain in rows), "date_part alone is off for these spans"
    assert [exact for exact, _, _ in rows] == [extracted for _, extracted, _ in rows]
    assert [exact for exact, _, _ in rows] == [(resolved - reported).total_seconds() for reported, resolved in SPANS]


def test_the_planner_knows_the_tally_columns_together(db):
    with db.read() as session:
        columns = session.execute(text(
            "SELECT a.attname FROM pg_statistic_ext s CROSS JOIN unnest(s.stxkeys) AS k(attnum) "
            "JOIN pg_attribute a ON a.attrelid = s.stxrelid AND a.attnum = k.attnum "
            "WHERE s.stxname = 'st_tickets_tally_groups' AND 'd' = ANY(s.stxkind)")).scalars().all()
    assert sorted(columns) == sorted(column.name for column in _DIMENSIONS)
