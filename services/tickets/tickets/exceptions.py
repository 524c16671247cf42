from common.errors import InvalidInput, NotFound


class TicketNotFound(NotFound):
    code = "TICKET_NOT_FOUND"


class UnknownGrid(InvalidInput):
    code = "UNKNOWN_GRID"


class HolidayScheduleInvalid(InvalidInput):
    """A holiday file (or TICKET_HOLIDAYS / TICKET_MAKEUP_DAYS) that cannot be right: the
    service refuses to start on it. ``details`` names the setting and the line or item."""
    code = "INVALID_HOLIDAY_SCHEDULE"


class WhistleLevelsInvalid(InvalidInput):
    """TICKET_WHISTLE_LEVELS names a level no whistle is blown at (or none): the service
    refuses to start on it. ``details`` names the setting and the item."""
    code = "INVALID_WHISTLE_LEVELS"
