from common.db import Database
from common.ops import OpsEndpoints
from common.rpc import rpc
from scoring import MIGRATIONS_DIR, indicators, witness
from scoring.feed import FactsFeed


class ScoringService(FactsFeed, OpsEndpoints):
    name = "scoring"

    db = Database(MIGRATIONS_DIR)

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
