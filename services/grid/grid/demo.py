"""The demo district for ``make run``: the generator's small district, imported
through the same all-or-nothing import (so every coverage rule is checked), and one
building in 彩香一村第一网格, where the demo resident lives (people.demo)."""
import logging

import shapely.geometry
from sqlalchemy import select

from common import config as cfg
from common.cli import configure_logging, open_database
from common.outbox import add_event
from grid import MIGRATIONS_DIR, places, registry
from grid.generator import build, small_spec
from grid.levels import configured_scheme
from grid.models import Grid, Place
from grid.schemas import PlaceSchema

log = logging.getLogger(__name__)


def load_collection(collection, db=None):
    """Import ``collection`` unless its root grid is already there."""
    db = db or open_database("grid", MIGRATIONS_DIR)
    root = collection["features"][0]["properties"]["code"]
    with db.transaction() as session:
        if session.get(Grid, root) is not None:
            log.info("grid %s is already loaded; nothing imported", root)
            return 0
        added = registry.import_features(session, configured_scheme(), collection,
                                         cfg.env_float("GRID_TOLERANCE_M2", 1.0))
    log.info("imported %d grids under %s", len(added), root)
    return len(added)


DEMO_BUILDING = {"grid_code": "320508019044001", "type": "building", "name": "彩香一村3幢",
                 "address": "彩香一村3幢"}


def load_building(db=None):
    """The demo building, numbered as any place is, unless its grid has places already;
    returns its code."""
    db = db or open_database("grid", MIGRATIONS_DIR)
    levels = configured_scheme()
    with db.transaction() as session:
        code = session.scalar(select(Place.code).where(Place.grid_code == DEMO_BUILDING["grid_code"])
                              .order_by(Place.code).limit(1))
        if code is not None:
            return code
        point = shapely.geometry.shape(session.get(Grid, DEMO_BUILDING["grid_code"]).geometry).representative_point()
        data = {key: value for key, value in DEMO_BUILDING.items() if key != "grid_code"}
        place = places.add_place(session, levels, dict(data, lon=point.x, lat=point.y), DEMO_BUILDING["grid_code"])
        add_event(session, "grid", "place_added", PlaceSchema().dump(place))
        return place.code


def main():
    configure_logging()
    load_collection(build(small_spec(), radius_deg=0.03))
    log.info("demo building %s", load_building())


if __name__ == "__main__":
    main()
