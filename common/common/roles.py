"""The roles an account can hold, and the named sets of them that every rule uses.

Part of the bus contract between people (which stores roles), the gateway (whose
route table names a set per route) and the services (which check an actor's reach).
A set means the same wherever it is used; nothing else spells a list of roles.
Labels in zh-CN and English.
"""
from common.errors import Forbidden

ROLES = {
    "admin": ("系统管理员", "system administrator"),
    "district_officer": ("区级指挥中心", "district command centre officer"),
    "town_leader": ("镇街领导", "town / street leader"),
    "community_officer": ("社区工作人员", "community officer"),
    "grid_chief": ("网格长", "grid chief"),
    "grid_worker": ("网格员", "grid worker"),
    "department": ("职能部门", "functional department"),
    "resident": ("居民", "resident"),
    "auditor": ("审计监督员", "auditor"),
}


class RoleSet(frozenset):
    """A named set of roles: the name is what the route table, the docs and the
    role-matrix test show."""

    def __new__(cls, name, roles, label=""):
        unknown = set(roles) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown roles in {name}: {sorted(unknown)}")
        self = super().__new__(cls, roles)
        self.name, self.label = name, label
        return self

    def __repr__(self):
        return f"RoleSet({self.name})"

    def ordered(self):
        """Its roles in the order of ROLES (the docs' order)."""
        return [role for role in ROLES if role in self]


# Roles that act for the whole district whatever their grid scope.
DISTRICT_WIDE = RoleSet("DISTRICT_WIDE", {"admin", "district_officer"}, "district-wide roles")
# Staff who work in a part of the district.
GRID_STAFF = RoleSet("GRID_STAFF", {"town_leader", "community_officer", "grid_chief", "grid_worker"}, "grid staff")
# Auditors (审计监督): they read everything in their part of the district and review
# integrity flags, and change nothing else.
AUDITORS = RoleSet("AUDITORS", {"auditor"}, "auditors")
# Roles that act in a part of the district: their accounts must name it (grid_scope).
GRID_SCOPED = RoleSet("GRID_SCOPED", GRID_STAFF | AUDITORS, "grid staff and auditors")
# Roles a grid scope never applies to: they reach what they reported, or what was
# dispatched to their department, never a subtree (an account of only these roles
# may not be given a grid_scope).
UNSCOPED = RoleSet("UNSCOPED", {"department", "resident"}, "residents and departments")

EVERYONE = RoleSet("SIGNED_IN", set(ROLES), "any signed-in account")
# A department's own system (its key) or account: files Open311 service requests.
DEPARTMENTS = RoleSet("DEPARTMENTS", {"department"}, "departments (their accounts and their systems' keys)")
ADMINS = RoleSet("ADMINS", {"admin"}, "administrators")
STAFF = RoleSet("STAFF", DISTRICT_WIDE | GRID_STAFF, "district-wide roles and grid staff")
REPORTERS = RoleSet("REPORTERS", set(ROLES) - AUDITORS, "any signed-in account but an auditor's")
STAFF_AND_DEPARTMENTS = RoleSet("STAFF_AND_DEPARTMENTS", STAFF | AUDITORS | {"department"},
                                "staff, auditors and department accounts")
STAFF_MANAGERS = RoleSet("STAFF_MANAGERS", {"admin", "district_officer", "town_leader", "community_officer"},
                         "staff managers")
SUPERVISORS = RoleSet("SUPERVISORS", STAFF_MANAGERS | {"grid_chief"}, "supervisors")
FIELD_STAFF = RoleSet("FIELD_STAFF", {"admin", "community_officer", "grid_chief", "grid_worker"},
                      "field staff (residents, households, patrols, visits)")
POINTS_APPROVERS = RoleSet("POINTS_APPROVERS", {"admin", "community_officer", "grid_chief"}, "points approvers")
REWARD_EDITORS = RoleSet("REWARD_EDITORS", {"admin", "district_officer", "community_officer"}, "reward editors")
# Assessment (考核): the street runs, publishes and corrects it and enters its own items
# and outside raters' sheets; the village enters its monthly self-assessments.
ASSESSORS = RoleSet("ASSESSORS", {"admin", "district_officer", "town_leader"}, "assessors")
SELF_ASSESSORS = RoleSet("SELF_ASSESSORS", {"admin", "community_officer"}, "village self-assessors")
# The street and the auditors run an integrity scan of their scope at will.
# Seed 003: the district or the town launches a task over every household of a scope.
CAMPAIGN_LAUNCHERS = RoleSet("CAMPAIGN_LAUNCHERS", {"admin", "district_officer", "town_leader"}, "campaign launchers")
# Party building: a party member logs their own service and signs in to a service day
# from their own account, often a department's (在职党员); staff do it for them.
PARTY_SERVICE = RoleSet("PARTY_SERVICE", STAFF | {"department"},
                        "staff, and a party member from their own department account")
# Webhooks: a department subscribes its own system; an administrator any department's.
WEBHOOK_OWNERS = RoleSet("WEBHOOK_OWNERS", {"admin", "department"}, "administrators and departments")
INTEGRITY_SCANNERS = RoleSet("INTEGRITY_SCANNERS", ASSESSORS | AUDITORS, "assessors and auditors")
# Small wishes (点亮微心愿, seed 001): a resident posts one from their own account; grid
# staff may claim and fulfil one when their staff record is a party member's or holds a
# volunteer or in-service party member post (people.wishes checks the record); community
# officers and those above them approve and reject (STAFF_MANAGERS).
RESIDENTS = RoleSet("RESIDENTS", {"resident"}, "residents (their own account)")
WISH_CLAIMANTS = RoleSet("WISH_CLAIMANTS", {"community_officer", "grid_chief", "grid_worker"},
                         "grid staff who are party members or volunteers")
# What staff, supervisors and managers read, auditors read too, within their scope.
STAFF_READERS = RoleSet("STAFF_READERS", STAFF | AUDITORS, "staff and auditors")
SUPERVISOR_READERS = RoleSet("SUPERVISOR_READERS", SUPERVISORS | AUDITORS, "supervisors and auditors")
MANAGER_READERS = RoleSet("MANAGER_READERS", STAFF_MANAGERS | AUDITORS, "staff managers and auditors")
WISH_READERS = RoleSet("WISH_READERS", STAFF_READERS | RESIDENTS, "staff, auditors and residents")

NAMED_SETS = {s.name: s for s in (DISTRICT_WIDE, GRID_STAFF, AUDITORS, GRID_SCOPED, UNSCOPED, EVERYONE, DEPARTMENTS,
                                  REPORTERS, ADMINS, STAFF, STAFF_AND_DEPARTMENTS, STAFF_MANAGERS, SUPERVISORS,
                                  FIELD_STAFF, POINTS_APPROVERS, REWARD_EDITORS, ASSESSORS, SELF_ASSESSORS,
                                  STAFF_READERS, SUPERVISOR_READERS, MANAGER_READERS, INTEGRITY_SCANNERS,
                                  CAMPAIGN_LAUNCHERS, RESIDENTS, WISH_CLAIMANTS, WISH_READERS, PARTY_SERVICE,
                                  WEBHOOK_OWNERS)}


def effective_scope(roles, scope):
    """The grid scope that applies to an account: none for one with a district-wide
    role (it reaches everything) or with only unscoped roles (it reaches no subtree)."""
    roles = set(roles)
    if roles & DISTRICT_WIDE or not roles & GRID_SCOPED:
        return None
    return scope or None


def in_scope(scope, grid_code):
    """Codes are hierarchical, so an account scoped to a grid covers every code that
    starts with it. No scope reaches no grid: a resident or a department account sees
    what it reported or what was dispatched to it, never the district by default."""
    return bool(scope) and (grid_code or "").startswith(scope)


def require_in_scope(scope, roles, grid_code):
    """Nothing if an account with this scope and these roles reaches ``grid_code``;
    otherwise 403 OUT_OF_SCOPE naming the grid and the scope."""
    if not DISTRICT_WIDE & set(roles):
        require_in_reach(effective_scope(roles, scope) or "", grid_code)


def require_in_reach(scope, grid_code):
    """For a service given the caller's reach: None stands for the whole district (a
    district-wide caller, or an internal one), "" for no subtree at all."""
    if scope is None or in_scope(scope, grid_code):
        return
    if grid_code is None:
        message = "This record lies in no grid; only district-wide accounts reach it."
    elif scope:
        message = f"Grid {grid_code} is outside your scope {scope}."
    else:
        message = f"Your account has no grid scope, so grid {grid_code} is beyond it."
    raise Forbidden(message, code="OUT_OF_SCOPE", details={"grid_code": grid_code, "your_scope": scope or None})
