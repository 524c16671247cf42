"""Sign-in locks per name and client address, with a bound across addresses; the
first admin's password kept out of the logs; accounts that refer to nothing, or hold
a scope their roles never use (a real database)."""
import datetime as dt
import json
import logging
import stat

import pytest
from sqlalchemy import create_engine, select, text

from common.errors import InvalidInput
from common.migrations import upgrade
from common.pii import PiiCipher
from people import MIGRATIONS_DIR, accounts
from people.exceptions import AccountLocked, InvalidCredentials
from people.models import Account, AddressLoginFailure, Department, LoginFailure

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)
POLICY = accounts.LoginPolicy(max_failures=3, lock_minutes=15, account_max_failures=7)
NAME_HASH = PiiCipher(bytes(32)).search_hash
STRANGER, HOME = "198.51.100.23", "203.0.113.7"


@pytest.fixture
def db(open_db):
    handle = open_db("people", MIGRATIONS_DIR)
    with handle.transaction() as session:
        accounts.create_account(session, {"username": "admin2", "display_name": "系统管理员",
                                          "password": "Passw0rd-2026", "roles": ["admin"]})
    return handle


def attempt(db, password, address, username="admin2", now=NOW):
    with db.transaction() as session:
        return accounts.authenticate(session, username, password, now, POLICY, NAME_HASH, address)[1]


def test_a_stranger_locks_a_name_at_their_own_address_only(db):
    for left in (2, 1):
        assert attempt(db, "guess", STRANGER).details["attempts_left"] == left
    locked = attempt(db, "guess", STRANGER)
    assert isinstance(locked, AccountLocked) and locked.details["from"] == "this_address"
    assert isinstance(attempt(db, "Passw0rd-2026", STRANGER), AccountLocked), "the right password, still locked there"
    assert attempt(db, "Passw0rd-2026", HOME) is None, "the owner signs in from elsewhere"
    assert attempt(db, "Passw0rd-2026", STRANGER, now=NOW + dt.timedelta(minutes=16)) is None


def test_a_success_clears_its_own_address_count_only(db):
    attempt(db, "typo", HOME)
    attempt(db, "typo", HOME)
    attempt(db, "guess", STRANGER)
    attempt(db, "guess", STRANGER)
    assert attempt(db, "Passw0rd-2026", HOME) is None
    assert attempt(db, "typo", HOME).details["attempts_left"] == POLICY.max_failures - 1
    assert isinstance(attempt(db, "guess", STRANGER), AccountLocked), "the stranger's count went on"


def test_guessing_from_many_addresses_locks_the_account_everywhere(db):
    for n in range(POLICY.account_max_failures - 1):
        assert isinstance(attempt(db, "guess", f"192.0.2.{n}"), InvalidCredentials)
    locked = attempt(db, "guess", "192.0.2.200")
    assert isinstance(locked, AccountLocked) and locked.details["from"] == "every_address"
    assert isinstance(attempt(db, "Passw0rd-2026", HOME), AccountLocked)
    assert attempt(db, "Passw0rd-2026", HOME, now=NOW + dt.timedelta(minutes=16)) is None


def test_an_unknown_name_is_counted_and_answered_as_a_known_one_and_nothing_typed_is_kept(db):
    def answers(username, address):
        errors = [attempt(db, "guess", address, username=username)
                  for _ in range(POLICY.max_failures + 1)]
        return [(type(e), e.code, e.message, sorted(e.details), e.details.get("attempts_left")) for e in errors]

    assert answers("nobody-here", STRANGER) == answers("admin2", STRANGER)
    assert attempt(db, "guess", HOME, username="nobody-here").details["attempts_left"] == POLICY.max_failures - 1
    with db.read() as session:
        kept = [*session.scalars(select(LoginFailure.name_hash)), *session.scalars(select(AddressLoginFailure.name_hash))]
    assert NAME_HASH(json.dumps([STRANGER, "nobody-here"])) in kept
    assert not any("nobody" in key or STRANGER in key for key in kept)


def test_the_first_admins_generated_password_goes_to_an_owner_only_file_not_the_log(open_db, tmp_path, caplog,
                                                                                    monkeypatch):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    handle = open_db("people", MIGRATIONS_DIR)
    data_dir = tmp_path / "data"
    config = {"APP_ENV": "development", "ADMIN_USERNAME": "root", "DATA_DIR": str(data_dir)}
    with caplog.at_level(logging.INFO):
        assert accounts.ensure_admin(handle, config) == "root"
    written = data_dir / "initial-admin-password"
    password = written.read_text().strip()
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert password not in caplog.text and str(written) in caplog.text
    assert [p.name for p in data_dir.iterdir()] == ["initial-admin-password"], "no pending file left behind"
    with handle.transaction() as session:
        assert accounts.authenticate(session, "root", password, NOW, POLICY, NAME_HASH)[1] is None


def test_a_department_account_names_a_registered_department(db):
    with db.transaction() as session, pytest.raises(InvalidInput) as unknown:
        accounts.create_account(session, {"username": "hb01", "display_name": "环保", "password": "Passw0rd-2026",
                                          "roles": ["department"], "department_code": "environment"})
    assert (unknown.value.code, unknown.value.details) == ("UNKNOWN_DEPARTMENT", {"field": "department_code"})
    with db.transaction() as session:
        session.add(Department(code="environment", name="区生态环境局", kind="functional_department"))
    with db.transaction() as session:
        accounts.create_account(session, {"username": "hb01", "display_name": "环保", "password": "Passw0rd-2026",
                                          "roles": ["department"], "department_code": "environment"})


def test_the_migration_clears_scopes_that_the_roles_never_use(scratch_db):
    engine = create_engine(scratch_db)
    try:
        upgrade(engine, MIGRATIONS_DIR, "people", revision="0008")
        rows = [("a1", ["resident"], "320508019"), ("a2", ["department"], "320508"), ("a3", ["admin"], "320508"),
                ("a4", ["grid_worker"], "320508019044001"), ("a5", ["resident", "grid_chief"], "320508019044"),
                ("a6", ["resident"], None)]
        with engine.begin() as conn:
            for account_id, roles, scope in rows:
                conn.execute(text(
                    "INSERT INTO accounts (id, username, display_name, password_hash, roles, grid_scope, disabled, "
                    "failed_logins, created_at, updated_at, version) VALUES (:id, :id, 'x', 'x', :roles, :scope, "
                    "false, 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00', 1)"),
                    {"id": account_id, "roles": json.dumps(roles), "scope": scope})
        upgrade(engine, MIGRATIONS_DIR, "people")
        with engine.connect() as conn:
            scopes = dict(conn.execute(select(Account.id, Account.grid_scope)).all())
        assert scopes == {"a1": None, "a2": None, "a3": None, "a4": "320508019044001", "a5": "320508019044",
                          "a6": None}
    finally:
        engine.dispose()
