"""Grid changes at their edges: numbers too big for the database, merges with a grid
that has no geometry, top-level grids that cannot be split or merged."""
import eventlet
from shapely.geometry import box, mapping

from grid.geo import area_m2
MAX_COUNT = 100_000_000  # grid.schemas.MAX_COUNT

API = "/api/v1"
TOO_MANY = 2 ** 31  # one past PostgreSQL's integer


def feature(geom, **properties):
    return {"type": "Feature", "geometry": mapping(geom) if geom is not None else None, "properties": properties}


def test_households_and_population_beyond_the_maximum_are_a_400_naming_the_field(stack):
    token = stack.login()
    x, y = 121.80, 31.80
    grid = stack.square_district(token, "320581", "常熟", x, y)
    community = grid[:-3]
    for field in ("households", "population"):
        created = stack.call("POST", f"{API}/grids", token, {"name": "超大网格", "parent_code": community,
                                                             field: TOO_MANY})
        assert created.status_code == 400, created.text
        assert field in created.json()["details"]["fields"]
        imported = stack.call("POST", f"{API}/grids/import", token, {"type": "FeatureCollection", "features": [
            feature(None, name="超大网格", parent_code=community, **{field: TOO_MANY})]})
        assert imported.status_code == 400 and imported.json()["error"] == "IMPORT_REJECTED", imported.text
        assert field in imported.json()["details"]["errors"][0]["reason"]
        split = stack.call("POST", f"{API}/grids/{grid}/split", token, {"parts": [
            {"name": "西", "geometry": mapping(box(x, y, x + 0.01, y + 0.02)), field: TOO_MANY},
            {"name": "东", "geometry": mapping(box(x + 0.01, y, x + 0.02, y + 0.02))}]})
        assert split.status_code == 400, split.text
        assert field in split.json()["details"]["fields"]["parts"]["0"]
    at_most = stack.call("POST", f"{API}/grids/{grid}/split", token, {"parts": [
        {"name": "西", "geometry": mapping(box(x, y, x + 0.01, y + 0.02)), "households": MAX_COUNT},
        {"name": "东", "geometry": mapping(box(x + 0.01, y, x + 0.02, y + 0.02)), "households": MAX_COUNT}]})
    assert at_most.status_code == 201, at_most.text
    halves = [g["code"] for g in at_most.json()["created"]]
    merged = stack.call("POST", f"{API}/grids/merge", token, {"codes": halves, "name": "合并"})
    assert merged.status_code == 400, merged.text
    assert "households" in merged.json()["details"]["fields"]
    assert all(stack.call("GET", f"{API}/grids/{code}", token).json()["status"] == "active" for code in halves)


def test_a_merge_with_a_grid_without_geometry_is_refused_naming_it(stack):
    token = stack.login()
    x, y = 121.90, 31.90
    grid = stack.square_district(token, "320582", "张家港", x, y, households=300)
    community = grid[:-3]
    bare = stack.call("POST", f"{API}/grids", token, {"name": "无边界网格", "parent_code": community,
                                                      "households": 100})
    assert bare.status_code == 201, bare.text
    bare = bare.json()["code"]
    refused = stack.call("POST", f"{API}/grids/merge", token, {"codes": [grid, bare], "name": "合并"})
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"] == "NO_GEOMETRY" and refused.json()["details"]["codes"] == [bare]
    assert bare in refused.json()["message"]
    assert stack.call("GET", f"{API}/grids/{grid}", token).json()["status"] == "active"
    # grids none of which has geometry merge into one without geometry, their numbers summed
    other = stack.call("POST", f"{API}/grids", token, {"name": "无边界网格二", "parent_code": community,
                                                       "households": 50}).json()["code"]
    merged = stack.call("POST", f"{API}/grids/merge", token, {"codes": [bare, other], "name": "无边界合并"})
    assert merged.status_code == 201, merged.text
    assert merged.json()["created"]["households"] == 150 and merged.json()["created"]["area_m2"] is None
    # with geometry on every side the area is the union's
    split = stack.split_in_halves(token, grid, x, y)
    assert split.status_code == 201, split.text
    halves = [g["code"] for g in split.json()["created"]]
    whole = stack.call("POST", f"{API}/grids/merge", token, {"codes": halves, "name": "重新合并"})
    assert whole.status_code == 201, whole.text
    assert abs(whole.json()["created"]["area_m2"] - area_m2(box(x, y, x + 0.02, y + 0.02))) < 1


def test_a_top_level_grid_is_not_split_or_merged_but_told_why(stack):
    token = stack.login()
    x, y = 122.00, 32.00
    for code, name, left in (("320583", "昆山市", x), ("320585", "太仓市", x + 0.02)):
        response = stack.call("POST", f"{API}/grids", token, {
            "code": code, "name": name, "geometry": mapping(box(left, y, left + 0.02, y + 0.02))})
        assert response.status_code == 201, response.text
    split = stack.split_in_halves(token, "320583", x, y)
    assert split.status_code == 400, split.text
    assert split.json()["error"] == "TOP_LEVEL_GRID" and "320583" in split.json()["message"]
    merged = stack.call("POST", f"{API}/grids/merge", token, {"codes": ["320583", "320585"], "name": "合并"})
    assert merged.status_code == 400, merged.text
    assert merged.json()["error"] == "TOP_LEVEL_GRID"
    assert stack.call("GET", f"{API}/grids/320583", token).json()["status"] == "active"


def test_concurrent_changes_under_one_parent_neither_overlap_nor_fail(stack):
    token = stack.login()
    x, y = 122.10, 32.10
    whole = box(x, y, x + 0.06, y + 0.02)
    community = "320586001001"
    assert stack.call("POST", f"{API}/grids/import", token, {"type": "FeatureCollection", "features": [
        feature(whole, code=code, name=name, parent_code=code[:-3] if len(code) > 6 else None)
        for code, name in (("320586", "吴中区"), ("320586001", "长桥街道"), (community, "长桥社区"))]}).status_code == 201
    strips = [box(x + 0.01 * i, y, x + 0.01 * (i + 1), y + 0.02) for i in range(6)]
    pool = eventlet.GreenPool(8)

    def create(i, strip):
        return stack.call("POST", f"{API}/grids", token, {"name": f"网格{i}", "parent_code": community,
                                                          "geometry": mapping(strip)})

    # six creates of one area at once: one is stored, five are told it overlaps
    same = list(pool.starmap(create, [(i, strips[0]) for i in range(6)]))
    assert sorted(a.status_code for a in same) == [201, 400, 400, 400, 400, 400], [a.text for a in same]
    assert {a.json()["error"] for a in same if a.status_code == 400} == {"OVERLAPS_SIBLING"}
    # five creates of five areas at once: five grids, five codes
    others = list(pool.starmap(create, [(i, strips[i]) for i in range(1, 6)]))
    assert [a.status_code for a in others] == [201] * 5, [a.text for a in others]
    made = {a.json()["code"]: strip for a, strip in zip([a for a in same if a.status_code == 201] + others, strips)}
    assert len(made) == 6

    def split(code, strip):
        left, _, right, _ = strip.bounds
        return stack.call("POST", f"{API}/grids/{code}/split", token, {"parts": [
            {"name": "北", "geometry": mapping(box(left, y + 0.01, right, y + 0.02))},
            {"name": "南", "geometry": mapping(box(left, y, right, y + 0.01))}]})

    # six splits of six siblings at once: twelve new grids with twelve codes
    splits = list(pool.starmap(split, made.items()))
    assert [s.status_code for s in splits] == [201] * 6, [s.text for s in splits]
    assert len({g["code"] for s in splits for g in s.json()["created"]}) == 12


def test_concurrent_places_in_one_community_get_distinct_numbers(stack):
    token = stack.login()
    x, y = 122.20, 32.20
    grid = stack.square_district(token, "320587", "吴江", x, y)
    pool = eventlet.GreenPool(8)
    answers = list(pool.imap(lambda i: stack.call("POST", f"{API}/places", token, {
        "type": "building", "name": f"{i}号楼", "lon": x + 0.001 * (i + 1), "lat": y + 0.01}), range(8)))
    assert [a.status_code for a in answers] == [201] * 8, [a.text for a in answers]
    assert len({a.json()["code"] for a in answers}) == 8 and {a.json()["grid_code"] for a in answers} == {grid}
