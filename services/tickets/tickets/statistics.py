"""Statistics for any subtree and period (days in Asia/Shanghai), free of nameko.

Counts by status, category, grade and source; resolution rate (resolved or later,
of all but merged duplicates); on-time rate (resolved before the resolve deadline);
satisfaction rate (ratings of 4 or 5); where tickets were solved (grid, community,
town, department) and the share solved below the department level (the "over 90%
solved in the town, village or grid" figure); median and 90th percentile hours to
accept and to resolve; SLA breaches by clock and by summoned department, how many
tickets breached any clock and how many breaches escalated. PostgreSQL computes
percentiles in SQL; SQLite in Python.
"""
import datetime as dt
import statistics as pystats
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select

from tickets.models import SlaBreach, Ticket

SHANGHAI = ZoneInfo("Asia/Shanghai")
DONE = ("resolved", "feedback_given", "rated", "closed")


def period_bounds(start_day, end_day):
    start = dt.datetime.combine(start_day, dt.time(), SHANGHAI).astimezone(dt.timezone.utc)
    end = dt.datetime.combine(end_day + dt.timedelta(days=1), dt.time(), SHANGHAI).astimezone(dt.timezone.utc)
    return start, end


def _rate(part, whole):
    return round(part / whole, 4) if whole else None


def ticket_statistics(session, root, start_day, end_day):
    start, end = period_bounds(start_day, end_day)
    scope = and_(Ticket.reported_at >= start, Ticket.reported_at < end)
    if root:
        scope = and_(scope, Ticket.grid_code.startswith(root))

    def counts(column):
        return {key: n for key, n in session.execute(
            select(column, func.count()).where(scope).group_by(column).order_by(column)).all()}

    by_status = counts(Ticket.status)
    total = sum(by_status.values())
    merged = by_status.get("merged", 0)
    done = sum(by_status.get(state, 0) for state in DONE)
    on_time, rated, satisfied = session.execute(select(
        func.count(case((and_(Ticket.resolved_at.is_not(None), Ticket.resolved_at <= Ticket.resolve_due), 1))),
        func.count(Ticket.satisfaction),
        func.count(case((Ticket.satisfaction >= 4, 1))),
    ).where(scope)).one()
    resolved_at_level = counts(Ticket.resolved_level)
    resolved_at_level.pop(None, None)
    solved = sum(resolved_at_level.values())
    below_department = solved - resolved_at_level.get("department", 0)
    return {
        "root": root, "from": start_day.isoformat(), "to": end_day.isoformat(), "timezone": "Asia/Shanghai",
        "total": total,
        "by_status": by_status, "by_category": counts(Ticket.category), "by_grade": counts(Ticket.grade),
        "by_source": counts(Ticket.source),
        "resolution_rate": _rate(done, total - merged),
        "on_time_rate": _rate(on_time, done),
        "satisfaction_rate": _rate(satisfied, rated),
        "resolved_at_level": resolved_at_level,
        "share_solved_below_department": _rate(below_department, solved),
        "hours_to_accept": _percentiles(session, scope, Ticket.accepted_at),
        "hours_to_resolve": _percentiles(session, scope, Ticket.resolved_at),
        "sla_breaches": _breaches(session, scope, total),
    }


def _breaches(session, scope, total):
    """Ticket clocks by name (accept, respond, resolve); department clocks stored as
    "sign:environment" count under their clock and, per department, under it."""
    in_scope = select(SlaBreach).join(Ticket, Ticket.id == SlaBreach.ticket_id).where(scope).subquery()
    rows = session.execute(select(in_scope.c.clock, func.count(), func.count(in_scope.c.escalated_to))
                           .group_by(in_scope.c.clock)).all()
    tickets = session.scalar(select(func.count(func.distinct(in_scope.c.ticket_id))))
    by_clock, by_department = {}, {}
    for name, count, _ in rows:
        clock, _, department = name.partition(":")
        by_clock[clock] = by_clock.get(clock, 0) + count
        if department:
            by_department.setdefault(department, {})[clock] = count
    return {
        "total": sum(count for _, count, _ in rows), "tickets": tickets, "rate": _rate(tickets, total),
        "escalated": sum(escalated for _, _, escalated in rows),
        "by_clock": dict(sorted(by_clock.items())), "by_department": dict(sorted(by_department.items())),
    }


def _percentiles(session, scope, until):
    if session.get_bind().dialect.name == "postgresql":
        seconds = func.extract("epoch", until - Ticket.reported_at)
        median, p90 = session.execute(select(
            func.percentile_cont(0.5).within_group(seconds), func.percentile_cont(0.9).within_group(seconds),
        ).where(scope, until.is_not(None))).one()
        return {"median": _hours(median), "p90": _hours(p90)}
    rows = session.execute(select(Ticket.reported_at, until).where(scope, until.is_not(None))).all()
    values = sorted((later - earlier).total_seconds() for earlier, later in rows)
    if not values:
        return {"median": None, "p90": None}
    p90 = pystats.quantiles(values, n=10, method="inclusive")[-1] if len(values) > 1 else values[0]
    return {"median": _hours(pystats.median(values)), "p90": _hours(p90)}


def _hours(seconds):
    return None if seconds is None else round(float(seconds) / 3600, 2)
