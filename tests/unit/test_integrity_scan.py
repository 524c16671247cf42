"""The integrity scan on scoring's fact tables, on PostgreSQL and SQLite: the loader gives
the detectors the facts as they were written (the period's, and the weeks before it the
checks look back on), in UTC whatever the session's time zone; a scan stores what the
detectors find on those facts."""
import datetime as dt

import pytest
from sqlalchemy import select, text

from common.bulk import insert_rows
from common.shanghai import shanghai_date
from scoring import MIGRATIONS_DIR
from scoring.integrity import detectors, honest, scan
from scoring.integrity.facts import PersonFacts
from scoring.models import HouseholdFact, IntegrityFlag, PatrolFact, PostFact, Rating, TicketFact, VisitFact
from scoring.periods import parse_period

PERIOD = "2026-Q2"
SCOPE = "320599"
GRIDS = ("320599001001001", "320599001001002")
OUTSIDE = "320588001001001"    # a grid of another county: its people are not scanned
HONEST = 11                    # p0-p10 honest (p10 outside the county), then a fabricator a pattern


@pytest.fixture(params=["scratch", "sqlite"])
def db(request, open_db, tmp_path):
    """PostgreSQL when there is one, and SQLite (the embedded default) too."""
    return open_db("scoring", MIGRATIONS_DIR, f"sqlite:///{tmp_path / 'scoring.db'}" if request.param == "sqlite"
                   else None)


def renamed(person, name):
    """``person`` as ``name``: the generator's ids are longer than the fact tables' columns."""
    old = person.person_id

    def who(value):
        return name if value == old else value

    def ticket(t):
        return t._replace(ticket_id=t.ticket_id.replace(old, name), reporter_person_id=who(t.reporter_person_id),
                          responsible_person_id=who(t.responsible_person_id),
                          resolved_by_person_id=who(t.resolved_by_person_id))

    received = tuple(r._replace(id=r.id.replace(old, name), subject_person_id=name,
                                rater_account_id=r.rater_account_id.replace(old, name),
                                rater_person_id=who(r.rater_person_id)) for r in person.ratings_received)
    return PersonFacts(
        name, person.grid_codes, tuple(map(ticket, person.tickets_reported)),
        tuple(map(ticket, person.tickets_resolved)),
        tuple(p._replace(id=p.id.replace(old, name), person_id=name) for p in person.patrols),
        tuple(v._replace(id=v.id.replace(old, name), person_id=name) for v in person.visits),
        tuple(r for r in received if r.rater_person_id == name), received)   # given: their self-rating


@pytest.fixture(scope="module")
def district():
    """Ten honest workers and one fabricator of each pattern, two grids of the county,
    and one honest worker outside it."""
    persons = list(honest.honest_district(5, workers=HONEST))
    persons += [fake for pattern in honest.FABRICATIONS for fake in honest.fabricated(pattern, 5)]
    persons = [renamed(person, f"p{n}") for n, person in enumerate(persons)]
    persons[0] = around_the_period(persons[0])
    return persons


def around_the_period(person):
    """``person`` with copies of a fact of each kind moved to just before the period, to
    before the weeks it looks back on, and to just after it."""
    start, end = parse_period(PERIOD).bounds()
    moved = {"before": start - dt.timedelta(days=20), "long_before": start - dt.timedelta(days=40),
             "after": end + dt.timedelta(hours=2)}
    ticket, patrol, visit, rating = (person.tickets_resolved[0], person.patrols[0], person.visits[0],
                                     person.ratings_received[0])
    tickets = tuple(ticket._replace(ticket_id=f"tk-{when}", reported_at=moment - dt.timedelta(days=1),
                                    accepted_at=moment - dt.timedelta(hours=5), resolved_at=moment)
                    for when, moment in moved.items())
    return PersonFacts(
        person.person_id, person.grid_codes, person.tickets_reported + tickets, person.tickets_resolved + tickets,
        person.patrols + tuple(patrol._replace(id=f"pt-{when}", occurred_at=moment, received_at=moment)
                               for when, moment in moved.items()),
        person.visits + tuple(visit._replace(id=f"vs-{when}", occurred_at=moment, received_at=moment)
                              for when, moment in moved.items()), person.ratings_given,
        person.ratings_received + tuple(rating._replace(id=f"rt-{when}", rater_account_id=f"acct-{when}",
                                                        rater_person_id=None, created_at=moment)
                                        for when, moment in moved.items()))


def grid_of(n):
    return OUTSIDE if n == HONEST - 1 else GRIDS[n % 2]


def write(session, persons):
    """Each person's post and facts as the feed would store them; a household's residents
    as its first visit knew them. Returns {household_id: residents}."""
    insert_rows(session, PostFact.__table__, [
        {"id": f"post-{p.person_id}", "person_id": p.person_id, "grid_code": grid_of(n),
         "role": "full_time_worker", "start_date": dt.date(2026, 1, 1), "end_date": None, "version": 1}
        for n, p in enumerate(persons)])
    tickets, patrols, visits, ratings, households = {}, [], [], [], {}
    for n, person in enumerate(persons):
        grid = grid_of(n)
        for t in person.tickets_reported + person.tickets_resolved:
            tickets[t.ticket_id] = {
                "ticket_id": t.ticket_id, "version": 1, "number": t.ticket_id[-20:], "grid_code": t.grid_code,
                "source": t.source, "category": t.category, "reported_category": t.category, "grade": "daily",
                "status": t.status, "outcome": t.outcome, "reopen_count": 0, "reporter_person_id": t.reporter_person_id,
                "responsible_person_id": t.responsible_person_id, "resolved_by_person_id": t.resolved_by_person_id,
                "description_sig": t.description_sig, "reported_at": t.reported_at, "accepted_at": t.accepted_at,
                "resolved_at": t.resolved_at, "reported_day": shanghai_date(t.reported_at),
                "resolved_day": t.resolved_at and shanghai_date(t.resolved_at)}
        patrols += [{"id": p.id, "person_id": p.person_id, "grid_codes": [grid],
                     "located_grid_code": p.located_grid_code, "inside": p.inside, "lon": p.lon, "lat": p.lat,
                     "occurred_at": p.occurred_at, "received_at": p.received_at, "day": shanghai_date(p.occurred_at)}
                    for p in person.patrols]
        for v in person.visits:
            visits.append({"id": v.id, "person_id": v.person_id, "household_id": v.household_id,
                           "grid_code": v.grid_code, "notes_sig": v.notes_sig, "occurred_at": v.occurred_at,
                           "received_at": v.received_at, "day": shanghai_date(v.occurred_at)})
            households.setdefault(v.household_id, v.household_residents)
        ratings += [{"id": r.id, "period": PERIOD, "kind": r.kind, "rater_key": r.rater_account_id,
                     "rater_account_id": r.rater_account_id, "rater_person_id": r.rater_person_id,
                     "subject_person_id": r.subject_person_id,
                     "score": r.score, "scale_max": r.scale_max, "created_at": r.created_at,
                     "rater_account_created_at": r.rater_account_created_at} for r in person.ratings_received]
    insert_rows(session, TicketFact.__table__, list(tickets.values()))
    insert_rows(session, PatrolFact.__table__, patrols)
    insert_rows(session, VisitFact.__table__, visits)
    insert_rows(session, Rating.__table__, ratings)
    insert_rows(session, HouseholdFact.__table__, [
        {"household_id": household, "grid_code": GRIDS[0], "residents": residents, "version": 1}
        for household, residents in households.items()])
    return households


def expected(persons, households):
    """What the loader should give: the county's people, each with their post's grid, the
    tickets resolved within the period and the weeks before it, the visits with their
    household's registered residents, patrols and visits by time, the ratings each gave."""
    start, end = parse_period(PERIOD).bounds()
    since = start - scan.LOOKBACK

    def within(facts, moment, first=since):
        return tuple(fact for fact in facts if first <= moment(fact) < end)

    out = []
    for n, p in enumerate(persons):
        if n == HONEST - 1:
            continue
        out.append(PersonFacts(
            p.person_id, (grid_of(n),), within(p.tickets_reported, lambda fact: fact.reported_at),
            within(p.tickets_resolved, lambda fact: fact.resolved_at),
            tuple(sorted(within(p.patrols, lambda fact: fact.occurred_at), key=lambda fact: fact.occurred_at)),
            tuple(sorted((v._replace(household_residents=households[v.household_id])
                          for v in within(p.visits, lambda fact: fact.occurred_at)),
                         key=lambda fact: fact.occurred_at)),
            within(p.ratings_given, lambda fact: fact.created_at, first=start),   # their self-rating
            within(p.ratings_received, lambda fact: fact.created_at, first=start)))
    return sorted(out, key=lambda person: person.person_id)


def comparable(person):
    by_id = sorted
    return (person.person_id, person.grid_codes, by_id(person.tickets_reported), by_id(person.tickets_resolved),
            person.patrols, person.visits, by_id(person.ratings_given), by_id(person.ratings_received))


def test_the_loader_gives_the_facts_as_written_in_utc(db, district):
    with db.transaction() as session:
        households = write(session, district)
    with db.transaction() as session:
        postgres = session.get_bind().dialect.name == "postgresql"
        if postgres:  # a session in another time zone: the moments still come in UTC
            session.execute(text("SET LOCAL TIME ZONE 'Asia/Shanghai'"))
        loaded = scan.load(session, SCOPE, PERIOD)
        if postgres:
            assert session.execute(text("SELECT current_setting('TimeZone')")).scalar() == "Asia/Shanghai"
    want = expected(district, households)
    edges = {fact.id for fact in want[0].patrols + want[0].visits + want[0].ratings_received}
    assert {"pt-before", "vs-before"} <= edges and not {"pt-long_before", "pt-after", "rt-before"} & edges
    assert [person.person_id for person in loaded] == [person.person_id for person in want]
    assert [comparable(person) for person in loaded] == [comparable(person) for person in want]
    moments = [fact.occurred_at for person in loaded for fact in person.patrols + person.visits]
    moments += [fact.reported_at for person in loaded for fact in person.tickets_reported]
    assert moments and {moment.utcoffset() for moment in moments} == {dt.timedelta(0)}


def test_a_scan_stores_what_the_detectors_find_on_the_facts(db, district):
    with db.transaction() as session:
        households = write(session, district)
    with db.transaction() as session:
        rows, figures = scan.scan(session, SCOPE, PERIOD)
    want = detectors.detect_all(expected(district, households), PERIOD)
    assert {(f.pattern, f.person_id, f.fingerprint) for f in want} == {(r.pattern, r.person_id, r.fingerprint)
                                                                         for r in rows}
    # every fabricator caught by their own pattern, nobody honest flagged
    patterns = [None] * HONEST + list(honest.FABRICATIONS)
    truth = {person.person_id: pattern for n, (person, pattern) in enumerate(zip(district, patterns))
             if n != HONEST - 1}
    with db.read() as session:
        stored = session.execute(select(IntegrityFlag.pattern, IntegrityFlag.person_id)).all()
    result = honest.evaluate(honest.Population(persons=(), truth=truth), stored)
    assert (result["precision"], result["recall"], result["false_flags"]) == (1.0, 1.0, 0)
    assert figures["people"] == len(district) - 1 and figures["flags_new"] == len(rows)
    assert figures["store_seconds"] >= 0


def test_a_scan_pauses_for_the_services_other_work(db, district):
    """A district's scan is seconds of work on one event loop: the pause it is given runs
    between batches of rows, people and the copy search's bands, and other greenthreads
    get their turn there (the service passes eventlet.sleep(0))."""
    eventlet = pytest.importorskip("eventlet")
    with db.transaction() as session:
        write(session, district)
    ticks, pauses, running = [], [], [True]

    def ticker():
        while running[0]:
            ticks.append(1)
            eventlet.sleep(0)

    def pause():
        pauses.append(1)
        eventlet.sleep(0)

    other = eventlet.spawn(ticker)
    eventlet.sleep(0)
    ticks.clear()
    old_every, detectors.PAUSE_EVERY_PERSONS = detectors.PAUSE_EVERY_PERSONS, 2   # a small district: often
    try:
        with db.transaction() as session:
            _, figures = scan.scan(session, SCOPE, PERIOD, pause=pause)
    finally:
        detectors.PAUSE_EVERY_PERSONS = old_every
        running[0] = False
    other.wait()
    people = figures["people"]
    assert len(pauses) >= 6 + people // 2 + detectors.BANDS, (len(pauses), figures)  # each fact table, people, bands
    assert len(ticks) >= len(pauses) - 1
