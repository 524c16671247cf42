import datetime as dt

import eventlet
from marshmallow import Schema, fields, validate
from nameko.dependency_providers import Config
from nameko.events import BROADCAST, event_handler
from nameko.extensions import DependencyProvider

from common import config as cfg
from common.actor import Actor
from common.db import Database, find_dependency, utcnow
from common.inbox import idempotent_handler
from common.jobs import Jobs
from common.ops import OpsEndpoints
from common.outbox import Outbox
from common.errors import InvalidInput
from common.rpc import rpc
from common.validation import Moment, load
from grid import MIGRATIONS_DIR, cards, geo, history, places, registry, shapes
from grid.exceptions import PlaceNotFound
from grid.models import JOBS
from grid.levels import configured_scheme
from grid.locate import LiveIndex, load_index, locate_at
from grid.schemas import (
    GridCardInput, GridInputSchema, GridLabelsQuery, GridSchema, GridWithGeometrySchema, GroupRentalInput, MergeSchema,
    PlaceInputSchema, PlaceSchema, SplitSchema,
)

grid_input = GridInputSchema()
grid_schema = GridSchema()
grid_with_geometry = GridWithGeometrySchema()
place_schema = PlaceSchema()


class LocateQuery(Schema):
    lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    crs = fields.String(load_default="wgs84", validate=validate.OneOf(geo.CRS))
    at = Moment(load_default=None, allow_none=True)


class SpatialIndex(DependencyProvider):
    """This instance's in-memory index (a LiveIndex); every instance rebuilds its own
    when a ``grid_changed`` event arrives (a broadcast handler), so replicas agree."""

    def start(self):
        db = find_dependency(self.container, Database).handle

        def load():
            with db.read() as session:
                return load_index(session)

        self.live = LiveIndex(load)
        self.live.rebuild()

    def get_dependency(self, worker_ctx):
        return self.live


class MapShapes(DependencyProvider):
    """This instance's cache of map shapes (grid.shapes.ShapeCache), answers keyed by
    the spatial index's generation: a rebuild (any change to the registry, here or on
    another replica) makes the old answers unreachable."""

    def setup(self):
        self.cache = shapes.ShapeCache()

    def get_dependency(self, worker_ctx):
        return self.cache


class GridScheme(DependencyProvider):
    """The deployment's level scheme (grid.levels.configured_scheme), read once at
    start: a bad GRID_LEVEL_SCHEME, GRID_STAFFED_LEVEL or GRID_SIZING stops the service
    there, with a message naming the variable, instead of failing call after call."""

    def setup(self):
        self.scheme = configured_scheme(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.scheme


class GridService(OpsEndpoints):
    name = "grid"

    db = Database(MIGRATIONS_DIR)
    outbox = Outbox()
    jobs = Jobs(JOBS)
    config = Config()
    spatial = SpatialIndex()
    scheme = GridScheme()
    map_shapes = MapShapes()

    @property
    def tolerance_m2(self):
        return cfg.env_float("GRID_TOLERANCE_M2", 1.0, self.config)

    def _changed(self, session, reason, grids):
        return self.outbox.add(session, "grid_changed", {
            "reason": reason, "codes": [grid.code for grid in grids]})

    @rpc
    def get_grid(self, code, with_geometry=False):
        schema = grid_with_geometry if with_geometry else grid_schema
        with self.db.read() as session:
            return schema.dump(registry.get_grid(session, code))

    @rpc
    def list_grids(self, parent=None, level=None, kind=None, after=None, limit=None):
        """Active grids by code, a page at a time: ``{"items", "next"}`` (``limit`` None: all)."""
        with self.db.read() as session:
            page = registry.list_grids(session, parent, level, kind, after=after, limit=limit)
            return page.answer(grid_schema.dump(page.rows, many=True))

    @rpc
    def create_grid(self, data):
        data = load(grid_input, data, "grid")
        with registry.writing(self.db) as session:
            grid = registry.add_grid(session, self.scheme, data, self.tolerance_m2)
            changed = self._changed(session, "created", [grid])
            result = grid_schema.dump(grid)
        self.spatial.rebuild(changed["event_id"])
        return result

    @rpc
    def import_grids(self, collection):
        return self._import(collection)

    def _import(self, collection, progress=None):
        with registry.writing(self.db) as session:
            added = registry.import_features(session, self.scheme, collection, self.tolerance_m2, progress)
            changed = self._changed(session, "imported", added)
            result = {"imported": len(added), "codes": [grid.code for grid in added]}
        self.spatial.rebuild(changed["event_id"])
        return result

    @rpc
    def start_import_job(self, collection, actor=None):
        """The import as a job (common.jobs), answered at once: for a district too large
        to import within a request."""
        features = collection.get("features") if isinstance(collection, dict) else None
        return self.jobs.launch("grid_import", lambda progress: self._import(collection, progress),
                               total=len(features) if isinstance(features, list) else 0,
                               actor=Actor.from_wire(actor))

    @rpc
    def get_job(self, job_id, actor=None):
        return self.jobs.get(job_id, Actor.from_wire(actor))

    @rpc
    def split_grid(self, code, parts):
        parts = load(SplitSchema, {"parts": parts}, "split")["parts"]
        with registry.writing(self.db) as session:
            old, created = history.split_grid(session, self.scheme, code, parts, self.tolerance_m2)
            new_codes = [grid.code for grid in created]
            self.outbox.add(session, "grid_split", {
                "code": code, "parent_code": old.parent_code, "new_codes": new_codes,
                "at": old.valid_to.isoformat()})
            changed = self._changed(session, "split", [old, *created])
            result = {"retired": grid_schema.dump(old), "created": grid_schema.dump(created, many=True)}
        self.spatial.rebuild(changed["event_id"])
        return result

    @rpc
    def merge_grids(self, data):
        data = load(MergeSchema, data, "merge")
        with registry.writing(self.db) as session:
            olds, merged = history.merge_grids(session, self.scheme, data["codes"], data["name"],
                                               self.tolerance_m2, unit_type=data["unit_type"])
            self.outbox.add(session, "grid_merged", {
                "codes": [grid.code for grid in olds], "parent_code": merged.parent_code,
                "new_code": merged.code, "at": merged.valid_from.isoformat()})
            changed = self._changed(session, "merged", [*olds, merged])
            result = {"retired": grid_schema.dump(olds, many=True), "created": grid_schema.dump(merged)}
        self.spatial.rebuild(changed["event_id"])
        return result

    @rpc
    def grid_shapes(self, code, zoom, level=None):
        """The grids under ``code`` (its children, ``leaf`` grids, or those of a level)
        as a GeoJSON FeatureCollection simplified for map zoom ``zoom`` (grid.shapes),
        from the in-memory index, cached until the registry changes: ``{"geojson": its
        compact JSON text}`` (one string on the bus, passed on by the gateway as it is)."""
        shapes.check_query(zoom, level)
        live = self.spatial
        index, generation = live.index, live.generation
        key = (generation, code, level, zoom)
        text = self.map_shapes.get(key)
        if text is None:
            geometries = dict(zip(index.codes, index.geometries))
            answer = shapes.collection(index.summaries, geometries, self.scheme, code, zoom, level,
                                       pause=lambda: eventlet.sleep(0))
            text = self.map_shapes.put(key, shapes.encode(answer))
        return {"geojson": text}

    @rpc
    def grid_history(self, code):
        with self.db.read() as session:
            return history.lineage(session, code)

    @rpc
    def export_grids(self, root):
        with self.db.read() as session:
            return registry.export_features(session, root)

    @rpc
    def coverage(self, root):
        with self.db.read() as session:
            return registry.coverage_report(session, root, self.tolerance_m2)

    @rpc
    def sizing(self, root):
        with self.db.read() as session:
            return registry.sizing_report(session, self.scheme, root)

    @rpc
    def locate(self, lon, lat, crs="wgs84", at=None):
        query = load(LocateQuery, {"lon": lon, "lat": lat, "crs": crs, "at": at}, "location")
        lon, lat = geo.to_wgs84(query["lon"], query["lat"], query["crs"])
        if query["at"] is None:
            grid, ancestors = self.spatial.index.locate(lon, lat)
        else:
            with self.db.read() as session:
                grid, ancestors = locate_at(session, lon, lat, query["at"].astimezone(dt.timezone.utc))
        return {"lon": lon, "lat": lat, "crs": "wgs84", "grid": grid, "ancestors": ancestors}

    @rpc
    def add_place(self, data):
        data = load(PlaceInputSchema, data, "place")
        data["lon"], data["lat"] = geo.to_wgs84(data["lon"], data["lat"], data["crs"])
        grid, _ = self.spatial.index.locate(data["lon"], data["lat"])
        with registry.writing(self.db) as session:
            place = places.add_place(session, self.scheme, data, grid["code"])
            result = place_schema.dump(place)
            self.outbox.add(session, "place_added", result)
        return result

    @rpc
    def list_places(self, root=None, type=None, limit=100, group_rental=None, after=None):
        """Places by code, a page at a time: ``{"items", "next"}``."""
        with self.db.read() as session:
            page = places.list_places(session, root, type, limit, group_rental, after=after)
            return page.answer(place_schema.dump(page.rows, many=True))

    @rpc
    def grid_card(self, code):
        """The public part of a grid's card (no personal data): for anyone, signed in or not."""
        with self.db.read() as session:
            return cards.card_of(session, self.scheme, code)

    @rpc
    def set_grid_card(self, code, data, actor=None):
        """The duty phone, hours and note on a grid's card, in the caller's reach."""
        actor = Actor.from_wire(actor)
        data = load(GridCardInput, data, "grid card")
        if actor is not None:
            actor.require_reach(code)
        with self.db.transaction() as session:
            cards.set_card(session, code, data, by=actor.username if actor else "system", now=utcnow())
            return cards.card_of(session, self.scheme, code)

    @rpc
    def group_rentals(self, root):
        """Every group rental (群租房) under ``root``, for people's follow-up list."""
        with self.db.read() as session:
            return place_schema.dump(places.list_places(session, root, limit=None, group_rental=True).rows, many=True)

    @rpc
    def mark_group_rental(self, code, data, actor=None):
        """Mark a place a group rental or clear the mark; the place's grid must be in
        the caller's reach (a place elsewhere is answered as one that does not exist)."""
        actor = Actor.from_wire(actor)
        data = load(GroupRentalInput, data, "group rental")
        with self.db.transaction() as session:
            place = places.get_place(session, code)
            if actor is not None and not actor.reaches(place.grid_code):
                raise PlaceNotFound(f"No place has the code {code}.", details={"field": "code", "code": code})
            place = places.mark_group_rental(session, code, data["group_rental"],
                                             by=actor.username if actor else "system", now=utcnow())
            return place_schema.dump(place)

    @rpc
    def get_place(self, code):
        with self.db.read() as session:
            return place_schema.dump(places.get_place(session, code))

    @rpc
    def active_codes(self, codes):
        """Which of ``codes`` are active grids (for batch checks such as roster imports)."""
        with self.db.read() as session:
            return registry.active_codes(session, codes)

    @rpc
    def grid_labels(self, codes):
        """{code: {"name", "level", "depth", "kind"}} for those of ``codes`` (at most
        20,000) that name a grid, retired ones too: how exports and rankings label grids."""
        codes = load(GridLabelsQuery, {"codes": codes}, "grid labels query")["codes"]
        with self.db.read() as session:
            return registry.grid_labels(session, codes)

    @rpc
    def child_grids(self, parent=None):
        """[{"code", "name", "level"}] of the active grids directly under ``parent``
        (None: the top-level grids): how statistics break a subtree down."""
        with self.db.read() as session:
            return registry.child_labels(session, parent)

    @rpc
    def staffed_grids(self, root):
        with self.db.read() as session:
            registry.get_grid(session, root)
            return registry.staffed_grids(session, self.scheme, root)

    @rpc
    def level_codes(self, root, level=None):
        """``{"root", "level", "codes"}``: the active grids under ``root`` at ``level``
        (None or ``children``: its children; ``leaf``: the deepest under it; else a
        level key of the scheme, at or below root's; 400 naming ``level`` otherwise):
        the grids a map colours, one number each."""
        if level is not None and not (isinstance(level, str) and 0 < len(level) <= 30):
            raise InvalidInput("level must be a level key, children or leaf.", code="VALIDATION_FAILED",
                               details={"fields": {"level": ["a level key, children or leaf"]}})
        with self.db.read() as session:
            return registry.level_codes(session, self.scheme, root, level)

    @rpc
    def grid_summary(self, root):
        with self.db.read() as session:
            registry.get_grid(session, root)
            return places.summary(session, root)

    @idempotent_handler("tickets", "ticket_reported")
    def handle_ticket_reported(self, session, envelope):
        places.count_event(session, envelope["payload"]["grid_code"], "tickets_reported")

    @idempotent_handler("tickets", "ticket_rehomed")
    def handle_ticket_rehomed(self, session, envelope):
        payload = envelope["payload"]
        places.move_count(session, payload["from_grid_code"], payload["to_grid_code"], "tickets_reported")

    @idempotent_handler("people", "household_registered")
    def handle_household_registered(self, session, envelope):
        places.count_event(session, envelope["payload"]["grid_code"], "households_registered")

    @idempotent_handler("people", "household_moved")
    def handle_household_moved(self, session, envelope):
        payload = envelope["payload"]
        places.move_count(session, payload["from_grid_code"], payload["to_grid_code"], "households_registered")
        places.move_count(session, payload["from_grid_code"], payload["to_grid_code"], "residents_registered",
                          payload.get("residents", 0))

    @idempotent_handler("people", "resident_registered")
    def handle_resident_registered(self, session, envelope):
        if envelope["payload"].get("grid_code"):
            places.count_event(session, envelope["payload"]["grid_code"], "residents_registered")

    @event_handler("grid", "grid_changed", handler_type=BROADCAST, reliable_delivery=False)
    def refresh_index(self, envelope):
        self.spatial.refresh(envelope.get("event_id"))
