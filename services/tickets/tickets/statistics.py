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

Beside them: the same counts and rates for the previous period (环比) and the same
period last year (同比), each with its change (``common.periods``); and breakdowns per
grid directly under the root, per category and per summoned department, for the
daily and monthly reports a district sends up.
"""
import functools
import statistics as pystats

from sqlalchemy import and_, case, func, literal, literal_column, null, select, text, true, union_all

from common.db import utcnow
from common.periods import change, previous_span, year_earlier_span
from common.shanghai import day_bounds
from tickets import clocks
from tickets.models import Dispatch, SlaBreach, Ticket

DONE = ("resolved", "feedback_given", "rated", "closed")


def _rate(part, whole):
    return round(part / whole, 4) if whole else None


def ticket_statistics(session, root, *, start_day, end_day, now=None, children=(), read_all=None):
    """Figures over the tickets reported in the subtree in the period. A withdrawn
    ticket was never worked to an end, so it is counted (``withdrawn``) but left out of
    the resolution figures (rate, on time, levels, hours to resolve); a merged one is
    counted under its original. Each reopen stands for an unsatisfied rating (only a
    rating of 1-2 reopens), so the satisfaction rate counts those ratings too.

    ``children``: the codes of the grids directly under ``root``, whose figures
    ``breakdowns.grids`` gives, each (a grid with no ticket too), and those of a grid
    under the root no longer active (a closed ticket keeps the grid a split retired)
    and of the root itself (a ticket on it) where they have tickets; none: no
    breakdown per grid. The names of grids, categories and departments are the
    caller's to add (:func:`name_breakdowns`).

    The report is four independent queries: the tally and percentiles, the periods
    compared, the departments, the breaches. ``read_all(*works)`` runs them (each a
    function of a session) and gives their results in order: the service's
    ``DatabaseHandle.read_all`` runs them at once, each on its own connection; by
    default they run in turn on ``session``."""
    now = now or utcnow()
    current = (start_day, end_day)
    compared_spans = {"previous_period": previous_span(start_day, end_day),
                      "same_period_last_year": year_earlier_span(start_day, end_day)}
    under = _under(root)
    in_scope = and_(_between(current), under)
    # A year's report (or any 12 whole months) compares with the same 12 months twice:
    # each span is tallied once.
    others = sorted(set(compared_spans.values()) - {current})
    run = read_all or (lambda *works: [work(session) for work in works])
    (groups, by_child, (hours_to_accept, hours_to_resolve)), compared, departments, breaches = run(
        functools.partial(_tally_and_percentiles, scope=in_scope, now=now,
                          child=_child(len(children[0]) if children else None)),
        functools.partial(_compared, spans=others, under=under),
        functools.partial(_departments, scope=in_scope, since=day_bounds(*current)[0]),
        functools.partial(_breaches, scope=in_scope))
    figures = _figures(groups)
    breaches["rate"] = _rate(breaches["tickets"], figures["total"])
    for row in departments:
        row["breaches"] = sum(breaches["by_department"].get(row["code"], {}).values())
    return {
        "root": root, "from": start_day.isoformat(), "to": end_day.isoformat(), "timezone": "Asia/Shanghai",
        "total": figures["total"], "solved": figures["solved"],
        "by_status": _sum_by(groups, "status"), "by_category": _sum_by(groups, "category"),
        "by_grade": _sum_by(groups, "grade"), "by_source": _sum_by(groups, "source"),
        "by_outcome": _sum_by(groups, "outcome"), "withdrawn": figures["withdrawn"],
        "resolution_rate": figures["resolution_rate"],
        "on_time_rate": figures["on_time_rate"],
        "open_overdue": figures["open_overdue"],
        "satisfaction_rate": figures["satisfaction_rate"],
        "ratings": figures["ratings"],
        "resolved_at_level": _sum_by([group for group in groups if _solved(group)], "resolved_level"),
        "share_solved_below_department": figures["share_solved_below_department"],
        "hours_to_accept": hours_to_accept,
        "hours_to_resolve": hours_to_resolve,
        "sla_breaches": breaches,
        "comparisons": {name: _comparison(span, figures, _figures(compared.get(span, [])))
                        for name, span in compared_spans.items()},
        "breakdowns": {
            "grids": _breakdown(by_child, every=children) if children else [],
            "categories": _breakdown(_group_by(groups, "category")),
            "departments": departments,
        },
    }


def _plan_for_reports(session):
    """PostgreSQL, for this transaction: memory enough to hash the tally's groups (the
    planner cannot know how few grids a code prefix makes, guesses 200 and would sort a
    million rows on disk instead: 3.2 s against 1.5 s on a busy machine), and no JIT
    compilation, which costs a tenth of a second to save less than that here."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL work_mem = '64MB'"))
        session.execute(text("SET LOCAL jit = off"))


def _between(span):
    """SQL: the ticket was reported on the span's days (Shanghai)."""
    start, end = day_bounds(*span)
    return and_(Ticket.reported_at >= start, Ticket.reported_at < end)


def _under(root):
    """SQL: the ticket's grid lies in the subtree (everywhere for no root)."""
    return Ticket.grid_code.startswith(root) if root else true()


def _child(child_length):
    """SQL: the code of the grid under the root a ticket lies in (its own grid's code
    cut to the children's length: codes grow by a fixed number of digits per level; a
    ticket on the root itself keeps the root's code)."""
    if not child_length:
        return None
    return func.substr(Ticket.grid_code, 1, child_length)


# --- figures from the tally's rows ---------------------------------------------------------
# What the comparisons compare: counts and rates of the period's tickets. Not open_overdue,
# which is of the moment asked, not of a period.
COMPARED = ("total", "solved", "withdrawn", "resolution_rate", "on_time_rate", "satisfaction_rate", "ratings",
            "share_solved_below_department")


def _solved(group):
    return group.status in DONE and group.outcome != "withdrawn"


def _figures(groups):
    """The counts and rates of a set of the tally's rows: the whole scope, a period
    compared, one grid or one category."""
    total = merged = withdrawn = solved = on_time = satisfied = ratings = overdue = leveled = below = 0
    for group in groups:
        count = group.count
        total += count
        ratings += group.rated + group.reopens
        satisfied += group.satisfied
        overdue += group.overdue
        if group.status == "merged":
            merged += count
        if group.outcome == "withdrawn":
            withdrawn += count
        elif group.status in DONE:
            solved += count
            on_time += group.on_time
            if group.resolved_level is not None:
                leveled += count
                below += count if group.resolved_level != "department" else 0
    return {
        "total": total, "solved": solved, "withdrawn": withdrawn,
        "resolution_rate": _rate(solved, total - merged - withdrawn),
        "on_time_rate": _rate(on_time, solved),
        "satisfaction_rate": _rate(satisfied, ratings), "ratings": ratings,
        "share_solved_below_department": _rate(below, leveled),
        "open_overdue": overdue,
    }


def _comparison(span, current, base):
    """A period compared: its days, its figures, and each figure's change from it to
    the current period (rates' changes in rate points: 0.05 is five points)."""
    return {"from": span[0].isoformat(), "to": span[1].isoformat(),
            **{name: base[name] for name in COMPARED},
            "change": {name: change(current[name], base[name]) for name in COMPARED}}


def _group_by(groups, dimension):
    by_value = {}
    for group in groups:
        by_value.setdefault(getattr(group, dimension), []).append(group)
    return by_value


def _breakdown(by_value, every=()):
    """[{"code", figures...}] per value of {value: the tally's rows}, and of ``every``
    (with no tickets: zeros), by code."""
    by_value = {**{value: [] for value in every}, **by_value}
    return [{"code": value, **_figures(rows)} for value, rows in sorted(by_value.items()) if value is not None]


def _departments(session, *, scope, since):
    """Per department summoned for the tickets in scope (吹哨、报到): how often, how often
    as lead, signed and reported back, each on time or not. A department summoned again
    after a reopen counts once per round. Every ticket with dispatches names its lead
    department: the tickets read are those (migration 0019 indexes them), not all in
    scope, and their dispatches from the period's start on (a whistle comes after the
    report): 0.2 s against 0.9 s over a district's year of tickets."""
    _plan_for_reports(session)
    on_time = [func.count(case((done <= due, 1))).label(f"{clock}_on_time")
               for clock, due, done, _ in clocks.DEPARTMENT_CLOCKS if clock in ("sign", "attend")]
    rows = session.execute(
        select(Dispatch.department, func.count().label("summoned"), func.count(case((Dispatch.lead, 1))).label("lead"),
               func.count(Dispatch.signed_at).label("signed"), func.count(Dispatch.reported_at).label("reported_back"),
               *on_time)
        .join(Ticket, Ticket.id == Dispatch.ticket_id)
        .where(scope, Ticket.lead_department.is_not(None), Dispatch.dispatched_at >= since)
        .group_by(Dispatch.department)).all()
    return [{"code": row.department, "summoned": row.summoned, "lead": row.lead, "signed": row.signed,
             "signed_on_time": row.sign_on_time, "reported_back": row.reported_back,
             "reported_back_on_time": row.attend_on_time, "on_time_rate": _rate(row.attend_on_time, row.summoned)}
            for row in sorted(rows, key=lambda row: row.department)]


def name_breakdowns(answer, *, grids=None, categories=None, departments=None):
    """Put ``name`` into each breakdown row from ``{code: name}`` maps (None for a code
    none of them names)."""
    for key, names in (("grids", grids), ("categories", categories), ("departments", departments)):
        for row in answer["breakdowns"][key]:
            row["name"] = (names or {}).get(row["code"])
    return answer


_DIMENSIONS = (Ticket.status, Ticket.category, Ticket.grade, Ticket.source, Ticket.resolved_level, Ticket.outcome)
# What a compared period is grouped by: only what its figures read.
_COMPARED_DIMENSIONS = (Ticket.status, Ticket.resolved_level, Ticket.outcome)


def _tally(scope, now, *, period, child=None, dimensions=_DIMENSIONS, overdue=True):
    """One pass over the tickets in scope: a row per combination of status, category,
    grade, source, level solved at and outcome, with its count, on-time, rated,
    satisfied, reopen and overdue counts. Every count in the answer sums these rows (a
    few thousand at most), which is several times faster over a million tickets than a
    scan per dimension. PostgreSQL hashes the groups (migration 0016 tells it how few
    there are). ``period`` (SQL, a constant) names the span, ``child`` (SQL, or None) the
    grid under the root it lies in, grouped by too; ``dimensions`` left out
    are NULL; ``overdue``: False for a period compared, whose tickets' deadlines now
    are not what its report was about."""
    kept = {column.key for column in dimensions}
    grouped = ([] if child is None else [child]) + [column for column in _DIMENSIONS if column.key in kept]
    return select(
        period.label("period"), (null() if child is None else child).label("child"),
        *(column if column.key in kept else null().label(column.key) for column in _DIMENSIONS),
        func.count().label("count"),
        func.count(case((and_(Ticket.resolved_at.is_not(None), Ticket.resolved_at <= Ticket.resolve_due), 1)))
        .label("on_time"),
        func.count(Ticket.satisfaction).label("rated"),
        func.count(case((Ticket.satisfaction >= 4, 1))).label("satisfied"),
        func.coalesce(func.sum(Ticket.reopen_count), 0).label("reopens"),
        (func.count(case((clocks.overdue(now), 1))) if overdue else literal(0)).label("overdue"),
    ).where(scope).group_by(*grouped)


# The spans timed, (until, which tickets count), from the report: a withdrawal is not a resolution.
_SPANS = ((Ticket.accepted_at, Ticket.accepted_at.is_not(None)),
          (Ticket.resolved_at, and_(Ticket.resolved_at.is_not(None), Ticket.outcome.is_distinct_from("withdrawn"))))
_MEDIAN_AND_P90 = literal_column("'{0.5,0.9}'::float8[]")
_NO_PERCENTILES = literal_column("NULL::float8[]")
_MICROSECONDS_PER_SECOND = literal_column("1000000::float8")


def _tally_and_percentiles(session, *, scope, now, child):
    """The tally's groups and, per ``child``, the grid's groups (``_fold``), and the
    median and 90th percentile hours to accept and to resolve. PostgreSQL: one statement, the tally UNION ALL the
    percentiles, each percentile pair from one sort. The planner gives the two halves
    to two processes (Parallel Append): a percentile's sort cannot be shared out, so it
    runs beside the grouped scan instead of after it. SQLite: the tally, then the
    percentiles in Python."""
    _plan_for_reports(session)
    tally = _tally(scope, now, period=literal("current"), child=child)
    if session.get_bind().dialect.name != "postgresql":
        return (*_fold(session.execute(tally)),
                [_percentiles_in_python(session, and_(scope, counted), until) for until, counted in _SPANS])
    timed = [func.percentile_cont(_MEDIAN_AND_P90).within_group(_exact_seconds(Ticket.reported_at, until))
             .filter(counted) for until, counted in _SPANS]
    rows = session.execute(union_all(
        tally.add_columns(*(_NO_PERCENTILES.label(name) for name in ("accept", "resolve"))),
        select(*(null() for _ in tally.selected_columns), *timed).where(scope),
    )).all()
    # every tally row counts at least one ticket; the percentiles' row counts none
    pairs = next((row.accept, row.resolve) for row in rows if row.count is None)
    return (*_fold(row for row in rows if row.count is not None),
            [{"median": _hours(pair[0]), "p90": _hours(pair[1])} if pair else {"median": None, "p90": None}
             for pair in pairs])


_KEYS = tuple(column.key for column in _DIMENSIONS)
_SUMS = ("count", "on_time", "rated", "satisfied", "reopens", "overdue")


class _Group:
    """One group of the tally, summed: the six keys, then the six counts."""
    __slots__ = _KEYS + _SUMS

    def __init__(self, keys, sums):
        for name, value in zip(_KEYS + _SUMS, keys + tuple(sums)):
            setattr(self, name, value)


def _fold(rows):
    """The tally's rows grouped by grid too (thirteen thousand over a district of twelve
    towns) folded, in one pass over plain tuples, into the groups without the grid
    (a thousand: every count but the grids' reads these) and per grid the groups by
    status, level solved at and outcome (what a grid's figures read): reading each row's
    attributes over and over cost a third of a second."""
    whole, per_child = {}, {}
    for row in rows:
        values = tuple(row)
        child, keys, sums = values[1], values[2:8], values[8:14]
        _add(whole, keys, sums)
        if child is not None:
            _add(per_child, (child, keys[0], None, None, None, keys[4], keys[5]), sums)
    by_child = {}
    for (child, *keys), sums in per_child.items():
        by_child.setdefault(child, []).append(_Group(tuple(keys), sums))
    return [_Group(keys, sums) for keys, sums in whole.items()], by_child


def _add(table, key, sums):
    found = table.get(key)
    if found is None:
        table[key] = list(sums)
    else:
        for index, value in enumerate(sums):
            found[index] += value


def _compared(session, *, spans, under):
    """{span: the tally's rows} for the periods compared, one grouped scan each (one
    statement), grouped only by what their figures read and without the overdue count.

    (One scan for the current period and those compared, each row's span a CASE, was
    tried: PostgreSQL cannot estimate how few groups a CASE over times makes, sorted two
    million rows on disk to group them and ran its branches one after the other: twice
    as slow as separate scans at once.)"""
    if not spans:
        return {}
    _plan_for_reports(session)
    labels = {f"{span[0].isoformat()}/{span[1].isoformat()}": span for span in spans}
    tallies = [_tally(and_(_between(span), under), None, period=literal(label), dimensions=_COMPARED_DIMENSIONS,
                      overdue=False) for label, span in labels.items()]
    found = {span: [] for span in spans}
    for row in session.execute(union_all(*tallies) if len(tallies) > 1 else tallies[0]):
        found[labels[row.period]].append(row)
    return found


def _sum_by(groups, dimension):
    """{value: count} over the tally, by key, leaving out tickets without a value."""
    totals = {}
    for group in groups:
        key = getattr(group, dimension)
        if key is not None:
            totals[key] = totals.get(key, 0) + group.count
    return dict(sorted(totals.items()))


def _breaches(session, *, scope):
    """Ticket clocks by name (accept, respond, resolve, a reopened round's "resolve#1"
    under resolve); department clocks stored as "sign:environment" count under their
    clock and, per department, under it. ``rate`` (of the tickets in scope) is the
    caller's to set."""
    _plan_for_reports(session)
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
        "total": sum(count for _, count, _ in rows), "tickets": tickets, "rate": None,
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
