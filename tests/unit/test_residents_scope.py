"""Residents and visits stay inside the caller's scope, duplicates included."""
import datetime as dt

import pytest

from common.errors import Forbidden
from common.pii import PiiCipher
from people import MIGRATIONS_DIR
from people.exceptions import DuplicatePerson
from people.idcard import check_char
from people.models import Assignment, Household, Person
from people.patrols import may_record_visit
from people.residents import find_residents, register_resident

CIPHER = PiiCipher(bytes(32))
MINE, OTHER = "320508019044", "320508014021"


@pytest.fixture
def db(open_db):
    handle = open_db("people", MIGRATIONS_DIR)
    with handle.transaction() as session:
        session.add_all([Household(id="h-mine", place_code=f"{MINE}00100001", grid_code=f"{MINE}001"),
                         Household(id="h-other", place_code=f"{OTHER}00100001", grid_code=f"{OTHER}001"),
                         Person(id="p-mine", name="李娜", status="active"),
                         Person(id="p-other", name="王强", status="active")])
        session.flush()
        session.add_all([Assignment(person_id="p-mine", grid_code=f"{MINE}001", role="full_time_worker",
                                    start_date=dt.date(2026, 1, 1)),
                         Assignment(person_id="p-other", grid_code=f"{OTHER}001", role="full_time_worker",
                                    start_date=dt.date(2026, 1, 1))])
    return handle


def number(serial):
    first17 = f"32050819700101{serial:03d}"
    return first17 + check_char(first17)


def test_a_resident_without_a_household_is_for_district_wide_accounts_only(db):
    with db.transaction() as session, pytest.raises(Forbidden) as refused:
        register_resident(session, CIPHER, {"name": "张三", "id_number": number(1)}, scope=MINE)
    assert refused.value.details["grid_code"] is None
    with db.transaction() as session:
        assert register_resident(session, CIPHER, {"name": "张三", "id_number": number(1)}).grid_code is None


def test_a_duplicate_elsewhere_is_refused_without_saying_who_or_where(db):
    with db.transaction() as session:
        there = register_resident(session, CIPHER, {"name": "张三", "id_number": number(2), "household_id": "h-other"})
    with db.transaction() as session, pytest.raises(Forbidden):  # scope first: not even "it exists"
        register_resident(session, CIPHER, {"name": "张三", "id_number": number(2), "household_id": "h-other"},
                          scope=MINE)
    with db.transaction() as session, pytest.raises(DuplicatePerson) as duplicate:
        register_resident(session, CIPHER, {"name": "张三", "id_number": number(2), "household_id": "h-mine"},
                          scope=MINE)
    assert duplicate.value.details == {"field": "id_number"}
    with db.transaction() as session, pytest.raises(DuplicatePerson) as duplicate:
        register_resident(session, CIPHER, {"name": "张三", "id_number": number(2), "household_id": "h-mine"})
    assert duplicate.value.details["resident_id"] == there.id


def test_a_tag_search_finds_residents_however_many_others_there_are(db):
    with db.transaction() as session:
        for serial in range(10, 30):
            register_resident(session, CIPHER, {"name": "居民", "id_number": number(serial), "household_id": "h-mine"})
        alone = register_resident(session, CIPHER, {"name": "独居老人", "id_number": number(99),
                                                    "household_id": "h-mine", "tags": ["elderly_alone"]}).id
    with db.read() as session:
        found = find_residents(session, CIPHER, tag="elderly_alone", limit=5).rows
        assert [r.id for r in found] == [alone]


def test_a_visit_is_logged_by_staff_posted_in_scope_for_households_in_it(db):
    now = dt.datetime.now(dt.timezone.utc)  # the service has set the visit's time by now
    visit = {"person_id": "p-other", "household_id": "h-mine", "occurred_at": now}
    with db.read() as session:
        with pytest.raises(Forbidden):
            may_record_visit(session, visit, MINE)  # a visitor posted elsewhere
        with pytest.raises(Forbidden):
            may_record_visit(session, {"person_id": "p-mine", "household_id": "h-other", "occurred_at": now}, MINE)
        may_record_visit(session, {"person_id": "p-mine", "household_id": "h-mine", "occurred_at": now}, MINE)
        may_record_visit(session, visit, None)
