"""Every error the tickets service raises of its own, each with the ``code`` the API
answers with (the status comes from its base kind in common.errors)."""
from common.errors import Conflict, Forbidden, InvalidInput, NotFound


class TicketNotFound(NotFound):
    code = "TICKET_NOT_FOUND"


class UnknownGrid(InvalidInput):
    code = "UNKNOWN_GRID"


class UnknownCategory(InvalidInput):
    code = "UNKNOWN_CATEGORY"


class UnknownDepartment(InvalidInput):
    code = "UNKNOWN_DEPARTMENT"


class VersionConflict(Conflict):
    code = "VERSION_CONFLICT"


class IdempotencyKeyReused(Conflict):
    code = "IDEMPOTENCY_KEY_REUSED"


# --- party-member households (党员中心户) -----------------------------------------------

class NotTheMember(Forbidden):
    """Only the party member carries up their households' problems."""
    code = "NOT_THE_MEMBER"


class NotAPartyMember(InvalidInput):
    code = "NOT_A_PARTY_MEMBER"


class LinkNotFound(NotFound):
    """The household is not linked to the member (people's code for the same answer)."""
    code = "LINK_NOT_FOUND"


# --- the workflow's refusals ---------------------------------------------------------

class ActionNotAllowed(Conflict):
    code = "ACTION_NOT_ALLOWED"


class NotYourTicket(Forbidden):
    code = "NOT_AUTHORISED_FOR_ACTION"


class BadAction(InvalidInput):
    code = "INVALID_ACTION"


# --- settings the service refuses to start on ----------------------------------------

class HolidayScheduleInvalid(InvalidInput):
    """A holiday file (or TICKET_HOLIDAYS / TICKET_MAKEUP_DAYS) that cannot be right: the
    service refuses to start on it. ``details`` names the setting and the line or item."""
    code = "INVALID_HOLIDAY_SCHEDULE"


class WhistleLevelsInvalid(InvalidInput):
    """TICKET_WHISTLE_LEVELS names a level no whistle is blown at (or none): the service
    refuses to start on it. ``details`` names the setting and the item."""
    code = "INVALID_WHISTLE_LEVELS"
