"""Indicators from events, free of nameko."""
from marshmallow import EXCLUDE, Schema, fields, validate
from sqlalchemy import func, insert, select

from common.db import utcnow
from common.validation import load
from scoring.models import ReportedTicket


_RECORD = insert(ReportedTicket.__table__)  # Core, built once: one row per reported ticket, no unit of work


class ReportedPayload(Schema):
    """What this consumer needs of a ``ticket_reported`` payload (the rest is ignored)."""
    class Meta:
        unknown = EXCLUDE

    ticket_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    grid_code = fields.String(required=True, validate=validate.Length(min=6, max=24))
    source = fields.String(required=True, validate=validate.Length(min=1, max=30))
    reported_at = fields.AwareDateTime(required=True)


def record_reported_ticket(session, envelope):
    payload = load(ReportedPayload, envelope["payload"], "ticket_reported payload")
    session.execute(_RECORD, dict(payload, received_at=utcnow()))


def tickets_reported(session, root=None):
    """Count per grid for the subtree under ``root`` (every grid when None)."""
    query = select(ReportedTicket.grid_code, func.count()).group_by(ReportedTicket.grid_code)
    if root:
        query = query.where(ReportedTicket.grid_code.startswith(root))
    by_grid = dict(session.execute(query.order_by(ReportedTicket.grid_code)).all())
    return {"root": root, "tickets_reported": sum(by_grid.values()), "by_grid": by_grid}
