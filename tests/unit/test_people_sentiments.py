"""Sentiment records' rules on a real database (people.sentiments): where a record may
be made, what a follow-up does to it, who reads the content, what the event carries,
and the input the schemas refuse, each naming its field."""
import datetime as dt

import pytest

from common import textsig
from common.actor import Actor
from common.errors import Forbidden, InvalidInput
from common.validation import load
from people import MIGRATIONS_DIR, sentiments
from people.exceptions import HouseholdOutsideGrid, PersonNotFound, SentimentClosed, SentimentNotFound
from people.models import Assignment, Household, Person
from people.schemas import SentimentFollowUpInputSchema, SentimentInputSchema
from tickets.catalogue import DEFAULT_CATEGORIES

COMMUNITY = "320591001001"
MINE, NEXT = f"{COMMUNITY}001", f"{COMMUNITY}002"
JULY = dt.datetime(2026, 7, 6, 2, tzinfo=dt.timezone.utc)
SAID = "居民反映小区东门路灯坏了一个月，夜里老人出行不便"


@pytest.fixture
def db(open_db):
    handle = open_db("people", MIGRATIONS_DIR)
    with handle.transaction() as session:
        session.add_all([Person(id="w-mine", name="李娜", status="active"),
                         Person(id="w-next", name="王强", status="active"),
                         Household(id="h-mine", place_code=f"{MINE}00100001", grid_code=MINE),
                         Household(id="h-next", place_code=f"{NEXT}00100001", grid_code=NEXT)])
        session.flush()
        session.add_all([Assignment(person_id="w-mine", grid_code=MINE, role="full_time_worker",
                                    start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 8, 31)),
                         Assignment(person_id="w-next", grid_code=NEXT, role="full_time_worker",
                                    start_date=dt.date(2026, 1, 1))])
    return handle


def record_data(**fields):
    data = {"person_id": "w-mine", "client_id": "s-1", "grid_code": MINE, "household_id": "h-mine",
            "category": "livelihood", "source": "home_visit", "content": SAID, "occurred_at": JULY}
    data.update(fields)
    return data


def recorded(db, **fields):
    data = record_data(**fields)
    with db.transaction() as session:
        sentiments.may_record(session, data, None)
        return sentiments.record(session, data)


def worker(person_id="w-mine", scope=MINE):
    return Actor("acc-" + person_id, roles=("grid_worker",), scope=scope, person_id=person_id)


# --- where a record may be made -----------------------------------------------------------

def test_a_record_is_made_in_a_grid_its_recorder_was_posted_in_that_day(db):
    entry = recorded(db)
    assert (entry.status, entry.follow_up_count, entry.content_sig) == ("open", 0, textsig.signature(SAID))
    with db.read() as session, pytest.raises(InvalidInput) as refused:
        sentiments.may_record(session, record_data(grid_code=NEXT, household_id=None), None)
    assert (refused.value.code, refused.value.details) == ("NOT_ASSIGNED", {"field": "grid_code"})
    with db.read() as session, pytest.raises(InvalidInput) as refused:  # the post ended in August
        sentiments.may_record(session, record_data(occurred_at=JULY + dt.timedelta(days=70)), None)
    assert refused.value.code == "NOT_ASSIGNED"
    with db.read() as session, pytest.raises(PersonNotFound):
        sentiments.may_record(session, record_data(person_id="nobody"), None)


def test_the_household_lies_in_the_grid_and_the_grid_in_the_callers_reach(db):
    with db.read() as session, pytest.raises(HouseholdOutsideGrid) as refused:
        sentiments.may_record(session, record_data(household_id="h-next"), None)
    assert refused.value.details["field"] == "household_id" and refused.value.code == "HOUSEHOLD_OUTSIDE_GRID"
    with db.read() as session, pytest.raises(Forbidden) as refused:  # reach first: nothing else is told
        sentiments.may_record(session, record_data(household_id="h-next"), NEXT)
    assert refused.value.code == "OUT_OF_SCOPE"
    with db.read() as session:
        sentiments.may_record(session, record_data(household_id=None), COMMUNITY)  # a supervisor's reach


# --- following up ---------------------------------------------------------------------------

def follow(db, entry_id, client_id, status="followed_up", actor=None, when=JULY + dt.timedelta(days=1)):
    with db.transaction() as session:
        entry = sentiments.get(session, entry_id, for_update=True)
        return sentiments.follow_up(session, entry, {"client_id": client_id, "note": "已联系城管报修",
                                                     "status": status, "occurred_at": when}, actor or worker())


def test_open_then_followed_up_then_closed_and_then_no_more(db):
    entry = recorded(db)
    follow(db, entry.id, "f-1")
    follow(db, entry.id, "f-2", when=JULY + dt.timedelta(days=2))
    with db.read() as session:
        after_two = sentiments.get(session, entry.id)
        assert (after_two.status, after_two.follow_up_count) == ("followed_up", 2)
        assert after_two.followed_up_at == JULY + dt.timedelta(days=1) and after_two.closed_at is None
        first_version = after_two.version
    follow(db, entry.id, "f-3", status="closed", when=JULY + dt.timedelta(days=3))
    with db.read() as session:
        closed = sentiments.get(session, entry.id)
        assert (closed.status, closed.closed_at, closed.version) == ("closed", JULY + dt.timedelta(days=3),
                                                                     first_version + 1)
        assert [item.client_id for item in sentiments.follow_ups_of(session, entry.id)] == ["f-1", "f-2", "f-3"]
    with pytest.raises(SentimentClosed) as refused:
        follow(db, entry.id, "f-4")
    assert refused.value.details == {"field": "status", "status": "closed"}
    with db.read() as session:  # nothing of the refused one was stored
        assert len(sentiments.follow_ups_of(session, entry.id)) == 3


def test_a_record_may_be_closed_at_once_but_not_followed_up_before_it_was_made(db):
    entry = recorded(db)
    with pytest.raises(InvalidInput) as refused:
        follow(db, entry.id, "f-early", when=JULY - dt.timedelta(hours=1))
    assert "occurred_at" in refused.value.details["fields"]
    follow(db, entry.id, "f-1", status="closed")
    with db.read() as session:
        assert sentiments.get(session, entry.id).status == "closed"


# --- who reads and who acts -------------------------------------------------------------------

def test_out_of_reach_is_answered_as_no_record(db):
    entry = recorded(db)
    with db.read() as session:
        assert sentiments.get(session, entry.id, COMMUNITY).id == entry.id
        for reach in (NEXT, ""):
            with pytest.raises(SentimentNotFound):
                sentiments.get(session, entry.id, reach)


def test_the_content_is_for_the_recorder_supervisors_and_auditors(db):
    entry = recorded(db)
    colleague = Actor("acc-c", roles=("grid_worker",), scope=MINE, person_id="w-next")
    readers = [worker(), Actor("acc-chief", roles=("grid_chief",), scope=MINE),
               Actor("acc-aud", roles=("auditor",), scope=COMMUNITY), None]
    assert all(sentiments.may_read_content(actor, entry) for actor in readers)
    assert not sentiments.may_read_content(colleague, entry)
    assert sentiments.view(entry, False)["content"] is None and sentiments.view(entry, True)["content"] == SAID
    sentiments.may_act(worker(), entry)
    sentiments.may_act(readers[1], entry)
    with pytest.raises(Forbidden) as refused:
        sentiments.may_act(colleague, entry)
    assert refused.value.code == "NOT_YOUR_RECORD"


def test_the_event_carries_no_text(db):
    entry = recorded(db)
    payload = sentiments.payload(entry)
    assert SAID not in str(payload) and payload["content_sig"] == textsig.signature(SAID)
    assert set(payload) == {"id", "person_id", "grid_code", "household_id", "category", "source", "status",
                            "follow_up_count", "followed_up_at", "closed_at", "ticket_id", "content_sig",
                            "occurred_at", "received_at", "version"}


def test_a_page_at_a_time_newest_first(db):
    made = [recorded(db, client_id=f"s-{n}", occurred_at=JULY + dt.timedelta(hours=n)) for n in range(5)]
    recorded(db, person_id="w-next", client_id="s-next", grid_code=NEXT, household_id=None, category="suggestion")
    with db.read() as session:
        first = sentiments.page(session, root=MINE, limit=2)
        second = sentiments.page(session, root=MINE, limit=2, after=first["next"])
        third = sentiments.page(session, root=MINE, limit=2, after=second["next"])
        suggestions = sentiments.page(session, root=COMMUNITY, category="suggestion")
        with pytest.raises(InvalidInput) as refused:
            sentiments.page(session, after="no-such-record")
    listed = [item["id"] for page in (first, second, third) for item in page["items"]]
    assert listed == [entry.id for entry in reversed(made)] and third["next"] is None
    assert [item["grid_code"] for item in suggestions["items"]] == [NEXT]
    assert "after" in refused.value.details["fields"]


# --- reporting as a ticket ----------------------------------------------------------------------

def test_each_category_reports_under_a_ticket_category_tickets_knows():
    known = {category.code for category in DEFAULT_CATEGORIES}
    assert {ticket for _, _, ticket in sentiments.CATEGORIES.values()} <= known


def test_the_report_carries_the_records_grid_category_and_content(db):
    entry = recorded(db, category="dispute_sign")
    assert sentiments.ticket_report(entry, {}) == {"grid_code": MINE, "category": "DM01", "grade": "daily",
                                                   "description": SAID}
    assert sentiments.ticket_report(entry, {"category": "DM04", "grade": "urgent"})["category"] == "DM04"


# --- bad input, named -----------------------------------------------------------------------------

@pytest.mark.parametrize("field, value", [
    ("category", "gossip"), ("source", "rumour"), ("content", ""), ("content", "   "), ("content", "长" * 2001),
    ("grid_code", "not-a-grid"),
])
def test_bad_input_names_its_field(field, value):
    with pytest.raises(InvalidInput) as refused:
        load(SentimentInputSchema, dict(record_data(occurred_at=None), **{field: value}), "sentiment record")
    assert list(refused.value.details["fields"]) == [field]


def test_a_follow_up_takes_a_note_and_a_status_it_may_leave():
    for field, value in (("note", ""), ("status", "open"), ("status", "reopened")):
        with pytest.raises(InvalidInput) as refused:
            load(SentimentFollowUpInputSchema, {"client_id": "f", "note": "已处理", field: value}, "follow-up")
        assert list(refused.value.details["fields"]) == [field]
