"""Indicators from events, free of nameko."""
import datetime as dt
import re

from marshmallow import EXCLUDE, Schema, fields, validate
from sqlalchemy import func, insert, select

from common.bulk import insert_rows
from common.db import utcnow
from common.validation import load
from scoring.models import ReportedTicket, TicketMove


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


def record_reported_tickets(session, envelopes):
    """``record_reported_ticket`` for a batch of events, in one statement."""
    received_at = utcnow()
    rows = [dict(_quick_reported(envelope["payload"]) or load(ReportedPayload, envelope["payload"],
                                                                "ticket_reported payload"), received_at=received_at)
            for envelope in envelopes]
    insert_rows(session, ReportedTicket.__table__, rows)


_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?[+-]\d\d:\d\d")


def _quick_reported(payload):
    """What ReportedPayload loads from a well-formed payload, without marshmallow; None
    for anything else (ReportedPayload then loads or refuses it)."""
    ticket_id, grid_code, source, moment = (payload.get(name) for name in ("ticket_id", "grid_code", "source",
                                                                            "reported_at"))
    if not (type(ticket_id) is str and 0 < len(ticket_id) <= 36 and type(grid_code) is str
            and 6 <= len(grid_code) <= 24 and type(source) is str and 0 < len(source) <= 30
            and type(moment) is str and _MOMENT.fullmatch(moment)):
        return None
    try:
        reported_at = dt.datetime.fromisoformat(moment)
    except ValueError:  # a day or an hour out of range
        return None
    return {"ticket_id": ticket_id, "grid_code": grid_code, "source": source, "reported_at": reported_at}


class RehomedPayload(Schema):
    """What this consumer needs of a ``ticket_rehomed`` payload."""
    class Meta:
        unknown = EXCLUDE

    ticket_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    to_grid_code = fields.String(required=True, validate=validate.Length(min=6, max=24))
    at = fields.AwareDateTime(required=True)


def record_rehomed_ticket(session, envelope):
    """The ticket now lives in ``to_grid_code``, unless a later move is known
    already (moves of one ticket may arrive out of order after a redelivery)."""
    payload = load(RehomedPayload, envelope["payload"], "ticket_rehomed payload")
    move = session.get(TicketMove, payload["ticket_id"], with_for_update=True)
    if move is None:
        session.add(TicketMove(ticket_id=payload["ticket_id"], grid_code=payload["to_grid_code"],
                               moved_at=payload["at"]))
    elif move.moved_at <= payload["at"]:
        move.grid_code, move.moved_at = payload["to_grid_code"], payload["at"]


def tickets_reported(session, root=None):
    """Count per grid for the subtree under ``root`` (every grid when None): each
    ticket under the grid it lives in now (re-homed by a split or merge, or where
    it was reported)."""
    grid_code = func.coalesce(TicketMove.grid_code, ReportedTicket.grid_code)
    query = (select(grid_code, func.count())
             .select_from(ReportedTicket)
             .outerjoin(TicketMove, TicketMove.ticket_id == ReportedTicket.ticket_id)
             .group_by(grid_code))
    if root:
        query = query.where(grid_code.startswith(root))
    by_grid = dict(session.execute(query.order_by(grid_code)).all())
    return {"root": root, "tickets_reported": sum(by_grid.values()), "by_grid": by_grid}
