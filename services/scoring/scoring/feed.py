"""Scoring's facts fed live: the owners' events become fact rows (scoring.facts).

``FactsFeed`` is a mixin of event handlers that ``ScoringService`` inherits; each is an
``idempotent_batch_handler``: when scoring falls behind, a handler gets every new event of
a batch together and writes each table with one statement (the claims with one more),
instead of a claim and an upsert per event. The handlers stay thin: the rows are built
by ``facts.*_row`` (the rebuild uses the same functions on the owners' pages) and stored
by ``facts.store_*``, which keep each record's newest version whatever the order of
arrival.

Ticket events also keep what scoring did with them before the facts: the trail witness
(``witness.record_marks``: every ticket event but ``sla_breached``) and the reported
tickets behind ``scoring.tickets_reported`` (``ticket_reported``, and ``ticket_rehomed``
for the grid a ticket lives in now). An event published before tickets carried its
snapshot (no ``version``) still feeds those; its fact row comes with the next event of
the ticket, or a rebuild.

The handlers linger (``LINGER_SECONDS``, common.batching): facts are read by
assessments of months and quarters, so a quarter of a second more before an event
is applied costs nothing, and taking the events of that quarter second in one
transaction instead of a transaction each cut scoring's CPU per ``ticket_reported``
at an intake's pace (80/s) from 1.6-1.8 ms to 0.5 ms (``python -m bench.scoring``).
"""
from common.inbox import idempotent_batch_handler
from common.rpc import ServiceRpc, rpc
from scoring import facts, indicators, rebuild, witness
from scoring.integrity import scan

LINGER_SECONDS = 0.25  # how long a batch that is not full waits for more (BATCH_LINGER_SECONDS overrides it)


def _ticket_rows(envelopes):
    return [facts.ticket_row(envelope["payload"]) for envelope in envelopes if "version" in envelope["payload"]]


def _reported(session, envelopes):
    indicators.record_reported_tickets(session, envelopes)


def _rehomed(session, envelopes):
    for envelope in envelopes:  # rare (a grid split or merge), and each reads the ticket's move
        indicators.record_rehomed_ticket(session, envelope)


def _ticket_handler(event_type, witnessed=True, indicator=None):
    """The consumer of one ticket event: the ticket's fact row (its snapshot), the trail
    mark it announces, and the indicator it feeds, if any."""
    def handle(self, session, envelopes):
        rows = _ticket_rows(envelopes)  # first: a payload it refuses stores nothing of its batch
        if indicator is not None:
            indicator(session, envelopes)
        if witnessed:
            witness.record_marks(session, envelopes)
        facts.store_tickets(session, rows)
        scan.mark(session, [(row["reporter_person_id"], row["reported_at"]) for row in rows]
                  + [(row["resolved_by_person_id"] or row["responsible_person_id"], row["resolved_at"])
                     for row in rows if row["resolved_at"] is not None])
    handle.__name__ = handle.__qualname__ = f"handle_{event_type}"  # the consumer's name in processed_events
    return idempotent_batch_handler("tickets", event_type, linger=LINGER_SECONDS)(handle)


def _people_handler(event_type, row, store, scanned=False):
    """The consumer of one people event: its record's fact row (``row`` None: the event
    has none); ``scanned``: a person's own record (a patrol, a visit) the integrity scan
    looks at, so its person and month are marked."""
    def handle(self, session, envelopes):
        rows = [each for each in (row(envelope["payload"]) for envelope in envelopes) if each is not None]
        store(session, rows)
        if scanned:
            scan.mark(session, [(each["person_id"], each["occurred_at"]) for each in rows])
    handle.__name__ = handle.__qualname__ = f"handle_{event_type}"
    return idempotent_batch_handler("people", event_type, linger=LINGER_SECONDS)(handle)


class FactsFeed:
    """The facts' event handlers and their rebuild, for a service with ``db`` and ``metrics``."""

    # The owners, asked for their pages by a rebuild (names of their own: the service may
    # have proxies to the same services with other bounds).
    facts_tickets = ServiceRpc("tickets", timeouts=rebuild.page_timeouts("tickets"))
    facts_people = ServiceRpc("people", timeouts=rebuild.page_timeouts("people"))

    @rpc
    def rebuild_facts(self):
        """Rebuild every fact table from the owners' pages (scoring.rebuild): ``{"counts":
        {table: rows written}, "removed": {table: rows no owner returned}, "refused":
        {table: items refused}, "seconds"}``. Events consumed meanwhile are kept."""
        owners = {"tickets": self.facts_tickets, "people": self.facts_people}

        def fetch(owner, method, after, limit):
            return getattr(owners[owner], method)(after=after, limit=limit)
        return rebuild.rebuild_facts(self.db, fetch)

    handle_ticket_reported = _ticket_handler("ticket_reported", indicator=_reported)
    handle_ticket_rehomed = _ticket_handler("ticket_rehomed", indicator=_rehomed)
    handle_ticket_accepted = _ticket_handler("ticket_accepted")
    handle_ticket_escalated = _ticket_handler("ticket_escalated")
    handle_ticket_dispatched = _ticket_handler("ticket_dispatched")
    handle_ticket_resolved = _ticket_handler("ticket_resolved")
    handle_ticket_rated = _ticket_handler("ticket_rated")
    handle_ticket_reopened = _ticket_handler("ticket_reopened")
    handle_ticket_closed = _ticket_handler("ticket_closed")
    handle_ticket_trail_extended = _ticket_handler("ticket_trail_extended")
    # An escalating breach's mark comes with its ticket_escalated (witness.WITNESSED_EVENTS).
    handle_sla_breached = _ticket_handler("sla_breached", witnessed=False)

    handle_patrol_logged = _people_handler("patrol_logged", facts.patrol_row, facts.store_patrols, scanned=True)
    handle_visit_logged = _people_handler("visit_logged", facts.visit_row, facts.store_visits, scanned=True)
    handle_person_assigned = _people_handler("person_assigned", facts.post_row, facts.store_posts)
    handle_person_left = _people_handler("person_left", facts.post_row, facts.store_posts)
    handle_household_registered = _people_handler("household_registered", facts.household_row,
                                                  facts.store_households)
    handle_household_moved = _people_handler("household_moved", facts.household_row, facts.store_households)
    # A registration is a new version of its household, which the event carries: the
    # newest version's count stays, so a redelivered or late one counts nobody twice.
    handle_resident_registered = _people_handler("resident_registered", facts.registered_household_row,
                                                 facts.store_households)
    # A record and each of its follow-ups carry its snapshot: the newest version stays.
    handle_sentiment_recorded = _people_handler("sentiment_recorded", facts.sentiment_row, facts.store_sentiments)
    handle_sentiment_followed_up = _people_handler("sentiment_followed_up", facts.sentiment_row,
                                                   facts.store_sentiments)
    # A party member's service (issue 19 §4): each a record of its own, never changed after.
    handle_party_service_logged = _people_handler("party_service_logged", facts.party_service_row,
                                                  facts.store_party_service)
    handle_wish_confirmed = _people_handler("wish_confirmed", facts.wish_row, facts.store_wishes)
    handle_service_day_held = _people_handler("service_day_held", facts.service_day_row, facts.store_service_days)
    handle_service_day_attended = _people_handler("service_day_attended", facts.attendance_row,
                                                  facts.store_attendance)
