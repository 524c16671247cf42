"""The rebuild (scoring.rebuild) against a real database, with the owners' pages served
from memory: every record comes back through the live feed's row builders, rows no owner
returns go, and what the live feed applies while the rebuild runs is kept."""
import datetime as dt

import pytest
from sqlalchemy import update

from scoring import MIGRATIONS_DIR, facts, rebuild
from scoring.models import (HouseholdFact, PatrolFact, PostFact, SentimentFact, ServiceDayAttendanceFact, TicketFact,
                            VisitFact, WishFact)
from test_scoring_feed import GRID, party_events, rows_of, snapshot


@pytest.fixture(params=["scratch", "sqlite"])
def db(request, open_db, tmp_path):
    return open_db("scoring", MIGRATIONS_DIR, f"sqlite:///{tmp_path / 'scoring.db'}" if request.param == "sqlite"
                   else None)


def patrol(n):
    return {"id": f"p{n:04d}", "person_id": "w1", "grid_codes": [GRID], "located_grid_code": GRID, "inside": True,
            "occurred_at": "2026-07-05T02:00:00+00:00", "received_at": "2026-07-05T02:00:01+00:00"}


def visit(n):
    return {"id": f"v{n:04d}", "person_id": "w1", "household_id": "h1", "grid_code": GRID,
            "occurred_at": "2026-07-05T03:00:00+00:00", "received_at": "2026-07-05T03:00:01+00:00"}


def sentiment(n, version=1, **fields):
    payload = {"id": f"s{n:04d}", "version": version, "person_id": "w1", "grid_code": GRID, "household_id": "h1",
               "category": "livelihood", "source": "home_visit", "status": "open", "follow_up_count": 0,
               "occurred_at": "2026-07-05T04:00:00+00:00", "received_at": "2026-07-05T04:00:01+00:00"}
    payload.update(fields)
    return payload


def served(n):
    """The n-th of each party page's items: a service entry, a confirmed wish, a service
    day held and a sign-in at it (people.party, people.wishes)."""
    made = party_events(day_id=f"d{n:04d}")
    made["party_service_logged"]["id"] = f"e{n:04d}"
    made["wish_confirmed"]["wish_id"] = f"w{n:04d}"
    made["service_day_attended"]["sign_in_id"] = f"i{n:04d}"
    return made


PARTY_PAGES = {"party_service_page": "party_service_logged", "confirmed_wishes_page": "wish_confirmed",
               "service_days_page": "service_day_held", "service_day_sign_ins_page": "service_day_attended"}
PAGE_KEYS = {"ticket_snapshots": "ticket_id", "households_page": "household_id", "confirmed_wishes_page": "wish_id",
             "service_day_sign_ins_page": "sign_in_id"}


def ticket(n, version=1, **fields):
    payload = snapshot(f"t{n:04d}", version, **fields)
    for step in ("action", "at", "actor_person_id", "trail_seq", "trail_head"):  # pages carry no step
        del payload[step]
    return payload


class Owners:
    """The owners' records and their paged reads, ``(after, limit) -> {"items", "next"}``."""

    def __init__(self):
        self.records = {
            ("tickets", "ticket_snapshots"): [ticket(n, 2, status="accepted") for n in range(7)],
            ("people", "patrols_page"): [patrol(n) for n in range(5)],
            ("people", "visits_page"): [visit(n) for n in range(3)],
            ("people", "assignments_page"): [{"id": "a1", "person_id": "w1", "grid_code": GRID,
                                              "role": "full_time_worker", "start_date": "2026-01-01",
                                              "end_date": None, "version": 1}],
            ("people", "households_page"): [{"household_id": "h1", "grid_code": GRID, "place_code": "x",
                                             "version": 1}],
            ("people", "sentiments_page"): [sentiment(n, 2, status="followed_up", follow_up_count=1)
                                            for n in range(4)],
            **{("people", method): [served(n)[event] for n in range(2)] for method, event in PARTY_PAGES.items()},
        }
        self.asked = []
        self.meanwhile = {}  # (owner, method, after) -> what happens just before that page is read

    def fetch(self, owner, method, after, limit):
        self.asked.append((method, after))
        happening = self.meanwhile.pop((owner, method, after), None)
        if happening:
            happening()
        key = PAGE_KEYS.get(method, "id")
        items = sorted((r for r in self.records[(owner, method)] if after is None or r[key] > after),
                       key=lambda r: r[key])
        page = items[:limit]
        return {"items": page, "next": page[-1][key] if len(items) > limit else None}


def written(db, model, key):
    return {getattr(row, key): row for row in rows_of(db, model)}


def test_a_rebuild_writes_every_owners_record_and_removes_what_none_returned(db):
    owners = Owners()
    with db.transaction() as session:  # what scoring held before: some right, one stale, one gone at its owner
        facts.store_tickets(session, [facts.ticket_row(ticket(1, 1)), facts.ticket_row(ticket(99, 1))])
        facts.store_patrols(session, [facts.patrol_row(dict(patrol(1), inside=False))])
        facts.store_households(session, [facts.household_row({"household_id": "gone", "grid_code": GRID})])
        facts.store_sentiments(session, [facts.sentiment_row(sentiment(1, 1)), facts.sentiment_row(sentiment(98))])
        facts.store_wishes(session, [facts.wish_row(served(99)["wish_confirmed"])])  # a wish people no longer has
    with db.transaction() as session:  # written well before the rebuild
        for model in facts.FACT_TABLES:
            session.execute(update(model).values(written_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)))

    result = rebuild.rebuild_facts(db, owners.fetch, page=3)

    assert result["counts"] == {"ticket_facts": 7, "patrol_facts": 5, "visit_facts": 3, "post_facts": 1,
                                "household_facts": 1, "sentiment_facts": 4, "party_service_facts": 2,
                                "wish_facts": 2, "service_day_facts": 2, "service_day_attendance_facts": 2}
    assert result["removed"] == {"ticket_facts": 1, "patrol_facts": 0, "visit_facts": 0, "post_facts": 0,
                                 "household_facts": 1, "sentiment_facts": 1, "party_service_facts": 0,
                                 "wish_facts": 1, "service_day_facts": 0, "service_day_attendance_facts": 0}
    assert result["refused"] == dict.fromkeys(result["counts"], 0) and result["seconds"] >= 0
    assert [after for method, after in owners.asked if method == "ticket_snapshots"] == [None, "t0002", "t0005"]
    stored = written(db, TicketFact, "ticket_id")
    assert sorted(stored) == [f"t{n:04d}" for n in range(7)]
    assert {(row.version, row.status) for row in stored.values()} == {(2, "accepted")}
    assert all(row.inside for row in rows_of(db, PatrolFact)), "the stale patrol row was replaced"
    assert sorted(written(db, HouseholdFact, "household_id")) == ["h1"]
    assert sorted(written(db, VisitFact, "id")) == ["v0000", "v0001", "v0002"]
    assert sorted(written(db, PostFact, "id")) == ["a1"]
    sentiments = written(db, SentimentFact, "id")
    assert sorted(sentiments) == [f"s{n:04d}" for n in range(4)], "s0098: no owner returned it"
    assert {(row.version, row.status) for row in sentiments.values()} == {(2, "followed_up")}
    assert sorted(written(db, WishFact, "wish_id")) == ["w0000", "w0001"], "w0099: no owner returned it"
    assert {(row.id, row.service_day_id) for row in rows_of(db, ServiceDayAttendanceFact)} == {
        ("i0000", "d0000"), ("i0001", "d0001")}


def test_what_the_live_feed_applies_during_a_rebuild_is_kept(db):
    owners = Owners()

    def events_meanwhile():
        """While the rebuild reads the patrols (the tickets' pages are read), a ticket is
        reported, another is resolved, and a visit is logged: each owner stores its
        record, and the feed applies its event."""
        tickets, visits = owners.records[("tickets", "ticket_snapshots")], owners.records[("people", "visits_page")]
        tickets[3] = ticket(3, 5, status="resolved")
        tickets.append(ticket(50, 1))
        visits.append(visit(77))
        with db.transaction() as session:
            facts.store_tickets(session, [facts.ticket_row(tickets[-1]), facts.ticket_row(tickets[3])])
            facts.store_visits(session, [facts.visit_row(visits[-1])])
    owners.meanwhile[("people", "patrols_page", None)] = events_meanwhile

    result = rebuild.rebuild_facts(db, owners.fetch, page=3)

    stored = written(db, TicketFact, "ticket_id")
    assert "t0050" in stored, "a ticket its owner created after its page was read"
    assert (stored["t0003"].version, stored["t0003"].status) == (5, "resolved"), "the newer version stays"
    assert "v0077" in written(db, VisitFact, "id")
    assert result["counts"]["ticket_facts"] == 7 and result["counts"]["visit_facts"] == 4
    assert result["removed"] == dict.fromkeys(result["counts"], 0)


def test_an_item_its_row_builder_refuses_is_counted_and_the_rest_go_in(db):
    owners = Owners()
    owners.records[("people", "patrols_page")][2]["occurred_at"] = "not a time"
    result = rebuild.rebuild_facts(db, owners.fetch, page=2)
    assert (result["counts"]["patrol_facts"], result["refused"]["patrol_facts"]) == (4, 1)
    assert len(rows_of(db, PatrolFact)) == 4


def test_the_page_size_asked_for_is_the_owners_largest():
    assert rebuild.PAGE == 5000
    assert rebuild.page_timeouts("people") == dict.fromkeys(
        ("patrols_page", "visits_page", "assignments_page", "households_page", "sentiments_page", *PARTY_PAGES),
        rebuild.PAGE_SECONDS)
