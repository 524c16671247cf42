from common.db import Database
from common.inbox import idempotent_handler
from common.ops import OpsEndpoints
from common.rpc import rpc
from scoring import MIGRATIONS_DIR, indicators, witness


def _witnessing(event_type):
    """A consumer of a ticket event that only witnesses its trail mark."""
    def handle(self, session, envelope):
        witness.record_mark(session, envelope)
    handle.__name__ = f"handle_{event_type}"  # the consumer's name in processed_events
    return idempotent_handler("tickets", event_type)(handle)


class ScoringService(OpsEndpoints):
    name = "scoring"

    db = Database(MIGRATIONS_DIR)

    @idempotent_handler("tickets", "ticket_reported")
    def handle_ticket_reported(self, session, envelope):
        indicators.record_reported_ticket(session, envelope)
        witness.record_mark(session, envelope)

    @idempotent_handler("tickets", "ticket_rehomed")
    def handle_ticket_rehomed(self, session, envelope):
        indicators.record_rehomed_ticket(session, envelope)
        witness.record_mark(session, envelope)

    # The other ticket events that announce a trail entry (witness.WITNESSED_EVENTS).
    handle_ticket_accepted = _witnessing("ticket_accepted")
    handle_ticket_escalated = _witnessing("ticket_escalated")
    handle_ticket_dispatched = _witnessing("ticket_dispatched")
    handle_ticket_resolved = _witnessing("ticket_resolved")
    handle_ticket_rated = _witnessing("ticket_rated")
    handle_ticket_reopened = _witnessing("ticket_reopened")
    handle_ticket_closed = _witnessing("ticket_closed")
    handle_ticket_trail_extended = _witnessing("ticket_trail_extended")

    @rpc
    def tickets_reported(self, root=None):
        with self.db.read() as session:
            return indicators.tickets_reported(session, root)

    @rpc
    def trail_witness(self, ticket_id):
        """``{"ticket_id", "trail_seq", "trail_head"}``: the newest trail entry of the
        ticket its events announced, or None if none has reached this service."""
        with self.db.read() as session:
            return witness.trail_witness(session, ticket_id)

    @rpc
    def trail_witnesses(self, after_ticket_id=None, limit=500):
        """A page of every ticket's mark, in ticket id order (for ``python -m tickets.verify``)."""
        with self.db.read() as session:
            return witness.trail_witnesses(session, after_ticket_id, limit)
