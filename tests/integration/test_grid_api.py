"""The grid registry through the gateway: locate, coverage, import, bad input."""
import requests
import shapely
from shapely.geometry import box, mapping, shape

from common.launcher import BY_NAME, ServiceProcess
from grid.geo import area_m2, wgs84_to_gcj02
from stack import free_port

API = "/api/v1"


def geometry(stack, token, code):
    response = stack.call("GET", f"{API}/grids/{code}?geometry=true", token)
    assert response.status_code == 200, response.text
    return shape(response.json()["geometry"])


def locate(stack, token, lon, lat, **params):
    return stack.call("GET", f"{API}/grids/locate", token, params={"lon": lon, "lat": lat, **params})


def test_locate_returns_the_deepest_grid_and_its_ancestors(stack):
    token = stack.login()
    inside = geometry(stack, token, "320508019045002").representative_point()
    response = locate(stack, token, inside.x, inside.y)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["grid"]["code"] == "320508019045002" and body["grid"]["name"] == "三元二村第二网格"
    assert [a["code"] for a in body["ancestors"]] == ["320508019045", "320508019", "320508"]
    # a grid divided into household groups answers with the household group
    deep = geometry(stack, token, "320508019044001").representative_point()
    body = locate(stack, token, deep.x, deep.y).json()
    assert body["grid"]["level"] == "household_group" and body["grid"]["code"].startswith("320508019044001")
    assert body["ancestors"][0]["code"] == "320508019044001"


def test_gcj02_input_is_converted_before_lookup(stack):
    token = stack.login()
    inside = geometry(stack, token, "320508014021002").representative_point()
    lon, lat = wgs84_to_gcj02(inside.x, inside.y)
    body = locate(stack, token, lon, lat, crs="gcj02").json()
    assert body["grid"]["code"] == "320508014021002"
    assert abs(body["lon"] - inside.x) < 1e-6 and abs(body["lat"] - inside.y) < 1e-6


def test_a_border_point_resolves_to_the_deepest_then_lowest_code(stack):
    token = stack.login()
    groups = stack.call("GET", f"{API}/grids?parent=320508019044001", token).json()["items"]
    shapes = {g["code"]: geometry(stack, token, g["code"]) for g in groups}
    shared = None
    for a in sorted(shapes):
        for b in sorted(shapes):
            common = set(shapes[a].exterior.coords) & set(shapes[b].exterior.coords) if a < b else set()
            if common:
                shared = min(common)
                break
        if shared:
            break
    assert shared, "adjacent household groups share a vertex"
    point = shapely.Point(shared)
    expected = min(code for code, geom in shapes.items() if geom.covers(point))
    assert sum(geom.covers(point) for geom in shapes.values()) >= 2
    assert locate(stack, token, *shared).json()["grid"]["code"] == expected


def test_locate_rejects_bad_points_clearly(stack):
    token = stack.login()
    outside = locate(stack, token, 100.0, 20.0)
    assert outside.status_code == 404 and outside.json()["error"] == "POINT_OUTSIDE_GRIDS"
    assert "outside every grid" in outside.json()["message"]
    bad_crs = locate(stack, token, 120.6, 31.3, crs="bd09")
    assert bad_crs.status_code == 400 and "crs" in bad_crs.json()["details"]["fields"]
    bad_lat = locate(stack, token, 120.6, 95)
    assert bad_lat.status_code == 400 and "lat" in bad_lat.json()["details"]["fields"]
    missing = stack.call("GET", f"{API}/grids/locate", token, params={"lon": 120.6})
    assert missing.status_code == 400 and "lat" in missing.json()["message"]


def test_demo_district_is_seamless(stack):
    token = stack.login()
    report = stack.call("GET", f"{API}/grids/320508/coverage", token).json()
    assert report["grids_checked"] >= 8
    assert report["gaps"] == [] and report["overlaps"] == []
    sizing = stack.call("GET", f"{API}/grids/320508/sizing", token).json()
    assert sizing["grids_checked"] >= 18 and sizing["outside_range"] == []


def square(x0, y0, size=0.01):
    return mapping(box(x0, y0, x0 + size, y0 + size))


def feature(geom, **properties):
    return {"type": "Feature", "geometry": geom, "properties": properties}


NEW_DISTRICT = [
    feature(square(121.00, 31.00, 0.02), code="320509", name="示范区"),
    feature(square(121.00, 31.00, 0.02), code="320509001", name="示范街道", parent_code="320509"),
    feature(square(121.00, 31.00, 0.02), code="320509001001", name="示范社区", parent_code="320509001"),
    # codeless grids: numbered west to east
    feature(mapping(box(121.01, 31.00, 121.02, 31.01)), name="东网格", parent_code="320509001001", households=420),
    feature(mapping(box(121.00, 31.00, 121.01, 31.01)), name="西网格", parent_code="320509001001", households=120),
]


def test_import_is_all_or_nothing_and_reports_every_failing_feature(stack):
    token = stack.login()
    bowtie = {"type": "Polygon", "coordinates": [[[121.0, 31.011], [121.01, 31.02], [121.01, 31.011],
                                                  [121.0, 31.02], [121.0, 31.011]]]}
    bad = NEW_DISTRICT + [
        feature(bowtie, code="320509001001003", name="自相交网格", parent_code="320509001001"),
        feature(square(121.005, 31.005), code="320509001001004", name="重叠网格", parent_code="320509001001"),
        feature(square(121.03, 31.03), code="320509001001005", name="越界网格", parent_code="320509001001"),
        feature(square(121.0, 31.015, 0.004), code="320509001009001", name="无上级", parent_code="320509001009"),
        feature(square(121.0, 31.015, 0.004), code="32050900100A", name="坏编码", parent_code="320509001"),
    ]
    response = stack.call("POST", f"{API}/grids/import", token, {"type": "FeatureCollection", "features": bad})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "IMPORT_REJECTED" and "nothing was stored" in body["message"]
    reasons = {e["index"]: e["reason"] for e in body["details"]["errors"]}
    assert set(reasons) == {5, 6, 7, 8, 9}
    assert "Self-intersection" in reasons[5] and "320509001001003" in reasons[5]
    assert "overlaps its sibling" in reasons[6]
    assert "outside its parent" in reasons[7]
    assert "320509001009" in reasons[8]
    assert "code" in reasons[9]
    assert stack.call("GET", f"{API}/grids/320509", token).status_code == 404  # nothing half-stored

    good = stack.call("POST", f"{API}/grids/import", token, {"type": "FeatureCollection", "features": NEW_DISTRICT})
    assert good.status_code == 201, good.text
    assert good.json()["imported"] == 5
    names = {g["code"]: g["name"] for g in
             stack.call("GET", f"{API}/grids?parent=320509001001", token).json()["items"]}
    assert names == {"320509001001001": "西网格", "320509001001002": "东网格"}

    west = locate(stack, token, 121.005, 31.005).json()
    assert west["grid"]["code"] == "320509001001001"  # the index was refreshed
    gap = stack.call("GET", f"{API}/grids/320509001001/coverage", token).json()["gaps"]
    assert len(gap) == 1 and abs(gap[0]["area_m2"] - area_m2(box(121.0, 31.01, 121.02, 31.02))) < 1
    sizing = stack.call("GET", f"{API}/grids/320509/sizing", token).json()["outside_range"]
    assert [(s["code"], s["problem"]) for s in sizing] == [("320509001001001", "too_small")]

    exported = stack.call("GET", f"{API}/grids/export?root=320509", token).json()
    assert [f["properties"]["code"] for f in exported["features"]] == [
        "320509", "320509001", "320509001001", "320509001001001", "320509001001002"]
    assert exported["features"][3]["properties"]["name"] == "西网格"


def test_creating_one_grid_checks_geometry_code_and_topology(stack):
    token = stack.login()
    community = "320508014202"
    cases = [
        ({"code": f"{community}005", "name": "越界", "parent_code": community,
          "geometry": square(100.0, 20.0)}, "OUTSIDE_PARENT"),
        ({"code": f"{community}005", "name": "坐标", "parent_code": community,
          "geometry": square(190.0, 31.0)}, "INVALID_GEOMETRY"),
        ({"code": "320508014202", "name": "重复", "parent_code": "320508014",
          "geometry": None}, "GRID_CODE_TAKEN"),
        ({"code": f"{community}950", "name": "类型", "parent_code": community, "kind": "exclusive",
          "unit_type": "school"}, None),
        ({"code": f"{community}960", "name": "编码", "parent_code": community}, "INVALID_GRID_CODE"),
        ({"code": "320508014999", "name": "编码", "parent_code": "320508014"}, "INVALID_GRID_CODE"),
        ({"name": "无编码无上级"}, "VALIDATION_FAILED"),
        ({"code": f"{community}006", "name": " \u3000 ", "parent_code": community}, "VALIDATION_FAILED"),
    ]
    for body, code in cases:
        response = stack.call("POST", f"{API}/grids", token, body)
        if code is None:
            assert response.status_code == 201, response.text
            continue
        assert response.status_code in (400, 409), (body, response.text)
        assert response.json()["error"] == code, (body, response.json())
    overlap = stack.call("POST", f"{API}/grids", token, {
        "code": f"{community}002", "name": "重叠", "parent_code": community,
        "geometry": mapping(geometry(stack, token, f"{community}001").buffer(-0.0001))})
    assert overlap.status_code == 400 and overlap.json()["error"] == "OVERLAPS_SIBLING"
    assert overlap.json()["details"]["overlaps"] == f"{community}001"
    worker = stack.login()
    assert stack.call("GET", f"{API}/grids/{community}002", worker).status_code == 404


def test_every_replica_refreshes_its_index(stack):
    """A second grid process shares the queues: whichever replica imports, both
    must then locate the new grid (the refresh is a broadcast event)."""
    token = stack.login()
    env = dict(stack.env, GRID_PORT=str(free_port()))
    replica = ServiceProcess(BY_NAME["grid"], env, stack.log_dir / "grid-replica.log").start()
    try:
        replica.wait_healthy(90)
        response = stack.call("POST", f"{API}/grids/import", token, {"type": "FeatureCollection", "features": [
            feature(square(121.10, 31.10, 0.01), code="320506", name="相城区")]})
        assert response.status_code == 201, response.text
        def both_replicas_know_it():  # RPC calls alternate between the replicas
            answers = set()
            for _ in range(8):
                answer = locate(stack, token, 121.105, 31.105)
                answers.add((answer.status_code, answer.json().get("grid", {}).get("code")))
            return answers == {(200, "320506")}

        # the importing replica refreshes at once, the other when the event reaches it
        assert stack.wait_for(both_replicas_know_it, timeout=10)
        assert requests.get(f"{replica.url}/healthz", timeout=5).status_code == 200
        metrics = requests.get(f"{replica.url}/metrics", timeout=5).text
        assert 'entrypoint="refresh_index",kind="event",outcome="ok"' in metrics
    finally:
        replica.stop()
