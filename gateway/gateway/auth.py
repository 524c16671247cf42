"""Bearer tokens and who may do what, free of nameko.

Tokens are signed JWTs (HS256) carrying the account id, roles and grid scope, so
checking one needs no call to the people service. They are short-lived
(``TOKEN_TTL_SECONDS``, default one hour) because a disabled account keeps a
token it already holds until it expires.
"""
import datetime as dt
from dataclasses import dataclass

import jwt

from common.errors import Forbidden, Unauthenticated
from common.roles import DISTRICT_WIDE, ROLES, require_in_scope

ISSUER = "gridgov"
ALGORITHM = "HS256"


@dataclass(frozen=True)
class Principal:
    account_id: str
    username: str
    roles: tuple
    scope: str | None
    department: str | None = None
    person_id: str | None = None  # the staff member this account is, if any

    @property
    def district_wide(self):
        return bool(DISTRICT_WIDE & set(self.roles))

    def require_role(self, allowed):
        if not set(self.roles) & set(allowed):
            raise Forbidden(
                "Your role may not do this.",
                code="ROLE_FORBIDDEN",
                details={"required_any_of": sorted(set(allowed)), "your_roles": list(self.roles)},
            )

    def require_scope(self, grid_code):
        require_in_scope(self.scope, self.roles, grid_code)

    @property
    def reaches_grids(self):
        """False for an account without a grid scope and no district-wide role (a
        resident, most department accounts): it reaches tickets, not subtrees."""
        return self.district_wide or bool(self.scope)

    def effective_root(self, requested_root):
        """The subtree a query covers: what was asked, checked against the scope;
        the caller's own scope when nothing was asked."""
        if requested_root:
            self.require_scope(requested_root)
            return requested_root
        if self.district_wide:
            return None
        if not self.scope:
            raise Forbidden("Your account has no grid scope, so it covers no part of the district.",
                            code="OUT_OF_SCOPE", details={"your_scope": None})
        return self.scope


class TokenIssuer:
    def __init__(self, secret, ttl_seconds=3600):
        self.secret = secret
        self.ttl_seconds = ttl_seconds

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
            "iat": int(now.timestamp()),
            "exp": int(now.timestamp()) + self.ttl_seconds,
        }
        token = jwt.encode(claims, self.secret, algorithm=ALGORITHM)
        return {"access_token": token, "token_type": "bearer", "expires_in": self.ttl_seconds}

    def verify(self, token):
        try:
            claims = jwt.decode(
                token, self.secret, algorithms=[ALGORITHM], issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("Your sign-in has expired; please sign in again.", code="TOKEN_EXPIRED") from None
        except jwt.InvalidTokenError:
            raise Unauthenticated("The bearer token is not valid.", code="INVALID_TOKEN") from None
        return Principal(
            account_id=claims["sub"], username=claims.get("username", ""),
            roles=tuple(claims.get("roles") or ()), scope=claims.get("scope"), department=claims.get("department"),
            person_id=claims.get("person"),
        )

    def principal_from_header(self, header):
        if not header:
            raise Unauthenticated(
                "Sign in first: send 'Authorization: Bearer <token>' from POST /api/v1/auth/login.",
                code="AUTH_REQUIRED")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("The Authorization header must be 'Bearer <token>'.", code="INVALID_TOKEN")
        return self.verify(token.strip())
