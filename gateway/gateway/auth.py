"""Bearer tokens, department systems' API keys, and who may do what, free of nameko.

Tokens are signed JWTs (HS256) carrying the account id, roles and grid scope, so
checking one needs no call to the people service. They are short-lived
(``TOKEN_TTL_SECONDS``, default one hour), and they can be ended before that: each
carries its account's ``token_version`` (``ver``), which rises when the account is
disabled, its password changed or reset, or its tokens revoked. The gateway learns of
each rise by polling people (``TokenVersions``) and refuses a token carrying an older one.

A department's system calls with ``X-API-Key`` (or ``Authorization: ApiKey <key>``)
instead: people checks the key and the caller is that department.
"""
import dataclasses
import datetime as dt
import ipaddress
import time

import jwt

from common.actor import Actor
from common.errors import Unauthenticated
from common.roles import ROLES

ISSUER = "gridgov"
ALGORITHM = "HS256"


VERIFIED_CACHE_SIZE = 10_000


class TokenIssuer:
    def __init__(self, secret, ttl_seconds=3600, versions=None):
        self.secret = secret
        self.ttl_seconds = ttl_seconds
        self.versions = versions if versions is not None else TokenVersions()
        self._verified = {}  # token -> (Actor, exp, ver)

    def issue(self, account, now=None):
        now = now or dt.datetime.now(dt.timezone.utc)
        claims = {
            "iss": ISSUER,
            "sub": account["id"],
            "username": account["username"],
            "roles": [role for role in account["roles"] if role in ROLES],
            "scope": account.get("grid_scope"),
            "department": account.get("department_code"),
            "person": account.get("person_id"),
            "ver": account.get("token_version") or 0,
            "iat": int(now.timestamp()),
            "exp": int(now.timestamp()) + self.ttl_seconds,
        }
        token = jwt.encode(claims, self.secret, algorithm=ALGORITHM)
        return {"access_token": token, "token_type": "bearer", "expires_in": self.ttl_seconds}

    def verify(self, token):
        """The token's Actor. A token verified before is answered from a small cache (a
        client sends the same one with every request) until it expires: its signature
        cannot change, and decoding it again was half of the door's own work."""
        known = self._verified.get(token)
        if known is not None and time.time() >= known[1]:
            del self._verified[token]
            known = None
        if known is None:
            known = self._decode(token)
            if len(self._verified) >= VERIFIED_CACHE_SIZE:
                self._verified.pop(next(iter(self._verified)))  # the oldest first (insertion order)
            self._verified[token] = known
        actor, _, version = known
        if self.versions.ended(actor.account_id, version):
            raise Unauthenticated("This sign-in has been ended (signed out, password changed or account "
                                  "disabled); please sign in again.", code="TOKEN_REVOKED")
        return actor

    def _decode(self, token):
        try:
            claims = jwt.decode(
                token, self.secret, algorithms=[ALGORITHM], issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("Your sign-in has expired; please sign in again.", code="TOKEN_EXPIRED") from None
        except jwt.InvalidTokenError:
            raise Unauthenticated("The bearer token is not valid.", code="INVALID_TOKEN") from None
        return Actor(
            account_id=claims["sub"], username=claims.get("username", ""),
            roles=tuple(r for r in claims.get("roles") or () if r in ROLES), scope=claims.get("scope"),
            department=claims.get("department"), person_id=claims.get("person"),
        ), claims["exp"], claims.get("ver") or 0

    def actor_from_header(self, header):
        if not header:
            raise Unauthenticated(
                "Sign in first: send 'Authorization: Bearer <token>' from POST /api/v1/auth/login "
                "(a department's system: 'X-API-Key: <key>').", code="AUTH_REQUIRED")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("The Authorization header must be 'Bearer <token>'.", code="INVALID_TOKEN")
        return self.verify(token.strip())


class TokenVersions:
    """The newest ``token_version`` of each account whose tokens ended recently, as
    polled from people (and noted at once when this gateway ended them): a token with an
    older one is refused. Entries older than a token's life are forgotten."""

    def __init__(self):
        self._versions = {}  # account id -> (version, noted at)
        self.since = None   # the poll's next ``since``

    def note(self, account_id, version, now=None):
        current = self._versions.get(account_id)
        if current is None or version > current[0]:
            self._versions[account_id] = (version, now or time.time())

    def ended(self, account_id, version):
        current = self._versions.get(account_id)
        return current is not None and version < current[0]

    def forget_older_than(self, seconds, now=None):
        cutoff = (now or time.time()) - seconds
        for account_id in [a for a, (_, at) in self._versions.items() if at < cutoff]:
            del self._versions[account_id]


API_KEY_HEADER = "X-API-Key"


def api_key_of(request, form_field=None):
    """The key a department system sent (``X-API-Key``, or ``Authorization: ApiKey``,
    or on a route that names one the form field ``form_field``: Open311's ``api_key``),
    or None."""
    key = request.headers.get(API_KEY_HEADER)
    if key is None:
        scheme, _, value = (request.headers.get("Authorization") or "").partition(" ")
        key = value if scheme.lower() == "apikey" else None
    if key is None and form_field:
        key = request.form.get(form_field)  # empty unless the body is a form
    return key.strip() if key is not None else None


def key_actor(caller):
    """The department a key acts for, as the caller services see: no person, no grid
    scope; its account id is the key's (the trail names the key)."""
    return Actor(account_id=caller["key_id"], username=f"apikey:{caller['prefix']}", roles=("department",),
                 department=caller["department_code"], api_key_id=caller["key_id"])


def trusted_networks(setting):
    """``TRUSTED_PROXIES``: comma-separated addresses or networks of the reverse proxies
    in front of the gateway, whose X-Forwarded-For is believed."""
    networks = []
    for item in (setting or "").split(","):
        if item.strip():
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
    return tuple(networks)


def client_address(remote_addr, forwarded_for, trusted):
    """The address a request came from: the peer, or, when the peer is a trusted proxy,
    the nearest address in X-Forwarded-For that is not one (a client can prepend any
    address it likes, so the list is read from the right)."""
    def is_trusted(address):
        try:
            return any(ipaddress.ip_address(address) in network for network in trusted)
        except ValueError:
            return False

    address = remote_addr or ""
    if not trusted or not is_trusted(address) or not forwarded_for:
        return address[:64] or None
    for hop in reversed([part.strip() for part in forwarded_for.split(",") if part.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return address[:64]  # a mangled list: believe the proxy, not the text
        if not is_trusted(hop):
            return hop
    return address[:64]


class Callers:
    """Who is calling: the bearer token's account, and the client's address (through
    the trusted reverse proxies of TRUSTED_PROXIES)."""

    def __init__(self, issuer, trusted=()):
        self.issuer = issuer
        self.trusted = trusted

    def client_address(self, request):
        return client_address(request.remote_addr, request.headers.get("X-Forwarded-For"), self.trusted)

    def actor_from(self, request, check_key=None, key_field=None):
        """The caller: a bearer token's account, or with ``check_key`` (key -> the people
        service's answer) a department system's key (``key_field``: a form field that
        may carry it)."""
        key = api_key_of(request, key_field) if check_key is not None else None
        if key is not None:
            actor = key_actor(check_key(key))
        else:
            actor = self.issuer.actor_from_header(request.headers.get("Authorization"))
        return dataclasses.replace(actor, client_address=self.client_address(request))
