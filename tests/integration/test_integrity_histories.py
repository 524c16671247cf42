"""Each fabricated history flagged, honest work not, on the real stack: an honest quarter
of 40 workers (integrity.honest) and one constructed fabricated history per pattern are
written into scoring's fact tables as the feed would keep them, then the district is
scanned through the gateway (POST /integrity/scans, the broker, scoring, PostgreSQL).
Every fabricator gets exactly their pattern's flag, and nobody else any."""
import datetime as dt
import uuid

from sqlalchemy import create_engine, delete
from sqlalchemy.orm import Session

from common.shanghai import shanghai_date
from scoring.integrity.honest import CHECKS, fabricated, honest_district
from scoring.integrity.thresholds import PATTERNS
from scoring.models import HouseholdFact, PatrolFact, PostFact, Rating, TicketFact, VisitFact

API = "/api/v1"
PERIOD = "2026-Q2"
COUNTY = "320118"  # the generator's: every grid code it makes starts with it


def _id(name):
    """The generator's readable ids are longer than a record's 36 characters."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


def _day(moment):
    return None if moment is None else shanghai_date(moment)


def fact_rows(persons):
    """Scoring's fact rows of ``persons`` (integrity.facts.PersonFacts), with a post each."""
    rows, tickets, households, ratings = [], {}, {}, {}
    for person in persons:
        rows.append(PostFact(id=f"post-{person.person_id}", person_id=person.person_id, grid_code=person.grid_code,
                             role="full_time_worker", start_date=dt.date(2026, 1, 1), end_date=None, version=1))
        for t in person.tickets_reported + person.tickets_resolved:
            tickets[t.ticket_id] = TicketFact(
                ticket_id=_id(t.ticket_id), version=3, number=t.ticket_id[-20:], grid_code=t.grid_code or person.grid_code,
                source=t.source, category=t.category, reported_category=t.category, grade="daily", status=t.status,
                outcome=t.outcome, reopen_count=0, reporter_person_id=t.reporter_person_id,
                responsible_person_id=t.responsible_person_id, resolved_by_person_id=t.resolved_by_person_id,
                description_sig=t.description_sig, reported_at=t.reported_at, accepted_at=t.accepted_at,
                resolved_at=t.resolved_at, reported_day=_day(t.reported_at), resolved_day=_day(t.resolved_at))
        rows += [PatrolFact(id=_id(p.id), person_id=p.person_id, grid_codes=[person.grid_code],
                            located_grid_code=p.located_grid_code, inside=p.inside, lon=p.lon, lat=p.lat,
                            occurred_at=p.occurred_at, received_at=p.received_at, day=_day(p.occurred_at))
                 for p in person.patrols]
        for v in person.visits:
            rows.append(VisitFact(id=_id(v.id), person_id=v.person_id, household_id=_id(v.household_id), grid_code=v.grid_code,
                                  notes_sig=v.notes_sig, occurred_at=v.occurred_at, received_at=v.received_at,
                                  day=_day(v.occurred_at)))
            households.setdefault(v.household_id, HouseholdFact(
                household_id=_id(v.household_id), grid_code=v.grid_code or person.grid_code, residents=v.household_residents,
                version=1))
        for r in person.ratings_received + person.ratings_given:  # a self rating is in both
            ratings[r.id] = Rating(id=_id(r.id), period=PERIOD, kind=r.kind, rater_key=r.rater_account_id,
                                   rater_account_id=r.rater_account_id, rater_person_id=r.rater_person_id,
                                   subject_person_id=r.subject_person_id, score=r.score, scale_max=r.scale_max,
                                   created_at=r.created_at, rater_account_created_at=r.rater_account_created_at)
    return rows + list(tickets.values()) + list(households.values()) + list(ratings.values())


def test_each_fabricated_history_raises_its_flag_and_honest_work_none(stack):
    admin = stack.login()
    honest = honest_district(seed=17, workers=40, period=PERIOD)
    # every check of each pattern on its own history, so each is seen to fire from the tables
    fakes = {(pattern, check): fabricated(pattern, seed=17, check=check, period=PERIOD)
             for pattern in PATTERNS for check in CHECKS.get(pattern, (None,))}
    people = honest + [person for persons in fakes.values() for person in persons]
    assert len({person.person_id for person in people}) == len(people)
    rows = fact_rows(people)
    keys = {}  # each row's table and key, to remove them again
    for row in rows:
        (column,) = type(row).__table__.primary_key.columns
        keys.setdefault((type(row), column.name), []).append(getattr(row, column.name))
    engine = create_engine(stack.env["SCORING_DB_URL"])
    try:
        with Session(engine) as session, session.begin():
            session.add_all(rows)
        scan_and_check(stack, admin, people, fakes)
    finally:  # written behind the owners' backs: a later rebuild would rightly remove them
        with Session(engine) as session, session.begin():
            for (model, name), values in keys.items():
                for start in range(0, len(values), 5000):
                    session.execute(delete(model).where(getattr(model, name).in_(values[start:start + 5000])))
        engine.dispose()


def scan_and_check(stack, admin, people, fakes):
    auditor = stack.new_account(admin, ["auditor"], "320508")  # the demo district: not this one
    assert stack.call("POST", f"{API}/integrity/scans", auditor,
                      {"scope": COUNTY, "period": PERIOD}).status_code == 403
    scanned = stack.call("POST", f"{API}/integrity/scans", admin, {"scope": COUNTY, "period": PERIOD})
    assert scanned.status_code == 200, scanned.text
    assert scanned.json()["people"] == len(people), scanned.json()

    flags = stack.call("GET", f"{API}/integrity/flags?root={COUNTY}&period={PERIOD}&limit=500", admin).json()["items"]
    raised = {}
    for flag in flags:
        raised.setdefault(flag["person_id"], set()).add(flag["pattern"])
    expected = {person.person_id: {pattern} for (pattern, _), persons in fakes.items() for person in persons}
    assert raised == expected, {pid: (raised.get(pid), expected.get(pid)) for pid in raised.keys() | expected.keys()
                                if raised.get(pid) != expected.get(pid)}
    checks = {(flag["pattern"], flag["figures"].get("check")) for flag in flags}
    for pattern, check in fakes:   # copied texts, own or across, are one check
        assert check is None or pattern == "copied_text" or (pattern, check) in checks, (pattern, check)

    again = stack.call("POST", f"{API}/integrity/scans", admin, {"scope": COUNTY, "period": PERIOD}).json()
    assert again["flags_new"] == 0 and again["flags_seen"] == len(flags), "a second scan stored its flags again"
