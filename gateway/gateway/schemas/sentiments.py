"""Sentiment records (社情民意) as the API shows them. The vocabularies are the people
service's (people.sentiments); tests/unit/test_api_schemas.py keeps them equal."""
from marshmallow import fields, validate

from common.validation import GRID_CODE, Moment, Text, bounded
from gateway.schemas.base import ID, Label, Loose, Strict

CATEGORIES = ("livelihood", "dispute_sign", "safety_hazard", "suggestion", "policy_inquiry", "other")
SOURCES = ("home_visit", "patrol", "phone", "walk_in", "online", "meeting")
STATUSES = ("open", "followed_up", "closed")
FOLLOW_UP_STATUSES = ("followed_up", "closed")
TICKET_GRADES = ("daily", "urgent", "major")
CONTENT_MAX = 2000
MOMENT = {"format": "date-time"}


class SentimentPath(Strict):
    sentiment_id = fields.String(required=True, validate=ID)


class NewSentiment(Strict):
    person_id = fields.String(load_default=None, validate=ID,
                              metadata={"description": "the recorder; default: the staff member the account is"})
    client_id = fields.String(required=True, validate=validate.Length(min=1, max=64),
                              metadata={"description": "the phone's own id of the record: a resubmission answers 200"})
    grid_code = fields.String(required=True, validate=GRID_CODE,
                              metadata={"description": "the grid it concerns: one the recorder was posted in that day"})
    household_id = fields.String(load_default=None, allow_none=True, validate=ID,
                                 metadata={"description": "the household it came from, lying in that grid"})
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    source = fields.String(required=True, validate=validate.OneOf(SOURCES))
    content = Text(required=True, validate=validate.Length(min=2, max=CONTENT_MAX),
                   metadata={"description": "what was said, in the recorder's words"})
    occurred_at = Moment(load_default=None, metadata={"description": "when it was heard (default: now)"})


class NewFollowUp(Strict):
    client_id = fields.String(required=True, validate=validate.Length(min=1, max=64),
                              metadata={"description": "the phone's own id of the follow-up: a resubmission answers "
                                                       "200"})
    note = Text(required=True, validate=validate.Length(min=1, max=CONTENT_MAX))
    status = fields.String(load_default="followed_up", validate=validate.OneOf(FOLLOW_UP_STATUSES),
                           metadata={"description": "what the record is after it: closed takes no more"})
    occurred_at = Moment(load_default=None, metadata={"description": "default: now; not before the record"})


class TicketRequest(Strict):
    category = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=10),
                             metadata={"description": "a ticket category (GET /tickets/categories); default: the one "
                                                      "the record's category maps to (GET /sentiments/catalogue)"})
    grade = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(TICKET_GRADES),
                          metadata={"description": "default: daily"})


class SentimentListQuery(Strict):
    root = fields.String(load_default=None, validate=GRID_CODE,
                         metadata={"description": "the subtree (default: the caller's scope)"})
    person_id = fields.String(load_default=None, validate=ID, metadata={"description": "the recorder"})
    category = fields.String(load_default=None, validate=validate.OneOf(CATEGORIES))
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    since = Moment(load_default=None, metadata={"description": "records made at or after this moment"})
    limit = fields.Integer(load_default=100, validate=bounded(1, 1000))
    after = fields.String(load_default=None, validate=ID, metadata={"description": "the next of the page before"})


class FollowUp(Loose):
    id = fields.String(required=True)
    client_id = fields.String(required=True)
    person_id = fields.String(allow_none=True, required=True, metadata={"description": "who followed it up"})
    note = fields.String(allow_none=True, required=True, metadata={"description": "null where content is"})
    status = fields.String(required=True)
    ticket_id = fields.String(allow_none=True, required=True,
                              metadata={"description": "the ticket, for the follow-up that reported it"})
    occurred_at = fields.String(required=True, metadata=MOMENT)
    received_at = fields.String(required=True, metadata=MOMENT)


class Sentiment(Loose):
    id = fields.String(required=True)
    person_id = fields.String(required=True, metadata={"description": "the recorder"})
    client_id = fields.String(required=True)
    grid_code = fields.String(required=True)
    household_id = fields.String(allow_none=True, required=True)
    category = fields.String(required=True)
    category_label = fields.Nested(Label, required=True)
    source = fields.String(required=True)
    content = fields.String(allow_none=True, required=True, metadata={
        "description": "for the recorder, supervisors and auditors; null for others"})
    content_shown = fields.Boolean(required=True)
    status = fields.String(required=True, metadata={"description": "open, followed_up or closed"})
    follow_up_count = fields.Integer(required=True)
    followed_up_at = fields.String(allow_none=True, required=True, metadata=MOMENT)
    closed_at = fields.String(allow_none=True, required=True, metadata=MOMENT)
    ticket_id = fields.String(allow_none=True, required=True)
    ticket_number = fields.String(allow_none=True, required=True)
    occurred_at = fields.String(required=True, metadata=MOMENT)
    received_at = fields.String(required=True, metadata=MOMENT)
    version = fields.Integer(required=True)


class SentimentWithFollowUps(Sentiment):
    follow_ups = fields.List(fields.Nested(FollowUp), required=True, metadata={"description": "oldest first"})


class SentimentRecorded(Loose):
    sentiment = fields.Nested(Sentiment, required=True)
    duplicate = fields.Boolean(required=True)


class FollowedUp(Loose):
    sentiment = fields.Nested(SentimentWithFollowUps, required=True)
    follow_up = fields.Nested(FollowUp, required=True)
    duplicate = fields.Boolean(required=True)


class Ticketed(Loose):
    sentiment = fields.Nested(SentimentWithFollowUps, required=True)
    created = fields.Boolean(required=True, metadata={"description": "false: reported before, its ticket answered"})


class SentimentPage(Loose):
    items = fields.List(fields.Nested(Sentiment), required=True)
    next = fields.String(allow_none=True, required=True, metadata={"description": "pass as after for the next page"})


class CatalogueCategory(Loose):
    code = fields.String(required=True)
    zh = fields.String(required=True)
    en = fields.String(required=True)
    ticket_category = fields.String(required=True, metadata={"description": "reported as this ticket category"})


class CatalogueEntry(Loose):
    code = fields.String(required=True)
    zh = fields.String(required=True)
    en = fields.String(required=True)


class SentimentCatalogue(Loose):
    categories = fields.List(fields.Nested(CatalogueCategory), required=True)
    sources = fields.List(fields.Nested(CatalogueEntry), required=True)
    statuses = fields.List(fields.Nested(CatalogueEntry), required=True)
