"""Demo accounts for ``make run``: a district officer, a street leader and a grid
worker, scoped to the demo district's codes (see grid.demo)."""
import logging

from common import config as cfg
from common.cli import configure_logging, open_database
from people import MIGRATIONS_DIR
from people.accounts import create_account, find_by_username

log = logging.getLogger(__name__)

DEMO_ACCOUNTS = [
    # username, display name, role, grid scope
    ("zhihui_zhongxin", "区指挥中心 陈敏", "district_officer", None),
    ("jinchang_leader", "金阊街道 王建国", "town_leader", "320508019"),
    ("caixiang_wg01", "彩香一村第一网格 李娜", "grid_worker", "320508019044001"),
]


def load_demo(db, password):
    """Create the demo accounts that are missing; returns (username, name, role)."""
    with db.transaction() as session:
        for username, display_name, role, scope in DEMO_ACCOUNTS:
            if find_by_username(session, username) is None:
                create_account(session, {
                    "username": username, "display_name": display_name, "password": password,
                    "roles": [role], "grid_scope": scope,
                }, min_password_length=8)
    return [(username, display_name, role) for username, display_name, role, _ in DEMO_ACCOUNTS]


def main():
    configure_logging()
    password = cfg.env("DEMO_PASSWORD") or cfg.env("ADMIN_PASSWORD")
    if not password:
        raise SystemExit("Set DEMO_PASSWORD (or ADMIN_PASSWORD) for the demo accounts.")
    db = open_database("people", MIGRATIONS_DIR)
    for username, display_name, role in load_demo(db, password):
        log.info("demo account %s (%s, %s)", username, display_name, role)


if __name__ == "__main__":
    main()
