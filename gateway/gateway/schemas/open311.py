"""Open311 GeoReport v2 as this gateway speaks it: path, query and form parameters with
the spec's names, and its answers (services, service definitions, service requests,
the discovery document). See gateway.open311 for the mapping."""
from marshmallow import ValidationError, fields, validate, validates_schema

from common.validation import ATTACHMENT, GRID_CODE, ID, Moment, Text
from gateway.schemas.base import Loose, Strict

FORMAT = fields.String(required=True, validate=validate.OneOf(("json", "xml")), metadata={
    "description": "the answer's format: json or xml (the spec's format suffix)", "example": "json"})
SERVICE_CODE = validate.Length(min=1, max=10)
JURISDICTION = fields.String(load_default=None, validate=GRID_CODE, metadata={
    "description": "the district's code (the deployment's root grid); another is a 400", "example": "320508"})


class CommaList(fields.String):
    """Values separated by commas (``open,closed``), each checked by ``item``: at most
    ``most`` of them in at most ``max_chars`` characters."""

    def __init__(self, item, most, max_chars, **kwargs):
        super().__init__(validate=validate.Length(max=max_chars), **kwargs)  # documents the bound
        self.item, self.most, self.max_chars = item, most, max_chars

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > self.max_chars:
            raise ValidationError(f"at most {self.max_chars} characters")
        items = [part.strip() for part in text.split(",")]
        if not all(items):
            raise ValidationError("values separated by commas, none empty")
        if len(items) > self.most:
            raise ValidationError(f"at most {self.most} values")
        for item in items:
            self.item(item)
        return list(dict.fromkeys(items))  # each once, in the order given


# --- path parameters --------------------------------------------------------------------

class FormatPath(Strict):
    format = FORMAT


class ServicePath(Strict):
    service_code = fields.String(required=True, validate=SERVICE_CODE, metadata={"example": "UM05"})
    format = FORMAT


class RequestPath(Strict):
    service_request_id = fields.String(required=True, validate=ID, metadata={
        "description": "the ticket's readable number (or its id)", "example": "20261123-00001"})
    format = FORMAT


class TokenPath(Strict):
    token = fields.String(required=True, validate=ID, metadata={"description": "the token a POST answered"})
    format = FORMAT


# --- queries and the form -----------------------------------------------------------------

class JurisdictionQuery(Strict):
    jurisdiction_id = JURISDICTION


class RequestsQuery(Strict):
    # Bounds that keep the request line under the door's 8 KiB (414 beyond) however the
    # characters are encoded: a ticket number is 14 characters, a code 4.
    jurisdiction_id = JURISDICTION
    service_request_id = CommaList(ID, 20, 320, load_default=None, metadata={
        "description": "ticket numbers, comma-separated (at most 20): overrides every other filter"})
    service_code = CommaList(SERVICE_CODE, 20, 220, load_default=None,
                             metadata={"description": "service codes, comma-separated (at most 20)"})
    start_date = Moment(load_default=None, metadata={"description": "reported at or after (with an offset)",
                                                     "example": "2026-11-01T00:00:00+08:00"})
    end_date = Moment(load_default=None, metadata={"description": "reported at or before; at most 90 days after "
                                                   "start_date (default: the 90 days before now)"})
    status = CommaList(validate.OneOf(("open", "closed")), 2, 20, load_default=None,
                       metadata={"description": "open, closed or both"})

    @validates_schema
    def _in_order(self, data, **_):
        if data.get("start_date") and data.get("end_date") and data["start_date"] > data["end_date"]:
            raise ValidationError("must not be after end_date", "start_date")


CRS_FIELD = "attribute[crs]"


class NewRequestForm(Strict):
    """A service request as civic apps post it (application/x-www-form-urlencoded)."""
    api_key = fields.String(load_default=None, load_only=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "a department system's key (POST /api/v1/api-keys); or send it as X-API-Key",
        "writeOnly": True})
    jurisdiction_id = JURISDICTION
    service_code = fields.String(required=True, validate=SERVICE_CODE, metadata={"example": "UM05"})
    lat = fields.Float(load_default=None, validate=validate.Range(min=-90, max=90), metadata={"example": 31.3})
    long = fields.Float(load_default=None, validate=validate.Range(min=-180, max=180), metadata={"example": 120.6})
    crs = fields.String(data_key=CRS_FIELD, load_default="wgs84", validate=validate.OneOf(("wgs84", "gcj02")),
                        metadata={"description": "the attribute crs: gcj02 for a point from AMap or Tencent maps "
                                                 "(default wgs84, GPS)"})
    address_string = Text(load_default=None, validate=validate.Length(max=250), metadata={
        "description": "accepted and not kept: this district has no geocoder, and the published address is the "
                       "grid's"})
    address_id = fields.String(load_default=None, validate=GRID_CODE, metadata={
        "description": "a grid code: where the problem is when no point is given"})
    description = Text(load_default=None, validate=validate.Length(min=2, max=2000), metadata={
        "description": "what is wrong (default: the service's name); published for a department's request"})
    media_url = fields.String(load_default=None, validate=[validate.Length(min=1, max=500), ATTACHMENT])
    first_name = Text(load_default=None, validate=validate.Length(max=25))
    last_name = Text(load_default=None, validate=validate.Length(max=25))
    phone = fields.String(load_default=None, validate=validate.Length(max=40), metadata={
        "description": "the resident to call back (a mobile number): kept encrypted, never published"})
    email = fields.String(load_default=None, validate=validate.Length(max=254),
                          metadata={"description": "accepted and not kept"})
    device_id = fields.String(load_default=None, validate=validate.Length(max=200),
                              metadata={"description": "accepted and not kept"})
    account_id = fields.String(load_default=None, validate=validate.Length(max=200),
                               metadata={"description": "accepted and not kept"})

    @validates_schema
    def _where(self, data, **_):
        if (data.get("lat") is None) != (data.get("long") is None):
            raise ValidationError("give lat and long together", "lat" if data.get("lat") is None else "long")
        if data.get("lat") is None and not data.get("address_id"):
            raise ValidationError("give lat and long (or address_id, a grid code)", "lat")


# --- answers --------------------------------------------------------------------------------

class Service(Loose):
    service_code = fields.String(required=True)
    service_name = fields.String(required=True)
    description = fields.String(required=True)
    metadata = fields.Boolean(required=True, metadata={"description": "true: read its definition for attributes"})
    type = fields.String(required=True, metadata={"description": "realtime: the answer holds the request's id"})
    keywords = fields.String(required=True)
    group = fields.String(required=True, metadata={"description": "the department in charge"})


class AttributeValue(Loose):
    key = fields.String(required=True)
    name = fields.String(required=True)


class Attribute(Loose):
    variable = fields.Boolean(required=True)
    code = fields.String(required=True)
    datatype = fields.String(required=True)
    required = fields.Boolean(required=True)
    datatype_description = fields.String(required=True)
    order = fields.Integer(required=True)
    description = fields.String(required=True)
    values = fields.List(fields.Nested(AttributeValue), required=True)


class ServiceDefinition(Loose):
    service_code = fields.String(required=True)
    attributes = fields.List(fields.Nested(Attribute), required=True)


class ServiceRequest(Loose):
    service_request_id = fields.String(required=True, metadata={"description": "the ticket's readable number"})
    status = fields.String(required=True, metadata={"description": "open (reported, accepted, handling) or closed "
                                                                   "(resolved or later, or merged)"})
    status_notes = fields.String(required=True, allow_none=True)
    service_name = fields.String(required=True)
    service_code = fields.String(required=True)
    description = fields.String(required=True, allow_none=True, metadata={
        "description": "null when the reporter's own words are withheld (a resident's report)"})
    agency_responsible = fields.String(required=True)
    service_notice = fields.String(required=True, allow_none=True)
    requested_datetime = fields.String(required=True)
    updated_datetime = fields.String(required=True)
    expected_datetime = fields.String(required=True, allow_none=True)
    address = fields.String(required=True, allow_none=True, metadata={"description": "the grid's names, top first"})
    address_id = fields.String(required=True, metadata={"description": "the grid's code"})
    zipcode = fields.String(required=True, allow_none=True)
    lat = fields.Float(required=True, allow_none=True)
    long = fields.Float(required=True, allow_none=True)
    media_url = fields.String(required=True, allow_none=True)


class RequestReceipt(Loose):
    service_request_id = fields.String(required=True)
    token = fields.String(required=True, metadata={"description": "the ticket's id: GET tokens/{token} finds it"})
    service_notice = fields.String(required=True, allow_none=True)
    account_id = fields.String(required=True, allow_none=True)


class TokenAnswer(Loose):
    service_request_id = fields.String(required=True)
    token = fields.String(required=True)


class Endpoint(Loose):
    specification = fields.String(required=True)
    url = fields.String(required=True)
    changeset = fields.String(required=True)
    type = fields.String(required=True)
    formats = fields.List(fields.String(), required=True)


class Discovery(Loose):
    changeset = fields.String(required=True)
    contact = fields.String(required=True)
    key_service = fields.String(required=True)
    endpoints = fields.List(fields.Nested(Endpoint), required=True)
