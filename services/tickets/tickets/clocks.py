"""The ticket's own SLA clocks as SQL: which run in which state, and which are late.
The breach scan, the overdue gauges and the overdue list all read them from here, so
"overdue" means the same everywhere."""
from sqlalchemy import or_

from tickets.models import Dispatch, Ticket
from tickets.workflow import OPEN_STATES


def open_clocks():
    """(clock name, deadline column, condition) for each clock that can run late."""
    return (
        ("accept", Ticket.accept_due, Ticket.status == "reported"),
        ("respond", Ticket.respond_due, Ticket.status.in_(("reported", "accepted"))),
        ("resolve", Ticket.resolve_due, Ticket.status.in_(OPEN_STATES)),
    )


def overdue(now):
    """SQL: the ticket is open, not suspended, and past a running clock's deadline."""
    return Ticket.suspended.is_(False) & or_(*(runs & (due < now) for _, due, runs in open_clocks()))


# A summoned department's clocks: (name, deadline, done when set, unit): 1 h to sign, 24 h
# to contact the reporter, working days to attend (report back).
DEPARTMENT_CLOCKS = (
    ("sign", Dispatch.sign_due, Dispatch.signed_at, "h"),
    ("contact", Dispatch.contact_due, Dispatch.contacted_at, "h"),
    ("attend", Dispatch.attend_due, Dispatch.reported_at, "d"),
)
