"""Personal data at rest: ID and phone numbers are stored encrypted (AES-GCM) with a
keyed hash beside them (HMAC-SHA256), so a database dump shows neither, while an
exact search still works by hashing the query.

Keys come from ``PII_KEY`` (64 hex characters, required in production); in
development one is generated once into ``DATA_DIR/pii.key`` so data stays readable
across restarts. Encryption and search keys are derived separately from it.
"""
import base64
import hashlib
import hmac
import logging
import os
import secrets

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from common import config as cfg

log = logging.getLogger(__name__)


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
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
        log.warning("PII_KEY not set: generated %s; keep it, or the stored ID numbers are lost", path)
    return PiiCipher(bytes.fromhex(path.read_text().strip()))
