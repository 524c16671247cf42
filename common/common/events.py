"""The event envelope every event on the bus travels in.

``{"event_id", "event_type", "source", "occurred_at", "schema_version", "payload"}``:
the id makes consumers idempotent, the version lets a payload evolve, and
``occurred_at`` is when the change committed (ISO-8601 with offset, UTC). An optional
``request_id`` names the request that caused the change (common.logs), when the
event is published by the process that committed it; a consumer's log lines for the
event carry it.
"""
import datetime as dt
import uuid

from marshmallow import Schema, ValidationError, fields, validate

from common.db import utcnow
from common.errors import validation_error
from common.shanghai import shanghai_date


class EnvelopeSchema(Schema):
    event_id = fields.UUID(required=True)
    event_type = fields.String(required=True, validate=validate.Length(min=1, max=100))
    source = fields.String(required=True, validate=validate.Length(min=1, max=50))
    occurred_at = fields.AwareDateTime(required=True)
    schema_version = fields.Integer(required=True, validate=validate.Range(min=1))
    payload = fields.Dict(required=True)
    request_id = fields.String(allow_none=True)  # optional; absent when no request caused it


_schema = EnvelopeSchema()


def make_envelope(source, event_type, payload, schema_version=1, occurred_at=None, event_id=None,
                  request_id=None):
    envelope = {
        "event_id": event_id or str(uuid.uuid4()),
        "event_type": event_type,
        "source": source,
        "occurred_at": (occurred_at or utcnow()).isoformat(),
        "schema_version": schema_version,
        "payload": payload,
    }
    if request_id:
        envelope["request_id"] = request_id
    return envelope


def parse_envelope(body):
    """Validated envelope with ``event_id`` as a string; InvalidInput otherwise."""
    if not isinstance(body, dict):
        raise validation_error({"_schema": ["event body must be an object"]}, "event envelope")
    try:
        envelope = _schema.load(body)
    except ValidationError as exc:
        raise validation_error(exc.messages, "event envelope") from None
    envelope["event_id"] = str(envelope["event_id"])
    return envelope


def grid_change(envelope):
    """("split" or "merged", retired codes, new codes, the day it took effect in
    Shanghai) of a ``grid_split`` or ``grid_merged`` envelope."""
    payload = envelope["payload"]
    day = shanghai_date(dt.datetime.fromisoformat(payload["at"]))
    if envelope["event_type"] == "grid_split":
        return "split", [payload["code"]], payload["new_codes"], day
    return "merged", payload["codes"], [payload["new_code"]], day
