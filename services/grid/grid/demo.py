"""A small demo district with Chinese names, for ``make run``.

Codes follow the statistical division standard: 320508 is Gusu district, Suzhou;
320508019 Jinchang street; twelve-digit communities; three more digits per grid.
(Issue 3 replaces this list with a generated district with geometry.)
"""
import argparse
import logging

from common.cli import configure_logging, open_database
from grid import MIGRATIONS_DIR
from grid.levels import scheme
from grid.models import Grid
from grid.registry import add_grid

log = logging.getLogger(__name__)

DEMO_DISTRICT = [
    # code, name, parent, households, population
    ("320508", "姑苏区", None, None, None),
    ("320508019", "金阊街道", "320508", None, None),
    ("320508019044", "彩香一村社区", "320508019", 2360, 6120),
    ("320508019044001", "彩香一村第一网格", "320508019044", 412, 1063),
    ("320508019044002", "彩香一村第二网格", "320508019044", 455, 1180),
    ("320508019044003", "彩香一村第三网格", "320508019044", 388, 997),
    ("320508019045", "三元二村社区", "320508019", 1810, 4630),
    ("320508019045001", "三元二村第一网格", "320508019045", 436, 1121),
    ("320508019045002", "三元二村第二网格", "320508019045", 470, 1215),
    ("320508014", "双塔街道", "320508", None, None),
    ("320508014021", "定慧寺巷社区", "320508014", 1290, 3310),
    ("320508014021001", "定慧寺巷第一网格", "320508014021", 395, 1002),
    ("320508014021002", "定慧寺巷第二网格", "320508014021", 421, 1088),
    ("320508014202", "新庄村", "320508014", 640, 1830),
    ("320508014202001", "新庄村第一村民小组", "320508014202", 318, 905),
]


def load_demo(db, levels):
    """Insert the demo district where missing; returns how many grids were added."""
    added = 0
    with db.transaction() as session:
        for code, name, parent, households, population in DEMO_DISTRICT:
            if session.get(Grid, code) is None:
                add_grid(session, levels, {
                    "code": code, "name": name, "parent_code": parent,
                    "households": households, "population": population,
                })
                added += 1
    return added


def main(argv=None):
    parser = argparse.ArgumentParser(description="Load the demo district into the grid database.")
    parser.parse_args(argv)
    configure_logging()
    db = open_database("grid", MIGRATIONS_DIR)
    added = load_demo(db, scheme())
    log.info("demo district: %d grids added, %d in the list", added, len(DEMO_DISTRICT))


if __name__ == "__main__":
    main()
