"""Intake: a ticket's readable number and where its report came from."""
from common.db import add_to_counter
from common.errors import InvalidInput
from common.shanghai import SHANGHAI
from tickets.models import TicketCounter


def next_number(session, now):
    """Readable number per Shanghai calendar day. The counter row is updated in
    the ticket's transaction, so concurrent intakes serialise on it and a
    rolled-back intake gives its number back."""
    day = now.astimezone(SHANGHAI).strftime("%Y%m%d")
    return f"{day}-{add_to_counter(session, TicketCounter.__table__, {'day': day}, 'last', 1):05d}"


# Where a report came from follows who made it: a resident's is a resident report and
# a department's a referral, whatever the client claims (the by-source figures rest on
# it); the command centre mostly enters hotline calls; grid staff find things on patrol.
FIXED_SOURCE = {"resident": "resident_report", "department": "department_referral"}
DEFAULT_SOURCE = {"district_officer": "hotline_12345"}


def source_for(given, reporter_role):
    fixed = FIXED_SOURCE.get(reporter_role)
    if fixed and given not in (None, fixed):
        raise InvalidInput(f"A report by a {reporter_role} account has the source {fixed}, not {given}.",
                           code="SOURCE_NOT_YOURS", details={"field": "source", "expected": fixed})
    return given or fixed or DEFAULT_SOURCE.get(reporter_role, "grid_patrol")
