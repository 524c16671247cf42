"""Statistics for any subtree and period (days in Asia/Shanghai), free of nameko.

Counts by status, category, grade, source and outcome; resolution rate (resolved or
later, of all but merged duplicates and withdrawn reports); on-time rate (resolved
before the resolve deadline); open tickets past a running deadline now; satisfaction
rate (ratings of 4 or 5, of all ratings given, the unsatisfied ones that reopened a
ticket included); where tickets were solved (grid, community, town, department) and
the share solved below the department level (the "over 90% solved in the town,
village or grid" figure); median and 90th percentile hours to accept and to resolve
(withdrawals are not resolutions); SLA breaches by clock and by summoned department, how many
tickets breached any clock and how many breaches escalated. PostgreSQL computes
percentiles in SQL; SQLite in Python.
"""
import statistics as pystats

from sqlalchemy import and_, case, func, literal, literal_column, null, select, union_all

from common.db import utcnow
from common.shanghai import day_bounds
from tickets import clocks
from tickets.models import SlaBreach, Ticket

DONE = ("resolved", "feedback_given", "rated", "closed")


def _rate(part, whole):
    return round(part / whole, 4) if whole else None


def ticket_statistics(session, root, *, start_day, end_day, now=None):
    """Figures over the tickets reported in the subtree in the period. A withdrawn
    ticket was never worked to an end, so it is counted (``withdrawn``) but left out of
    the resolution figures (rate, on time, levels, hours to resolve); a merged one is
    counted under its original. Each reopen stands for an unsatisfied rating (only a
    rating of 1-2 reopens), so the satisfaction rate counts those ratings too."""
    start, end = day_bounds(start_day, end_day)
    scope = and_(Ticket.reported_at >= start, Ticket.reported_at < end)
    if root:
        scope = and_(scope, Ticket.grid_code.startswith(root))
    groups, (hours_to_accept, hours_to_resolve) = _tally_and_percentiles(session, scope, now or utcnow())
    by_status = _sum_by(groups, "status")
    by_outcome = _sum_by(groups, "outcome")
    total, merged, withdrawn = sum(by_status.values()), by_status.get("merged", 0), by_outcome.get("withdrawn", 0)
    concluded = [group for group in groups if group.status in DONE and group.outcome != "withdrawn"]
    solved = sum(group.count for group in concluded)
    resolved_at_level = _sum_by(concluded, "resolved_level")
    below_department = sum(resolved_at_level.values()) - resolved_at_level.get("department", 0)
    ratings = sum(group.rated + group.reopens for group in groups)
    return {
        "root": root, "from": start_day.isoformat(), "to": end_day.isoformat(), "timezone": "Asia/Shanghai",
        "total": total,
        "by_status": by_status, "by_category": _sum_by(groups, "category"), "by_grade": _sum_by(groups, "grade"),
        "by_source": _sum_by(groups, "source"), "by_outcome": by_outcome, "withdrawn": withdrawn,
        "resolution_rate": _rate(solved, total - merged - withdrawn),
        "on_time_rate": _rate(sum(group.on_time for group in concluded), solved),
        "open_overdue": sum(group.overdue for group in groups),
        "satisfaction_rate": _rate(sum(group.satisfied for group in groups), ratings),
        "ratings": ratings,
        "resolved_at_level": resolved_at_level,
        "share_solved_below_department": _rate(below_department, sum(resolved_at_level.values())),
        "hours_to_accept": hours_to_accept,
        "hours_to_resolve": hours_to_resolve,
        "sla_breaches": _breaches(session, scope, total),
    }


_DIMENSIONS = (Ticket.status, Ticket.category, Ticket.grade, Ticket.source, Ticket.resolved_level, Ticket.outcome)


def _tally(scope, now):
    """One pass over the tickets in scope: a row per combination of status, category,
    grade, source, level solved at and outcome, with its count, on-time, rated,
    satisfied, reopen and overdue counts. Every count in the answer sums these rows (a
    few thousand at most), which is several times faster over a million tickets than a
    scan per dimension. PostgreSQL hashes the groups (migration 0016 tells it how few
    there are)."""
    return select(
        *_DIMENSIONS, func.count().label("count"),
        func.count(case((and_(Ticket.resolved_at.is_not(None), Ticket.resolved_at <= Ticket.resolve_due), 1)))
        .label("on_time"),
        func.count(Ticket.satisfaction).label("rated"),
        func.count(case((Ticket.satisfaction >= 4, 1))).label("satisfied"),
        func.coalesce(func.sum(Ticket.reopen_count), 0).label("reopens"),
        func.count(case((clocks.overdue(now), 1))).label("overdue"),
    ).where(scope).group_by(*_DIMENSIONS)


# The spans timed, (until, which tickets count), from the report: a withdrawal is not a resolution.
_SPANS = ((Ticket.accepted_at, Ticket.accepted_at.is_not(None)),
          (Ticket.resolved_at, and_(Ticket.resolved_at.is_not(None), Ticket.outcome.is_distinct_from("withdrawn"))))
_MEDIAN_AND_P90 = literal_column("'{0.5,0.9}'::float8[]")
_NO_PERCENTILES = literal_column("NULL::float8[]")
_MICROSECONDS_PER_SECOND = literal_column("1000000::float8")


def _tally_and_percentiles(session, scope, now):
    """The tally's rows, and the median and 90th percentile hours to accept and to
    resolve. PostgreSQL: one statement, the tally UNION ALL the percentiles, each
    percentile pair from one sort. The planner gives the two halves to two processes
    (Parallel Append): a percentile's sort cannot be shared out, so it runs beside the
    grouped scan instead of after it. SQLite: the tally, then percentiles in Python."""
    tally = _tally(scope, now)
    if session.get_bind().dialect.name != "postgresql":
        return session.execute(tally).all(), [
            _percentiles_in_python(session, and_(scope, counted), until) for until, counted in _SPANS]
    percentiles = [func.percentile_cont(_MEDIAN_AND_P90).within_group(_exact_seconds(Ticket.reported_at, until))
                   .filter(counted) for until, counted in _SPANS]
    rows = session.execute(union_all(
        tally.add_columns(*(_NO_PERCENTILES.label(name) for name in ("accept", "resolve"))),
        select(*(null() for _ in tally.selected_columns), *percentiles).where(scope),
    )).all()
    # every tally row counts at least one ticket; the percentiles' row counts none
    groups = [row for row in rows if row.count is not None]
    pairs = next((row.accept, row.resolve) for row in rows if row.count is None)
    return groups, [{"median": _hours(pair[0]), "p90": _hours(pair[1])} if pair else {"median": None, "p90": None}
                    for pair in pairs]


def _sum_by(groups, dimension):
    """{value: count} over the tally, by key, leaving out tickets without a value."""
    totals = {}
    for group in groups:
        key = getattr(group, dimension)
        if key is not None:
            totals[key] = totals.get(key, 0) + group.count
    return dict(sorted(totals.items()))


def _breaches(session, scope, total):
    """Ticket clocks by name (accept, respond, resolve, a reopened round's "resolve#1"
    under resolve); department clocks stored as "sign:environment" count under their
    clock and, per department, under it."""
    # One join, read twice (a CTE): the count per clock, and the tickets that breached
    # any clock as the row without a clock.
    in_scope = select(SlaBreach.clock, SlaBreach.ticket_id, SlaBreach.escalated_to).join(
        Ticket, Ticket.id == SlaBreach.ticket_id).where(scope).cte("in_scope")
    counted = session.execute(union_all(
        select(in_scope.c.clock, func.count(), func.count(in_scope.c.escalated_to)).group_by(in_scope.c.clock),
        select(null(), func.count(func.distinct(in_scope.c.ticket_id)), literal(0)),
    )).all()
    tickets = next(count for name, count, _ in counted if name is None)
    rows = [row for row in counted if row[0] is not None]
    by_clock, by_department = {}, {}
    for name, count, _ in rows:
        clock, _, department = name.partition(":")
        # "resolve#1", "sign:environment#1": a clock of a reopened ticket's later round
        clock, department = clock.partition("#")[0], department.partition("#")[0]
        by_clock[clock] = by_clock.get(clock, 0) + count
        if department:
            per_clock = by_department.setdefault(department, {})
            per_clock[clock] = per_clock.get(clock, 0) + count
    return {
        "total": sum(count for _, count, _ in rows), "tickets": tickets, "rate": _rate(tickets, total),
        "escalated": sum(escalated for _, _, escalated in rows),
        "by_clock": dict(sorted(by_clock.items())), "by_department": dict(sorted(by_department.items())),
    }


def _exact_seconds(since, until):
    """SQL (PostgreSQL): the seconds between two times as the float8 nearest the exact
    span, the value ``EXTRACT(epoch ...)::float8`` (and Python's ``total_seconds``)
    gives. That cast goes through numeric and text: more than a quarter of the
    percentiles' time over a million tickets. ``date_part`` adds days and time in floats
    and is one unit in the last place off for about one span in fifteen; that is far
    below a microsecond for any span under 60 years, so rounding it to whole
    microseconds and dividing once gives back the nearest float8 exactly."""
    microseconds = func.round(func.date_part("epoch", until - since) * _MICROSECONDS_PER_SECOND)
    return microseconds.op("/")(_MICROSECONDS_PER_SECOND)  # float8 / float8, as written (no CAST)


def _percentiles_in_python(session, scope, until):
    rows = session.execute(select(Ticket.reported_at, until).where(scope)).all()
    values = sorted((later - earlier).total_seconds() for earlier, later in rows)
    if not values:
        return {"median": None, "p90": None}
    p90 = pystats.quantiles(values, n=10, method="inclusive")[-1] if len(values) > 1 else values[0]
    return {"median": _hours(pystats.median(values)), "p90": _hours(p90)}


def _hours(seconds):
    return None if seconds is None else round(float(seconds) / 3600, 2)
