"""The roles an account can hold: part of the bus contract between people (which
stores them) and the gateway (which enforces them). Labels in zh-CN and English."""

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
