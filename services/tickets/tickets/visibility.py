"""Who sees a ticket, and what. A viewer reaches a ticket in its grid scope, one
dispatched to its department, or one it reported. An anonymous report (匿名) hides who
made it from everyone but the reporter: the ticket's reporter account and, in its
trail, the reporter's own entries. The stored rows keep them (the reporter still rates and
reopens, and the trail's hashes cover them); only views are redacted.

A reporter's phone is shown masked; in clear (``reveal``) only to the reporter, to a
role in ``PII_CLEAR_ROLES``, and to those who handle the ticket now (who may take one
of its steps through the loop, not only merge, recategorise or withdraw it): they call
the reporter back. Every such read by someone other than
the reporter is logged."""

from common.pii import ClearDataForbidden
from tickets.models import ReporterContactRead
from tickets.schemas import TicketSchema

ANONYMOUS = "anonymous"
NOT_HANDLING = frozenset({"merge", "recategorise", "withdraw"})  # actions that need no call to the reporter
_ticket_schema = TicketSchema()


def in_sight(ticket, dispatches, viewer):
    """Whether ``viewer`` (a workflow.Actor) reaches the ticket: its grid within the
    viewer's reach, a dispatch to its department, or its own report."""
    if viewer.department and viewer.department in {d.department for d in dispatches}:
        return True
    if ticket.reporter_account_id and ticket.reporter_account_id == viewer.account_id:
        return True
    return viewer.reaches(ticket.grid_code)


def hides_reporter(ticket, viewer_account_id):
    return bool(ticket.anonymous and ticket.reporter_account_id and ticket.reporter_account_id != viewer_account_id)


def ticket_seen_by(ticket, viewer_account_id):
    """The ticket's JSON view for this viewer."""
    view = _ticket_schema.dump(ticket)
    if hides_reporter(ticket, viewer_account_id):
        view["reporter_account_id"] = None
    return view


def trail_seen_by(entries, ticket, viewer_account_id):
    """The hashes go too where the reporter is hidden: each covers the reporter's
    account, so trying candidate accounts against one would name the reporter."""
    if hides_reporter(ticket, viewer_account_id):
        for entry in entries:
            if entry["actor_account_id"] == ticket.reporter_account_id:
                entry.update(actor_account_id=None, actor_username=ANONYMOUS)
            entry.update(prev_hash=None, hash=None)
    return entries


def reveal_reporter(session, view, *, ticket, viewer, viewer_actions, cipher, clear_roles):
    """Put the reporter's phone in clear into ``view`` for ``viewer``, logging the read,
    or ClearDataForbidden. ``viewer_actions``: the actions the viewer may take now."""
    own = bool(ticket.reporter_account_id) and ticket.reporter_account_id == viewer.account_id
    if not (own or set(viewer.roles) & set(clear_roles) or set(viewer_actions) - NOT_HANDLING):
        raise ClearDataForbidden(
            "A reporter's contact details are for the ticket's handlers and the roles allowed to read them.",
            details={"allowed_roles": list(clear_roles)})
    view["reporter_phone"] = cipher.decrypt(ticket.reporter_phone_enc)
    if not own and ticket.reporter_phone_enc:  # nothing was read of a report without a phone
        session.add(ReporterContactRead(ticket_id=ticket.id, viewer_account_id=viewer.account_id,
                                        viewer_username=viewer.username))
