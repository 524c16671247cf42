"""The roles an account can hold: part of the bus contract between people (which
stores them) and the gateway (which enforces them). Labels in zh-CN and English."""
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
}

# Roles that act for the whole district whatever their grid scope.
DISTRICT_WIDE = frozenset({"admin", "district_officer"})
# Roles that work in a part of the district: their accounts must name it (grid_scope).
GRID_SCOPED = frozenset({"town_leader", "community_officer", "grid_chief", "grid_worker"})


def in_scope(scope, grid_code):
    """Codes are hierarchical, so an account scoped to a grid covers every code that
    starts with it. No scope reaches no grid: a resident or a department account sees
    what it reported or what was dispatched to it, never the district by default."""
    return bool(scope) and (grid_code or "").startswith(scope)


def require_in_scope(scope, roles, grid_code):
    """Nothing if an account with this scope and these roles reaches ``grid_code``;
    otherwise 403 OUT_OF_SCOPE naming the grid and the scope."""
    if DISTRICT_WIDE & set(roles) or in_scope(scope, grid_code):
        return
    if grid_code is None:
        message = "This record lies in no grid; only district-wide accounts reach it."
    elif scope:
        message = f"Grid {grid_code} is outside your scope {scope}."
    else:
        message = f"Your account has no grid scope, so grid {grid_code} is beyond it."
    raise Forbidden(message, code="OUT_OF_SCOPE", details={"grid_code": grid_code, "your_scope": scope})


def require_in_reach(scope, grid_code):
    """``require_in_scope`` for a service given the caller's scope by the gateway, where
    None stands for the whole district (a district-wide caller, or an internal one)."""
    if scope is not None:
        require_in_scope(scope, (), grid_code)
