"""Keys for department systems, not people, free of nameko (issue 20): a department's
system calls the gateway with a key bound to that department and acts as the department
(sees what is dispatched to it, signs and reports back). An administrator creates,
rotates and revokes keys.

A key reads ``ggk_<prefix>_<secret>``: the prefix (public, unique) finds the row, and
the SHA-256 digest of the whole key is compared in constant time. The secret is 256
random bits, so a plain digest is enough (no dictionary reaches it) and a check costs
microseconds, not a password hash's tens of milliseconds on every call. The key is shown
once, when it is made; only its digest is kept. ``last_used_at`` is written at most once
a minute per key, so a busy system does not turn every call into a write.
"""
import datetime as dt
import hashlib
import hmac
import re
import secrets
import uuid

from sqlalchemy import select

from common import keyset
from people.exceptions import ApiKeyNotFound, ApiKeyRevoked, InvalidApiKey
from people.models import ApiKey
from people.staff import require_department

KEY_SHAPE = re.compile(r"^ggk_([a-z0-9]{10})_([A-Za-z0-9_-]{43})$")
_PREFIX_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
LAST_USED_EVERY = dt.timedelta(minutes=1)


def _digest(key):
    return hashlib.sha256(key.encode()).hexdigest()


def _new_key():
    prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(10))
    return prefix, f"ggk_{prefix}_{secrets.token_urlsafe(32)}"


def _issue(session, *, department_code, name, by, now):
    prefix, key = _new_key()
    row = ApiKey(id=str(uuid.uuid4()), prefix=prefix, digest=_digest(key), department_code=department_code,
                 name=name, created_by=by and by.account_id, created_at=now)
    session.add(row)
    return row, key


def create(session, data, *, by, now):
    """(the key's row, the key itself: shown once)."""
    require_department(session, data["department_code"])
    return _issue(session, department_code=data["department_code"], name=data["name"], by=by, now=now)


def get(session, key_id, for_update=False):
    row = session.get(ApiKey, key_id, with_for_update=for_update)
    if row is None:
        raise ApiKeyNotFound(f"No API key has the id {key_id}.", details={"key_id": key_id})
    return row


def _live(row):
    if row.revoked_at is not None:
        raise ApiKeyRevoked("This key is revoked already.", details={"key_id": row.id,
                                                                      "revoked_at": row.revoked_at.isoformat()})


def rotate(session, key_id, *, by, now):
    """A new key for the same department and name; the old one stops at once."""
    old = get(session, key_id, for_update=True)
    _live(old)
    row, key = _issue(session, department_code=old.department_code, name=old.name, by=by, now=now)
    old.revoked_at, old.replaced_by = now, row.id
    return row, key


def revoke(session, key_id, *, now):
    row = get(session, key_id, for_update=True)
    _live(row)
    row.revoked_at = now
    return row


def authenticate(session, key, now):
    """The live key row for ``key``, or 401 INVALID_API_KEY (malformed, unknown, wrong
    or revoked: the answer does not say which)."""
    shape = KEY_SHAPE.match(key or "")
    row = shape and session.scalar(select(ApiKey).where(ApiKey.prefix == shape.group(1)))
    if not row or not hmac.compare_digest(row.digest, _digest(key)) or row.revoked_at is not None:
        raise InvalidApiKey("The API key is not valid (unknown, mistyped or revoked).")
    if row.last_used_at is None or row.last_used_at <= now - LAST_USED_EVERY:
        row.last_used_at = now
    return row


def find(session, department_code=None, limit=100, after=None):
    """Keys newest first, a page at a time (``keyset.Page``)."""
    query = select(ApiKey)
    if department_code:
        query = query.where(ApiKey.department_code == department_code)
    return keyset.page(session, query, (ApiKey.created_at, ApiKey.id), cursor=after, limit=limit, noun="API key",
                       descending=True)


def view(row, key=None):
    """A key as the API shows it: never its digest; the key itself only when just made."""
    shown = {"id": row.id, "prefix": row.prefix, "department_code": row.department_code, "name": row.name,
             "created_at": row.created_at.isoformat(), "created_by": row.created_by,
             "last_used_at": row.last_used_at and row.last_used_at.isoformat(),
             "revoked_at": row.revoked_at and row.revoked_at.isoformat(), "replaced_by": row.replaced_by}
    if key is not None:
        shown["key"] = key
    return shown


def caller(row):
    """The key as the gateway makes its caller: the department, acting through it."""
    return {"key_id": row.id, "prefix": row.prefix, "department_code": row.department_code, "name": row.name}
