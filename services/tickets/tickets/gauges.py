"""What operations watch on the tickets service's /metrics, read at scrape time from
the database (so every replica reports the same truth, and a restart loses nothing):
open tickets by state and level, and open tickets past each deadline now."""
from nameko.extensions import DependencyProvider
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import case, func, literal, select, union_all

from common.db import Database, find_dependency, utcnow
from common.metrics import PREFIX, DatabaseCollector, metrics_for
from tickets.clocks import open_clocks, overdue
from tickets.models import Ticket
from tickets.workflow import OPEN_STATES


def open_tickets(session):
    """{(status, level or ""): count} over the open tickets."""
    rows = session.execute(select(Ticket.status, Ticket.level, func.count())
                           .where(Ticket.status.in_(OPEN_STATES)).group_by(Ticket.status, Ticket.level))
    return {(status, level or ""): count for status, level, count in rows}


def overdue_tickets(session, now):
    """{clock: open tickets past that deadline now, not suspended (the clocks the SLA
    scan watches)}, in one statement."""
    clocks = open_clocks()
    counts = union_all(*(
        select(literal(clock).label("clock"), func.count())
        .where(runs, Ticket.suspended.is_(False), due < now) for clock, due, runs in clocks))
    found = dict(session.execute(counts).all())
    return {clock: found.get(clock, 0) for clock, _, _ in clocks}


def _open_under(query, root):
    query = query.where(Ticket.status.in_(OPEN_STATES))
    return query.where(Ticket.grid_code.startswith(root, autoescape=True)) if root else query


def open_by_grid(session, root, now):
    """{grid code: [open, overdue]} of the open tickets under ``root`` (None: all), in
    one grouped statement: what the map colours its grids by (``overdue`` as
    everywhere: open, not suspended, past a running deadline ``now``)."""
    late = func.sum(case((overdue(now), 1), else_=0))
    rows = session.execute(_open_under(select(Ticket.grid_code, func.count(), late), root)
                           .group_by(Ticket.grid_code).order_by(Ticket.grid_code))
    return {code: [count, int(late_count or 0)] for code, count, late_count in rows}


def open_totals(session, root, now):
    """[[grade, status, overdue, count]] of the open tickets under ``root`` (None: all),
    in one grouped statement: a grid's overview."""
    late = case((overdue(now), True), else_=False)
    rows = session.execute(_open_under(select(Ticket.grade, Ticket.status, late, func.count()), root)
                           .group_by(Ticket.grade, Ticket.status, late))
    return [[grade, status, bool(is_late), count] for grade, status, is_late, count in rows]


class _TicketCollector(DatabaseCollector):
    def collect(self):
        with self.db.read() as session:
            by_state, overdue = open_tickets(session), overdue_tickets(session, utcnow())
        open_gauge = GaugeMetricFamily(f"{PREFIX}_tickets_open", "Open tickets by state and level "
                                       "(level empty before acceptance).", labels=["status", "level"])
        for state in OPEN_STATES:  # every state has a series: a dashboard shows 0, not "no data"
            levels = {level for status, level in by_state if status == state} or {""}
            for level in sorted(levels):
                open_gauge.add_metric([state, level], by_state.get((state, level), 0))
        yield open_gauge
        overdue_gauge = GaugeMetricFamily(f"{PREFIX}_tickets_overdue", "Open, unsuspended tickets past "
                                          "their accept, respond or resolve deadline now.", labels=["clock"])
        for clock, count in overdue.items():
            overdue_gauge.add_metric([clock], count)
        yield overdue_gauge


class TicketGauges(DependencyProvider):
    """Registers the ticket gauges on the container's registry; workers get nothing."""

    def start(self):
        db = find_dependency(self.container, Database).handle
        metrics_for(self.container).registry.register(_TicketCollector(db))

    def get_dependency(self, worker_ctx):
        return None
