"""Accounts and sign-in rules, free of nameko.

Passwords are hashed with argon2id. Wrong passwords are counted per sign-in name and
client address: after ``max_failures`` in a row from one address the name is locked
there for ``lock_minutes`` (a stranger locks out no one but themself at their own
address); after ``account_max_failures`` in a row from any addresses together the name
is locked everywhere (distributed guessing is bounded too). A locked name is refused
before its password is even checked, so guessing cannot continue during the lock. An
unknown username costs the same hashing work as a known one, and is counted and
locked the same way: no answer tells whether a username exists.
"""
import datetime as dt
import json
import logging
import os
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import String, cast, delete, func, select
from sqlalchemy.exc import IntegrityError

from common import config as cfg, keyset
from common.db import dialect_insert
from common.errors import InvalidInput
from people.exceptions import (
    AccountDisabled, AccountLocked, AccountNotFound, InvalidCredentials, PasswordChangeRequired, PersonHasAccount,
    ResidentHasAccount, ResidentNotFound, UsernameTaken, WeakPassword,
)
from people.models import Account, AddressLoginFailure, Household, LoginFailure, Person, Resident
from people.staff import require_department

log = logging.getLogger(__name__)

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-real-password")


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5            # in a row from one address: the name is locked there
    lock_minutes: int = 15
    account_max_failures: int = 100  # in a row from all addresses together: locked everywhere

    @classmethod
    def from_config(cls, config=None):
        return cls(
            max_failures=cfg.env_int("LOGIN_MAX_FAILURES", 5, config),
            lock_minutes=cfg.env_int("LOGIN_LOCK_MINUTES", 15, config),
            account_max_failures=cfg.env_int("LOGIN_ACCOUNT_MAX_FAILURES", 100, config),
        )


def check_password_strength(password, min_length=10, field="password"):
    problems = []
    if len(password) < min_length:
        problems.append(f"at least {min_length} characters")
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        problems.append("both letters and digits")
    if problems:
        raise WeakPassword(f"The password needs {' and '.join(problems)}.", details={"field": field})


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


def authenticate(session, username, password, now, policy, name_hash, client_address=None, changing=False):
    """Returns ``(account, error)``: the caller commits the bookkeeping (failure
    counts, locks) before raising ``error``, so a failed attempt is never lost. The
    counts' rows stay locked until then: a concurrent sign-in waits and sees them.

    Two counts per attempt: the name's from this ``client_address`` (an
    ``AddressLoginFailure``; None counts as one unknown address), and the name's from
    everywhere (an account's own columns, or a ``LoginFailure`` for a username without
    an account). A username without an account is answered exactly as an account
    with a wrong password: the same hashing work, the same counts and locks, so
    neither the answers nor their timing say which exist. Counts are kept under
    keyed hashes (``name_hash``): what people type into the username box, passwords
    included, is not stored, nor where they typed it from. ``changing``: the check
    before the holder changes the password, which a reset password must be."""
    name = username.strip().lower()
    account = find_by_username(session, name, for_update=True)
    everywhere = account if account is not None else _failures_of(session, LoginFailure, name_hash(name))
    here = _failures_of(session, AddressLoginFailure, name_hash(json.dumps([client_address or "", name])))
    for counted, everywhere_ in ((everywhere, True), (here, False)):
        if counted.locked_until is not None and counted.locked_until > now:
            return account, _locked(counted, everywhere_)
    right = _verify(account.password_hash if account is not None else _DUMMY_HASH, password)
    window = dt.timedelta(minutes=policy.lock_minutes)
    for counted in (everywhere, here):
        if counted.last_failed_at is not None and counted.last_failed_at <= now - window:
            counted.failed_logins = 0  # "in a row" means within the lock time of each other
    if account is None or not right:
        for counted in (everywhere, here):
            counted.failed_logins += 1
            counted.last_failed_at = now
        locked = None
        for counted, limit, everywhere_ in ((here, policy.max_failures, False),
                                            (everywhere, policy.account_max_failures, True)):
            if counted.failed_logins >= limit:
                counted.locked_until = now + window
                counted.failed_logins = 0
                log.warning("sign-in name %s locked %s after %d failed sign-ins",  # a typed name may be a password
                            name if account is not None else f"(unknown, {name_hash(name)[:8]})",
                            "from every address" if everywhere_ else f"from {client_address or 'an unknown address'}",
                            limit)
                locked = _locked(counted, everywhere_)  # the lock everywhere, if both, says the most
        if locked is not None:
            return account, locked
        return account, InvalidCredentials(
            "Wrong username or password.",
            details={"attempts_left": policy.max_failures - here.failed_logins})
    if account.disabled:
        return account, AccountDisabled("This account is disabled; ask an administrator.")
    # A success clears this address's count only: a guesser elsewhere keeps theirs.
    session.delete(here)
    if account.must_change_password and not changing:
        return account, PasswordChangeRequired(
            "An administrator reset this password: choose your own first (POST /api/v1/auth/password).",
            details={"change_at": "/api/v1/auth/password"})
    account.last_login_at = now
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    return account, None


def _failures_of(session, model, name_hash):
    """The failure count kept under ``name_hash``, row locked as an account's is. The
    upsert takes the row lock itself (a do-nothing one would not): the timer cannot
    delete the row between it and the read."""
    session.execute(dialect_insert(session)(model).values(name_hash=name_hash, failed_logins=0)
                    .on_conflict_do_update(index_elements=["name_hash"],
                                           set_={"failed_logins": model.failed_logins}))
    return session.scalars(select(model).where(model.name_hash == name_hash).with_for_update()).one()


def forget_lapsed_failures(session, now, policy):
    """Delete counts kept under hashes whose last failure is a lock time old: that
    count has lapsed, and so has any lock (it ran from that failure for as long). Run
    by a timer, not by sign-ins, so no sign-in waits on another's row; rows a sign-in
    holds are skipped (PostgreSQL), so the timer never waits on one either (a sign-in
    holds two rows, and a timer waiting on one while holding the other would
    deadlock with it)."""
    before = now - dt.timedelta(minutes=policy.lock_minutes)
    deleted = 0
    for model in (LoginFailure, AddressLoginFailure):
        lapsed = select(model.name_hash).where(model.last_failed_at <= before).with_for_update(skip_locked=True)
        deleted += session.execute(delete(model).where(model.name_hash.in_(lapsed))).rowcount
    return deleted


def _locked(counted, everywhere):
    where = "" if everywhere else " from your address"
    return AccountLocked(
        f"Too many wrong passwords{where}; this account is locked{' there' if where else ''} for a while.",
        details={"locked_until": counted.locked_until.isoformat(),
                 "from": "every_address" if everywhere else "this_address"})


def create_account(session, data, min_password_length=10):
    """A new account. Its ``grid_scope`` names a grid the caller has checked with the
    grid service (this module cannot ask it); its ``department_code`` a department of
    people's own registry (400 UNKNOWN_DEPARTMENT otherwise); its ``person_id`` a staff
    member and its ``resident_id`` a resident, each with no account yet (400 UNKNOWN_*
    for one that does not exist, 409 for one that has an account)."""
    username = data["username"].strip().lower()
    check_password_strength(data["password"], min_password_length)
    if find_by_username(session, username) is not None:
        raise taken("username", username)
    if data.get("person_id"):
        _check_person_free(session, data["person_id"])
    if data.get("resident_id"):
        check_resident_free(session, data["resident_id"])
    if data.get("department_code"):
        require_department(session, data["department_code"])
    account = Account(
        username=username, display_name=data["display_name"],
        password_hash=hash_password(data["password"]), roles=sorted(set(data["roles"])),
        grid_scope=data.get("grid_scope"), department_code=data.get("department_code"),
        person_id=data.get("person_id"), resident_id=data.get("resident_id"), disabled=data.get("disabled", False),
    )
    session.add(account)
    try:
        session.flush()
    except IntegrityError as exc:  # another account took the name, person or resident at the same moment
        clash = _clashing_column(exc)
        if clash is None:
            raise
        raise taken(clash, username) from None
    return account


def _clashing_column(exc):
    """Which unique column an insert met: PostgreSQL names the constraint, SQLite the
    column (neither text holds a value here, so a username cannot fake it)."""
    name = getattr(getattr(exc.orig, "diag", None), "constraint_name", None) or str(exc.orig)
    return next((key for key in ("resident_id", "person_id", "username") if key in name), None)


def taken(field, username=None):
    if field == "username":
        return UsernameTaken(f"The username {username} is taken.", details={"field": "username"})
    if field == "person_id":
        return PersonHasAccount("This person already has an account.", details={"field": "person_id"})
    return ResidentHasAccount("This resident already has an account.", details={"field": "resident_id"})


def account_payload(account):
    """An account as ``account_created`` carries it: who it is for, not what they are
    called (no username, no display name: a username may be a phone number)."""
    return {"id": account.id, "roles": list(account.roles), "grid_scope": account.grid_scope,
            "person_id": account.person_id, "resident_id": account.resident_id}


def get_account(session, account_id):
    account = session.get(Account, account_id)
    if account is None:
        raise AccountNotFound(f"No account has the id {account_id}.", details={"account_id": account_id})
    return account


def _check_person_free(session, person_id):
    """The person exists and has no account yet (one account per person)."""
    if session.get(Person, person_id) is None:
        raise InvalidInput(f"No person has the id {person_id}.", code="UNKNOWN_PERSON",
                           details={"field": "person_id"})
    holder = session.scalar(select(Account.username).where(Account.person_id == person_id))
    if holder is not None:
        raise PersonHasAccount(f"This person already signs in as {holder}.", details={"field": "person_id"})


def check_resident_free(session, resident_id):
    """The resident exists and has no account yet (one account per resident). The
    holder's username is not told: it may be their phone number."""
    if session.get(Resident, resident_id) is None:
        raise InvalidInput(f"No resident has the id {resident_id}.", code="UNKNOWN_RESIDENT",
                           details={"field": "resident_id"})
    if session.scalar(select(Account.id).where(Account.resident_id == resident_id)) is not None:
        raise taken("resident_id")


def account_created_at(session, account_id):
    """``{"account_id", "created_at"}``: when the account was made (scoring keeps it with a
    rating: accounts created in bulk just before a period closes); 404 ACCOUNT_NOT_FOUND."""
    created = session.scalar(select(Account.created_at).where(Account.id == account_id))
    if created is None:
        raise AccountNotFound(f"No account has the id {account_id}.", details={"account_id": account_id})
    return {"account_id": account_id, "created_at": created.isoformat()}


def resident_home(session, account_id):
    """``{"household_id", "grid_code"}`` of the resident the account belongs to: 404
    ACCOUNT_NOT_FOUND for no such account, RESIDENT_NOT_FOUND when it is no resident's
    or the resident has no household (so lives in no grid)."""
    account = get_account(session, account_id)
    home = None
    if account.resident_id is not None:
        home = session.execute(select(Household.id, Household.grid_code).join(
            Resident, Resident.household_id == Household.id).where(Resident.id == account.resident_id)).first()
    if home is None:
        raise ResidentNotFound("This account belongs to no resident with a household.",
                               details={"account_id": account_id})
    return {"household_id": home.id, "grid_code": home.grid_code}


def list_accounts(session, after=None, limit=None, filters=None, now=None):
    """Accounts by username, a page at a time (``keyset.Page``; ``limit`` None: all),
    of those ``filters`` keep (AccountFilterSchema: role, disabled, locked,
    department_code, scope, username prefix ``q``)."""
    filters, query = filters or {}, select(Account)
    if filters.get("role"):  # a role is a plain identifier: its quoted name is found in the JSON list's text
        query = query.where(cast(Account.roles, String).like(f'%"{filters["role"]}"%'))
    if filters.get("disabled") is not None:
        query = query.where(Account.disabled.is_(filters["disabled"]))
    if filters.get("locked") is not None:
        locked = Account.locked_until > (now or dt.datetime.now(dt.timezone.utc))
        query = query.where(locked if filters["locked"] else ~locked | Account.locked_until.is_(None))
    if filters.get("department_code"):
        query = query.where(Account.department_code == filters["department_code"])
    if filters.get("scope"):
        query = query.where(Account.grid_scope.startswith(filters["scope"]))
    if filters.get("q"):
        query = query.where(Account.username.startswith(filters["q"].strip().lower(), autoescape=True))
    return keyset.page(session, query, (Account.username, Account.id), cursor=after, limit=limit, noun="account")


def ensure_admin(db, config=None):
    """Create the first administrator on start if there is none with that name.

    In production ``ADMIN_PASSWORD`` must be given and strong; in development a
    random one is generated when it is missing and written to
    ``DATA_DIR/initial-admin-password`` (owner-only): a log line is read by whoever
    reads the logs, so it says only where the file is.
    """
    username = cfg.env("ADMIN_USERNAME", "admin", config)
    pending = None  # the generated password's file, renamed into place once the account is committed
    try:
        with db.transaction() as session:
            if find_by_username(session, username) is not None:
                return None
            if session.scalar(select(func.count()).select_from(Account)) and not cfg.env("ADMIN_PASSWORD", None,
                                                                                         config):
                return None  # accounts exist and no bootstrap was asked for
            password = cfg.env("ADMIN_PASSWORD", None, config)
            if password is None:
                if cfg.is_production(config):
                    raise RuntimeError("ADMIN_PASSWORD must be set to create the first admin when APP_ENV=production")
                password = secrets.token_urlsafe(12) + "7a"
                pending = _write_owner_only(cfg.data_dir(config) / f".{INITIAL_PASSWORD_FILE}.{os.getpid()}",
                                            password)
            create_account(session, {
                "username": username, "display_name": "系统管理员", "password": password,
                "roles": ["admin"], "grid_scope": None,
            }, min_password_length=12 if cfg.is_production(config) else 8)
    except BaseException:
        if pending is not None:  # another replica created it first, or the commit failed
            pending.unlink(missing_ok=True)
        raise
    if pending is not None:
        path = pending.replace(pending.with_name(INITIAL_PASSWORD_FILE))
        log.warning("no ADMIN_PASSWORD set: created %s with a random password, written to %s "
                    "(read it, then delete the file)", username, path)
    log.info("created first admin account %s", username)
    return username


INITIAL_PASSWORD_FILE = "initial-admin-password"


def _write_owner_only(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text + "\n")
    return path
