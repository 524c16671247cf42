"""Typed errors with a stable code, and the one table that maps them to HTTP.

Services declare their own subclasses (``class TicketNotFound(NotFound)`` with
``code = "TICKET_NOT_FOUND"``). A caller in another process cannot import those
classes, so on the wire every error travels as its nearest base class from this
module (see :func:`to_wire`); the code, message and details survive unchanged.
"""
import json

from nameko.exceptions import deserialize_to_instance


class AppError(Exception):
    """Base of every expected error. ``code`` is stable and machine-readable;
    ``message`` is for humans; ``details`` names fields, limits, allowed values."""

    code = "INTERNAL_ERROR"

    def __init__(self, message="", code=None, details=None):
        if isinstance(details, str):  # off the wire (see to_wire)
            details = json.loads(details)
        super().__init__(message, code or self.code, details or {})
        self.message = message
        self.code = code or self.code
        self.details = details or {}

    def __str__(self):
        return f"{self.code}: {cut(str(self.message), MAX_MESSAGE_CHARS)}"

    def to_dict(self):
        """The error body. What it echoes is capped (``MAX_MESSAGE_CHARS``, and
        ``MAX_DETAIL_CHARS`` for each string in details, keys included), so no error
        body grows with the input that caused it."""
        return {"error": self.code, "message": cut(str(self.message), MAX_MESSAGE_CHARS),
                "details": capped(self.details)}


MAX_MESSAGE_CHARS = 500
MAX_DETAIL_CHARS = 200
ELLIPSIS = "…"


def cut(text, limit):
    """``text``, or its first ``limit - 1`` characters and an ellipsis."""
    return text if len(text) <= limit else text[:limit - 1] + ELLIPSIS


def capped(value, depth=0):
    """``value`` (details of an error) with every string cut to MAX_DETAIL_CHARS."""
    if isinstance(value, str):
        return cut(value, MAX_DETAIL_CHARS)
    if depth > 20:  # details are the program's own structures: deeper means an echo
        return ELLIPSIS
    if isinstance(value, dict):
        return {(cut(key, MAX_DETAIL_CHARS) if isinstance(key, str) else key): capped(item, depth + 1)
                for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [capped(item, depth + 1) for item in value]
    return value


@deserialize_to_instance
class InvalidInput(AppError):
    code = "INVALID_INPUT"


@deserialize_to_instance
class Unauthenticated(AppError):
    code = "UNAUTHENTICATED"


@deserialize_to_instance
class Forbidden(AppError):
    code = "FORBIDDEN"


@deserialize_to_instance
class NotFound(AppError):
    code = "NOT_FOUND"


@deserialize_to_instance
class Conflict(AppError):
    code = "CONFLICT"


@deserialize_to_instance
class Locked(AppError):
    code = "LOCKED"


@deserialize_to_instance
class PayloadTooLarge(AppError):
    code = "PAYLOAD_TOO_LARGE"


@deserialize_to_instance
class UnsupportedMediaType(AppError):
    code = "UNSUPPORTED_MEDIA_TYPE"


@deserialize_to_instance
class TooManyRequests(AppError):
    """Too many of one kind of request from one client address: try again later."""
    code = "TOO_MANY_REQUESTS"


@deserialize_to_instance
class Unavailable(AppError):
    code = "SERVICE_UNAVAILABLE"


@deserialize_to_instance
class Overloaded(Unavailable):
    """More requests wait for a worker than ``HTTP_QUEUE_LIMIT``: refused at once,
    so that waiting stays bounded (common.http)."""
    code = "OVERLOADED"


@deserialize_to_instance
class DeadlineExceeded(Unavailable):
    """A transaction not committed because its caller had stopped waiting (common.db):
    nothing was stored; an answer nobody reads any more."""
    code = "DEADLINE_EXCEEDED"


# The one table: error kind -> HTTP status. Anything else is a 500.
HTTP_STATUS = {
    InvalidInput: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    PayloadTooLarge: 413,
    UnsupportedMediaType: 415,
    Locked: 423,
    TooManyRequests: 429,
    Overloaded: 503,
    DeadlineExceeded: 503,
    Unavailable: 503,
}

WIRE_TYPES = tuple(HTTP_STATUS)


def http_status(exc):
    for kind, status in HTTP_STATUS.items():
        if isinstance(exc, kind):
            return status
    return 500


def to_wire(exc):
    """Re-type a service-specific error as its base kind so that any caller can
    rebuild it (nameko deserialises only classes it has imported). Details travel
    as JSON text because nameko turns every non-string scalar into a string."""
    if not isinstance(exc, AppError):
        return exc
    for kind in WIRE_TYPES:
        if isinstance(exc, kind):
            wire = kind(exc.message, exc.code)
            wire.args = (exc.message, exc.code, json.dumps(exc.details, ensure_ascii=False, default=str))
            return wire
    return exc


def internal_error_body(request_id=None):
    """A 500's body: nothing of the error itself, only the request id (when there is
    one) that finds its log lines."""
    details = {"request_id": request_id} if request_id else {}
    return {"error": "INTERNAL_ERROR", "message": "An unexpected error occurred.", "details": details}


def validation_error(messages, what="request body"):
    """InvalidInput from marshmallow's ``ValidationError.messages``, naming every field."""
    fields = ", ".join(_flatten(messages))
    return InvalidInput(
        f"Invalid {what}: {fields}",
        code="VALIDATION_FAILED",
        details={"fields": messages},
    )


def _flatten(messages, prefix=""):
    if isinstance(messages, dict):
        for key, value in messages.items():
            yield from _flatten(value, f"{prefix}{key}." if prefix or key != "_schema" else "")
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        name = prefix.rstrip(".") or "body"
        yield f"{name}: {' '.join(messages)}"
    elif isinstance(messages, list):
        for index, item in enumerate(messages):
            yield from _flatten(item, f"{prefix}{index}.")
    else:
        yield f"{prefix.rstrip('.') or 'body'}: {messages}"
