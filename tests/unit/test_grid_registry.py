"""Registry rules on a real database: numbering, retired codes, round trips."""
import pytest
from shapely.geometry import box, mapping

from grid import MIGRATIONS_DIR, codes, registry
from grid.exceptions import ImportRejected
from grid.generator import build, large_spec, small_spec
from grid.levels import configured_scheme, scheme
from grid.models import Grid
from grid.topology import coverage_of
from shapely.geometry import shape

LEVELS = scheme()


@pytest.fixture
def db(open_db):
    return open_db("grid", MIGRATIONS_DIR)


def test_export_imports_back_unchanged(db, open_db, tmp_path):
    collection = build(small_spec(), radius_deg=0.03)
    with db.transaction() as session:
        registry.import_features(session, LEVELS, collection)
    with db.read() as session:
        exported = registry.export_features(session, "320508")
    other = open_db("grid", MIGRATIONS_DIR, f"sqlite:///{tmp_path / 'other.db'}")
    with other.transaction() as session:
        registry.import_features(session, LEVELS, exported)
    with other.read() as session:
        again = registry.export_features(session, "320508")
    assert again == exported
    assert len(exported["features"]) == len(collection["features"]) == 26


def test_retired_codes_are_never_handed_out_again(db):
    with db.transaction() as session:
        registry.import_features(session, LEVELS, {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": mapping(box(121, 31, 121.02, 31.02)),
             "properties": {"code": code, "name": name, "parent_code": parent}}
            for code, name, parent in [("320509", "示范区", None), ("320509001", "示范街道", "320509"),
                                       ("320509001001", "示范社区", "320509001")]]})
        first = registry.add_grid(session, LEVELS, {"name": "甲", "parent_code": "320509001001"})
        first.status = "retired"
        second = registry.add_grid(session, LEVELS, {"name": "乙", "parent_code": "320509001001"})
        exclusive = registry.add_grid(session, LEVELS, {"name": "丙", "parent_code": "320509001001",
                                                        "kind": "exclusive", "unit_type": "school"})
    assert (first.code, second.code, exclusive.code) == ("320509001001001", "320509001001002", "320509001001901")


def test_a_rejected_import_lists_every_problem_and_stores_nothing(db):
    features = [{"type": "Feature", "geometry": mapping(box(121, 31, 121.01, 31.01)),
                 "properties": {"code": "320509", "name": "示范区"}},
                {"type": "Feature", "geometry": None, "properties": {"code": "320509001", "name": ""}},
                {"type": "Nope"}]
    with pytest.raises(ImportRejected) as caught:
        with db.transaction() as session:
            registry.import_features(session, LEVELS, {"type": "FeatureCollection", "features": features})
    assert [e["index"] for e in caught.value.details["errors"]] == [1, 2]
    assert "name" in caught.value.details["errors"][0]["reason"]
    with db.read() as session:
        assert session.query(Grid).count() == 0


def test_large_district_has_the_promised_shape():
    spec = large_spec()
    towns = spec["children"]
    communities = [c for t in towns for c in t["children"]]
    grids = [g for c in communities for g in c["children"]]
    basic = [g for g in grids if g.get("kind") != "exclusive"]
    groups = [h for g in basic for h in g["children"]]
    assert (len(towns), len(communities), len(basic), len(groups)) == (12, 200, 1000, 10000)
    assert all(300 <= sum(h["households"] for h in g["children"]) <= 500 for g in basic)
    assert all(30 <= h["households"] <= 50 for h in groups)
    for node in towns + communities + grids:
        codes.validate_code(LEVELS, node["code"], node["code"][:-3], node.get("kind", "basic"))


def test_generated_polygons_tile_their_parents():
    collection = build(small_spec(), radius_deg=0.03)
    by_code = {f["properties"]["code"]: shape(f["geometry"]) for f in collection["features"]}
    for parent in ("320508", "320508019", "320508019044", "320508019044001"):
        children = [(c, g) for c, g in by_code.items() if c[:-3] == parent and len(c) == len(parent) + 3]
        assert children and coverage_of(parent, by_code[parent], children, 1.0) == ([], [])


def test_sizing_report_uses_the_schemes_rules_and_configured_ranges(db):
    with db.transaction() as session:
        registry.import_features(session, LEVELS, build(small_spec(), radius_deg=0.03))
    strict = configured_scheme({"GRID_SIZING": "villager_group:basic=400-500,villager_group:basic:population=none"})
    with db.read() as session:
        assert registry.sizing_report(session, LEVELS, "320508")["outside_range"] == []
        report = registry.sizing_report(session, strict, "320508")
    too_small = {g["code"]: g["households"] for g in report["outside_range"]}
    assert too_small == {"320508019044003": 388, "320508014021001": 395, "320508014202001": 318}
    assert {g["problem"] for g in report["outside_range"]} == {"too_small"}
    assert {g["why"] for g in report["outside_range"]} == {"set by GRID_SIZING"}
