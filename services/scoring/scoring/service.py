from common.db import Database
from common.inbox import idempotent_handler
from common.ops import OpsEndpoints
from common.rpc import rpc
from scoring import MIGRATIONS_DIR, indicators


class ScoringService(OpsEndpoints):
    name = "scoring"

    db = Database(MIGRATIONS_DIR)

    @idempotent_handler("tickets", "ticket_reported")
    def handle_ticket_reported(self, session, envelope):
        indicators.record_reported_ticket(session, envelope)

    @idempotent_handler("tickets", "ticket_rehomed")
    def handle_ticket_rehomed(self, session, envelope):
        indicators.record_rehomed_ticket(session, envelope)

    @rpc
    def tickets_reported(self, root=None):
        with self.db.read() as session:
            return indicators.tickets_reported(session, root)
