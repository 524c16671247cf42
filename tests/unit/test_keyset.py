"""Keyset pages (common.keyset.page): each row once, in order, either way; ties broken
by the last column; ``among`` keeps a key to its own set; ``limit`` None is every row."""
import pytest
from sqlalchemy import Integer, String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from common import keyset
from common.errors import InvalidInput


class Base(DeclarativeBase):
    pass


class Row(Base):
    __tablename__ = "rows"
    sheet: Mapped[str] = mapped_column(String(5), primary_key=True)
    id: Mapped[str] = mapped_column(String(5), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer)


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        # ranks tie: the id breaks them; sheet b holds ids of sheet a again
        session.add_all([Row(sheet="a", id=f"r{n}", rank=n // 2) for n in range(7)] +
                        [Row(sheet="b", id=f"r{n}", rank=10 - n) for n in range(3)])
        session.commit()
        yield session


def walk(session, limit, descending=False):
    ids, after = [], None
    while True:
        page = keyset.page(session, select(Row).where(Row.sheet == "a"), (Row.rank, Row.id), cursor=after,
                           limit=limit, noun="row", descending=descending, among=(Row.sheet == "a",))
        ids.append([row.id for row in page.rows])
        after = page.next
        if after is None:
            return ids


def test_next_walks_every_row_once_in_order_either_way(session):
    assert walk(session, 3) == [["r0", "r1", "r2"], ["r3", "r4", "r5"], ["r6"]]
    assert walk(session, 7) == [["r0", "r1", "r2", "r3", "r4", "r5", "r6"]], "a full last page: no next"
    assert walk(session, 4, descending=True) == [["r6", "r5", "r4", "r3"], ["r2", "r1", "r0"]]


def test_among_keeps_the_cursor_to_its_own_set(session):
    # sheet b by rank: r2 (8), r1 (9), r0 (10); sheet a's r1 (rank 0) must not place the cursor
    page = keyset.page(session, select(Row).where(Row.sheet == "b"), (Row.rank, Row.id), cursor="r1", limit=10,
                       noun="row", among=(Row.sheet == "b",))
    assert [row.id for row in page.rows] == ["r0"]


def test_no_limit_is_every_row_and_an_unknown_cursor_is_a_400(session):
    page = keyset.page(session, select(Row), (Row.sheet, Row.id), noun="row")
    assert len(page.rows) == 10 and page.next is None
    assert page.answer(["x"]) == {"items": ["x"], "next": None}
    with pytest.raises(InvalidInput) as refused:
        keyset.page(session, select(Row), (Row.id,), cursor="nope", limit=2, noun="row")
    assert refused.value.details == {"fields": {"after": ["names no row"]}}


def test_rows_with_more_columns_page_by_their_entity(session):
    page = keyset.page(session, select(Row, Row.rank * 2), (Row.sheet, Row.id), limit=2, noun="row")
    assert [(row.id, doubled) for row, doubled in page.rows] == [("r0", 0), ("r1", 0)] and page.next == "r1"


class Event(Base):
    __tablename__ = "events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


def test_a_number_key_pages_by_text_cursors(session):
    session.add_all([Event(id=n) for n in (1, 2, 10)])
    session.flush()
    first = keyset.page(session, select(Event), (Event.id,), limit=2, noun="event", descending=True)
    assert [e.id for e in first.rows] == [10, 2] and first.next == "2"
    rest = keyset.page(session, select(Event), (Event.id,), cursor=first.next, limit=2, noun="event",
                       descending=True)
    assert [e.id for e in rest.rows] == [1] and rest.next is None
    for nonsense in ("x", "-1", "9" * 30):
        with pytest.raises(InvalidInput):
            keyset.page(session, select(Event), (Event.id,), cursor=nonsense, limit=2, noun="event")
