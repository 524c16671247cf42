"""Dynamic adjustment: split and merge keep history; locate answers for past dates."""
import datetime as dt
import time

from shapely.geometry import box, mapping, shape

from grid.geo import area_m2

API = "/api/v1"
X, Y = 121.20, 31.20


def feature(geom, **properties):
    return {"type": "Feature", "geometry": mapping(geom), "properties": properties}


def locate(stack, token, lon, lat, at=None):
    params = {"lon": lon, "lat": lat}
    if at:
        params["at"] = at
    return stack.call("GET", f"{API}/grids/locate", token, params=params)


def test_split_then_merge_with_history_and_past_lookups(stack):
    token = stack.login()
    whole = box(X, Y, X + 0.02, Y + 0.02)
    imported = stack.call("POST", f"{API}/grids/import", token, {"type": "FeatureCollection", "features": [
        feature(whole, code="320507", name="历史区"),
        feature(whole, code="320507001", name="历史街道", parent_code="320507"),
        feature(whole, code="320507001001", name="历史社区", parent_code="320507001"),
        feature(whole, code="320507001001001", name="历史网格", parent_code="320507001001", households=800),
    ]})
    assert imported.status_code == 201, imported.text
    before = dt.datetime.now(dt.timezone.utc).isoformat()
    time.sleep(0.05)
    west, east = box(X, Y, X + 0.01, Y + 0.02), box(X + 0.01, Y, X + 0.02, Y + 0.02)

    gap = stack.call("POST", f"{API}/grids/320507001001001/split", token, {"parts": [
        {"name": "西", "geometry": mapping(west)}, {"name": "东", "geometry": mapping(box(X + 0.011, Y, X + 0.02, Y + 0.02))}]})
    assert gap.status_code == 400 and gap.json()["error"] == "SPLIT_LEAVES_GAPS"
    parent_first = stack.call("POST", f"{API}/grids/320507001001/split", token, {"parts": [
        {"name": "a", "geometry": mapping(west)}, {"name": "b", "geometry": mapping(east)}]})
    assert parent_first.status_code == 409 and parent_first.json()["error"] == "GRID_HAS_CHILDREN"

    split = stack.call("POST", f"{API}/grids/320507001001001/split", token, {"parts": [
        {"name": "历史网格东", "geometry": mapping(east), "households": 390},
        {"name": "历史网格西", "geometry": mapping(west), "households": 410}]})
    assert split.status_code == 201, split.text
    body = split.json()
    assert body["retired"]["code"] == "320507001001001" and body["retired"]["status"] == "retired"
    assert [(g["code"], g["name"]) for g in body["created"]] == [
        ("320507001001002", "历史网格西"), ("320507001001003", "历史网格东")]  # west to east, never reusing 001

    point = (X + 0.005, Y + 0.01)
    assert locate(stack, token, *point).json()["grid"]["code"] == "320507001001002"
    then = locate(stack, token, *point, at=before)
    assert then.status_code == 200 and then.json()["grid"]["code"] == "320507001001001"
    assert [a["code"] for a in then.json()["ancestors"]] == ["320507001001", "320507001", "320507"]
    assert locate(stack, token, *point, at="2000-01-01T08:00:00+08:00").status_code == 404  # Moment: from 2000 UTC

    history = stack.call("GET", f"{API}/grids/320507001001001/history", token).json()
    assert history["status"] == "retired" and history["valid_to"]
    assert [s["code"] for s in history["successors"]] == ["320507001001002", "320507001001003"]
    again = stack.call("POST", f"{API}/grids/320507001001001/split", token, {"parts": [
        {"name": "a", "geometry": mapping(west)}, {"name": "b", "geometry": mapping(east)}]})
    assert again.status_code == 409 and again.json()["error"] == "GRID_RETIRED"

    strangers = stack.call("POST", f"{API}/grids/merge", token,
                           {"codes": ["320507001001002", "320508019045001"], "name": "x"})
    assert strangers.status_code == 400 and strangers.json()["error"] == "NOT_SIBLINGS"
    merged = stack.call("POST", f"{API}/grids/merge", token,
                        {"codes": ["320507001001002", "320507001001003"], "name": "历史网格合并"})
    assert merged.status_code == 201, merged.text
    new = merged.json()["created"]
    assert new["code"] == "320507001001004" and new["households"] == 800
    assert abs(new["area_m2"] - area_m2(whole)) < 1
    assert locate(stack, token, *point).json()["grid"]["code"] == "320507001001004"
    merged_history = stack.call("GET", f"{API}/grids/320507001001004/history", token).json()
    assert sorted(p["code"] for p in merged_history["predecessors"]) == ["320507001001002", "320507001001003"]
    geometry = stack.call("GET", f"{API}/grids/320507001001004?geometry=true", token).json()["geometry"]
    assert shape(geometry).symmetric_difference(whole).area < 1e-12

    events = stack.db_rows("grid", "SELECT event_type FROM outbox_events WHERE event_type IN "
                           "('grid_split', 'grid_merged') AND CAST(payload AS TEXT) LIKE '%320507001001%'")
    assert sorted(e["event_type"] for e in events) == ["grid_merged", "grid_split"]
