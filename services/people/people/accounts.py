"""Accounts and sign-in rules, free of nameko.

Passwords are hashed with argon2id. After ``max_failures`` wrong passwords in a
row an account is locked for ``lock_minutes``; a locked account is refused before
its password is even checked, so guessing cannot continue during the lock. An
unknown username costs the same hashing work as a known one, and is counted and
locked the same way: no answer tells whether a username exists.
"""
import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select

from common import config as cfg
from common.db import dialect_insert
from common.errors import InvalidInput
from people.exceptions import (
    AccountDisabled, AccountLocked, AccountNotFound, InvalidCredentials, PersonHasAccount, UsernameTaken,
    WeakPassword,
)
from people.models import Account, LoginFailure, Person

log = logging.getLogger(__name__)

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-real-password")


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5
    lock_minutes: int = 15

    @classmethod
    def from_config(cls, config=None):
        return cls(
            max_failures=cfg.env_int("LOGIN_MAX_FAILURES", 5, config),
            lock_minutes=cfg.env_int("LOGIN_LOCK_MINUTES", 15, config),
        )


def check_password_strength(password, min_length=10):
    problems = []
    if len(password) < min_length:
        problems.append(f"at least {min_length} characters")
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        problems.append("both letters and digits")
    if problems:
        raise WeakPassword(f"The password needs {' and '.join(problems)}.", details={"field": "password"})


def hash_password(password):
    return _hasher.hash(password)


def _verify(password_hash, password):
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def find_by_username(session, username, for_update=False):
    """``for_update``: lock the row until the transaction ends (PostgreSQL), so that
    concurrent sign-ins to one account take turns instead of failing its version check."""
    query = select(Account).where(Account.username == username.strip().lower())
    return session.scalars(query.with_for_update() if for_update else query).first()


def authenticate(session, username, password, now, policy, name_hash):
    """Returns ``(account, error)``: the caller commits the bookkeeping (failure
    count, lock) before raising ``error``, so a failed attempt is never lost. The
    account stays locked until then: a concurrent sign-in waits and sees its count.

    A username without an account is answered exactly as an account with a wrong
    password: the same hashing work, and its own failure count and lock
    (``LoginFailure``), so neither the answers nor their timing say which exist. That
    count is kept under ``name_hash(name)`` (a keyed hash): what people type into the
    username box, passwords included, is not stored."""
    name = username.strip().lower()
    account = find_by_username(session, name, for_update=True)
    counted = account if account is not None else _failures_of(session, name_hash(name))
    if counted.locked_until is not None and counted.locked_until > now:
        return account, _locked(counted)
    right = _verify(account.password_hash if account is not None else _DUMMY_HASH, password)
    window = dt.timedelta(minutes=policy.lock_minutes)
    if counted.last_failed_at is not None and counted.last_failed_at <= now - window:
        counted.failed_logins = 0  # "in a row" means within the lock time of each other
    if account is None or not right:
        counted.failed_logins += 1
        counted.last_failed_at = now
        if counted.failed_logins >= policy.max_failures:
            counted.locked_until = now + dt.timedelta(minutes=policy.lock_minutes)
            counted.failed_logins = 0
            log.warning("sign-in name %s locked after %d failed sign-ins",  # a typed name may be a password
                        name if account is not None else f"(unknown, {counted.name_hash[:8]})", policy.max_failures)
            return account, _locked(counted)
        return account, InvalidCredentials(
            "Wrong username or password.",
            details={"attempts_left": policy.max_failures - counted.failed_logins})
    if account.disabled:
        return account, AccountDisabled("This account is disabled; ask an administrator.")
    account.failed_logins = 0
    account.locked_until = None
    account.last_login_at = now
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    return account, None


def _failures_of(session, name_hash):
    """The failure count of a username that has no account, row locked as an account's
    is. The upsert takes the row lock itself (a do-nothing one would not): the timer
    cannot delete the row between it and the read."""
    session.execute(dialect_insert(session)(LoginFailure).values(name_hash=name_hash, failed_logins=0)
                    .on_conflict_do_update(index_elements=["name_hash"],
                                           set_={"failed_logins": LoginFailure.failed_logins}))
    return session.scalars(select(LoginFailure).where(LoginFailure.name_hash == name_hash).with_for_update()).one()


def forget_lapsed_failures(session, now, policy):
    """Delete unknown names' counts whose last failure is a lock time old: that count
    has lapsed, and so has any lock (it ran from that failure for as long). Run by a
    timer, not by sign-ins, so no sign-in waits on another's row."""
    before = now - dt.timedelta(minutes=policy.lock_minutes)
    return session.execute(delete(LoginFailure).where(LoginFailure.last_failed_at <= before)).rowcount


def _locked(counted):
    return AccountLocked(
        "Too many wrong passwords; this account is locked for a while.",
        details={"locked_until": counted.locked_until.isoformat()})


def create_account(session, data, min_password_length=10):
    username = data["username"].strip().lower()
    check_password_strength(data["password"], min_password_length)
    if find_by_username(session, username) is not None:
        raise UsernameTaken(f"The username {username} is taken.", details={"field": "username"})
    if data.get("person_id"):
        _check_person_free(session, data["person_id"])
    account = Account(
        username=username, display_name=data["display_name"],
        password_hash=hash_password(data["password"]), roles=sorted(set(data["roles"])),
        grid_scope=data.get("grid_scope"), department_code=data.get("department_code"),
        person_id=data.get("person_id"), disabled=data.get("disabled", False),
    )
    session.add(account)
    session.flush()
    return account


def _check_person_free(session, person_id):
    """The person exists and has no account yet (one account per person)."""
    if session.get(Person, person_id) is None:
        raise InvalidInput(f"No person has the id {person_id}.", code="UNKNOWN_PERSON",
                           details={"field": "person_id"})
    holder = session.scalar(select(Account.username).where(Account.person_id == person_id))
    if holder is not None:
        raise PersonHasAccount(f"This person already signs in as {holder}.", details={"field": "person_id"})


def get_account(session, account_id):
    account = session.get(Account, account_id)
    if account is None:
        raise AccountNotFound(f"No account has the id {account_id}.", details={"account_id": account_id})
    return account


def list_accounts(session):
    return session.scalars(select(Account).order_by(Account.username)).all()


def ensure_admin(db, config=None):
    """Create the first administrator on start if there is none with that name.

    In production ``ADMIN_PASSWORD`` must be given and strong; in development a
    random one is generated and logged when it is missing.
    """
    username = cfg.env("ADMIN_USERNAME", "admin", config)
    with db.transaction() as session:
        if find_by_username(session, username) is not None:
            return None
        if session.scalar(select(func.count()).select_from(Account)) and not cfg.env("ADMIN_PASSWORD", None, config):
            return None  # accounts exist and no bootstrap was asked for
        password = cfg.env("ADMIN_PASSWORD", None, config)
        if password is None:
            if cfg.is_production(config):
                raise RuntimeError("ADMIN_PASSWORD must be set to create the first admin when APP_ENV=production")
            password = secrets.token_urlsafe(12) + "7a"
            log.warning("no ADMIN_PASSWORD set: created %s with password %s", username, password)
        create_account(session, {
            "username": username, "display_name": "系统管理员", "password": password,
            "roles": ["admin"], "grid_scope": None,
        }, min_password_length=12 if cfg.is_production(config) else 8)
        log.info("created first admin account %s", username)
        return username
