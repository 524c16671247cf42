"""Schemas at every boundary: marshmallow loads that fail as a 400 naming fields."""
import datetime as dt
import functools
import math
import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from common.errors import InvalidInput, validation_error


@functools.cache
def _shared(schema_class):
    return schema_class()


def load(schema, data, what="request body"):
    """``schema.load(data)`` with marshmallow's errors turned into a 400 naming fields.
    ``schema`` is an instance or a class; a class is made once and reused (making a
    schema deep-copies its fields, which costs more than most loads)."""
    if isinstance(schema, type):
        schema = _shared(schema)
    require_shape(schema, data, what)
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise validation_error(exc.messages, what) from None


def require_shape(schema, data, what="request body"):
    """A 400 unless ``data`` is what ``schema`` takes at the top: a JSON object (a list
    for a ``many`` schema). Also for bodies whose fields only the service judges (a
    route's ``gate=False``): a ``null`` body was otherwise read as one with no fields."""
    if isinstance(schema, type):
        schema = _shared(schema)
    if getattr(schema, "many", False):
        if not isinstance(data, list):
            raise InvalidInput(f"The {what} must be a JSON array.", code="VALIDATION_FAILED",
                               details={"fields": {"_schema": ["must be an array"]}})
    elif not isinstance(data, dict):
        raise InvalidInput(f"The {what} must be a JSON object.", code="VALIDATION_FAILED",
                           details={"fields": {"_schema": ["must be an object"]}})


# Characters no stored text may hold: NUL (PostgreSQL text takes none) and half of a
# UTF-16 surrogate pair (JSON can spell one, "\ud800"; it is no character, and
# neither the database nor a UTF-8 answer can encode it).
_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")
_WHY = {"nul": ("a NUL character", "must not contain NUL characters"),
        "surrogate": ("a lone UTF-16 surrogate", "must not contain lone UTF-16 surrogates")}


def refuse_bad_characters(data, what="request body"):
    """A 400 naming the first string (or key) in ``data`` that holds a NUL or a lone
    surrogate: either would fail as a 500 far from here."""
    found = _bad_path(data, "")
    if found is not None:
        path, kind = found
        field = path or "_schema"
        text, rule = _WHY[kind]
        raise InvalidInput(f"Invalid {what}: {field} contains {text}.", code="VALIDATION_FAILED",
                           details={"fields": {field: [rule]}})




def _kind(text):
    match = _BAD_CHARACTER.search(text)
    if match is None:
        return None
    return "nul" if match.group() == "\x00" else "surrogate"


def _bad_path(value, path):
    if isinstance(value, str):
        kind = _kind(value)
        return None if kind is None else (path, kind)
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        here = f"{path}.{key}" if path else str(key)
        if isinstance(key, str):
            kind = _kind(key)
            if kind is not None:
                return here, kind
        found = _bad_path(item, here)
        if found is not None:
            return found
    return None


class Text(fields.String):
    """A string without the whitespace around it (full-width spaces too). A blank one
    is no text: None where the field may be None (so a required note is still asked
    for), else "must not be blank"."""

    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs)
        limit = min((v.max for v in self.validators if isinstance(v, validate.Length) and v.max is not None),
                    default=None)
        if limit is not None and len(raw) > limit:  # as sent, not only once trimmed: what the API documents
            raise ValidationError(f"Longer than maximum length {limit}.")
        text = raw.strip()
        if not text and not self.allow_none:
            raise ValidationError("must not be blank")
        return text or None

    def _validate(self, value):
        if value is not None:
            super()._validate(value)


# Days a query or record may name: the era of grid management, with room to plan ahead.
# Wider dates overflow when turned into Shanghai midnights or shifted by a month.
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2099, 12, 31)
DAY_IN_RANGE = validate.Range(min=FIRST_DAY, max=LAST_DAY,
                              error=f"must be a day from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}")



# Moments (date-times with an offset) within the same era. Year 1 or 9999 with an
# offset overflows when turned to UTC; a naive time is refused (whose clock?).
FIRST_MOMENT = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
LAST_MOMENT = dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc)


class Moment(fields.AwareDateTime):
    """An ISO-8601 date-time with an offset, from 2000 to 2099 (UTC), given back in UTC."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            moment = super()._deserialize(value, attr, data, **kwargs)
            utc = moment.astimezone(dt.timezone.utc)
        except OverflowError:
            utc = None
        if utc is None or not FIRST_MOMENT <= utc < LAST_MOMENT:
            raise ValidationError("must be a date-time from 2000-01-01 to 2099-12-31 (UTC)")
        return utc


# Every integer a client sends has bounds inside PostgreSQL's integer (2^31 - 1): a
# larger one fails the insert as a 500 far from the field that carried it.
INT32_MAX = 2_147_483_647


def bounded(low=0, high=INT32_MAX):
    """A Range validator for an integer field; ``high`` at most INT32_MAX."""
    if high > INT32_MAX:
        raise ValueError("an integer bound past PostgreSQL's integer")
    return validate.Range(min=low, max=high)


class Number(fields.Float):
    """A JSON number, finite: not a string holding one (\"5\"), not a boolean (true
    is 1 to Python), for documents of rules where a quoted number is a typing slip."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, (str, bool)):
            raise ValidationError("Not a valid number.")
        number = super()._deserialize(value, attr, data, **kwargs)
        if not math.isfinite(number):
            raise ValidationError("Not a finite number.")
        return number


class Whole(fields.Integer):
    """A JSON whole number: 3, not 3.5, "3" or true."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise ValidationError("Not a valid integer.")
        return super()._deserialize(value, attr, data, **kwargs)


class DayRange(Schema):
    """``start`` and ``end`` days (both optional), within DAY_IN_RANGE, start not after
    end; a subclass may give them other names on the wire (``data_key``), and the error
    names the field as the client wrote it."""
    start = fields.Date(load_default=None, allow_none=True, validate=DAY_IN_RANGE)
    end = fields.Date(load_default=None, allow_none=True, validate=DAY_IN_RANGE)

    @validates_schema
    def _in_order(self, data, **_):
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            start, end = (self.fields[name].data_key or name for name in ("start", "end"))
            raise ValidationError(f"must not be after {end}", start)


# Record ids (UUIDs, ticket numbers) as clients send them: bounded, never empty.
ID = validate.Length(min=1, max=64)
# Phone numbers as typed (spaces, dashes, +86): normalised by common.pii.
PHONE_TEXT = validate.Length(max=40)
# ID numbers as typed (full-width digits, spaces): checked by people.idcard.
ID_NUMBER_TEXT = validate.Length(min=1, max=30)

# Names the API takes, shared by the gateway (which documents and gates them) and the
# service that stores them.
USERNAME = validate.Regexp(r"^[a-z0-9][a-z0-9_.-]{2,63}$",
                           error="3-64 characters: lower-case letters, digits, '_', '.', '-'")
CODE = validate.Regexp(r"^[A-Za-z0-9_.-]{2,40}$", error="2-40 letters, digits, '_', '.', '-'")  # departments, rewards
PLACE_CODE = validate.Regexp(r"^\d{10,30}$", error="must be a place code")
# An attachment is a reference, never the file: a web address or an object-store key
# ("tickets/2026/11/a1.jpg", "oss://bucket/a1.jpg"). Other schemes (javascript:, data:,
# file:) would become live links in the portal, so they are refused.
ATTACHMENT = validate.Regexp(
    r"^(?:(?:https?|s3|oss|cos|obs)://[^\s/?#]+[^\s]*|(?![a-zA-Z][a-zA-Z0-9+.-]*:)(?!.*\.\.)\w[\w\-./]*)$",
    error="must be an http(s) address, an object-store address (s3, oss, cos, obs) or a storage key")

# One grid, one code: ASCII digits only (\d would admit full-width ３２０５０８, a second
# code for the same grid).
GRID_CODE = validate.Regexp(r"^[0-9]{6,24}$", error="must be a grid code (6-24 digits)")
