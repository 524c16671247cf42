"""Shapes every route shares: the error body, path parameters, and the strictness the
gateway applies to what clients send (an unknown field is a 400 naming it, so a
client cannot slip in what the gateway decides, such as who the reporter is)."""
import functools

from marshmallow import INCLUDE, RAISE, Schema, fields, validate

from common.validation import GRID_CODE, ID, bounded  # noqa: F401 (ID: the schemas of each resource use it)


class Strict(Schema):
    """A request schema: unknown fields are refused."""

    class Meta:
        unknown = RAISE
        ordered = True


class Loose(Schema):
    """A response schema: services may add fields; clients must ignore what they do not know."""

    class Meta:
        unknown = INCLUDE
        ordered = True


class ErrorSchema(Loose):
    error = fields.String(required=True, metadata={"description": "stable machine-readable code", "example": "VALIDATION_FAILED"})
    message = fields.String(required=True, metadata={"description": "for people"})
    details = fields.Dict(required=True, metadata={"description": "fields, limits, allowed values, request_id of a 500"})


class SubtreeQuery(Strict):
    root = fields.String(load_default=None, validate=GRID_CODE,
                         metadata={"description": "a grid code; default: the caller's own subtree"})


# --- lists, a page at a time -----------------------------------------------------------

PAGE_LIMIT_MAX = 1000


class Paged(Strict):
    """The paging of a list route (every one has it: tests/unit/test_route_table.py): at
    most ``limit`` items, after the one ``after`` names. ``after`` declares no minimum
    length: an empty one is the first page, as none is."""
    after = fields.String(load_default=None, validate=validate.Length(max=64), metadata={
        "description": "`next` of the page before (none: the first page)"})
    limit = fields.Integer(load_default=100, validate=bounded(1, PAGE_LIMIT_MAX),
                           metadata={"description": "items on the page"})


@functools.cache
def page_of(schema):
    """``{"items": [schema], "next": ...}``: the answer of a list route, a page at a time."""
    return type(f"{schema.__name__}Page", (Loose,), {
        "items": fields.List(fields.Nested(schema), required=True),
        "next": fields.String(required=True, allow_none=True, metadata={
            "description": "pass as `after` for the page after this one; null on the last page"})})


# --- path parameters ------------------------------------------------------------------

class GridCodePath(Strict):
    code = fields.String(required=True, validate=GRID_CODE, metadata={"example": "320508019044001"})


class TicketPath(Strict):
    ticket_id = fields.String(required=True, validate=ID, metadata={
        "description": "the ticket's id or its readable number (20261123-00001)", "example": "20261123-00001"})


class PersonPath(Strict):
    person_id = fields.String(required=True, validate=ID)


class ResidentPath(Strict):
    resident_id = fields.String(required=True, validate=ID)


class HouseholdPath(Strict):
    household_id = fields.String(required=True, validate=ID)


class AssignmentPath(Strict):
    assignment_id = fields.String(required=True, validate=ID)


class BroadcastPath(Strict):
    broadcast_id = fields.String(required=True, validate=ID)


@functools.cache
def items_of(schema):
    """``{"items": [schema]}``: the answer of a route that wraps a list (one class per
    item schema, so the document names it once)."""
    return type(f"{schema.__name__}List", (Loose,), {"items": fields.List(fields.Nested(schema), required=True)})


class Counts(fields.Dict):
    """``{key: count}``."""

    def __init__(self, **kwargs):
        super().__init__(keys=fields.String(), values=fields.Integer(), **kwargs)


class Label(Loose):
    """A label in Simplified Chinese and English."""
    zh = fields.String(required=True)
    en = fields.String(required=True)
