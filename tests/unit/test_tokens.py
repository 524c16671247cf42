import dataclasses
import datetime as dt
import time

import jwt
import pytest

from common.errors import Forbidden, Unauthenticated
from common.actor import Actor as Principal
from gateway.auth import TokenIssuer, client_address, trusted_networks

ACCOUNT = {"id": "a1", "username": "caixiang_wg01", "roles": ["grid_worker", "bogus"],
           "grid_scope": "320508019044001"}
SECRET = "unit-test-secret-0123456789abcdef0123"


def test_issued_token_verifies_to_the_account():
    issuer = TokenIssuer(SECRET, ttl_seconds=600)
    token = issuer.issue(ACCOUNT)
    assert token["token_type"] == "bearer" and token["expires_in"] == 600
    principal = issuer.actor_from_header(f"Bearer {token['access_token']}")
    assert principal == Principal("a1", "caixiang_wg01", ("grid_worker",), "320508019044001")
    linked = issuer.verify(issuer.issue(dict(ACCOUNT, person_id="p1"))["access_token"])
    assert linked.person_id == "p1"


def test_an_account_without_a_scope_reaches_no_subtree_unless_district_wide():
    resident = Principal("a2", "jumin", ("resident",), None)
    assert not resident.reaches_grids
    with pytest.raises(Forbidden):
        resident.require_reach("320508019044001")
    with pytest.raises(Forbidden):
        resident.effective_root(None)
    officer = Principal("a3", "zhihui", ("district_officer",), None)
    assert officer.effective_root(None) is None and officer.reaches_grids


@pytest.mark.parametrize("header, code", [
    (None, "AUTH_REQUIRED"), ("", "AUTH_REQUIRED"), ("Basic abc", "INVALID_TOKEN"),
    ("Bearer ", "INVALID_TOKEN"), ("Bearer not.a.jwt", "INVALID_TOKEN"),
])
def test_bad_headers_are_refused(header, code):
    with pytest.raises(Unauthenticated) as caught:
        TokenIssuer(SECRET).actor_from_header(header)
    assert caught.value.code == code


def test_expired_and_foreign_tokens_are_refused():
    old = TokenIssuer(SECRET, ttl_seconds=60).issue(
        ACCOUNT, now=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5))["access_token"]
    with pytest.raises(Unauthenticated) as caught:
        TokenIssuer(SECRET).verify(old)
    assert caught.value.code == "TOKEN_EXPIRED"
    foreign = TokenIssuer("another-secret-0123456789abcdef01234").issue(ACCOUNT)["access_token"]
    with pytest.raises(Unauthenticated):
        TokenIssuer(SECRET).verify(foreign)


def test_scope_is_a_code_prefix_and_district_roles_see_everything():
    worker = Principal("a", "w", ("grid_worker",), "320508019044001")
    worker.require_reach("320508019044001")
    with pytest.raises(Forbidden) as caught:
        worker.require_reach("320508019044002")
    assert caught.value.code == "OUT_OF_SCOPE"
    assert worker.effective_root(None) == "320508019044001"
    officer = Principal("b", "o", ("district_officer",), None)
    officer.require_reach("110105001001001")
    assert officer.effective_root(None) is None


def test_a_scope_never_applies_to_residents_and_departments():
    for roles in (("resident",), ("department",), ("resident", "department")):
        holder = Principal("c", "r", roles, "320508019044001")  # a scope an old account kept
        assert holder.reach == "" and not holder.reaches("320508019044001")
        with pytest.raises(Forbidden):
            holder.require_reach("320508019044001")
    both = Principal("d", "w", ("resident", "grid_worker"), "320508019044001")
    assert both.reaches("320508019044001001")


def test_the_client_address_is_the_peer_unless_a_trusted_proxy_forwards_it():
    trusted = trusted_networks("10.0.0.0/8, 127.0.0.1")
    assert client_address("203.0.113.9", "198.51.100.1", trusted) == "203.0.113.9"  # not a proxy: ignored
    assert client_address("10.1.2.3", "198.51.100.1", trusted) == "198.51.100.1"
    # a client may prepend anything: the nearest untrusted hop counts
    assert client_address("127.0.0.1", "6.6.6.6, 198.51.100.1, 10.0.0.5", trusted) == "198.51.100.1"
    assert client_address("127.0.0.1", "not-an-address", trusted) == "127.0.0.1"
    assert client_address("127.0.0.1", "198.51.100.1", ()) == "127.0.0.1"  # no proxies configured


def test_a_verified_token_is_remembered_until_it_expires(monkeypatch):
    issuer = TokenIssuer(SECRET, ttl_seconds=60)
    token = issuer.issue(ACCOUNT)["access_token"]
    decoded = []
    real_decode = jwt.decode
    monkeypatch.setattr("gateway.auth.jwt.decode", lambda *a, **k: decoded.append(1) or real_decode(*a, **k))
    first = issuer.verify(token)
    assert issuer.verify(token) == first and len(decoded) == 1  # the second from memory
    real_time = time.time()
    monkeypatch.setattr("gateway.auth.time.time", lambda: real_time + 120)  # past the token's exp
    issuer.verify(token)  # (jwt's own clock still says valid: the cache no longer answers)
    assert len(decoded) == 2
    with pytest.raises(Unauthenticated):
        issuer.verify(token[:-2] + "xx")  # a forged one is never taken from the cache


def test_an_actor_goes_on_the_wire_whole():
    actor = Principal("a", "u", ("grid_worker",), "320508019044001", "env", "p1", "203.0.113.9")
    assert set(actor.to_wire()) == {field.name for field in dataclasses.fields(Principal)}
    assert Principal.from_wire(actor.to_wire()) == actor
