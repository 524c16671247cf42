"""Party building (党建引领) on a real database (PostgreSQL when there is one): branches
and the grids they lead (their own, or their community's, with a secretary who is the
general grid chief), two-way registration with the service logged and read back by
month, and a grid's monthly service day with each member signing in once."""
import datetime as dt

import pytest

from common.errors import InvalidInput
from people import MIGRATIONS_DIR, pages, party, residents
from people.exceptions import (AlreadyAMember, AlreadyRegistered, AlreadySignedIn, BranchNotFound, HouseholdLinked,
                               HouseholdOutsideGrid, LinkNotFound, MembershipNotFound, NotAPartyMember,
                               PersonNotFound, RegistrationNotFound, ServiceDayExists, ServiceDayNotFound,
                               TooManyHouseholds)
from people.models import Assignment, Household, Person, ServiceDay

TOWN = "320566001"
COMMUNITY = f"{TOWN}001"
A, B = f"{COMMUNITY}001", f"{COMMUNITY}002"
OTHER_COMMUNITY = f"{TOWN}002"
C = f"{OTHER_COMMUNITY}001"
TODAY = dt.date(2026, 12, 6)
NOW = dt.datetime(2026, 12, 6, 2, tzinfo=dt.timezone.utc)


@pytest.fixture
def db(open_db):
    return open_db("people", MIGRATIONS_DIR)


def people_(session, *names, member=True):
    rows = [Person(name=name, party_member=member) for name in names]
    session.add_all(rows)
    session.flush()
    return [row.id for row in rows]


def staffed(code, community):
    return {"code": code, "name": f"网格{code[-3:]}", "kind": "basic", "level": "grid", "zone_type": None,
            "community_code": community, "town_code": TOWN}


def test_a_grid_is_led_by_its_own_branch_or_its_community_s(db):
    with db.transaction() as session:
        secretary, grid_secretary, member = people_(session, "书记", "网格书记", "党员")
        (outsider,) = people_(session, "群众", member=False)
        session.add(Assignment(person_id=secretary, grid_code=COMMUNITY, role="general_grid_chief",
                               start_date=dt.date(2026, 1, 1)))
        community = party.found_branch(session, {"kind": "branch", "name": "社区党委", "grid_code": COMMUNITY,
                                                 "secretary_id": secretary}, by="town", today=TODAY)
        own = party.found_branch(session, {"kind": "branch", "name": "一网格党支部", "grid_code": A,
                                           "secretary_id": grid_secretary}, by="town", today=TODAY)
        with pytest.raises(NotAPartyMember) as refused:
            party.found_branch(session, {"kind": "group", "name": "x", "grid_code": C, "secretary_id": outsider},
                               by="town", today=TODAY)
        assert refused.value.details == {"field": "secretary_id"}
        with pytest.raises(InvalidInput) as unknown:
            party.add_member(session, own, "no-such-person", by="town", today=TODAY)
        assert (unknown.value.code, unknown.value.details) == ("UNKNOWN_PERSON", {"field": "person_id"})

        party.add_member(session, own, member, by="town", today=TODAY)
        with pytest.raises(AlreadyAMember):
            party.add_member(session, own, member, by="town", today=TODAY)
        with pytest.raises(NotAPartyMember):
            party.add_member(session, own, outsider, by="town", today=TODAY)
        detail = party.branch_detail(session, own)
        assert detail["members"] == 2 and detail["secretary_name"] == "网格书记"

        grids = [staffed(A, COMMUNITY), staffed(B, COMMUNITY), staffed(C, OTHER_COMMUNITY)]
        report = party.coverage(session, grids, TOWN, TODAY)
        led = {row["code"]: row["led_by"] for row in report["items"]}
        assert led == {A: "own", B: "community", C: None}
        assert (report["grids"], report["covered"], report["with_own_branch"]) == (3, 2, 1)
        by_community = {c["code"]: c for c in report["communities"]}
        assert (by_community[COMMUNITY]["covered"], by_community[OTHER_COMMUNITY]["covered"]) == (2, 0)
        (chief,) = by_community[COMMUNITY]["branches"]
        assert chief["id"] == community.id and chief["secretary_is_general_grid_chief"] is True
        assert report["items"][0]["branches"][0]["secretary_is_general_grid_chief"] is False
        assert report["towns"] == [{"code": TOWN, "grids": 3, "with_own_branch": 1, "covered": 2,
                                    "coverage": 0.6667}]

        party.leave(session, own, member, today=TODAY)
        assert party.leave(session, own, member, today=TODAY + dt.timedelta(days=1)).left_on == TODAY
        with pytest.raises(MembershipNotFound):
            party.leave(session, own, outsider, today=TODAY)
        with pytest.raises(AlreadyAMember) as secretary_leaving:
            party.leave(session, own, grid_secretary, today=TODAY)
        assert secretary_leaving.value.code == "SECRETARY_LEAVING"
        party.add_member(session, own, member, by="town", today=TODAY)   # one who left joins again
        assert party.branch_detail(session, own)["members"] == 2

        page = party.branches_page(session, root=COMMUNITY, limit=1)
        rest = party.branches_page(session, root=COMMUNITY, after=page["next"], limit=1)
        assert [b["id"] for b in page["items"] + rest["items"]] == [community.id, own.id] and rest["next"] is None
        with pytest.raises(BranchNotFound):
            party.get_branch(session, own.id, reach=B)


def test_a_member_s_service_is_logged_and_read_back_by_month(db):
    with db.transaction() as session:
        member, other = people_(session, "在职党员", "另一党员")
        data = {"person_id": member, "employer_code": "rsj", "community_code": COMMUNITY}
        registration = party.register(session, data, by="community", now=NOW)
        with pytest.raises(AlreadyRegistered):
            party.register(session, {**data, "community_code": OTHER_COMMUNITY}, by="community", now=NOW)
        for day, hours, households in ((dt.date(2026, 11, 3), 2.5, 4), (dt.date(2026, 11, 20), 1, 0),
                                       (dt.date(2026, 12, 1), 3, 6), (dt.date(2025, 12, 1), 2, 1)):
            entry = party.log_service(session, registration, {"activity": "入户走访", "hours": hours,
                                                              "households": households, "day": day},
                                      by="member", today=TODAY, now=NOW)
        assert party.entry_payload(entry, member) == {
            "id": entry.id, "registration_id": registration.id, "person_id": member, "grid_code": COMMUNITY,
            "hours": 2.0, "households": 1, "day": "2025-12-01"}
        with pytest.raises(InvalidInput) as future:
            party.log_service(session, registration, {"activity": "x", "hours": 1, "households": 0,
                                                      "day": TODAY + dt.timedelta(days=1)},
                              by="member", today=TODAY, now=NOW)
        assert "day" in future.value.details["fields"]

        report = party.report(session, registration, 2026)
        assert (report["entries"], report["hours"], report["households"]) == (3, 6.5, 10)
        months = {m["month"]: (m["entries"], m["hours"], m["households"]) for m in report["months"]}
        assert len(months) == 12 and months["2026-11"] == (2, 3.5, 4) and months["2026-12"] == (1, 3.0, 6)
        assert months["2026-01"] == (0, 0.0, 0)

        # who reads it: the member, the employer's accounts, staff whose reach meets the community
        for view in ((None, member, None), ("", None, "rsj"), (COMMUNITY, None, None), (A, None, None),
                     (TOWN, None, None), (None, None, None, True)):
            assert party.get_registration(session, registration.id, view) is registration
        for view in (("", other, None), ("", None, "wjw"), (OTHER_COMMUNITY, None, None), ("", None, None)):
            with pytest.raises(RegistrationNotFound):
                party.get_registration(session, registration.id, view)

        assert [r["id"] for r in party.registrations_page(session, root=A)["items"]] == [registration.id]
        assert party.registrations_page(session, root=COMMUNITY)["items"][0]["hours_total"] == 8.5
        assert party.registrations_page(session, root=OTHER_COMMUNITY)["items"] == []


def test_a_grid_holds_one_service_day_a_month_and_each_member_signs_in_once(db):
    with db.transaction() as session:
        member, other = people_(session, "党员甲", "党员乙")
        (outsider,) = people_(session, "群众", member=False)
        day = party.hold_service_day(session, {"grid_code": A, "day": TODAY, "activity": "义诊义剪"},
                                     by="community", now=NOW)
        assert day.month == "2026-12"
        with pytest.raises(ServiceDayExists) as second:
            party.hold_service_day(session, {"grid_code": A, "day": TODAY + dt.timedelta(days=10),
                                             "activity": "再来一次"}, by="community", now=NOW)
        assert second.value.details["service_day_id"] == day.id
        later = party.hold_service_day(session, {"grid_code": A, "day": dt.date(2027, 1, 9), "activity": "清扫"},
                                       by="community", now=NOW)
        party.hold_service_day(session, {"grid_code": B, "day": TODAY, "activity": "宣传"}, by="community", now=NOW)

        row = party.sign_in(session, day, member, by="member", today=TODAY, now=NOW)
        party.sign_in(session, day, other, by="chief", today=TODAY, now=NOW + dt.timedelta(minutes=1))
        with pytest.raises(AlreadySignedIn):
            party.sign_in(session, day, member, by="member", today=TODAY, now=NOW)
        with pytest.raises(NotAPartyMember):
            party.sign_in(session, day, outsider, by="chief", today=TODAY, now=NOW)
        with pytest.raises(AlreadySignedIn) as early:
            party.sign_in(session, later, member, by="member", today=TODAY, now=NOW)
        assert early.value.code == "SERVICE_DAY_NOT_YET"
        assert party.sign_in_payload(day, row, 2) == {"service_day_id": day.id, "sign_in_id": row.id,
                                                      "person_id": member, "grid_code": A, "month": "2026-12",
                                                      "day": "2026-12-06", "signed_at": NOW.isoformat(),
                                                      "attended": 2}
        assert party.service_day_payload(day) == {"id": day.id, "grid_code": A, "month": "2026-12",
                                                  "day": "2026-12-06", "branch_id": None,
                                                  "created_at": NOW.isoformat()}

        december = party.service_days_page(session, root=COMMUNITY, month="2026-12")["items"]
        assert [(d["grid_code"], d["attended"]) for d in december] == [(A, 2), (B, 0)]
        assert [s["name"] for s in december[0]["sign_ins"]] == ["党员甲", "党员乙"]
        assert [d["month"] for d in party.service_days_page(session, root=A)["items"]] == ["2026-12", "2027-01"]
        assert party.get_service_day(session, day.id, reach=None) is day
        assert party.get_service_day(session, day.id, reach="", own=True) is day
        for reach in (B, ""):
            with pytest.raises(ServiceDayNotFound):
                party.get_service_day(session, day.id, reach=reach)


def test_scoring_s_pages_carry_what_the_party_events_carry(db):
    """Scoring rebuilds its facts of service, service days and sign-ins from these pages:
    each item is its event's payload, the member a service entry is of and the day a
    sign-in is at read from the rows they refer to."""
    with db.transaction() as session:
        member, other = people_(session, "党员甲", "党员乙")
        registration = party.register(session, {"person_id": member, "employer_code": "rsj",
                                                "community_code": COMMUNITY}, by="community", now=NOW)
        entries = [party.log_service(session, registration, {"activity": "入户走访", "hours": hours, "households": 1,
                                                             "day": TODAY}, by="member", today=TODAY, now=NOW)
                   for hours in (1.5, 2)]
        days = [party.hold_service_day(session, {"grid_code": grid, "day": TODAY, "activity": "义诊"},
                                       by="community", now=NOW) for grid in (A, B)]
        signed = [(days[0], party.sign_in(session, days[0], person, by="chief", today=TODAY, now=NOW))
                  for person in (member, other)] + [
            (days[1], party.sign_in(session, days[1], member, by="chief", today=TODAY, now=NOW))]
    with db.read() as session:
        service = party.service_entries_page(session, None, 1000)["items"]
        held = pages.page(session, ServiceDay, party.service_day_payload, None, 1000)["items"]
        sign_ins = party.sign_ins_page(session, None, 1000)["items"]
        first = party.sign_ins_page(session, None, 2)
    assert service == sorted((party.entry_payload(e, member) for e in entries), key=lambda p: p["id"])
    assert held == sorted((party.service_day_payload(d) for d in days), key=lambda p: p["id"])
    assert sign_ins == sorted((party.sign_in_payload(d, row) for d, row in signed), key=lambda p: p["sign_in_id"])
    assert {p["grid_code"] for p in sign_ins if p["person_id"] == member} == {A, B}
    assert first["next"] == first["items"][-1]["sign_in_id"] and len(first["items"]) == 2
    assert "入户走访" not in repr(service) and "义诊" not in repr(held)


def test_a_member_is_linked_to_fifteen_neighbouring_households_at_most(db):
    with db.transaction() as session:
        member, neighbour, posted = people_(session, "中心户党员", "另一中心户", "网格员党员")
        party.found_branch(session, {"kind": "group", "name": "一网格党小组", "grid_code": A, "secretary_id": member},
                           by="community", today=TODAY)
        session.add(Assignment(person_id=posted, grid_code=B, role="full_time_worker", start_date=dt.date(2026, 1, 1)))
        homes = [Household(place_code=f"{A}01", grid_code=A, address=f"{n}室") for n in range(17)]
        (elsewhere,) = [Household(place_code=f"{B}01", grid_code=B, address="别处")]
        session.add_all(homes + [elsewhere])
        session.flush()

        for home in homes[:15]:
            assert party.link_household(session, member, home, by="c", today=TODAY, now=NOW)[1] is True
        assert party.link_household(session, member, homes[0], by="c", today=TODAY, now=NOW)[1] is False
        with pytest.raises(TooManyHouseholds):
            party.link_household(session, member, homes[15], by="c", today=TODAY, now=NOW)
        with pytest.raises(HouseholdOutsideGrid) as outside:
            party.link_household(session, neighbour, homes[16], by="c", today=TODAY, now=NOW)
        assert outside.value.details["field"] == "household_id"       # no branch, no post: no grid of theirs
        party.found_branch(session, {"kind": "group", "name": "二党小组", "grid_code": A, "secretary_id": neighbour},
                           by="community", today=TODAY)
        with pytest.raises(HouseholdLinked):
            party.link_household(session, neighbour, homes[0], by="c", today=TODAY, now=NOW)
        party.link_household(session, neighbour, homes[16], by="c", today=TODAY, now=NOW)
        assert party.link_household(session, posted, elsewhere, by="c", today=TODAY, now=NOW)[1] is True  # a post

        mine = party.member_households(session, member, COMMUNITY, TODAY)
        assert (mine["linked"], mine["short_of_minimum"], mine["grids"]) == (15, False, [A])
        party.unlink_household(session, member, homes[0].id)
        with pytest.raises(LinkNotFound):
            party.unlink_household(session, member, homes[0].id)
        assert party.member_households(session, member, A, TODAY)["linked"] == 14
        assert party.member_households(session, neighbour, None, TODAY)["short_of_minimum"] is True
        for person, reach in ((member, B), (member, ""), ("no-such-person", None)):
            with pytest.raises(PersonNotFound):
                party.member_households(session, person, reach, TODAY)


def test_a_member_s_households_show_where_they_lie_now(db):
    """A household that moves after it was linked is listed in its new grid: a problem
    carried up for it is a ticket of that grid, and a reader of that grid meets it."""
    with db.transaction() as session:
        (member,) = people_(session, "搬家中心户党员")
        party.found_branch(session, {"kind": "group", "name": "搬家党小组", "grid_code": A, "secretary_id": member},
                           by="community", today=TODAY)
        home = Household(place_code=f"{A}01", grid_code=A, address="1室")
        session.add(home)
        session.flush()
        party.link_household(session, member, home, by="c", today=TODAY, now=NOW)
        residents.move_household(session, home.id, {"code": f"{C}01", "grid_code": C})

        mine = party.member_households(session, member, C, TODAY)       # met through the household alone
        assert [(h["household_id"], h["grid_code"]) for h in mine["households"]] == [(home.id, C)]
