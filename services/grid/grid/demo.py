"""The demo district for ``make run``: the generator's small district, imported
through the same all-or-nothing import (so every coverage rule is checked)."""
import logging

from common import config as cfg
from common.cli import configure_logging, open_database
from grid import MIGRATIONS_DIR, registry
from grid.generator import build, small_spec
from grid.levels import scheme
from grid.models import Grid

log = logging.getLogger(__name__)


def load_collection(collection, db=None):
    """Import ``collection`` unless its root grid is already there."""
    db = db or open_database("grid", MIGRATIONS_DIR)
    root = collection["features"][0]["properties"]["code"]
    with db.transaction() as session:
        if session.get(Grid, root) is not None:
            log.info("grid %s is already loaded; nothing imported", root)
            return 0
        added = registry.import_features(session, scheme(cfg.env("GRID_LEVEL_SCHEME", "five")), collection,
                                         cfg.env_float("GRID_TOLERANCE_M2", 1.0))
    log.info("imported %d grids under %s", len(added), root)
    return len(added)


def main():
    configure_logging()
    load_collection(build(small_spec(), radius_deg=0.03))


if __name__ == "__main__":
    main()
