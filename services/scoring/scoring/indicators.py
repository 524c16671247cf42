"""Indicators from events, free of nameko."""
import datetime as dt

from sqlalchemy import func, insert, select

from common.db import utcnow
from scoring.models import ReportedTicket


_RECORD = insert(ReportedTicket.__table__)  # Core, built once: one row per reported ticket, no unit of work


def record_reported_ticket(session, envelope):
    payload = envelope["payload"]
    session.execute(_RECORD, dict(
        ticket_id=payload["ticket_id"], grid_code=payload["grid_code"], source=payload["source"],
        reported_at=dt.datetime.fromisoformat(payload["reported_at"]), received_at=utcnow(),
    ))


def tickets_reported(session, root=None):
    """Count per grid for the subtree under ``root`` (every grid when None)."""
    query = select(ReportedTicket.grid_code, func.count()).group_by(ReportedTicket.grid_code)
    if root:
        query = query.where(ReportedTicket.grid_code.startswith(root))
    by_grid = dict(session.execute(query.order_by(ReportedTicket.grid_code)).all())
    return {"root": root, "tickets_reported": sum(by_grid.values()), "by_grid": by_grid}
