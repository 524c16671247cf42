"""Sign-in rules against a real database."""
import datetime as dt

import eventlet
import pytest
from argon2 import PasswordHasher

from common.errors import InvalidInput
from common.pii import PiiCipher
from people import MIGRATIONS_DIR, accounts
from people.exceptions import (AccountDisabled, AccountLocked, InvalidCredentials, PersonHasAccount, UsernameTaken,
                               WeakPassword)
from people.models import Person

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)
POLICY = accounts.LoginPolicy(max_failures=3, lock_minutes=15)
NAME_HASH = PiiCipher(bytes(32)).search_hash


@pytest.fixture
def db(open_db):
    handle = open_db("people", MIGRATIONS_DIR)
    with handle.transaction() as session:
        accounts.create_account(session, {"username": "Caixiang_WG01", "display_name": "李娜",
                                          "password": "Passw0rd-2026", "roles": ["grid_worker"],
                                          "grid_scope": "320508019044001"})
    return handle


def attempt(db, password, now=NOW, username="caixiang_wg01"):
    with db.transaction() as session:
        account, error = accounts.authenticate(session, username, password, now, POLICY, NAME_HASH)
    return error


def test_right_password_signs_in_and_usernames_ignore_case(db):
    assert attempt(db, "Passw0rd-2026", username=" CAIXIANG_wg01 ") is None


def answer(error):
    return type(error), error.code, error.message, error.details


def test_unknown_user_and_wrong_password_look_the_same_up_to_the_lock_and_after(db):
    """Every answer, lock included, is the same whether the username exists or not:
    sign-in tells no one which usernames exist."""
    for _ in range(POLICY.max_failures + 1):  # wrong, wrong, locked, still locked
        unknown, known = attempt(db, "x", username="Nobody "), attempt(db, "x")
        assert answer(unknown) == answer(known)
    assert answer(known)[:2] == (AccountLocked, "ACCOUNT_LOCKED")
    assert isinstance(attempt(db, "x", NOW + dt.timedelta(minutes=16), username="nobody"), InvalidCredentials)
    error = attempt(db, "x", NOW + dt.timedelta(minutes=16))
    assert isinstance(error, InvalidCredentials) and error.message == "Wrong username or password."


def test_an_unknown_username_costs_one_password_hash_like_a_known_one(db, monkeypatch):
    hashed = []

    class Counting(PasswordHasher):
        def verify(self, password_hash, password):
            hashed.append(1)
            return super().verify(password_hash, password)

    monkeypatch.setattr(accounts, "_hasher", Counting())
    for username in ("nobody", "caixiang_wg01"):
        hashed.clear()
        attempt(db, "x", username=username)
        assert hashed == [1], username


def test_lock_after_repeated_failures_then_unlock_after_the_lock_time(db):
    assert isinstance(attempt(db, "bad"), InvalidCredentials)
    assert isinstance(attempt(db, "bad"), InvalidCredentials)
    assert isinstance(attempt(db, "bad"), AccountLocked)
    assert isinstance(attempt(db, "Passw0rd-2026", NOW + dt.timedelta(minutes=14)), AccountLocked)
    assert attempt(db, "Passw0rd-2026", NOW + dt.timedelta(minutes=16)) is None


def test_a_success_resets_the_failure_count(db):
    attempt(db, "bad")
    attempt(db, "bad")
    assert attempt(db, "Passw0rd-2026") is None
    assert isinstance(attempt(db, "bad"), InvalidCredentials)
    assert isinstance(attempt(db, "bad"), InvalidCredentials)  # not locked: the count restarted


@pytest.mark.parametrize("password, failures", [("Passw0rd-2026", 0), ("bad", 2)])
def test_two_sign_ins_at_once_both_count(db, password, failures):
    """The second reads the account while the first's transaction is still open: it
    waits for the first (it used to fail the account's version check, a 500)."""
    outcome, first_read = {}, eventlet.event.Event()

    def first():
        with db.transaction() as session:
            outcome["first"] = accounts.authenticate(session, "caixiang_wg01", password, NOW, POLICY, NAME_HASH)[1]
            first_read.send()
            eventlet.sleep(0.3)  # commits after the second has read the account

    def second():
        first_read.wait()
        outcome["second"] = attempt(db, password)

    threads = [eventlet.spawn(first), eventlet.spawn(second)]
    for thread in threads:
        thread.wait()
    if failures:
        assert [type(outcome[k]) for k in ("first", "second")] == [InvalidCredentials] * 2
        assert [outcome[k].details["attempts_left"] for k in ("first", "second")] == [2, 1]
    else:
        assert outcome == {"first": None, "second": None}
    with db.read() as session:
        assert accounts.find_by_username(session, "caixiang_wg01").failed_logins == failures


def test_disabled_account_is_refused_only_after_the_right_password(db):
    with db.transaction() as session:
        accounts.find_by_username(session, "caixiang_wg01").disabled = True
    assert isinstance(attempt(db, "bad"), InvalidCredentials)
    assert isinstance(attempt(db, "Passw0rd-2026"), AccountDisabled)


def test_usernames_are_unique_and_passwords_must_be_strong(db):
    with db.transaction() as session:
        with pytest.raises(UsernameTaken):
            accounts.create_account(session, {"username": "caixiang_wg01", "display_name": "x",
                                              "password": "Passw0rd-2026", "roles": ["resident"]})
        with pytest.raises(WeakPassword) as caught:
            accounts.create_account(session, {"username": "new_one", "display_name": "x",
                                              "password": "abcdefghijkl", "roles": ["resident"]})
    assert "letters and digits" in caught.value.message


def test_first_admin_needs_a_password_in_production(open_db, monkeypatch):
    for name in ("ADMIN_PASSWORD", "ADMIN_USERNAME", "APP_ENV"):
        monkeypatch.delenv(name, raising=False)
    handle = open_db("people", MIGRATIONS_DIR)
    with pytest.raises(RuntimeError, match="ADMIN_PASSWORD"):
        accounts.ensure_admin(handle, {"APP_ENV": "production", "ADMIN_USERNAME": "root"})
    with pytest.raises(WeakPassword):
        accounts.ensure_admin(handle, {"APP_ENV": "production", "ADMIN_PASSWORD": "short1"})
    assert accounts.ensure_admin(handle, {"APP_ENV": "production", "ADMIN_USERNAME": "root",
                                          "ADMIN_PASSWORD": "Strong-Passw0rd-2026"}) == "root"
    assert accounts.ensure_admin(handle, {"APP_ENV": "production", "ADMIN_USERNAME": "root",
                                          "ADMIN_PASSWORD": "Strong-Passw0rd-2026"}) is None
    with handle.transaction() as session:
        assert accounts.find_by_username(session, "root").roles == ["admin"]


def test_an_account_may_be_one_persons_own(db):
    with db.transaction() as session:
        person = Person(name="李娜")
        session.add(person)
        session.flush()
        person_id = person.id
    with db.transaction() as session:
        with pytest.raises(InvalidInput) as unknown:
            accounts.create_account(session, {"username": "ghost01", "display_name": "x", "password": "Passw0rd-2026",
                                              "roles": ["grid_worker"], "person_id": "no-such-person"})
        assert unknown.value.details == {"field": "person_id"}
    with db.transaction() as session:
        accounts.create_account(session, {"username": "lina01", "display_name": "李娜", "password": "Passw0rd-2026",
                                          "roles": ["grid_worker"], "grid_scope": "320508019044001",
                                          "person_id": person_id})
    with db.transaction() as session:
        with pytest.raises(PersonHasAccount):
            accounts.create_account(session, {"username": "lina02", "display_name": "李娜",
                                              "password": "Passw0rd-2026", "roles": ["resident"],
                                              "person_id": person_id})


def test_failures_lapse_after_the_lock_time_for_accounts_and_guessed_names_alike(db):
    """Wrong sign-ins count "in a row" within the lock time of each other; a guessed
    name is kept only as a keyed hash, and the timer forgets it once it has lapsed."""
    from sqlalchemy import select

    from people.models import LoginFailure

    later = NOW + dt.timedelta(minutes=POLICY.lock_minutes + 1)
    for username in ("caixiang_wg01", "nobody"):
        attempt(db, "x", username=username)
        attempt(db, "x", username=username)  # one short of the lock
        error = attempt(db, "x", later, username=username)
        assert isinstance(error, InvalidCredentials), username
        assert error.details["attempts_left"] == POLICY.max_failures - 1, username
    attempt(db, "x", later, username="My-Passw0rd typed here")
    with db.read() as session:
        kept = session.scalars(select(LoginFailure.name_hash)).all()
    assert sorted(kept) == sorted([NAME_HASH("nobody"), NAME_HASH("my-passw0rd typed here")])
    with db.transaction() as session:
        assert accounts.forget_lapsed_failures(session, later + dt.timedelta(minutes=POLICY.lock_minutes - 1),
                                               POLICY) == 0
        # the two names' counts from everywhere, and each of the three names' from this address
        assert accounts.forget_lapsed_failures(session, later + dt.timedelta(minutes=POLICY.lock_minutes),
                                               POLICY) == 2 + 3


def test_a_name_that_lowercases_past_the_column_is_just_a_wrong_sign_in(db):
    assert isinstance(attempt(db, "x", username="İ" * 64), InvalidCredentials)  # "i̇" * 64: 128 characters


def test_the_timer_cannot_delete_a_guessed_names_row_under_a_sign_in(db):
    """The timer forgetting a lapsed name while a sign-in to it has just upserted its
    row: the sign-in holds the row, so it counts, and the timer leaves the row (it was
    a NoResultFound, a 500, when the upsert took no lock)."""
    from sqlalchemy import event

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers: the timer cannot run between the two statements")
    with db.transaction() as session:
        accounts.authenticate(session, "ghost", "x", NOW - dt.timedelta(minutes=POLICY.lock_minutes + 5),
                              POLICY, NAME_HASH)
    purged = []

    def run_the_timer_meanwhile(conn, cursor, statement, *args):
        if statement.startswith("INSERT INTO login_failures"):
            def timer():
                with db.transaction() as session:
                    purged.append(accounts.forget_lapsed_failures(session, NOW, POLICY))
            done = eventlet.spawn(timer)
            with eventlet.Timeout(1, False):  # it skips the sign-in's locked row, or runs right through
                done.wait()

    event.listen(db.engine, "after_cursor_execute", run_the_timer_meanwhile)
    try:
        error = attempt(db, "x", username="ghost")
    finally:
        event.remove(db.engine, "after_cursor_execute", run_the_timer_meanwhile)
    assert isinstance(error, InvalidCredentials) and error.details["attempts_left"] == POLICY.max_failures - 1
    eventlet.sleep(0.2)
    # The timer skipped the name's row the sign-in held (it waits on no sign-in), and
    # took only the lapsed count from this address, which the sign-in had not reached.
    assert purged == [1]
