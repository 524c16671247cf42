"""Webhooks as the API shows them; vocabularies are people.webhooks' (test_api_schemas
keeps them equal)."""
from marshmallow import fields, validate

from common.validation import ID
from gateway.schemas.base import Loose, Paged, Strict

EVENTS = ("ticket_dispatched", "sla_breached", "ticket_reopened")
STATUSES = ("pending", "delivered", "dead")
MOMENT = {"format": "date-time"}


class NewWebhook(Strict):
    url = fields.String(required=True, validate=validate.Length(min=8, max=500),
                        metadata={"example": "https://cgzf.example.gov.cn/hooks/gridgov"})
    events = fields.List(fields.String(validate=validate.OneOf(EVENTS)), required=True,
                         validate=validate.Length(min=1, max=len(EVENTS)))
    department_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=2, max=40),
                                    metadata={"description": "an administrator's: whose; a department's own"})


class Subscription(Loose):
    id = fields.String(required=True)
    department_code = fields.String(required=True)
    url = fields.String(required=True)
    events = fields.List(fields.String(), required=True)
    active = fields.Boolean(required=True)
    created_at = fields.String(required=True, metadata=MOMENT)
    deactivated_at = fields.String(allow_none=True, metadata=MOMENT)


class NewSubscription(Subscription):
    secret = fields.String(required=True, metadata={"description": "shown this once: verify deliveries with it"})


class Delivery(Loose):
    id = fields.String(required=True, metadata={"description": "also sent as X-Gridgov-Delivery"})
    subscription_id = fields.String(required=True)
    event_id = fields.String(required=True)
    event_type = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    attempts = fields.Integer(required=True)
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    created_at = fields.String(required=True, metadata=MOMENT)
    last_attempt_at = fields.String(allow_none=True, metadata=MOMENT)
    next_attempt_at = fields.String(allow_none=True, metadata=MOMENT)
    delivered_at = fields.String(allow_none=True, metadata=MOMENT)


class SubscriptionPath(Strict):
    subscription_id = fields.String(required=True, validate=ID)


class DeliveryPath(Strict):
    delivery_id = fields.String(required=True, validate=ID)


class WebhookQuery(Paged):
    department_code = fields.String(load_default=None, validate=validate.Length(max=40))


class DeliveryQuery(Paged):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
