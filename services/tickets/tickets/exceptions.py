from common.errors import InvalidInput, NotFound


class TicketNotFound(NotFound):
    code = "TICKET_NOT_FOUND"


class UnknownGrid(InvalidInput):
    code = "UNKNOWN_GRID"
