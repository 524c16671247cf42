"""The witness of the tickets' trails, free of nameko: for each ticket, the newest
entry (sequence number and hash) that its events announced. Tickets checks its trail
against it; no trail data is kept here beyond that one hash per ticket."""
import re

from marshmallow import EXCLUDE, Schema, fields, validate
from sqlalchemy import bindparam, select, text

from common.bulk import insert_rows
from common.db import UtcDateTime, utcnow
from common.validation import INT32_MAX, bounded, load
from scoring.models import TrailWitness

# Events that announce a trail entry: every ticket event but sla_breached (whose
# escalation, if any, comes with ticket_escalated carrying the same mark).
WITNESSED_EVENTS = ("ticket_reported", "ticket_accepted", "ticket_escalated", "ticket_dispatched",
                    "ticket_resolved", "ticket_rated", "ticket_reopened", "ticket_closed", "ticket_rehomed",
                    "ticket_trail_extended")


class TrailMark(Schema):
    class Meta:
        unknown = EXCLUDE

    ticket_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    trail_seq = fields.Integer(required=True, strict=True, validate=bounded(1))
    trail_head = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))


# The highest sequence number wins: events of one ticket come through several queues,
# so an older mark may arrive after a newer one. Text, so its compiled form is cached.
_RECORD = text(
    "INSERT INTO trail_witnesses (ticket_id, trail_seq, trail_head, witnessed_at) "
    "VALUES (:ticket_id, :trail_seq, :trail_head, :witnessed_at) "
    "ON CONFLICT (ticket_id) DO UPDATE SET trail_seq = excluded.trail_seq, trail_head = excluded.trail_head, "
    "witnessed_at = excluded.witnessed_at WHERE excluded.trail_seq > trail_witnesses.trail_seq"
).bindparams(bindparam("witnessed_at", type_=UtcDateTime()))


def record_mark(session, envelope):
    """Witness the trail entry an event announces. An event without a mark (published
    before tickets sent them) is passed over."""
    payload = envelope["payload"]
    if "trail_seq" not in payload:
        return
    mark = load(TrailMark, payload, f"{envelope['event_type']} payload")
    session.execute(_RECORD, dict(mark, witnessed_at=utcnow()))


_MARK_SUFFIX = ("ON CONFLICT (ticket_id) DO UPDATE SET trail_seq = excluded.trail_seq, "
                "trail_head = excluded.trail_head, witnessed_at = excluded.witnessed_at "
                "WHERE excluded.trail_seq > trail_witnesses.trail_seq")
_HEAD = re.compile(r"[0-9a-f]{64}")


def record_marks(session, envelopes):
    """``record_mark`` for a batch of events, in one statement: the highest mark per
    ticket of those that carry one."""
    now, highest = utcnow(), {}
    for envelope in envelopes:
        payload = envelope["payload"]
        if "trail_seq" not in payload:
            continue
        mark = _quick_mark(payload) or load(TrailMark, payload, f"{envelope['event_type']} payload")
        known = highest.get(mark["ticket_id"])
        if known is None or known["trail_seq"] < mark["trail_seq"]:
            highest[mark["ticket_id"]] = dict(mark, witnessed_at=now)
    insert_rows(session, TrailWitness.__table__, list(highest.values()), _MARK_SUFFIX)


def _quick_mark(payload):
    """The mark TrailMark would load from a well-formed payload, without marshmallow;
    None for anything else (TrailMark then loads or refuses it)."""
    ticket_id, seq, head = payload.get("ticket_id"), payload.get("trail_seq"), payload.get("trail_head")
    if (type(ticket_id) is str and 0 < len(ticket_id) <= 36 and type(seq) is int and 1 <= seq <= INT32_MAX
            and type(head) is str and _HEAD.fullmatch(head)):
        return {"ticket_id": ticket_id, "trail_seq": seq, "trail_head": head}
    return None


def _view(row):
    return {"ticket_id": row.ticket_id, "trail_seq": row.trail_seq, "trail_head": row.trail_head}


def trail_witness(session, ticket_id):
    row = session.get(TrailWitness, ticket_id)
    return row and _view(row)


class WitnessPage(Schema):
    after_ticket_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=36))
    limit = fields.Integer(load_default=500, strict=True, validate=bounded(1, 5000))


def trail_witnesses(session, after_ticket_id=None, limit=500):
    """``{"items": marks in ticket id order, "next": the after_ticket_id of the next page
    or None}``."""
    page = load(WitnessPage, {"after_ticket_id": after_ticket_id, "limit": limit}, "page")
    query = select(TrailWitness).order_by(TrailWitness.ticket_id).limit(page["limit"])
    if page["after_ticket_id"]:
        query = query.where(TrailWitness.ticket_id > page["after_ticket_id"])
    items = [_view(row) for row in session.scalars(query)]
    return {"items": items, "next": items[-1]["ticket_id"] if len(items) == page["limit"] else None}
