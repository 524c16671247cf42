"""The SLA clocks: which run in which state and which are late (as SQL), the
deadlines a category and grade set, and the scan that records each breach once and
escalates. The breach scan, the overdue gauges and the overdue list all read the
clocks from here, so "overdue" means the same everywhere."""
import datetime as dt

from sqlalchemy import String, and_, case, cast, func, literal, or_, select

from common.db import dialect_insert
from tickets import trail, workflow
from tickets.models import Dispatch, SlaBreach, SlaWarning, Ticket, TrailEntry
from tickets.workflow import OPEN_STATES, SYSTEM


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


# --- deadlines -------------------------------------------------------------------------

def deadlines(ticket, category, settings, start):
    """{clock: when it runs out} for clocks started at ``start``, per category and grade."""
    return {clock: settings.calendar.due(start, amount, unit)
            for clock, (amount, unit) in category.deadlines(ticket.grade).items()}


def set_deadlines(ticket, category, settings, start):
    due = deadlines(ticket, category, settings, start)
    ticket.accept_due, ticket.respond_due, ticket.resolve_due = due["accept"], due["respond"], due["resolve"]


def round_resolve_due(session, ticket, category, settings):
    """The resolve deadline of the ticket's current round (from the report, or from its
    latest reopen), pushed back by the pauses that round has had."""
    start = ticket.reopened_at if ticket.reopen_count else ticket.reported_at
    amount, unit = category.deadlines(ticket.grade)["resolve"]
    due = settings.calendar.due(start, amount, unit)
    with session.no_autoflush:  # the recategorised row is written once, with its trail head: one version
        resumes = session.execute(select(TrailEntry.at, TrailEntry.data).where(
            TrailEntry.ticket_id == ticket.id, TrailEntry.action == "resume").order_by(TrailEntry.seq)).all()
    for at, data in resumes:
        resumed = dt.datetime.fromisoformat(at)
        paused_from = resumed - dt.timedelta(seconds=(data or {}).get("paused_seconds", 0))
        if paused_from >= start:
            due = settings.calendar.extend(due, unit, paused_from, resumed)
    return due


# --- SLA breaches ----------------------------------------------------------------------

# A breach is recorded once per clock and round of handling: a clock that restarts in a
# later round (the resolve clock after a reopen, a department's after a new whistle) is
# named with the round ("resolve#1", "sign:environment#1"); statistics count every
# round under its clock.

def _in_round(name, round_):
    return f"{name}#{round_}" if round_ else name


def _in_round_sql(name, round_column):
    """SQL: ``_in_round`` over a round column."""
    return name.concat(case((round_column > 0, literal("#").concat(cast(round_column, String))), else_=literal("")))


def _breach_name(clock):
    """SQL: the name a ticket clock's breach is recorded under."""
    return _in_round_sql(literal(clock), func.coalesce(Ticket.reopen_count, 0)) if clock == "resolve" else literal(clock)


def _breach_name_of(clock, ticket):
    return _in_round(clock, ticket.reopen_count) if clock == "resolve" else clock


def scan_breaches(session, now, settings, limit=200):
    """Record each newly breached clock once and escalate its ticket one level.
    Safe with several replicas: the breach row's primary key admits one writer, and
    ticket rows are claimed with SKIP LOCKED."""
    found = []
    insert = dialect_insert(session)
    for clock_kind, due_column, condition in open_clocks():
        name = _breach_name(clock_kind)
        late = session.scalars(
            select(Ticket).where(condition, Ticket.suspended.is_(False), due_column < now,
                                 ~select(SlaBreach.ticket_id).where(and_(SlaBreach.ticket_id == Ticket.id,
                                                                        SlaBreach.clock == name)).exists())
            .limit(limit).with_for_update(skip_locked=True)).all()
        for ticket in late:
            clock, due = _breach_name_of(clock_kind, ticket), getattr(ticket, due_column.key)
            won = session.execute(insert(SlaBreach).values(
                ticket_id=ticket.id, clock=clock, due=due, breached_at=now)
                .on_conflict_do_nothing().returning(SlaBreach.ticket_id)).first()
            if won is None:
                continue  # another replica recorded it first
            escalated = _escalate_for_breach(session, ticket, clock, now)
            session.execute(SlaBreach.__table__.update().where(
                and_(SlaBreach.ticket_id == ticket.id, SlaBreach.clock == clock)).values(escalated_to=escalated))
            found.append((ticket, clock, due, escalated))
    found += _department_breaches(session, now, insert, limit)
    return found


def _department_breaches(session, now, insert, limit):
    """A summoned department late to sign for a ticket, to contact the reporter or to
    report back on it: one breach per department and clock ("sign:environment"); no
    escalation (the level that whistled is already in charge)."""
    found = []
    for clock, due_column, done_column, _ in DEPARTMENT_CLOCKS:
        name = _in_round_sql(literal(f"{clock}:").concat(Dispatch.department), Dispatch.whistle_round)
        late = session.execute(
            select(Dispatch, Ticket).join(Ticket, Ticket.id == Dispatch.ticket_id)
            .where(done_column.is_(None), due_column < now, Ticket.status == "handling",
                   Ticket.level == "department", Ticket.suspended.is_(False),
                   Dispatch.whistle_round == func.coalesce(Ticket.reopen_count, 0),
                   ~select(SlaBreach.ticket_id).where(and_(SlaBreach.ticket_id == Dispatch.ticket_id,
                                                           SlaBreach.clock == name)).exists())
            .limit(limit)).all()
        for dispatch, ticket in late:
            clock_name, due = _in_round(f"{clock}:{dispatch.department}", dispatch.whistle_round), getattr(
                dispatch, due_column.key)
            won = session.execute(insert(SlaBreach).values(
                ticket_id=ticket.id, clock=clock_name, due=due, breached_at=now)
                .on_conflict_do_nothing().returning(SlaBreach.ticket_id)).first()
            if won is not None:
                found.append((ticket, clock_name, due, None))
    return found


# --- warnings before a breach ----------------------------------------------------------

WARN_AT = 0.8                       # of a clock's time: the responsible worker is told then
WARN_HORIZON = dt.timedelta(days=4)  # a fifth of the longest clock (10 working days) and more


def _started(clock, ticket):
    """When a ticket clock's current run began: the report, or the latest reopen for
    the resolve clock of a later round."""
    return ticket.reopened_at if clock == "resolve" and ticket.reopen_count else ticket.reported_at


def scan_warnings(session, now, limit=200):
    """[(ticket, clock name, due)] of running ticket clocks that passed WARN_AT of their
    time and were not warned of yet, each recorded once (the row's key admits one
    writer: several replicas may scan). Candidates are read by deadline in SQL, the
    share of time in Python (the same on every database)."""
    found = []
    insert = dialect_insert(session)
    for clock_kind, due_column, condition in open_clocks():
        name = _breach_name(clock_kind)
        near = session.scalars(
            select(Ticket).where(condition, Ticket.suspended.is_(False), due_column > now,
                                 due_column <= now + WARN_HORIZON, Ticket.responsible_person_id.is_not(None),
                                 ~select(SlaWarning.ticket_id).where(and_(SlaWarning.ticket_id == Ticket.id,
                                                                          SlaWarning.clock == name)).exists())
            .order_by(due_column).limit(limit)).all()
        for ticket in near:
            due, start = getattr(ticket, due_column.key), _started(clock_kind, ticket)
            if start is None or now < start + (due - start) * WARN_AT:
                continue
            clock = _breach_name_of(clock_kind, ticket)
            won = session.execute(insert(SlaWarning).values(ticket_id=ticket.id, clock=clock, due=due, warned_at=now)
                                  .on_conflict_do_nothing().returning(SlaWarning.ticket_id)).first()
            if won is not None:
                found.append((ticket, clock, due))
    return found


def _escalate_for_breach(session, ticket, clock, now):
    if ticket.status != "handling" or ticket.level not in ("grid", "community"):
        return None
    before = ticket.level
    ticket.level = workflow.LEVELS[workflow.LEVELS.index(before) + 1]
    change = workflow.Change("escalate", "handling", "handling", before, ticket.level,
                             f"SLA {clock} deadline passed", {"sla_breach": clock})
    trail.append_trail(session, ticket, change=change, actor=SYSTEM, now=now)
    return ticket.level
