"""Scoring's facts on a real database: rows from payloads (a late, older snapshot of a
ticket changes nothing), and what each measure counts over a scope and a quarter,
checked against figures worked out by hand."""
import datetime as dt

import pytest

from common import textsig
from common.errors import InvalidInput
from scoring import MIGRATIONS_DIR, facts, measures

SCOPE = "320599001001"
A, B = f"{SCOPE}001", f"{SCOPE}002"
Q3 = (dt.date(2026, 7, 1), dt.date(2026, 9, 30))


def at(day, hour=10):
    """A moment on a Shanghai day (UTC+8), as payloads carry it."""
    return f"2026-{day}T{hour:02d}:00:00+08:00"


def ticket(ticket_id, version=1, **fields):
    payload = {"ticket_id": ticket_id, "version": version, "number": f"20260701-{ticket_id[-5:]}",
               "grid_code": A, "source": "grid_patrol", "category": "UM02", "reported_category": "UM02",
               "grade": "daily", "status": "reported", "reopen_count": 0, "reported_at": at("07-02"),
               "reporter_person_id": None, "responsible_person_id": None}
    payload.update(fields)
    return payload


@pytest.fixture
def db(open_db):
    return open_db("scoring", MIGRATIONS_DIR)


def test_a_late_older_snapshot_of_a_ticket_changes_nothing(db):
    with db.transaction() as session:
        facts.store_tickets(session, [facts.ticket_row(ticket("t-0001", 3, status="resolved",
                                                              resolved_at=at("07-03"), on_time=True))])
    with db.transaction() as session:  # version 2 arrives after 3 (another queue)
        facts.store_tickets(session, [facts.ticket_row(ticket("t-0001", 2, status="accepted")),
                                      facts.ticket_row(ticket("t-0002", 1)), facts.ticket_row(ticket("t-0002", 2,
                                                                                                    status="accepted"))])
    with db.read() as session:
        rows = {row.ticket_id: (row.status, row.version, row.resolved_day, row.on_time)
                for row in session.query(facts.TicketFact)}
    assert rows["t-0001"] == ("resolved", 3, dt.date(2026, 7, 3), True)
    assert rows["t-0002"][:2] == ("accepted", 2)


def test_a_payload_without_what_its_row_needs_is_refused_naming_the_field(db):
    with pytest.raises(InvalidInput) as caught:
        facts.ticket_row(dict(ticket("t-1"), reported_at="yesterday"))
    assert caught.value.details["fields"] == {"reported_at": ["missing or malformed"]}
    with pytest.raises(InvalidInput):
        facts.patrol_row({"id": "p1", "person_id": "w", "occurred_at": "2026-07-01T10:00:00"})  # no offset


def test_each_measure_counts_what_the_registry_says(db):
    """Two workers posted in grids A and B; worked out by hand:
    w1 reported 3 tickets on patrol in Q3 (one recategorised, one withdrawn) and one in
    June; answered for 4 resolved in Q3 (3 on time, 1 by a department), 2 rated 5 and 3;
    patrolled 4 times (3 inside) on 3 days, visited 2 of grid A's 4 households."""
    with db.transaction() as session:
        facts.store_posts(session, [facts.post_row(p) for p in (
            {"id": "a1", "person_id": "w1", "grid_code": A, "role": "full_time_worker", "start_date": "2026-01-01"},
            {"id": "a2", "person_id": "w2", "grid_code": B, "role": "full_time_worker", "start_date": "2026-08-01",
             "end_date": None},
            {"id": "a3", "person_id": "gone", "grid_code": B, "role": "volunteer", "start_date": "2025-01-01",
             "end_date": "2026-06-30"})])
        facts.store_households(session, [facts.household_row({"household_id": f"h{n}", "grid_code": f"{A}00{n}"})
                                         for n in range(1, 5)])
        facts.store_tickets(session, [facts.ticket_row(t) for t in (
            ticket("t-0001", reporter_person_id="w1"),
            ticket("t-0002", reporter_person_id="w1", category="UM05"),             # recategorised
            ticket("t-0003", reporter_person_id="w1", outcome="withdrawn", status="resolved"),
            ticket("t-0004", reporter_person_id="w1", reported_at=at("06-30")),      # June: not Q3
            ticket("t-0005", reporter_person_id="w1", source="resident_report"),     # not on patrol
            ticket("t-0011", responsible_person_id="w1", status="closed", resolved_at=at("07-10"), on_time=True,
                   resolved_level="grid", satisfaction=5, rated_at=at("07-12")),
            ticket("t-0012", responsible_person_id="w1", status="resolved", resolved_at=at("08-10"), on_time=True,
                   resolved_level="community", satisfaction=3, rated_at=at("08-11")),
            ticket("t-0013", responsible_person_id="w1", status="resolved", resolved_at=at("09-10"), on_time=False,
                   resolved_level="department"),
            ticket("t-0014", responsible_person_id="w1", status="resolved", resolved_at=at("09-30", 23),
                   on_time=True, resolved_level="grid"),
            ticket("t-0015", responsible_person_id="w1", status="resolved", resolved_at=at("10-01", 1),
                   on_time=True, resolved_level="grid"),                              # October in Shanghai
        )])
        facts.store_patrols(session, [facts.patrol_row({
            "id": f"p{n}", "person_id": "w1", "grid_codes": [A], "located_grid_code": A, "inside": n != 4,
            "occurred_at": at(day)}) for n, day in ((1, "07-05"), (2, "07-05"), (3, "08-05"), (4, "09-05"))])
        facts.store_visits(session, [facts.visit_row({
            "id": f"v{n}", "person_id": "w1", "household_id": household, "grid_code": A, "occurred_at": at(day)})
            for n, household, day in ((1, "h1", "07-06"), (2, "h1", "07-07"), (3, "h2", "09-01"))])
    with db.read() as session:
        subjects = measures.subjects_of(session, SCOPE, *Q3)
        assert sorted(subjects) == ["w1", "w2"]
        measured = measures.measure_all(session, subjects, SCOPE, *Q3, list(measures_keys()))
    w1 = measured["w1"]
    assert (w1["events_reported"].value, w1["events_reported"].volume) == (3.0, 3)
    assert w1["accuracy"].value == pytest.approx(2 / 4)  # of 4 own reports in Q3: t-0002, t-0003 fail
    assert (w1["patrols"].value, w1["patrols_inside"].value) == (4.0, 0.75)
    assert w1["households_visited"].value == pytest.approx(2 / 4) and w1["households_visited"].volume == 2
    assert w1["on_time_rate"].value == pytest.approx(3 / 4) and w1["on_time_rate"].volume == 4
    assert w1["below_department"].value == pytest.approx(3 / 4)
    assert w1["satisfaction"].value == pytest.approx((5 / 5 * 100 + 3 / 5 * 100) / 2)  # 80 of 100
    # days: reports 07-02 (four of them), patrols 07-05, 08-05, 09-05, visits 07-06, 07-07, 09-01
    assert w1["active_days"].value == 7.0
    assert sorted(w1["patrols"].refs) == ["p1", "p2", "p3", "p4"]
    w2 = measured["w2"]
    assert w2["events_reported"].value == 0.0 and w2["on_time_rate"].value is None
    assert w2["households_visited"].value is None  # no household registered in B


def measures_keys():
    return ("events_reported", "active_days", "patrols", "patrols_inside", "households_visited", "on_time_rate",
            "below_department", "satisfaction", "accuracy", "sentiment_records", "sentiment")


def sentiment(record_id, version=1, **fields):
    """A sentiment record's snapshot as people's events and pages carry it."""
    payload = {"id": record_id, "version": version, "person_id": "w1", "grid_code": A, "household_id": None,
               "category": "livelihood", "source": "home_visit", "status": "open", "follow_up_count": 0,
               "followed_up_at": None, "closed_at": None, "ticket_id": None, "content_sig": None,
               "occurred_at": at("07-06"), "received_at": at("07-06", 11)}
    payload.update(fields)
    return payload


def test_a_sentiment_records_newest_snapshot_stays_whatever_the_order(db):
    followed = dict(status="followed_up", follow_up_count=1, followed_up_at=at("07-08"), ticket_id="t-9")
    with db.transaction() as session:
        facts.store_sentiments(session, [facts.sentiment_row(sentiment("s1", 2, **followed))])
    with db.transaction() as session:  # the sentiment_recorded arrives after the follow-up (another queue)
        facts.store_sentiments(session, [facts.sentiment_row(sentiment("s1", 1))])
    with db.read() as session:
        rows = [(row.version, row.status, row.follow_up_count, row.ticket_id, row.day)
                for row in session.query(facts.SentimentFact)]
    assert rows == [(2, "followed_up", 1, "t-9", dt.date(2026, 7, 6))]
    with pytest.raises(InvalidInput) as caught:
        facts.sentiment_row(dict(sentiment("s2"), category=None))
    assert caught.value.details["fields"] == {"category": ["missing or malformed"]}
    with pytest.raises(InvalidInput):
        facts.sentiment_row(dict(sentiment("s2"), content_sig="not a signature"))


def test_the_sentiment_index_counts_a_workers_records_and_the_share_followed_up(db):
    """w1 made 4 records in Q3 (one followed up, one closed, one reported as a ticket and
    so followed up, one open) and one in June; w2 made none; c1 is no one posted here."""
    with db.transaction() as session:
        facts.store_posts(session, [facts.post_row(p) for p in (
            {"id": "a1", "person_id": "w1", "grid_code": A, "role": "full_time_worker", "start_date": "2026-01-01"},
            {"id": "a2", "person_id": "w2", "grid_code": B, "role": "full_time_worker", "start_date": "2026-01-01"})])
        facts.store_sentiments(session, [facts.sentiment_row(p) for p in (
            sentiment("s1", 2, status="followed_up", follow_up_count=1, followed_up_at=at("07-07")),
            sentiment("s2", 3, status="closed", follow_up_count=2, followed_up_at=at("07-07"),
                      closed_at=at("07-09")),
            sentiment("s3", 2, status="followed_up", follow_up_count=1, ticket_id="t-1", occurred_at=at("09-30", 23)),
            sentiment("s4", occurred_at=at("08-01")),
            sentiment("s5", status="closed", occurred_at=at("06-30")),               # June: not Q3
            sentiment("s6", person_id="c1", occurred_at=at("08-01")))])
    with db.read() as session:
        subjects = measures.subjects_of(session, SCOPE, *Q3)
        measured = measures.measure_all(session, subjects, SCOPE, *Q3, ["sentiment_records", "sentiment"])
        refs = measures.refs_of(session, ["w1"], *Q3)
    w1, w2 = measured["w1"], measured["w2"]
    assert (w1["sentiment_records"].value, w1["sentiment_records"].volume) == (4.0, 4)
    assert (w1["sentiment"].value, w1["sentiment"].volume) == (0.75, 4)
    assert sorted(w1["sentiment"].refs) == ["s1", "s2", "s3", "s4"]
    assert (w2["sentiment_records"].value, w2["sentiment"].value, w2["sentiment"].volume) == (0.0, None, 0)
    assert sorted(refs["sentiments"]) == ["s1", "s2", "s3", "s4"]


def party_facts(session):
    """Q3 in community SCOPE: w1 and w4 posted in grid A, w2 in grid B, w3 at the community.
    Service days: A on 07-10 (dA1) and 08-10 (dA2), B on 07-12 (dB), the community on 09-05
    (dC); A in June and another community's grid in July are no Q3 days of the scope's."""
    facts.store_posts(session, [facts.post_row({"id": f"a{n}", "person_id": person, "grid_code": grid,
                                                "role": role, "start_date": "2026-01-01"})
                                for n, (person, grid, role) in enumerate((
                                    ("w1", A, "full_time_worker"), ("w4", A, "part_time_worker"),
                                    ("w2", B, "full_time_worker"), ("w3", SCOPE, "general_grid_chief")))])
    facts.store_service_days(session, [facts.service_day_row({"id": day_id, "grid_code": grid, "month": day[:7],
                                                              "day": day}) for day_id, grid, day in (
        ("dA1", A, "2026-07-10"), ("dA2", A, "2026-08-10"), ("dB", B, "2026-07-12"), ("dC", SCOPE, "2026-09-05"),
        ("dJune", A, "2026-06-10"), ("dElse", "320599001002001", "2026-07-10"))])
    days = {"dA1": "2026-07-10", "dA2": "2026-08-10", "dB": "2026-07-12", "dC": "2026-09-05", "dJune": "2026-06-10"}
    facts.store_attendance(session, [facts.attendance_row({
        "sign_in_id": f"i-{person}-{day_id}", "service_day_id": day_id, "person_id": person, "grid_code": A,
        "month": days[day_id][:7], "day": days[day_id], "signed_at": at("09-30")}) for person, day_id in (
        ("w1", "dA1"), ("w1", "dC"), ("w1", "dB"), ("w1", "dJune"), ("w4", "dA2"), ("w3", "dC"))])
    facts.store_party_service(session, [facts.party_service_row({
        "id": f"e{n}", "registration_id": f"r-{person}", "person_id": person, "grid_code": SCOPE, "hours": hours,
        "households": 2, "day": day}) for n, (person, hours, day) in enumerate((
            ("w1", 2.5, "2026-07-05"), ("w1", 1.5, "2026-09-30"), ("w1", 3, "2026-06-30"), ("w4", 1, "2026-08-01")))])
    facts.store_wishes(session, [facts.wish_row({
        "wish_id": wish_id, "version": 6, "claimant_person_id": person, "grid_code": A, "category": "service",
        "points": 10, "confirmed_at": moment}) for wish_id, person, moment in (
            ("wish1", "w1", at("07-20")), ("wish2", "w1", "2026-09-30T16:30:00+00:00"),   # 1 October in Shanghai
            ("wish3", "w2", at("08-02")))])


PARTY_KEYS = ["party_service_hours", "wishes_fulfilled", "service_days_attended", "service_day_attendance"]


def test_a_members_service_hours_wishes_and_service_days_are_counted_by_hand(db):
    """Worked out by hand (see party_facts): w1 logged 2.5 + 1.5 hours in Q3 (3 in June);
    fulfilled one wish confirmed in Q3 (the second was confirmed in October); signed in to
    dA1, dC and dB in Q3. Expected at A's days and the community's (dA1, dA2, dC), w1 came
    to 2 of 3; dB is B's day, so it counts as attended but not in w1's rate. w2 came to
    none of B's and the community's 2; w3, posted at the community, to its 1 of 1."""
    with db.transaction() as session:
        party_facts(session)
    with db.read() as session:
        subjects = measures.subjects_of(session, SCOPE, *Q3)
        measured = measures.measure_all(session, subjects, SCOPE, *Q3, PARTY_KEYS)
        refs = measures.refs_of(session, ["w1"], *Q3)
    w1, w2, w3 = measured["w1"], measured["w2"], measured["w3"]
    assert (w1["party_service_hours"].value, w1["party_service_hours"].volume) == (4.0, 2)
    assert sorted(w1["party_service_hours"].refs) == ["e0", "e1"]
    assert (w1["wishes_fulfilled"].value, w1["wishes_fulfilled"].refs) == (1.0, ["wish1"])
    assert (w1["service_days_attended"].value, w1["service_days_attended"].volume) == (3.0, 3)
    assert (w1["service_day_attendance"].value, w1["service_day_attendance"].volume) == (pytest.approx(2 / 3), 3)
    assert w1["service_day_attendance"].refs == ["i-w1-dA1", "i-w1-dC"]
    assert (w2["party_service_hours"].value, w2["party_service_hours"].volume) == (0.0, 0)
    assert (w2["wishes_fulfilled"].value, w2["service_days_attended"].value) == (1.0, 0.0)
    assert (w2["service_day_attendance"].value, w2["service_day_attendance"].volume) == (0.0, 2)
    assert (w3["service_day_attendance"].value, w3["service_day_attendance"].volume) == (1.0, 1)
    assert measured["w4"]["service_day_attendance"].value == pytest.approx(1 / 3)
    assert (sorted(refs["party_service"]), refs["wishes"]) == (["e0", "e1"], ["wish1"])
    assert sorted(refs["service_days"]) == ["i-w1-dA1", "i-w1-dB", "i-w1-dC"]


def test_a_grid_is_expected_with_each_of_its_people_at_its_service_days(db):
    """Grid A: w1 and w4 each expected at dA1, dA2, dC (6); w1 came to 2, w4 to 1: half.
    Its hours are its people's: 4 + 1."""
    with db.transaction() as session:
        party_facts(session)
    with db.read() as session:
        subjects = measures.subjects_of(session, SCOPE, *Q3, kind="grid")
        measured = measures.measure_all(session, subjects, SCOPE, *Q3, PARTY_KEYS)
    assert (measured[A]["service_day_attendance"].value, measured[A]["service_day_attendance"].volume) == (0.5, 6)
    assert measured[A]["party_service_hours"].value == 5.0 and measured[A]["service_days_attended"].value == 4.0
    assert (measured[B]["service_day_attendance"].value, measured[B]["wishes_fulfilled"].value) == (0.0, 1.0)
    assert measured[SCOPE]["service_day_attendance"].value == 1.0


def test_no_service_day_held_is_no_data_not_a_zero(db):
    with db.transaction() as session:
        facts.store_posts(session, [facts.post_row({"id": "a1", "person_id": "w1", "grid_code": A,
                                                    "role": "full_time_worker", "start_date": "2026-01-01"})])
    with db.read() as session:
        measured = measures.measure_all(session, measures.subjects_of(session, SCOPE, *Q3), SCOPE, *Q3, PARTY_KEYS)
    assert (measured["w1"]["service_day_attendance"].value, measured["w1"]["service_day_attendance"].volume) == (
        None, 0)
    assert [measured["w1"][key].value for key in PARTY_KEYS[:3]] == [0.0, 0.0, 0.0]


def test_grids_as_subjects_count_what_their_people_did(db):
    with db.transaction() as session:
        facts.store_posts(session, [facts.post_row(p) for p in (
            {"id": "a1", "person_id": "w1", "grid_code": A, "role": "full_time_worker", "start_date": "2026-01-01"},
            {"id": "a2", "person_id": "c1", "grid_code": A, "role": "grid_chief", "start_date": "2026-01-01"})])
        facts.store_patrols(session, [facts.patrol_row({
            "id": f"p{n}", "person_id": person, "grid_codes": [A], "inside": True, "occurred_at": at("07-05")})
            for n, person in ((1, "w1"), (2, "c1"), (3, "c1"))])
    with db.read() as session:
        subjects = measures.subjects_of(session, SCOPE, *Q3, kind="grid")
        measured = measures.measure_all(session, subjects, SCOPE, *Q3, ["patrols"])
    assert list(subjects) == [A] and subjects[A].roles == ["full_time_worker", "grid_chief"]
    assert measured[A]["patrols"].value == 3.0


def test_a_posts_newest_version_stays_whatever_the_order_of_its_events(db):
    post = {"id": "a9", "person_id": "w9", "grid_code": A, "role": "full_time_worker", "start_date": "2026-01-01"}
    with db.transaction() as session:
        facts.store_posts(session, [facts.post_row(dict(post, end_date="2026-08-31", version=3))])
    with db.transaction() as session:  # the first person_assigned, late
        facts.store_posts(session, [facts.post_row(dict(post, end_date=None, version=1))])
    with db.read() as session:
        assert [(row.end_date, row.version) for row in session.query(facts.PostFact)] == [(dt.date(2026, 8, 31), 3)]


SIGNED = textsig.signature("小区北门路灯不亮，夜间出行不便，请尽快维修")


def test_rows_carry_what_integrity_reads(db):
    ticket_row = facts.ticket_row(ticket("t-0100", 3, status="resolved", resolved_at=at("07-03"),
                                         resolved_by_person_id="w1", description_sig=SIGNED))
    assert (ticket_row["resolved_by_person_id"], ticket_row["description_sig"]) == ("w1", SIGNED)
    patrol = {"id": "p1", "person_id": "w1", "occurred_at": at("07-05"), "lon": 120, "lat": -31.25}
    assert (facts.patrol_row(patrol)["lon"], facts.patrol_row(patrol)["lat"]) == (120.0, -31.25)
    visit = {"id": "v1", "person_id": "w1", "household_id": "h1", "occurred_at": at("07-05"), "notes_sig": SIGNED}
    assert facts.visit_row(visit)["notes_sig"] == SIGNED
    household = {"household_id": "h1", "grid_code": A, "residents": 4, "version": 5}
    assert facts.household_row(household)["residents"] == 4
    assert facts.registered_household_row({"resident_id": "r1", "household": household}) == \
        facts.household_row(household)
    with db.transaction() as session:
        facts.store_tickets(session, [ticket_row])
        facts.store_patrols(session, [facts.patrol_row(patrol)])
        facts.store_visits(session, [facts.visit_row(visit)])
        facts.store_households(session, [facts.household_row(household)])
    with db.read() as session:
        assert session.get(facts.TicketFact, "t-0100").description_sig == SIGNED
        assert (session.get(facts.PatrolFact, "p1").lon, session.get(facts.PatrolFact, "p1").lat) == (120.0, -31.25)
        assert session.get(facts.VisitFact, "v1").notes_sig == SIGNED
        assert session.get(facts.HouseholdFact, "h1").residents == 4


def test_payloads_from_before_the_integrity_fields_give_rows_without_them():
    old_ticket = facts.ticket_row(ticket("t-0101"))
    assert old_ticket["resolved_by_person_id"] is old_ticket["description_sig"] is None
    old_patrol = facts.patrol_row({"id": "p1", "person_id": "w1", "occurred_at": at("07-05")})
    assert old_patrol["lon"] is old_patrol["lat"] is None
    assert facts.visit_row({"id": "v1", "person_id": "w1", "household_id": "h1",
                            "occurred_at": at("07-05")})["notes_sig"] is None
    assert facts.household_row({"household_id": "h1", "grid_code": A, "version": 1})["residents"] is None, \
        "not known: never read as no residents"
    assert facts.registered_household_row({"resident_id": "r1", "household_id": "h1", "grid_code": A}) is None
    assert facts.registered_household_row({"resident_id": "r1", "household": None}) is None


@pytest.mark.parametrize("build, payload, field", [
    (facts.ticket_row, ticket("t-1", description_sig="路灯不亮"), "description_sig"),
    (facts.ticket_row, ticket("t-1", description_sig=SIGNED[:-1]), "description_sig"),
    (facts.ticket_row, ticket("t-1", resolved_by_person_id="w" * 65), "resolved_by_person_id"),
    (facts.visit_row, {"id": "v1", "person_id": "w1", "household_id": "h1", "occurred_at": at("07-05"),
                       "notes_sig": ["a"] * 64}, "notes_sig"),
    (facts.patrol_row, {"id": "p1", "person_id": "w1", "occurred_at": at("07-05"), "lon": 181, "lat": 31}, "lon"),
    (facts.patrol_row, {"id": "p1", "person_id": "w1", "occurred_at": at("07-05"), "lon": 120, "lat": "31"}, "lat"),
    (facts.patrol_row, {"id": "p1", "person_id": "w1", "occurred_at": at("07-05"), "lon": True, "lat": 31}, "lon"),
    (facts.household_row, {"household_id": "h1", "grid_code": A, "residents": -1}, "residents"),
    (facts.registered_household_row, {"resident_id": "r1", "household": "h1"}, "household"),
])
def test_a_malformed_integrity_field_is_refused_naming_it(build, payload, field):
    with pytest.raises(InvalidInput) as refused:
        build(payload)
    assert refused.value.details["fields"] == {field: ["missing or malformed"]}
