"""The territory: grids, their history and reports, places."""
from common.roles import DISTRICT_WIDE, EVERYONE, STAFF, STAFF_MANAGERS, STAFF_READERS
from gateway import conditional, grid_figures
from gateway.routes import jobs
from gateway.routing import ACTOR, BODY, ROOT, BodyField, Call, Path, Query, Route, by_record, in_path, in_root
from gateway.schemas import grids as s
from gateway.schemas import public as ps
from gateway.schemas.base import GridCodePath, page_of

TAG = "grids"
CODE = Path("code")


def add_place(ctx):
    """The place goes to the grid covering its point, which must be in the caller's scope:
    located first, so nothing is stored outside it."""
    located = ctx.rpc("grid").locate(lon=ctx.body["lon"], lat=ctx.body["lat"], crs=ctx.body.get("crs", "wgs84"))
    ctx.actor.require_reach(located["grid"]["code"])
    return ctx.rpc("grid").add_place(data=ctx.body)


def import_grids(ctx):
    """A district past a size is imported as a job: the proxies cut a request at 60 s."""
    features = ctx.body.get("features") if isinstance(ctx.body, dict) else None
    if jobs.wants_job(ctx.request) or (isinstance(features, list) and len(features) > jobs.GRID_IMPORT_JOB_FEATURES):
        return jobs.accepted(ctx.rpc("grid").start_import_job(collection=ctx.body, actor=ctx.actor.to_wire()))
    return ctx.rpc("grid").import_grids(collection=ctx.body)


def grid_shapes(ctx):
    """The service's answer, JSON text passed on as it is (decoding and encoding the
    large district's 10,000 leaf grids here took 0.35 s), with an ETag (304 to a client
    that has it), gzipped for a client that accepts it (3.2 MB of JSON, 0.23 MB gzipped)."""
    answer = ctx.rpc("grid").grid_shapes(code=ctx.path["code"], zoom=ctx.query["zoom"], level=ctx.query["level"])
    return conditional.json_answer(ctx.request, answer["geojson"])


ROUTES = [
    Route("GET", "/grids", "list_grids", "Active grids, filtered by parent, level and kind, a page at a time",
          EVERYONE,
          Call("grid.list_grids", parent=Query("parent"), level=Query("level"), kind=Query("kind"),
               after=Query("after"), limit=Query("limit")),
          TAG, query=s.GridListQuery, response=page_of(s.Grid),
          description="The grid registry is the district's shared map: every signed-in account reads it. By "
                      "code; page on with `after` = `next`."),
    Route("GET", "/grids/locate", "locate", "The deepest grid containing a point, with its ancestors", EVERYONE,
          Call("grid.locate", lon=Query("lon"), lat=Query("lat"), crs=Query("crs"), at=Query("at")),
          TAG, query=s.LocateQuery, response=s.Located, errors=(404,),
          description="GCJ-02 points (AMap, Tencent maps) are converted to WGS-84 first. `at` asks which grid "
                      "covered the point then. A point outside every grid is a 404 `POINT_OUTSIDE_GRIDS`."),
    Route("GET", "/grids/export", "export_grids", "A subtree as GeoJSON that imports back unchanged", STAFF_READERS,
          Call("grid.export_grids", root=Query("root")), TAG, scope=in_root(), query=s.RootQuery,
          response=s.Exported, errors=(404,)),
    Route("POST", "/grids", "create_grid", "Add one grid (code optional: the next free one is assigned)",
          DISTRICT_WIDE, Call("grid.create_grid", data=BODY), TAG, body=s.NewGrid, response=s.Grid, status=201,
          errors=(404, 409),
          description="Geometry must be valid, lie within the parent and not overlap a sibling beyond "
                      "`GRID_TOLERANCE_M2`; a race on the same parent is a 409 `CONCURRENT_CHANGE`."),
    Route("POST", "/grids/import", "import_grids", "A GeoJSON FeatureCollection, all or nothing", DISTRICT_WIDE,
          import_grids, TAG, body=s.FeatureCollection, gate=False,
          response=s.Imported, status=201, errors=(409,), alternatives=(jobs.ACCEPTED,),
          description="A rejection (400 `IMPORT_REJECTED`) lists every failing feature with its code and every "
                      "reason; nothing is stored then. More than `GRID_IMPORT_JOB_FEATURES` (200) features, or "
                      "`Prefer: respond-async`: 202 with a job (`Location: /api/v1/jobs/{id}`) that reports its "
                      "progress and ends with this answer or this rejection."),
    Route("POST", "/grids/merge", "merge_grids", "Merge sibling grids into one (their union)", DISTRICT_WIDE,
          Call("grid.merge_grids", data=BODY), TAG, body=s.Merge, response=s.MergeResult, status=201,
          errors=(404, 409),
          description="The old grids are retired and keep their codes; tickets and staff posts follow."),
    Route("GET", "/grids/{code}", "get_grid", "One grid, with its GeoJSON geometry when asked", EVERYONE,
          Call("grid.get_grid", code=CODE, with_geometry=Query("geometry")), TAG,
          path_schema=GridCodePath, query=s.GridDetailQuery, response=s.GridWithGeometry),
    Route("POST", "/grids/{code}/split", "split_grid", "Split a grid into parts that tile it", DISTRICT_WIDE,
          Call("grid.split_grid", code=CODE, parts=BodyField("parts")), TAG, path_schema=GridCodePath,
          body=s.Split, response=s.SplitResult, status=201, errors=(409,),
          description="The old grid is retired, the parts get new codes; places, open tickets and staff posts "
                      "move to the part covering them."),
    Route("GET", "/grids/{code}/history", "grid_history", "Validity dates, predecessors and successors", EVERYONE,
          Call("grid.grid_history", code=CODE), TAG, path_schema=GridCodePath, response=s.History),
    Route("GET", "/grids/{code}/summary", "grid_summary", "Grids, places, households and counts in a subtree",
          STAFF_READERS, Call("grid.grid_summary", root=CODE), TAG, scope=in_path("code"), path_schema=GridCodePath,
          response=s.Summary),
    Route("GET", "/grids/{code}/coverage", "grid_coverage", "Gaps and overlaps in a subtree, with area and GeoJSON",
          STAFF_READERS, Call("grid.coverage", root=CODE), TAG, scope=in_path("code"), path_schema=GridCodePath,
          response=s.Coverage),
    Route("GET", "/grids/{code}/shapes", "grid_shapes", "The grids under a grid as GeoJSON, simplified for a map zoom",
          STAFF_READERS, grid_shapes, TAG, scope=in_path("code"), path_schema=GridCodePath, query=s.ShapesQuery,
          response=s.Shapes,
          description="A GeoJSON FeatureCollection of the grids under `code`: its children by default, the deepest "
                      "(`level=leaf`) or those of one level. Each polygon is simplified (topology kept) to about "
                      "0.7 screen pixel at `zoom` and its coordinates rounded to the decimals that zoom shows (zoom "
                      "10: 3, zoom 16: 5); a ring that collapses is dropped and a grid too small to draw is its "
                      "bounding box, so every grid is there. Feature properties: `code`, `name`, `level`, `kind`, "
                      "`parent_code`. The grid service caches each answer until the registry changes. The answer "
                      "carries an `ETag` (send it back as `If-None-Match`: 304 when nothing changed) and "
                      "`Cache-Control: private, max-age=60`, and is gzipped for a client that accepts it. A level "
                      "unknown to the deployment's scheme, or above the grid's own, is a 400 naming `level`."),
    Route("GET", "/grids/{code}/sizing", "grid_sizing", "Grids outside their sizing rule (households or population)",
          STAFF_READERS, Call("grid.sizing", root=CODE), TAG, scope=in_path("code"), path_schema=GridCodePath,
          response=s.Sizing,
          description="Each grid is sized by its level and zone type (else kind), as the deployment's scheme "
                      "declares: within range when its households or its population is; a natural village "
                      "(自然村) has no range."),
    Route("GET", "/grids/{code}/overview", "grid_overview",
          "One grid at a glance: staff on duty and gaps, open tickets, visit coverage, score, open flags",
          STAFF_READERS, grid_figures.overview, TAG, scope=in_path("code"), path_schema=GridCodePath,
          query=s.OverviewQuery, response=s.Overview,
          description="What the map's grid panel and the command centre's wall show, in one call; the district's "
                      "code gives the cockpit's figures. `staff`: the posts running today in the grid itself and "
                      "the staffing standard's gaps under it (一格一长一警一专多兼); `tickets`: open tickets under "
                      "it by grade and state, and how many are past a running deadline now; `coverage`: the share "
                      "of its households visited in `period` (default: the quarter under way) and today's patrols; "
                      "`score`: the latest published assessment's results under it (the newest assessment whose "
                      "scope covers the grid, else each scope's newest inside it), null when none; `flags`: open "
                      "integrity flags under it, for supervisors and auditors only (null otherwise, "
                      "`flags_shown` false). The grid is read first (404 for no such grid, 503 when the registry "
                      "does not answer); the other parts are asked side by side, and a service that does not "
                      "answer in time (`RPC_TIMEOUT_SECONDS`; 5 s for all the parts at most) leaves its parts null "
                      "and is named in `missing` (`[\"tickets\"]`), "
                      "so a map still shows what it has. Every figure counted in the services' databases: one "
                      "grouped query per service, whatever the subtree's size."),
    Route("GET", "/grids/{code}/measures", "grid_measures",
          "One number per grid of a level under a grid, to colour the map by", STAFF_READERS,
          grid_figures.measures, TAG, scope=in_path("code"), path_schema=GridCodePath, query=s.MeasuresQuery,
          response=s.Measures, errors=(404,),
          description="`values` holds every grid of `level` under `code` (default: its children), whole: a map "
                      "colours them all at once, so it is no list and does not page; at most the subtree's grids "
                      "(a district's 11,000 leaves: about 300 KB). Each service counts in one grouped query over "
                      "the subtree, rolled up to the grids by code. Units: `tickets` (open_tickets, "
                      "overdue_tickets), `posts` (staffing_gaps: posts the staffing standard asks that nobody "
                      "holds today; null under no staffed grid), `ratio` (visit_coverage: households visited in "
                      "`period` over households registered, 0..1; null with no household), `points` (score: the "
                      "mean of the latest published assessment's results, workers' and grids', under each grid; "
                      "null with none; `assessments` names them). A `measure` or `level` not known is a 400 "
                      "naming it; a level above `code`'s own too."),
    Route("PATCH", "/grids/{code}/card", "edit_grid_card", "A grid's duty line, hours and note on its public card",
          STAFF_MANAGERS, Call("grid.set_grid_card", code=CODE, data=BODY, actor=ACTOR), TAG, scope=in_path("code"),
          path_schema=GridCodePath, body=ps.GridCardEdit, response=ps.GridCardRecord,
          description="What `GET /public/grids/{code}/card` shows beside the staff on duty. A mobile number is "
                      "refused (400 naming `duty_phone`): the board is public, and a mobile is a person's own."),
    Route("POST", "/places", "add_place", "A place, in the grid covering its point", STAFF, add_place, "places",
          scope=by_record(note="the grid covering the point lies in the caller's scope"), body=s.NewPlace,
          response=s.Place, status=201, errors=(404,),
          description="Buildings, shops, units, schools, hospitals, markets; numbered within their community."),
    Route("GET", "/places", "list_places", "Places in a subtree, a page at a time", STAFF_READERS,
          Call("grid.list_places", root=ROOT, type=Query("type"), limit=Query("limit"),
               group_rental=Query("group_rental"), after=Query("after")), "places",
          scope=in_root(), query=s.PlaceListQuery, response=page_of(s.Place),
          description="By code; page on with `after` = `next`."),
    Route("POST", "/places/{code}/group-rental", "mark_group_rental", "Mark a place a group rental (群租房), or clear it",
          STAFF, Call("grid.mark_group_rental", code=CODE, data=BODY, actor=ACTOR), "places",
          scope=by_record(note="the place's grid in the caller's scope", hidden=True), path_schema=s.PlacePath,
          body=s.GroupRental, response=s.Place, errors=(404,),
          description="A group rental is followed up on its own cadence (`GET /follow-ups`: the targets' "
                      "`follow_ups.group_rentals`), from when it was first marked. A place outside the caller's "
                      "scope is a 404, as one that does not exist."),
]
