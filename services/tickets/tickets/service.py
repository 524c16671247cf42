from common.db import Database, utcnow
from common.errors import NotFound
from common.ops import OpsEndpoints
from common.outbox import Outbox
from common.rpc import ServiceRpc, rpc
from common.validation import load
from tickets import MIGRATIONS_DIR, intake
from tickets.exceptions import UnknownGrid
from tickets.schemas import NewTicketSchema, TicketSchema

new_ticket_schema = NewTicketSchema()
ticket_schema = TicketSchema()


class TicketsService(OpsEndpoints):
    name = "tickets"

    db = Database(MIGRATIONS_DIR)
    outbox = Outbox()
    grid = ServiceRpc("grid")

    @rpc
    def report_ticket(self, data):
        data = load(new_ticket_schema, data, "ticket")
        try:
            self.grid.get_grid(data["grid_code"])  # before the transaction: no lock held over RPC
        except NotFound:
            raise UnknownGrid(f"Grid {data['grid_code']} does not exist.", details={"field": "grid_code"}) from None
        with self.db.transaction() as session:
            ticket = intake.report_ticket(session, data, utcnow())
            self.outbox.add(session, "ticket_reported", intake.reported_event(ticket))
            return ticket_schema.dump(ticket)

    @rpc
    def get_ticket(self, ticket_id):
        with self.db.read() as session:
            return ticket_schema.dump(intake.get_ticket(session, ticket_id))

    @rpc
    def list_tickets(self, grid_prefix=None, limit=50):
        with self.db.read() as session:
            return ticket_schema.dump(intake.list_tickets(session, grid_prefix, limit), many=True)
