"""Acting on a ticket, free of nameko: the checks before the workflow's rules (reach,
version, a new category), the rules themselves (``workflow.apply``), what a step
changes beyond the ticket row (dispatches, deadlines, a merge's original) and its
trail entry; and the settings acting needs."""
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from common.errors import InvalidInput
from tickets import clocks, trail, workflow
from tickets.calendar import WorkCalendar
from tickets.catalogue import COMPLEX, GRADES, Catalogue
from tickets.exceptions import BadAction, UnknownDepartment, VersionConflict
from tickets.intake import category_of
from tickets.models import Dispatch, Ticket, get_ticket
from tickets.queries import reachable


@dataclass
class Settings:
    """The deployment's rules for tickets (service.TicketSettings reads them at start)."""
    catalogue: Catalogue
    calendar: WorkCalendar
    reopen_window: dt.timedelta = workflow.REOPEN_WINDOW_DEFAULT
    whistle_levels: tuple = workflow.WHISTLE_LEVELS_DEFAULT  # where the whistle is blown (TICKET_WHISTLE_LEVELS)
    duplicate_window: dt.timedelta = dt.timedelta(hours=72)


def _lock_in_order(session, ids_or_numbers):
    """Lock the tickets so named in id order: two merges crossing each other (A into B,
    B into A) would otherwise each hold one and wait for the other, a deadlock the
    database breaks by failing one of them as if it were down."""
    named = [i for i in ids_or_numbers if isinstance(i, str)]
    session.execute(select(Ticket.id).where((Ticket.id.in_(named)) | (Ticket.number.in_(named)))
                    .order_by(Ticket.id).with_for_update())


def _checked(session, ticket_id, *, action, actor, payload, expected_version, settings, for_update):
    """The ticket, this round's dispatches and its category, once the checks that come
    before the rules pass: reach (before the version: a ticket beyond reach is not
    theirs to know about), version, a recategorisation's new category and grade."""
    ticket, dispatches = reachable(session, ticket_id, actor, for_update=for_update)
    if expected_version is not None and expected_version != ticket.version:
        raise VersionConflict(
            f"Ticket {ticket.number} changed since you loaded it (version {expected_version}, now "
            f"{ticket.version}); reload and try again.", details={"current_version": ticket.version})
    if action == "recategorise":
        category_of(settings, payload.get("category"))
        if payload.get("grade") and payload["grade"] not in GRADES:
            raise InvalidInput(f"grade must be one of {', '.join(GRADES)}.", code="INVALID_GRADE",
                               details={"field": "grade"})
    return ticket, workflow.this_round(ticket, dispatches), category_of(settings, ticket.category)


def try_action(session, ticket_id, *, action, actor, payload, expected_version, now, settings):
    """Raise what ``act`` would for reach, version, state, level and authority, trying
    the action on copies (nothing is locked or changed): run before asking another
    service for what only a permitted action needs."""
    ticket, dispatches, category = _checked(session, ticket_id, action=action, actor=actor, payload=payload,
                                            expected_version=expected_version, settings=settings, for_update=False)
    workflow.apply(workflow.copy_of(ticket), action=action, actor=actor, payload=dict(payload), now=now,
                   category=category, dispatches=[workflow.copy_of(d) for d in dispatches],
                   reopen_window=settings.reopen_window, whistle_levels=settings.whistle_levels)


def act(session, ticket_id, *, action, actor, payload, expected_version, now, settings, registered_departments=()):
    """``registered_departments``: codes of departments people has registered beyond the
    catalogue's, which a whistle may also summon (the service asks people for them)."""
    if action == "merge" and payload.get("into"):
        _lock_in_order(session, (ticket_id, payload["into"]))
    ticket, dispatches, category = _checked(session, ticket_id, action=action, actor=actor, payload=payload,
                                            expected_version=expected_version, settings=settings, for_update=True)
    if action == "merge":
        # Locked before its state is read: nobody closes it between this check and the merge.
        original, _ = reachable(session, payload.get("into") or "-", actor, for_update=True)  # none unseen
        if original.id == ticket.id or original.status not in workflow.OPEN_STATES:
            raise BadAction("Merge into another ticket that is still open.", details={"field": "into"})
    change = workflow.apply(ticket, action=action, actor=actor, payload=payload, now=now, category=category,
                            dispatches=dispatches, reopen_window=settings.reopen_window,
                            whistle_levels=settings.whistle_levels)
    _after(session, ticket, change=change, now=now, settings=settings, dispatches=dispatches,
           registered_departments=registered_departments)
    trail.append_trail(session, ticket, change=change, actor=actor, now=now)
    if action == "merge":
        change.also_extended.append(_record_merge_in_original(session, ticket, actor, now))
    return ticket, change


def unknown_departments(catalogue, departments):
    """Of a whistle's ``departments``, the codes the catalogue does not name."""
    return sorted({d for d in departments or () if isinstance(d, str)} - catalogue.departments)


def _require_departments(catalogue, departments, registered=()):
    """A whistle summons departments the catalogue knows or people has registered: a
    made-up code would be a dispatch nobody can sign for."""
    unknown = sorted(set(unknown_departments(catalogue, departments)) - set(registered))
    if unknown:
        raise UnknownDepartment(f"Unknown department {', '.join(unknown)}; summon those of "
                                "GET /api/v1/tickets/categories or GET /api/v1/departments.",
                                details={"field": "departments", "unknown": unknown})


def _record_merge_in_original(session, duplicate, actor, now):
    """The original's trail names each duplicate folded into it (and its version moves:
    whoever holds the original finds the merge on reloading)."""
    original = get_ticket(session, duplicate.duplicate_of, for_update=True)
    trail.append_trail(session, original, change=workflow.Change(
        "merged_in", original.status, original.status, original.level, original.level,
        f"ticket {duplicate.number} was merged into this one",
        {"ticket_id": duplicate.id, "number": duplicate.number}), actor=actor, now=now)
    return original


def _after(session, ticket, *, change, now, settings, dispatches, registered_departments=()):
    """Consequences that need the database or the calendar. ``dispatches``: this round's."""
    if change.action == "whistle":  # after apply: the state, level and authority come first
        _require_departments(settings.catalogue, change.data["departments"], registered_departments)
        category = category_of(settings, ticket.category)
        attend_days = 5 if category.resolve_days >= COMPLEX else 3
        for item in change.data.pop("new_dispatches"):
            session.add(Dispatch(
                ticket_id=ticket.id, whistle_round=ticket.reopen_count or 0, department=item["department"],
                lead=item["lead"], dispatched_at=now,
                sign_due=now + dt.timedelta(hours=1), contact_due=now + dt.timedelta(hours=24),
                attend_due=settings.calendar.add_working_days(now, attend_days)))
    elif change.action == "resume":  # every clock still running stood still meanwhile
        paused_from, calendar = dt.datetime.fromisoformat(change.data["paused_from"]), settings.calendar
        for clock, (_, unit) in category_of(settings, ticket.category).deadlines(ticket.grade).items():
            if getattr(ticket, f"{clock}_due") is not None:
                setattr(ticket, f"{clock}_due", calendar.extend(getattr(ticket, f"{clock}_due"), unit, paused_from, now))
        for dispatch in dispatches:
            for _, due, done, unit in clocks.DEPARTMENT_CLOCKS:
                if getattr(dispatch, done.key) is None:
                    setattr(dispatch, due.key, calendar.extend(getattr(dispatch, due.key), unit, paused_from, now))
    elif change.action == "reopen":
        # A new round of handling gets a new resolve deadline: the old one may long have
        # passed (the ticket was resolved on time), and the scan must not count that.
        ticket.resolve_due = clocks.deadlines(ticket, category_of(settings, ticket.category), settings, now)["resolve"]
    elif change.action == "recategorise":  # deadlines as if it had had this category from the start
        category = category_of(settings, ticket.category)
        clocks.set_deadlines(ticket, category, settings, ticket.reported_at)  # accept and respond: met before any pause
        ticket.resolve_due = clocks.round_resolve_due(session, ticket, category, settings)
        if ticket.level == "grid" and not category.grid_admission:
            ticket.level = change.to_level = "community"  # not grid affairs: the community takes it
