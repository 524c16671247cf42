"""The closed loop as a state machine, free of nameko and I/O.

States: reported -> accepted -> handling -> resolved -> feedback_given -> rated ->
closed (and merged, for a duplicate folded into its original). While handling, a
ticket sits at a level: grid -> community -> town -> department (after the level
holding it blows the whistle, 吹哨: the community or the town, as the deployment's
``TICKET_WHISTLE_LEVELS`` allows). A suspended ticket (挂起) only accepts resume.

Who may act is enforced: an actor's level comes from their role; a grid worker
acts at grid level and only on categories admitted to grid affairs; the whistle is
blown by the officers of the level holding the ticket (a community officer, a town
leader), and the departments summoned report back to that level, which verifies
their work; a department acts only on tickets dispatched to it; district-wide roles
(``common.roles.DISTRICT_WIDE``: administrators and district officers) may act at
any level, but blow no whistle.
"""
import datetime as dt
from dataclasses import dataclass, field
from types import SimpleNamespace

from common.actor import Actor as CallerActor
from common.roles import DISTRICT_WIDE, STAFF
from tickets.exceptions import ActionNotAllowed, BadAction, NotYourTicket, WhistleLevelsInvalid

LEVELS = ("grid", "community", "town", "department")
OPEN_STATES = ("reported", "accepted", "handling")
STATES = OPEN_STATES + ("resolved", "feedback_given", "rated", "closed", "merged")
OUTCOMES = ("fixed", "not_our_responsibility", "cannot_fix", "duplicate", "withdrawn")
LEVEL_OF_ROLE = {"grid_worker": "grid", "grid_chief": "grid", "community_officer": "community",
                 "town_leader": "town", "department": "department"}


def staff_person(actor):
    """The staff member an actor is (their person id), or None: a resident's, a
    department's or a system step (the SLA scan, a re-home) credits no staff member."""
    return actor.person_id if actor is not None and actor.has_role(STAFF) else None


@dataclass(frozen=True)
class Actor(CallerActor):
    """The caller (``common.actor.Actor``) with the levels of the loop it acts at."""

    @classmethod
    def from_wire(cls, data, what="actor"):
        actor = super().from_wire(data, what)
        return actor if actor is None or isinstance(actor, cls) else cls(**vars(actor))

    @property
    def levels(self):
        return {LEVEL_OF_ROLE[r] for r in self.roles if r in LEVEL_OF_ROLE}

    @property
    def role(self):
        """The role the trail records for this actor's steps."""
        return next((r for r in self.roles if r in LEVEL_OF_ROLE or r in DISTRICT_WIDE),
                    self.roles[0] if self.roles else None)


SYSTEM = Actor(account_id=None, username="system", roles=("system",))  # the SLA scan, a re-home, an internal report


@dataclass
class Change:
    """What an action did: for the trail and the event."""
    action: str
    from_state: str
    to_state: str
    from_level: str | None
    to_level: str | None
    note: str | None
    data: dict = field(default_factory=dict)
    event: str | None = None
    also_extended: list = field(default_factory=list)  # other tickets whose trail this step extended


# action -> states it may be taken from
ALLOWED_FROM = {
    "accept": ("reported",),
    "handle": ("accepted",),
    "escalate": ("handling",),
    "whistle": ("handling",),
    "sign": ("handling",),
    "contact": ("handling",),
    "report_back": ("handling",),
    "verify": ("handling",),
    "meeting": ("handling",),
    "resolve": ("handling",),
    "suspend": ("handling",),
    "resume": ("handling",),
    "recategorise": OPEN_STATES,
    "withdraw": OPEN_STATES,
    "merge": OPEN_STATES,
    "feedback": ("resolved",),
    "rate": ("feedback_given",),
    "close": ("rated", "feedback_given"),
    "reopen": ("rated", "closed"),
}


# action -> the levels a handling ticket must be at, and why, for those bound to levels.
# The whistle's levels are those a deployment may allow; at_levels() narrows them to
# the ones it does allow.
AT_LEVELS = {
    "escalate": (("grid", "community"), "a town goes on by the whistle, not up"),
    "whistle": (("community", "town"), "the whistle is blown at community or town level: escalate first"),
    "meeting": (("community", "town"), "meeting disposal (会议处置) is for community or town level"),
    "resolve": (("grid", "community", "town"), "a dispatched ticket is resolved by the verification of the "
                                               "level that whistled"),
    "sign": (("department",), "only a dispatched ticket is signed for"),
    "contact": (("department",), "only a dispatched ticket is signed for"),
    "report_back": (("department",), "only a dispatched ticket is signed for"),
    "verify": (("department",), "only a dispatched ticket is verified"),
}

# Where the whistle may be blown (吹哨), the deployment's choice (TICKET_WHISTLE_LEVELS):
# Beijing's model whistles at town level (街乡吹哨), Ma'anshan at community level
# (社区吹哨、部门报到, seed 001), Pinggu's villages for their hard cases (疑难问题吹哨处置,
# seed 002; a village is this hierarchy's community level).
WHISTLE_LEVELS = AT_LEVELS["whistle"][0]
WHISTLE_LEVELS_DEFAULT = ("community", "town")
WHISTLE_LEVELS_SETTING = "TICKET_WHISTLE_LEVELS"


def whistle_levels(text):
    """The levels a whistle may be blown at, from the setting's text (``community,town``),
    in the hierarchy's order; WhistleLevelsInvalid names the setting and the item."""
    items = [item.strip() for item in str(text).split(",") if item.strip()]
    for item in items:
        if item not in WHISTLE_LEVELS:
            raise WhistleLevelsInvalid(
                f"{WHISTLE_LEVELS_SETTING}: {item!r} is not a level a whistle is blown at; give some of "
                f"{', '.join(WHISTLE_LEVELS)} (comma-separated).",
                details={"field": WHISTLE_LEVELS_SETTING, "item": item, "allowed": list(WHISTLE_LEVELS)})
    if not items:
        raise WhistleLevelsInvalid(f"{WHISTLE_LEVELS_SETTING} names no level; give some of "
                                   f"{', '.join(WHISTLE_LEVELS)} (comma-separated).",
                                   details={"field": WHISTLE_LEVELS_SETTING, "allowed": list(WHISTLE_LEVELS)})
    return tuple(level for level in WHISTLE_LEVELS if level in items)


def at_levels(whistle_levels=WHISTLE_LEVELS_DEFAULT):
    """AT_LEVELS as a deployment has it: the whistle only at the levels it allows."""
    allowed = tuple(level for level in WHISTLE_LEVELS if level in whistle_levels)
    reason = f"the whistle is blown at {' or '.join(allowed)} level: escalate first"
    return {**AT_LEVELS, "whistle": (allowed, reason)}


def whistled_at(ticket):
    """The level that blew the ticket's latest whistle: the departments summoned report
    back to it, and it verifies their work (社区吹哨、部门报到: to the community)."""
    return ticket.whistle_level


def this_round(ticket, dispatches):
    """The dispatches of the ticket's current round of handling (a reopened ticket the
    town whistles for again gets new ones; the old ones only stay on record)."""
    return [d for d in dispatches if (d.whistle_round or 0) == (ticket.reopen_count or 0)]


def _possible(ticket, action, table):
    levels, _ = table.get(action, (None, None))
    return ticket.status in ALLOWED_FROM[action] and (levels is None or ticket.level in levels)


def allowed_actions(ticket, *, whistle_levels=WHISTLE_LEVELS_DEFAULT):
    """The actions the ticket's state and level admit now, in a deployment whistling at
    ``whistle_levels`` (who may take them is checked when one is taken)."""
    if ticket.suspended:
        return ["resume"]
    table = at_levels(whistle_levels)
    return sorted(action for action in ALLOWED_FROM if action != "resume" and _possible(ticket, action, table))


def actions_for(ticket, *, actor, category, dispatches, now, reopen_window, whistle_levels=WHISTLE_LEVELS_DEFAULT):
    """Of the actions the ticket admits now, those this actor may take: each is tried
    on copies, so the rules stay in apply() alone. An action refused only for its
    missing payload (a note, an outcome) is the actor's to take."""
    mine = []
    for action in allowed_actions(ticket, whistle_levels=whistle_levels):
        try:
            apply(copy_of(ticket), action=action, actor=actor, payload={}, now=now, category=category,
                  dispatches=[copy_of(d) for d in dispatches], reopen_window=reopen_window,
                  whistle_levels=whistle_levels)
        except BadAction:
            pass
        except (NotYourTicket, ActionNotAllowed):
            continue
        mine.append(action)
    return mine


def copy_of(thing):
    """A detached copy of a ticket or dispatch row to try an action on."""
    return SimpleNamespace(**{name: value for name, value in vars(thing).items() if not name.startswith("_")})


def _need(condition, message, **details):
    if not condition:
        raise NotYourTicket(message, details=details)


def _acting_level(ticket, actor, dispatches=()):
    """The actor may act at the ticket's level. A dispatched ticket is acted on by the
    departments it went to and by the level that blew the whistle."""
    if ticket.level == "department" and not actor.district_wide:
        summoned, whistled = {d.department for d in dispatches}, whistled_at(ticket)
        _need(whistled in actor.levels or (actor.department in summoned and "department" in actor.roles),
              f"A dispatched ticket is acted on by its departments and the {whistled} level that blew the whistle.",
              level=ticket.level, whistle_level=whistled)
        return
    _need(actor.district_wide or ticket.level in actor.levels,
          f"The ticket is handled at {ticket.level} level; your role acts at "
          f"{', '.join(sorted(actor.levels)) or 'no'} level.", level=ticket.level, your_roles=list(actor.roles))


def _own_level(ticket, actor, doing):
    """Steps that are the holding level's own, not a supervisor's: the officers of the
    level the ticket is at (a community officer for the community, a town leader for
    the town) take them; district-wide roles do not."""
    _need(ticket.level in actor.levels,
          f"Only the {ticket.level} level's own officers {doing}; your role acts at "
          f"{', '.join(sorted(actor.levels)) or 'no'} level.", level=ticket.level, your_roles=list(actor.roles))


def _handler(actor, dispatches, doing):
    """Feedback and closing are for the ticket's handlers: grid, community and town staff
    (the reach check has kept them to their own grids), district-wide roles, and the departments
    summoned in this round. A department that only referred the ticket, or was summoned
    in an earlier round, does not speak for its result."""
    summoned = {d.department for d in dispatches}
    _need(actor.district_wide or actor.levels & set(LEVELS[:3])
          or ("department" in actor.roles and actor.department in summoned),
          f"Only the ticket's handlers {doing}: grid, community or town staff, or a department it was "
          "dispatched to.", your_roles=list(actor.roles))


def _in_charge(ticket, actor):
    """Routing a ticket (recategorise, merge) is for whoever has it now or is above:
    a grid worker no longer re-routes a ticket the town took, nor one its community
    dispatched. A dispatched ticket is with the level that whistled."""
    if actor.district_wide:
        return
    handlers = LEVELS[:3]
    held = [handlers.index(level) for level in actor.levels if level in handlers]
    _need(held, "Your role does not route tickets.", your_roles=list(actor.roles))
    charge = whistled_at(ticket) if ticket.level == "department" else ticket.level
    _need(charge is None or max(held) >= handlers.index(charge),
          f"The ticket is with the {charge} level now; it routes it.", level=ticket.level)


def _entry_level(actor, category):
    if actor.district_wide:
        return "grid" if category.grid_admission else "community"
    for level in LEVELS[:3]:
        if level in actor.levels:
            if level == "grid" and not category.grid_admission:
                raise NotYourTicket(f"{category.name} is not on the grid-affairs list; the community takes it.",
                                    details={"category": category.code})
            return level
    raise NotYourTicket("Your role does not handle tickets.", details={"your_roles": list(actor.roles)})


def _handling_level(ticket, actor, category):
    """Where an accepted ticket is handled: at the level that accepted it, or higher
    if a higher level takes it on; a lower one may not pull it down (a grid worker
    does not handle what the community accepted)."""
    level = _entry_level(actor, category)
    accepted = ticket.level
    if accepted in LEVELS[:3] and LEVELS.index(accepted) > LEVELS.index(level):
        _need(actor.district_wide or accepted in actor.levels,
              f"The ticket was accepted at {accepted} level; that level handles it.",
              level=accepted, your_roles=list(actor.roles))
        level = accepted
    return level


def _next_level(level):
    return LEVELS[min(LEVELS.index(level) + 1, 2)] if level in LEVELS[:3] else "town"


# What a handler may state when resolving or verifying. "duplicate" comes only from a
# merge (which names the original, so later updates reach it) and "withdrawn" only from
# the reporter's withdrawal; stated by a handler, either would close a report on a
# claim nobody can check. An outcome other than "fixed" tells the reporter why.
STATED_OUTCOMES = ("fixed", "not_our_responsibility", "cannot_fix")
_OUTCOME_ROUTE = {"duplicate": "merge it into the original (action merge, into)",
                  "withdrawn": "only the reporter withdraws a report (action withdraw)"}


def _outcome(payload, note):
    outcome = payload.get("outcome")
    if outcome in _OUTCOME_ROUTE:
        raise BadAction(f"outcome {outcome} is not stated by hand: {_OUTCOME_ROUTE[outcome]}.",
                        details={"field": "outcome"})
    if outcome not in STATED_OUTCOMES:
        raise BadAction(f"outcome must be one of {', '.join(STATED_OUTCOMES)}.", details={"field": "outcome"})
    if outcome != "fixed" and not note:
        raise BadAction(f"Tell the reporter why ({outcome}) in note.", details={"field": "note"})
    return outcome


def apply(ticket, *, action, actor, payload, now, category, dispatches, reopen_window,
          whistle_levels=WHISTLE_LEVELS_DEFAULT):
    """Perform ``action`` on ``ticket`` (changing it) and return a Change.

    ``dispatches``: the ticket's department dispatches (objects with department,
    lead, signed_at, reported_at, report), changed in place; new ones are returned in
    ``Change.data["new_dispatches"]``. ``whistle_levels``: where this deployment blows
    the whistle.
    """
    if action not in ALLOWED_FROM:
        raise BadAction(f"Unknown action {action!r}.", details={"field": "action", "actions": sorted(ALLOWED_FROM)})
    if ticket.status == "merged":
        raise ActionNotAllowed(f"Ticket {ticket.number} was merged into another ticket; act on that one.",
                               code="TICKET_MERGED", details={"duplicate_of": ticket.duplicate_of, "allowed": []})
    allowed = allowed_actions(ticket, whistle_levels=whistle_levels)
    if action not in allowed:
        _refuse(ticket, action, allowed, whistle_levels)
    note = payload.get("note")
    before = (ticket.status, ticket.level)
    event = None
    data = {}

    if action == "accept":
        _need(actor.district_wide or actor.levels & {"grid", "community", "town"}, "Your role does not accept tickets.")
        # Grid staff accept only what they may handle (grid affairs); the ticket is then
        # with the level that accepted it, which handle keeps.
        ticket.level = _entry_level(actor, category)
        ticket.status, ticket.accepted_at = "accepted", now
        event = "ticket_accepted"
    elif action == "handle":
        ticket.level = _handling_level(ticket, actor, category)
        ticket.status = "handling"
        ticket.handling_at = ticket.handling_at or now
    elif action == "escalate":
        _acting_level(ticket, actor)
        ticket.level = _next_level(ticket.level)
        event = "ticket_escalated"
    elif action == "whistle":
        _own_level(ticket, actor, "blow the whistle")
        departments = payload.get("departments") or []
        lead = payload.get("lead_department")
        if not departments or not isinstance(departments, list) or lead not in departments:
            raise BadAction("Give departments (a list) and lead_department (one of them).",
                            details={"field": "departments"})
        data["new_dispatches"] = [{"department": d, "lead": d == lead} for d in dict.fromkeys(departments)]
        data["departments"], data["lead_department"] = list(dict.fromkeys(departments)), lead
        data["whistle_level"] = ticket.whistle_level = ticket.level  # the departments report back here
        ticket.level = "department"
        ticket.lead_department = lead
        event = "ticket_dispatched"
    elif action in ("sign", "contact", "report_back"):
        dispatch = next((d for d in dispatches if actor.department and d.department == actor.department), None)
        _need(dispatch is not None and "department" in actor.roles,
              "Only a department this ticket was dispatched to may do this.")
        _department_step(dispatch, action=action, note=note, now=now, allowed=allowed)
        data["department"] = dispatch.department
    elif action == "verify":
        whistled = whistled_at(ticket)
        _need(actor.district_wide or whistled in actor.levels,
              f"The departments report back to the {whistled} level that blew the whistle; it verifies their work.",
              whistle_level=whistled, your_roles=list(actor.roles))
        lead = next((d for d in dispatches if d.lead), None)
        if lead is None or not lead.reported_at:
            raise ActionNotAllowed("The lead department has not reported back yet.", details={"allowed": allowed})
        _resolve(ticket, outcome=_outcome(payload, note), now=now, level="department", actor=actor)
        event = "ticket_resolved"
    elif action == "meeting":
        _acting_level(ticket, actor)
        if not note:
            raise BadAction("Record what the meeting decided in note.", details={"field": "note"})
        ticket.meeting_disposal = True
    elif action == "resolve":
        _acting_level(ticket, actor)
        _resolve(ticket, outcome=_outcome(payload, note), now=now, level=ticket.level, actor=actor)
        event = "ticket_resolved"
    elif action == "suspend":
        _acting_level(ticket, actor, dispatches)
        if not note:
            raise BadAction("Give the reason for suspending in note.", details={"field": "note"})
        ticket.suspended, ticket.suspended_at = True, now
    elif action == "resume":
        _acting_level(ticket, actor, dispatches)
        paused = now - ticket.suspended_at
        ticket.suspended_seconds = (ticket.suspended_seconds or 0) + int(paused.total_seconds())
        data["paused_seconds"], data["paused_from"] = int(paused.total_seconds()), ticket.suspended_at.isoformat()
        ticket.suspended, ticket.suspended_at = False, None
    elif action == "recategorise":
        _in_charge(ticket, actor)
        if payload.get("category") is None:
            raise BadAction("Give the new category.", details={"field": "category"})
        data["from_category"], data["to_category"] = ticket.category, payload["category"]
        ticket.category = payload["category"]
        if payload.get("grade"):
            data["grade"] = ticket.grade = payload["grade"]
    elif action == "withdraw":
        _need(actor.account_id == ticket.reporter_account_id or actor.district_wide,
              "Only the reporter may withdraw a report.")
        _resolve(ticket, outcome="withdrawn", now=now, level=ticket.level, actor=actor)
        event = "ticket_resolved"
    elif action == "merge":
        _in_charge(ticket, actor)
        if not payload.get("into"):
            raise BadAction("Give the ticket to merge into (into).", details={"field": "into"})
        ticket.status, ticket.duplicate_of, ticket.outcome, ticket.closed_at = "merged", payload["into"], "duplicate", now
        data["into"] = payload["into"]
        event = "ticket_closed"
    elif action == "feedback":
        _handler(actor, dispatches, "give feedback on it")
        if not note:
            raise BadAction("Say how the reporter was told in note.", details={"field": "note"})
        ticket.status, ticket.feedback_at = "feedback_given", now
    elif action == "rate":
        _need(actor.district_wide or (actor.account_id == ticket.reporter_account_id and not actor.levels),
              "Only the reporter (or the hotline on their behalf) rates the result; staff do not rate "
              "their own reports.")
        satisfaction = payload.get("satisfaction")
        if not isinstance(satisfaction, int) or isinstance(satisfaction, bool) or not 1 <= satisfaction <= 5:
            raise BadAction("satisfaction must be a whole number from 1 to 5.", details={"field": "satisfaction"})
        ticket.status, ticket.rated_at, ticket.satisfaction = "rated", now, satisfaction
        event = "ticket_rated"
    elif action == "close":
        _handler(actor, dispatches, "close it")
        if ticket.status == "feedback_given" and not _closes_unrated(ticket, now, reopen_window):
            raise ActionNotAllowed(
                f"The reporter has {reopen_window.days} days from the feedback to rate the result; a ticket "
                "closes unrated before that only when staff or a department reported it.",
                details={"allowed": [a for a in allowed if a != "close"],
                         "closable_at": (ticket.feedback_at + reopen_window).isoformat()})
        ticket.status, ticket.closed_at = "closed", now
        event = "ticket_closed"
    elif action == "reopen":
        _need(actor.account_id == ticket.reporter_account_id or actor.district_wide,
              "Only the reporter (or the hotline on their behalf) may reopen.")
        if ticket.satisfaction is None or ticket.satisfaction > 2:
            raise ActionNotAllowed("Only an unsatisfied rating (1 or 2) can reopen a ticket.",
                                   details={"allowed": [a for a in allowed if a != "reopen"]})
        if now > ticket.rated_at + reopen_window:
            raise ActionNotAllowed(f"The reopen window of {reopen_window.days} days has passed.",
                                   code="REOPEN_WINDOW_PASSED", details={"rated_at": ticket.rated_at.isoformat()})
        data["departments"] = [d.department for d in dispatches]  # summoned last round: told it is back
        ticket.level = _next_level(ticket.resolved_level or "grid")
        ticket.status, ticket.reopened_at = "handling", now
        ticket.reopen_count = (ticket.reopen_count or 0) + 1
        ticket.outcome = ticket.resolved_at = ticket.resolved_level = ticket.resolved_by_person_id = None
        ticket.feedback_at = ticket.rated_at = ticket.closed_at = None
        ticket.satisfaction = None
        event = "ticket_reopened"
    return Change(action, before[0], ticket.status, before[1], ticket.level, note, data, event)


def _refuse(ticket, action, allowed, whistle_levels):
    """ActionNotAllowed saying why the ticket does not admit ``action`` now, with what it admits."""
    levels, reason = at_levels(whistle_levels).get(action, (None, None))
    if ticket.suspended:
        why = "is suspended"
    elif ticket.status not in ALLOWED_FROM[action]:
        why = f"is {ticket.status}"
    elif levels is None:  # resume, the one action bound to no level: only a suspended ticket resumes
        why = "is not suspended"
    elif ticket.level in AT_LEVELS[action][0]:  # the loop admits it at this level, this deployment does not
        raise ActionNotAllowed(
            f"This deployment blows the whistle at {' and '.join(levels) or 'no'} level ({WHISTLE_LEVELS_SETTING}), "
            f"not at {ticket.level} level.", code="WHISTLE_LEVEL_NOT_ALLOWED",
            details={"level": ticket.level, "whistle_levels": list(levels), "allowed": allowed})
    else:
        why = f"is {ticket.status} at {ticket.level} level ({reason})"
    raise ActionNotAllowed(f"Ticket {ticket.number} {why}; {action} is not possible now.",
                           details={"status": ticket.status, "level": ticket.level,
                                    "suspended": ticket.suspended, "allowed": allowed})


def _department_step(dispatch, *, action, note, now, allowed):
    """A summoned department signs (1 h clock), contacts the reporter or the site
    (24 h clock) and reports back (attend clock); a report back also stops the
    contact clock, since attending the site is contact."""
    if action == "sign":
        if dispatch.signed_at:
            raise ActionNotAllowed("Your department has signed already.", details={"allowed": allowed})
        dispatch.signed_at = now
        return
    if not dispatch.signed_at:
        doing = "contacting" if action == "contact" else "reporting back"
        raise ActionNotAllowed(f"Sign for the ticket before {doing}.",
                               details={"allowed": ["sign"]})
    if action == "contact":
        if dispatch.contacted_at:
            raise ActionNotAllowed("Your department has recorded its contact already.",
                                   details={"allowed": [a for a in allowed if a != "contact"]})
        if not note:
            raise BadAction("Say whom you contacted and how in note.", details={"field": "note"})
        dispatch.contacted_at = now
        return
    if not note:
        raise BadAction("Report back with a note saying what was done.", details={"field": "note"})
    dispatch.reported_at, dispatch.report = now, note
    dispatch.contacted_at = dispatch.contacted_at or now


# Reports with nobody outside to rate them: found on patrol, referred by a department.
UNRATED_SOURCES = ("grid_patrol", "department_referral")


def _closes_unrated(ticket, now, window):
    """A ticket that got feedback closes without a rating if nobody outside reported
    it, or if its reporter let the rating window pass (no answer to the callback)."""
    return ticket.source in UNRATED_SOURCES or now > ticket.feedback_at + window


def _resolve(ticket, *, outcome, now, level, actor):
    ticket.status, ticket.outcome, ticket.resolved_at, ticket.resolved_level = "resolved", outcome, now, level
    ticket.resolved_by_person_id = staff_person(actor)


REOPEN_WINDOW_DEFAULT = dt.timedelta(days=7)
