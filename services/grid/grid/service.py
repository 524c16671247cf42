from nameko.dependency_providers import Config

from common import config as cfg
from common.db import Database
from common.ops import OpsEndpoints
from common.outbox import Outbox
from common.rpc import rpc
from common.validation import load
from grid import MIGRATIONS_DIR, registry
from grid.levels import scheme
from grid.schemas import GridSchema

grid_schema = GridSchema()


class GridService(OpsEndpoints):
    name = "grid"

    db = Database(MIGRATIONS_DIR)
    outbox = Outbox()
    config = Config()

    @property
    def levels(self):
        return scheme(cfg.env("GRID_LEVEL_SCHEME", "five", self.config))

    @rpc
    def get_grid(self, code):
        with self.db.read() as session:
            return grid_schema.dump(registry.get_grid(session, code))

    @rpc
    def list_grids(self, parent=None, level=None, kind=None):
        with self.db.read() as session:
            return grid_schema.dump(registry.list_grids(session, parent, level, kind), many=True)

    @rpc
    def create_grid(self, data):
        data = load(grid_schema, data, "grid")
        with self.db.transaction() as session:
            grid = registry.add_grid(session, self.levels, data)
            payload = grid_schema.dump(grid)
            self.outbox.add(session, "grid_created", payload)
        return payload
