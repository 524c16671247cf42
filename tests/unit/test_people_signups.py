"""Residents' sign-ups on a real database (PostgreSQL when there is one): the hourly
limit per address, approval linking only a housed resident of the officer's scope, and
the configured check."""
import datetime as dt

import pytest

from common.errors import TooManyRequests
from common.pii import PiiCipher
from people import MIGRATIONS_DIR, signups
from people.exceptions import ResidentNotFound, SignupDecided, UsernameTaken
from people.models import Household, Resident

NOW = dt.datetime(2026, 12, 1, 2, tzinfo=dt.timezone.utc)
GRID = "320568001001001"
CIPHER = PiiCipher(bytes(range(32)))


@pytest.fixture
def db(open_db):
    return open_db("people", MIGRATIONS_DIR)


def body(username, grid=GRID):
    return {"username": username, "password": "Zhuce2026abc", "name": "居民", "phone": "13811112222",
            "address": "1号楼", "grid_code": grid}


def test_an_address_has_an_hourly_limit_and_a_username_one_pending_sign_up(db):
    check = signups.verification("approval")
    with db.transaction() as session:
        for n in range(3):
            signups.sign_up(session, CIPHER, body(f"u{n}"), check=check, client_address="10.0.0.1", now=NOW, limit=3)
        with pytest.raises(TooManyRequests):
            signups.sign_up(session, CIPHER, body("u9"), check=check, client_address="10.0.0.1", now=NOW, limit=3)
        an_hour_on = NOW + signups.WINDOW
        signups.sign_up(session, CIPHER, body("u9"), check=check, client_address="10.0.0.1", now=an_hour_on, limit=3)
        with pytest.raises(UsernameTaken):
            signups.sign_up(session, CIPHER, body("U9"), check=check, client_address="10.0.0.2", now=NOW, limit=3)


def test_approval_links_only_a_housed_resident_of_the_scope(db):
    check = signups.verification("approval")
    with db.transaction() as session:
        home = Household(place_code=f"{GRID[:12]}00001", grid_code=GRID, address="1号楼")
        session.add(home)
        session.flush()
        housed = Resident(name="甲", gender="男", birth_date=dt.date(1980, 1, 1), id_number_enc="x",
                          id_number_hash="h1", id_number_masked="m", household_id=home.id, grid_code=GRID, tags=[])
        homeless = Resident(name="乙", gender="男", birth_date=dt.date(1980, 1, 1), id_number_enc="x",
                            id_number_hash="h2", id_number_masked="m", tags=[])
        session.add_all([housed, homeless])
        session.flush()
        signup = signups.sign_up(session, CIPHER, body("jia"), check=check, client_address="a", now=NOW, limit=5)
        with pytest.raises(ResidentNotFound):
            signups.approve(session, signup, homeless.id, reach=None, by="o", now=NOW)
        with pytest.raises(ResidentNotFound):
            signups.approve(session, signup, housed.id, reach="320568002", by="o", now=NOW)
        account = signups.approve(session, signup, housed.id, reach=GRID[:12], by="o", now=NOW)
        assert (account.roles, account.resident_id, signup.status) == (["resident"], housed.id, "approved")
        with pytest.raises(SignupDecided):
            signups.reject(session, signup, "晚了", by="o", now=NOW)


def test_an_unknown_check_stops_the_service():
    with pytest.raises(ValueError, match="sms"):
        signups.verification("sms")
