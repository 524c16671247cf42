"""Personal data at rest: ID and phone numbers are stored encrypted (AES-GCM) with a
keyed hash beside them (HMAC-SHA256), so a database dump shows neither, while an
exact search still works by hashing the query.

Used by every service that keeps personal data (people; tickets for reporters).
Keys come from ``PII_KEY`` (64 hex characters, required in production); in
development one is generated once into ``DATA_DIR/pii.key`` so data stays readable
across restarts. Encryption and search keys are derived separately from it.
"""
import base64
import hashlib
import hmac
import logging
import os
import re
import secrets
import time
import unicodedata

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from common import config as cfg
from common.errors import Forbidden, InvalidInput

log = logging.getLogger(__name__)


PHONE = re.compile(r"^1[3-9][0-9]{9}$")
DEFAULT_CLEAR_ROLES = ("admin", "community_officer")


class ClearDataForbidden(Forbidden):
    code = "CLEAR_PERSONAL_DATA_FORBIDDEN"


def clear_roles(config=None):
    """The roles that may read personal data in clear (``PII_CLEAR_ROLES``; written
    "admin, community_officer" with spaces too)."""
    value = cfg.env("PII_CLEAR_ROLES", ",".join(DEFAULT_CLEAR_ROLES), config)
    return tuple(filter(None, (role.strip() for role in value.split(","))))


class InvalidPhone(InvalidInput):
    code = "INVALID_PHONE"


def normalise_phone(value, field="phone"):
    """A mainland mobile number as 11 digits, or InvalidPhone naming ``field``."""
    phone = re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", value or ""))  # full-width digits as ASCII
    if phone.startswith("+86"):
        phone = phone[3:]
    if not PHONE.fullmatch(phone):
        raise InvalidPhone("A mobile number has 11 digits and starts with 13-19.", details={"field": field})
    return phone


def mask_phone(phone):
    return f"{phone[:3]}****{phone[-4:]}" if phone else None


def mask_id(number):
    return f"{number[:6]}********{number[-4:]}" if number else None


# Numbers typed into free text (a visit's notes: "联系电话139 1234 5678"), full-width
# digits too: an ID number (17 digits and a digit or X) or a mobile number (11 digits
# from 13-19, perhaps +86 first, perhaps spaced or dashed 3-4-4), not inside a longer run.
_D = "[0-9０-９]"
_NUMBER_IN_TEXT = re.compile(
    rf"(?<![0-9０-９])(?:(?P<id>{_D}{{17}}[0-9０-９XxＸｘ])"
    rf"|(?P<phone>(?:[+＋]?[8８][6６][\s-]?)?[1１][3-9３-９]{_D}(?:[\s-]?{_D}{{4}}){{2}}))(?![0-9０-９])")


def mask_numbers_in(text):
    """``text`` with each ID and mobile number in it masked as the API shows numbers
    (``110105********0021``, ``139****5678``): free text is no way round the rule that
    numbers are shown masked."""
    if not text:
        return text

    def masked(match):
        digits = re.sub(r"[^0-9X]", "", unicodedata.normalize("NFKC", match.group()).upper())
        if match.group("id"):
            return mask_id(digits)
        return mask_phone(digits[-11:])

    return _NUMBER_IN_TEXT.sub(masked, text)


class PiiCipher:
    def __init__(self, master_key):
        if len(master_key) != 32:
            raise ValueError("PII_KEY must be 32 bytes (64 hex characters)")
        self._aead = AESGCM(hmac.new(master_key, b"gridgov-pii-encrypt", hashlib.sha256).digest())
        self._search = hmac.new(master_key, b"gridgov-pii-search", hashlib.sha256).digest()

    def encrypt(self, value):
        if value is None:
            return None
        nonce = os.urandom(12)
        return base64.b64encode(nonce + self._aead.encrypt(nonce, value.encode(), None)).decode()

    def decrypt(self, token):
        if token is None:
            return None
        raw = base64.b64decode(token)
        return self._aead.decrypt(raw[:12], raw[12:], None).decode()

    def search_hash(self, value):
        return hmac.new(self._search, value.encode(), hashlib.sha256).hexdigest() if value else None


def load_cipher(config=None):
    value = cfg.env("PII_KEY", None, config)
    if value:
        return PiiCipher(bytes.fromhex(value))
    if cfg.is_production(config):
        raise ValueError("PII_KEY (64 hex characters) must be set when APP_ENV=production")
    path = cfg.data_dir(config) / "pii.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # O_EXCL: of services starting together, one creates the key, the rest read it
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
        log.warning("PII_KEY not set: generated %s; keep it, or the stored personal data is lost", path)
    for _ in range(50):  # the creator may still be writing
        text = path.read_text().strip()
        if len(text) == 64:
            return PiiCipher(bytes.fromhex(text))
        time.sleep(0.05)
    raise ValueError(f"{path} does not hold a 64-hex-character key")
