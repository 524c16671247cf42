"""Demo people for ``make run``, in the demo district (see grid.demo): accounts for
each kind of user, the staff of 彩香一村 with their posts, so a report there goes to
its grid worker and a whistle reaches departments that can sign in, and the demo
resident's household in grid.demo's building, so he can rate his grid's workers.

Idempotent: what exists is left alone, so a second ``make run`` adds nothing."""
import datetime as dt

from sqlalchemy import select

from common import config as cfg
from common.cli import configure_logging, open_database
from common.outbox import add_event
from common.pii import load_cipher
from people import MIGRATIONS_DIR, residents, staff
from people.accounts import create_account, find_by_username
from people.idcard import check_char
from people.models import Department


VILLAGE = "320508019044"  # 彩香一村
DEMO_POSTS_START = dt.date(2026, 1, 1)

# username, display name, role, grid scope, department, the staff member it belongs to
DEMO_ACCOUNTS = [
    ("zhihui_zhongxin", "区指挥中心 陈敏", "district_officer", None, None, None),
    ("jinchang_leader", "金阊街道 王建国", "town_leader", "320508019", None, None),
    ("caixiang_sq", "彩香一村社区 赵丽", "community_officer", VILLAGE, None, None),
    ("caixiang_wg01", "彩香一村第一网格 李娜", "grid_worker", f"{VILLAGE}001", None, "李娜"),
    ("chengguan", "区城市管理局 值班员", "department", None, "urban_management", None),
    ("huanbao", "区生态环境局 值班员", "department", None, "environment", None),
    ("jumin_zhang", "居民 张先生", "resident", None, None, None),
    ("shenji", "区审计监督员 刘洋", "auditor", "320508", None, None),
]

# grid.demo's building in 彩香一村第一网格 (the first place numbered in the community)
DEMO_HOME = {"code": f"{VILLAGE}00001", "grid_code": f"{VILLAGE}001"}
DEMO_RESIDENT = {"name": "张明", "id_number": "32050819800512013" + check_char("32050819800512013"),
                 "account": "jumin_zhang"}

# name, grid, post, birth date: the village's grid chief and a full-time worker in each
# of its first grids (the workers within the recruitment rules: 55 or under)
DEMO_STAFF = [
    ("周建华", VILLAGE, "grid_chief", dt.date(1972, 3, 18)),
    ("李娜", f"{VILLAGE}001", "full_time_worker", dt.date(1990, 7, 2)),
    ("孙强", f"{VILLAGE}002", "full_time_worker", dt.date(1985, 11, 23)),
    ("吴敏", f"{VILLAGE}003", "full_time_worker", dt.date(1993, 5, 9)),
]

DEMO_DEPARTMENTS = [("urban_management", "区城市管理局"), ("environment", "区生态环境局")]


def _staff(session, cipher):
    """{name: person id} for the demo staff, posted if they were not yet."""
    people = {}
    for name, grid_code, role, birth_date in DEMO_STAFF:
        held = staff.assignments(session, grid_prefix=grid_code)
        existing = next((a for a in held if a.grid_code == grid_code and a.role == role), None)
        if existing is not None:
            people[name] = existing.person_id
            continue
        person = staff.create_person(session, cipher, {"name": name, "birth_date": birth_date})
        post = staff.assign(session, person.id, grid_code, role, DEMO_POSTS_START)
        add_event(session, "people", "person_assigned", staff.assignment_view(post))  # tickets' copy
        people[name] = person.id
    return people


def _resident(session, cipher):
    """The demo resident's id, with his household registered at DEMO_HOME if he was not yet."""
    existing = residents.find_residents(session, cipher, id_number=DEMO_RESIDENT["id_number"], limit=1).rows
    if existing:
        return existing[0].id
    household = residents.register_household(session, {"address": "彩香一村3幢"}, DEMO_HOME)
    add_event(session, "people", "household_registered", residents.household_payload(household))
    resident = residents.register_resident(session, cipher, {"name": DEMO_RESIDENT["name"],
                                                             "id_number": DEMO_RESIDENT["id_number"],
                                                             "household_id": household.id})
    add_event(session, "people", "resident_registered", residents.resident_payload(session, resident))
    return resident.id


def load_demo(db, password, cipher):
    """Create what is missing; returns (username, name, role) of the demo accounts."""
    with db.transaction() as session:
        for code, name in DEMO_DEPARTMENTS:
            if session.scalar(select(Department.code).where(Department.code == code)) is None:
                staff.create_department(session, {"code": code, "name": name, "kind": "functional_department"})
        people = _staff(session, cipher)
        resident = _resident(session, cipher)
        for username, display_name, role, scope, department, person in DEMO_ACCOUNTS:
            if find_by_username(session, username) is None:
                create_account(session, {
                    "username": username, "display_name": display_name, "password": password,
                    "roles": [role], "grid_scope": scope, "department_code": department,
                    "person_id": people.get(person),
                    "resident_id": resident if username == DEMO_RESIDENT["account"] else None,
                }, min_password_length=8)
    return [(username, display_name, role) for username, display_name, role, *_ in DEMO_ACCOUNTS]


def main():
    configure_logging()
    password = cfg.env("DEMO_PASSWORD") or cfg.env("ADMIN_PASSWORD")
    if not password:
        raise SystemExit("Set DEMO_PASSWORD (or ADMIN_PASSWORD) for the demo accounts.")
    db = open_database("people", MIGRATIONS_DIR)
    # On stdout, not in the log: `make run`'s banner shows them (usernames, no passwords).
    for username, display_name, role in load_demo(db, password, load_cipher()):
        print(f"    {username:<16} {display_name} ({role})")


if __name__ == "__main__":
    main()
