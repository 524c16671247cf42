"""The caller as the gateway knows it, passed to services as an ``actor`` argument.

The gateway builds it from a verified token and sends ``actor.to_wire()``; a service
rebuilds it with ``Actor.from_wire`` and asks it what it reaches. It never travels
inside a client's JSON body, so no client can name itself someone else. A service
method called with no actor is an internal call (another service, a timer), which
reaches the whole district.
"""
from dataclasses import dataclass

from marshmallow import Schema, fields, validate

from common.errors import Forbidden
from common.roles import DISTRICT_WIDE, ROLES, effective_scope, require_in_reach
from common.validation import load


class ActorSchema(Schema):
    account_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    username = fields.String(load_default="", validate=validate.Length(max=64))
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), load_default=list)
    scope = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=24))
    department = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    person_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    client_address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    api_key_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=36))


@dataclass(frozen=True)
class Actor:
    account_id: str
    username: str = ""
    roles: tuple = ()
    scope: str | None = None       # the account's grid_scope, as stored
    department: str | None = None  # a department account's department code
    person_id: str | None = None   # the staff member this account is, if any
    client_address: str | None = None  # where the request came from (sign-in throttling, audit)
    api_key_id: str | None = None  # a department system calling with its key (then account_id is the key's id)

    @classmethod
    def from_wire(cls, data, what="actor"):
        """The actor a caller sent, or None for an internal call."""
        if data is None:
            return None
        if isinstance(data, Actor):
            return data
        loaded = load(ActorSchema, data, what)
        return cls(**dict(loaded, roles=tuple(loaded["roles"])))

    def to_wire(self):
        return {"account_id": self.account_id, "username": self.username, "roles": list(self.roles),
                "scope": self.scope, "department": self.department, "person_id": self.person_id,
                "client_address": self.client_address, "api_key_id": self.api_key_id}

    @property
    def district_wide(self):
        return bool(DISTRICT_WIDE & set(self.roles))

    @property
    def reach(self):
        """The subtree this actor reaches: None for the whole district, a grid code, or
        "" for none at all (residents, departments: scope never applies to them)."""
        if self.district_wide:
            return None
        return effective_scope(self.roles, self.scope) or ""

    @property
    def reaches_grids(self):
        return self.reach != ""

    def reaches(self, grid_code):
        reach = self.reach
        return reach is None or bool(reach) and (grid_code or "").startswith(reach)

    def require_reach(self, grid_code):
        """403 OUT_OF_SCOPE unless the actor reaches ``grid_code``."""
        require_in_reach(self.reach, grid_code)

    def has_role(self, role_set):
        return bool(set(self.roles) & set(role_set))

    def effective_root(self, requested_root=None):
        """The subtree a query covers: what was asked, checked against the reach; the
        actor's own subtree when nothing was asked (None: the whole district)."""
        if requested_root:
            self.require_reach(requested_root)
            return requested_root
        if self.reach == "":
            raise Forbidden("Your account has no grid scope, so it covers no part of the district.",
                            code="OUT_OF_SCOPE", details={"your_scope": None})
        return self.reach


def reach_of(actor):
    """The reach of an actor off the wire (None: an internal call, the whole district)."""
    actor = Actor.from_wire(actor)
    return None if actor is None else actor.reach
