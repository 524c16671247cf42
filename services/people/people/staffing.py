"""The staffing standard (一格一长一警一专多兼) and recruitment eligibility, pure."""
from dataclasses import dataclass

from people.idcard import age_on
from people.staff import STAFF_ROLES

DEFAULT_RULES = {
    "basic": {"grid_chief": 1, "grid_police": 1, "full_time_worker": 1, "part_time_worker": 2},
    "exclusive": {"grid_chief": 1, "part_time_worker": 1},
}


def parse_rule(text, default):
    """``grid_chief=1,part_time_worker=2`` -> {role: minimum}."""
    if not text:
        return dict(default)
    rule = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        role, _, count = item.partition("=")
        if not count.isdigit():
            raise ValueError(f"staffing rule item {item!r} is not role=count")
        rule[role.strip()] = int(count)
    return rule


def staffing_gaps(grids, active_assignments, rules):
    """``grids``: the grids grid workers are posted to (grid's ``staffed_grids``: the
    level its scheme staffs, and exclusive grids), dicts with code, name, kind, level,
    community_code, town_code; assignments active today. Returns the grids that lack
    someone, and totals per town and community."""
    held = {}
    for a in active_assignments:
        held.setdefault(a.grid_code, {}).setdefault(a.role, set()).add(a.person_id)
    gaps, towns, communities = [], {}, {}
    for grid in grids:
        rule = rules.get(grid["kind"], rules["basic"])
        have = {role: len(held.get(grid["code"], {}).get(role, ())) for role in rule}
        missing = {role: need - have[role] for role, need in rule.items() if have[role] < need}
        for key, bucket in ((grid.get("town_code"), towns), (grid.get("community_code"), communities)):
            if key:
                entry = bucket.setdefault(key, {"grids": 0, "grids_with_gaps": 0, "missing": {}})
                entry["grids"] += 1
                if missing:
                    entry["grids_with_gaps"] += 1
                for role, count in missing.items():
                    entry["missing"][role] = entry["missing"].get(role, 0) + count
        if missing:
            gaps.append({"code": grid["code"], "name": grid["name"], "kind": grid["kind"],
                         "level": grid.get("level"), "have": have, "missing": missing})
    return {"grids_checked": len(grids), "grids_with_gaps": len(gaps), "gaps": gaps,
            "by_town": towns, "by_community": communities}


# Seed 003 (Dianbai): the town recruits grid workers who are competent, have no record
# of violations, are responsible, "generally 55 or under" and use a smartphone well.
# "Generally": a district officer may post someone outside the rules, with a reason.
RECRUITED_ROLES = ("full_time_worker",)


@dataclass(frozen=True)
class Eligibility:
    max_age: int = 55
    require_smartphone: bool = True
    forbid_violations: bool = True
    roles: tuple = RECRUITED_ROLES      # the posts the rules are enforced on

    def applies_to(self, role):
        return role in self.roles

    def check(self, person, today):
        """``{"eligible", "reasons": [{"rule", "passed", "message"}]}`` of ``person``
        (anything with birth_date, smartphone_user and violation_recorded)."""
        reasons = []
        if person.birth_date is None:
            reasons.append({"rule": "max_age", "passed": False, "message": "出生日期未知 / birth date unknown"})
        else:
            age = age_on(person.birth_date, today)
            reasons.append({"rule": "max_age", "passed": age <= self.max_age,
                            "message": f"{age}岁，上限{self.max_age}岁 / age {age}, at most {self.max_age}"})
        if self.require_smartphone:
            reasons.append({"rule": "smartphone", "passed": bool(person.smartphone_user),
                            "message": "会使用智能手机 / uses a smartphone" if person.smartphone_user
                            else "不会使用智能手机 / does not use a smartphone"})
        if self.forbid_violations:
            reasons.append({"rule": "no_violation", "passed": not person.violation_recorded,
                            "message": "有违法违纪记录 / a violation is on record" if person.violation_recorded
                            else "无违法违纪记录 / no violation on record"})
        return {"eligible": all(r["passed"] for r in reasons), "reasons": reasons}

    def failed(self, person, role, today):
        """The reasons ``person`` may not take a post in ``role`` (none for a role the
        rules leave alone)."""
        if not self.applies_to(role):
            return []
        return [reason for reason in self.check(person, today)["reasons"] if not reason["passed"]]


def recruitment_rules(max_age=55, roles=None):
    """The rules as configured: RECRUIT_MAX_AGE, and RECRUIT_ROLES (a comma list of post
    roles, default full_time_worker; unknown roles are a start-up error)."""
    chosen = tuple(filter(None, (r.strip() for r in roles.split(",")))) if roles else RECRUITED_ROLES
    unknown = [role for role in chosen if role not in STAFF_ROLES]
    if unknown:
        raise ValueError(f"RECRUIT_ROLES names unknown post roles: {', '.join(unknown)}")
    return Eligibility(max_age=max_age, roles=chosen)
