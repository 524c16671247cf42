"""Rebuild scoring's facts from scratch, from the owners' paged reads:

    python -m scoring.rebuild      # prints {"counts", "removed", "refused", "seconds"} as JSON

(or the RPC ``scoring.rebuild_facts()``). Reads ``tickets.ticket_snapshots``,
``people.patrols_page``, ``visits_page``, ``assignments_page``, ``households_page``,
``sentiments_page``, ``party_service_page``, ``confirmed_wishes_page``,
``service_days_page`` and ``service_day_sign_ins_page`` page by page (the next page is
asked for while the last one is written), turns each item into its row with the function
the live feed uses (``scoring.facts``), and writes each page in one transaction.

Nothing the live feed applies meanwhile is lost, and the tables stay whole while the
rebuild runs (an assessment run meanwhile sees every fact): the pages are written into
the live tables with the feed's own rule (a record's newest version stays), not into
emptied tables; at the end, the rows older than the rebuild (``written_at``, the
database's time of the transaction that last wrote a row) are deleted: no owner
returned them, and no event wrote them since. A record created after its page was
read arrives through its event, in a transaction that began after the rebuild did, so
its row is kept; a stored row newer than the page was written by such an event too.
"""
import argparse
import functools
import json
import logging
import sys
import time

import eventlet

from common.errors import InvalidInput
from scoring import facts
from scoring.models import (HouseholdFact, PartyServiceFact, PatrolFact, PostFact, SentimentFact,
                            ServiceDayAttendanceFact, ServiceDayFact, TicketFact, VisitFact, WishFact)

log = logging.getLogger(__name__)

PAGE = 5000  # the owners' largest page
PAGE_SECONDS = 120  # how long an owner may take over one page

# (fact model, owner, paged RPC method, row builder, store)
SOURCES = (
    (TicketFact, "tickets", "ticket_snapshots", facts.ticket_row, facts.store_tickets),
    (PatrolFact, "people", "patrols_page", facts.patrol_row, facts.store_patrols),
    (VisitFact, "people", "visits_page", facts.visit_row, facts.store_visits),
    (PostFact, "people", "assignments_page", facts.post_row, facts.store_posts),
    (HouseholdFact, "people", "households_page", facts.household_row, facts.store_households),
    (SentimentFact, "people", "sentiments_page", facts.sentiment_row, facts.store_sentiments),
    (PartyServiceFact, "people", "party_service_page", facts.party_service_row, facts.store_party_service),
    (WishFact, "people", "confirmed_wishes_page", facts.wish_row, facts.store_wishes),
    (ServiceDayFact, "people", "service_days_page", facts.service_day_row, facts.store_service_days),
    (ServiceDayAttendanceFact, "people", "service_day_sign_ins_page", facts.attendance_row, facts.store_attendance),
)


def page_timeouts(owner):
    """{paged method of ``owner``: PAGE_SECONDS}, for its RPC proxy."""
    return {method: PAGE_SECONDS for _, source, method, _, _ in SOURCES if source == owner}


def rebuild_facts(db, fetch, page=PAGE):
    """Rebuild every fact table from its owner. ``fetch(owner, method, after, limit)``
    returns the owner's page ``{"items", "next"}``. Returns ``{"counts": {table: rows
    written}, "removed": {table: rows no owner returned}, "refused": {table: items whose
    row could not be built}, "seconds"}``."""
    started = time.perf_counter()
    since = _database_now(db)
    counts, refused = {}, {}
    for model, owner, method, row, store in SOURCES:
        name = model.__tablename__
        counts[name], refused[name] = _copy(db, functools.partial(fetch, owner, method), row, store, page, name)
        log.info("rebuild: %s: %d rows from %s.%s", name, counts[name], owner, method)
    removed = _remove_older_than(db, since)
    seconds = round(time.perf_counter() - started, 2)
    log.info("rebuild: done in %.1f s; %d rows no owner returned removed", seconds, sum(removed.values()))
    return {"counts": counts, "removed": removed, "refused": refused, "seconds": seconds}


def _copy(db, fetch, row, store, limit, name):
    written = refused = 0
    pending = eventlet.spawn(fetch, None, limit)
    try:
        while pending is not None:
            items = pending.wait()
            after = items["next"]
            pending = eventlet.spawn(fetch, after, limit) if after is not None else None  # overlaps the writing
            rows = []
            for item in items["items"]:
                try:
                    rows.append(row(item))
                except InvalidInput as exc:  # an owner's bug; the other rows still go in
                    refused += 1
                    log.error("rebuild: %s: an item after %s refused: %s", name, after, exc.message)
            with db.transaction() as session:
                store(session, rows)
            written += len(rows)
    finally:
        if pending is not None:
            pending.kill()
    return written, refused


def _database_now(db):
    """The database's clock (the one ``written_at`` is stamped with), as the driver
    gives it, so it compares exactly with the stamps on every backend."""
    with db.transaction() as session:
        return session.connection().exec_driver_sql("SELECT CURRENT_TIMESTAMP").scalar()


def _remove_older_than(db, since):
    marker = "?" if db.engine.dialect.paramstyle == "qmark" else "%s"
    removed = {}
    with db.transaction() as session:
        connection = session.connection()
        for model in facts.FACT_TABLES:
            result = connection.exec_driver_sql(
                f"DELETE FROM {model.__tablename__} WHERE written_at IS NULL OR written_at < {marker}", (since,))
            removed[model.__tablename__] = result.rowcount
    return removed


# --- python -m scoring.rebuild ---------------------------------------------------------------

def main(argv=None):
    from nameko.standalone.rpc import ClusterRpcProxy

    from common import config as cfg
    from common.cli import configure_logging, open_database
    from scoring import MIGRATIONS_DIR

    parser = argparse.ArgumentParser(prog="python -m scoring.rebuild", description=__doc__.splitlines()[0])
    parser.add_argument("--page", type=int, default=PAGE, help=f"items per page (1-{PAGE})")
    args = parser.parse_args(argv)
    if not 1 <= args.page <= PAGE:
        parser.error(f"--page must be 1-{PAGE}")
    configure_logging()
    db = open_database("scoring", MIGRATIONS_DIR)
    amqp_uri = cfg.env("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
    try:
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=PAGE_SECONDS) as rpc:
            def fetch(owner, method, after, limit):
                return getattr(getattr(rpc, owner), method)(after=after, limit=limit)
            result = rebuild_facts(db, fetch, args.page)
    finally:
        db.engine.dispose()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
