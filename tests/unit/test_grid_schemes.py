"""The level schemes say what the seeds say: which level is staffed, how each zone is
sized, households or population, whole natural villages; bad settings refused at start."""
from dataclasses import replace

import pytest

from grid.exceptions import InvalidGridSettings
from grid.levels import (
    MICRO_FEW, SCHEMES, Sizing, check, configured_scheme, main, markdown, parse_sizing, scheme,
)


def test_each_scheme_staffs_a_level_it_has():
    assert {name: s.staffed for name, s in SCHEMES.items()} == {
        "five": "villager_group", "dianbai": "household_group", "four": "grid", "three": "grid"}
    for item in SCHEMES.values():
        assert item.staffed_level is not None and item.staffed_why


def test_dianbai_staffs_and_sizes_its_fifth_level():
    dianbai = scheme("dianbai")
    assert (dianbai.staffed_level.depth, dianbai.staffed_level.label_zh) == (5, "住户小组")
    rule = dianbai.sizing_for("household_group", "basic")
    assert rule.households == (30, 50) and "seed 003" in rule.why
    # the same codes as the generic five-level scheme: a deployment switches without recoding
    assert dianbai.levels == scheme("five").levels


def test_zones_size_by_their_own_rule_not_their_levels():
    pinggu = scheme("three")
    assert pinggu.sizing_for("grid", "basic", "ecological").households == (0, 50)
    assert pinggu.sizing_for("grid", "basic", "transitional") is MICRO_FEW
    assert pinggu.sizing_for("grid", "basic", None).households == (10, 50)
    assert set(pinggu.zones("grid")) == {"residential", "transitional", "ecological"}
    five = scheme("five")
    urban = five.sizing_for("villager_group", "basic", "urban")
    assert (urban.households, urban.population) == ((300, 500), (800, 1200)) and "seed 000" in urban.why
    village = five.sizing_for("villager_group", "basic", "natural_village")
    assert village.natural_village and village.households is None and village.population is None
    assert five.sizing_for("villager_group", "exclusive") is None  # exclusive grids are not sized
    assert five.zones("household_group") == ()


def test_the_deployment_may_move_the_staffed_level_but_not_off_the_scheme():
    assert configured_scheme({"GRID_STAFFED_LEVEL": "household_group"}).staffed == "household_group"
    assert configured_scheme({"GRID_LEVEL_SCHEME": "dianbai"}).staffed == "household_group"
    with pytest.raises(InvalidGridSettings) as caught:
        configured_scheme({"GRID_LEVEL_SCHEME": "three", "GRID_STAFFED_LEVEL": "household_group"})
    assert caught.value.details["field"] == "GRID_STAFFED_LEVEL"
    assert "not a level of the three scheme" in caught.value.message


def test_grid_sizing_changes_the_named_measure_and_keeps_the_other():
    five = scheme("five")
    assert parse_sizing("villager_group:basic=250-600, household_group:exclusive=0-10", five) == {
        ("villager_group", "basic"): {"households": (250, 600)},
        ("household_group", "exclusive"): {"households": (0, 10)}}
    changed = configured_scheme({"GRID_SIZING": "villager_group:urban:population=900-1100,"
                                                "villager_group:basic:population=none,"
                                                "villager_group:ecological=0-20"})
    urban = changed.sizing_for("villager_group", "basic", "urban")
    assert (urban.households, urban.population, urban.why) == ((300, 500), (900, 1100), "set by GRID_SIZING")
    assert changed.sizing_for("villager_group", "basic").population is None
    assert "ecological" in changed.zones("villager_group")
    assert scheme("five").sizing_for("villager_group", "basic", "urban").population == (800, 1200)  # untouched


@pytest.mark.parametrize("item, fragment", [
    ("villager_group=1-2", "is not level:class"),
    ("villager_group:odd=1-2", "class must be one of"),
    ("hamlet:basic=1-2", "'hamlet' is not a level of the five scheme"),
    ("villager_group:basic:area=1-2", "measure must be one of"),
    ("villager_group:basic=9-1", "inverted (9 > 1)"),
    ("villager_group:basic=-5-10", "starts below 0"),
    ("villager_group:basic:population=-1--1", "starts below 0"),
    ("villager_group:basic=many", "low-high (whole numbers) or none"),
])
def test_bad_grid_sizing_is_refused_naming_the_variable_and_item(item, fragment):
    with pytest.raises(InvalidGridSettings) as caught:
        configured_scheme({"GRID_SIZING": f"household_group:basic=30-50,{item}"})
    assert fragment in caught.value.message
    assert caught.value.details["field"] == "GRID_SIZING" and caught.value.details["item"] == item


def test_a_scheme_contradicting_itself_is_refused():
    five = scheme("five")
    with pytest.raises(InvalidGridSettings, match="staffs level 'ward'"):
        check(replace(five, staffed="ward"))
    inverted = {**five.sizing, ("household_group", "basic"): Sizing(households=(50, 30))}
    with pytest.raises(InvalidGridSettings) as caught:
        check(replace(five, sizing=inverted))
    assert caught.value.details["field"] == "sizing.household_group.basic.households"
    negative = {**five.sizing, ("villager_group", "urban"): Sizing(population=(-1, 10))}
    with pytest.raises(InvalidGridSettings, match="population range"):
        check(replace(five, sizing=negative))


def test_the_readme_shows_each_scheme_with_its_seeds():
    block = markdown()
    assert all(f"**`{name}`**" in block for name in SCHEMES)
    assert "one whole natural village" in block and "ecological (生态管护)" in block
    assert main(["--check"]) == 0, "run: python -m grid.levels --write"


# --- on a real database ------------------------------------------------------------------------

from shapely.geometry import box, mapping  # noqa: E402

from grid import MIGRATIONS_DIR, places, registry  # noqa: E402
from grid.exceptions import ImportRejected, UnknownZoneType  # noqa: E402


@pytest.fixture
def db(open_db):
    return open_db("grid", MIGRATIONS_DIR)


def feature(code, name, parent=None, **properties):
    return {"type": "Feature", "geometry": None,
            "properties": {"code": code, "name": name, "parent_code": parent, **properties}}


def load(db, used, features):
    with db.transaction() as session:
        registry.import_features(session, used, {"type": "FeatureCollection", "features": features})


def outside(db, used, root):
    with db.read() as session:
        report = registry.sizing_report(session, used, root)
    return report, {g["code"]: g for g in report["outside_range"]}


COUNTY = [feature("440904", "电白区"), feature("440904100", "霞洞镇", "440904"),
          feature("440904100201", "上河村", "440904100")]


def test_a_grid_is_within_range_by_households_or_by_population(db):
    five = scheme("five")
    load(db, five, COUNTY + [
        feature("440904100201001", "户少人多", "440904100201", households=250, population=1000),
        feature("440904100201002", "户多人少", "440904100201", households=450, population=500),
        feature("440904100201003", "都偏少", "440904100201", households=250, population=700),
        feature("440904100201004", "一少一多", "440904100201", households=250, population=1500),
        feature("440904100201005", "只知人口", "440904100201", population=950),
        feature("440904100201006", "城区都偏多", "440904100201", zone_type="urban", households=900, population=3000),
        feature("440904100201007", "都不知道", "440904100201"),
    ])
    report, problems = outside(db, five, "440904")
    assert {code[-3:]: g["problem"] for code, g in problems.items()} == {
        "003": "too_small", "004": "mixed", "006": "too_large", "007": "unknown"}
    small = problems["440904100201003"]
    assert (small["range"], small["population_range"], small["sized_as"]) == ([300, 500], [800, 1200], "basic")
    assert "seed 000" in small["why"] and report["scheme"] == "five"
    assert report["grids_checked"] == 7


def test_registered_people_stand_in_for_an_undeclared_population(db):
    five = scheme("five")
    load(db, five, COUNTY + [feature("440904100201001", "登记为准", "440904100201", households=120)])
    with db.transaction() as session:  # what the people service announced, in two household groups
        places.count_event(session, "440904100201001", "residents_registered", 600)
        load_groups = [feature(f"440904100201001{i:03d}", f"第{i}组", "440904100201001", households=40)
                       for i in (1, 2)]
        registry.import_features(session, five, {"type": "FeatureCollection", "features": load_groups})
        places.count_event(session, "440904100201001002", "residents_registered", 300)
    _, problems = outside(db, five, "440904")
    assert problems == {}  # 120 households, but 900 people registered: within
    with db.transaction() as session:
        places.count_event(session, "440904100201001002", "residents_registered", -200)
    _, problems = outside(db, five, "440904")
    assert problems["440904100201001"]["registered_population"] == 700
    assert problems["440904100201001"]["problem"] == "too_small"


def test_a_natural_village_is_one_grid_whatever_its_size(db):
    five = scheme("five")
    load(db, five, COUNTY + [
        feature("440904100201001", "大村", "440904100201", zone_type="natural_village", households=1800),
        feature("440904100201002", "小村", "440904100201", zone_type="natural_village", households=40),
        feature("440904100201003", "城区网格", "440904100201", households=40, population=100),
    ])
    report, problems = outside(db, five, "440904")
    assert list(problems) == ["440904100201003"]
    assert report["natural_villages"] == 2 and report["grids_checked"] == 3


def test_pinggu_ecological_and_transitional_micro_grids_hold_few_households(db):
    three = scheme("three")
    load(db, three, [feature("110117210201", "白云寺村"),
                     feature("110117210201001", "集中居住一", "110117210201", households=17),
                     feature("110117210201002", "集中居住二", "110117210201", zone_type="residential", households=3),
                     feature("110117210201003", "连接过渡", "110117210201", zone_type="transitional", households=4),
                     feature("110117210201004", "生态管护", "110117210201", zone_type="ecological", households=0),
                     feature("110117210201005", "生态管护二", "110117210201", zone_type="ecological",
                             households=80)])
    _, problems = outside(db, three, "110117210201")
    assert {code[-3:]: (g["sized_as"], g["problem"]) for code, g in problems.items()} == {
        "002": ("residential", "too_small"), "005": ("ecological", "too_large")}


def test_a_zone_the_scheme_does_not_size_there_is_refused(db):
    five = scheme("five")
    load(db, five, COUNTY)
    for properties, fragment in [
            ({"zone_type": "ecological"}, "has no zone type 'ecological'; it may be urban, natural_village"),
            ({"kind": "exclusive", "unit_type": "school", "zone_type": "urban"}, "Only basic grids"),
    ]:
        with pytest.raises(UnknownZoneType) as caught:
            with db.transaction() as session:
                registry.add_grid(session, five, {"name": "甲", "parent_code": "440904100201", **properties})
        assert fragment in caught.value.message and caught.value.details["field"] == "zone_type"
    with pytest.raises(ImportRejected) as rejected:
        load(db, five, [feature("440904100201001", "组", "440904100201"),
                        feature("440904100201001001", "户组", "440904100201001", zone_type="urban")])
    (error,) = rejected.value.details["errors"]
    assert error["code"] == "440904100201001001" and "it carries none" in error["reason"]
    pinggu_zones = configured_scheme({"GRID_SIZING": "villager_group:ecological=0-20"})
    with db.transaction() as session:  # a deployment that sizes the zone may use it
        grid = registry.add_grid(session, pinggu_zones, {"name": "林区", "parent_code": "440904100201",
                                                         "zone_type": "ecological"})
    assert grid.zone_type == "ecological"


def test_staffed_grids_follow_the_schemes_staffed_level(db):
    five = scheme("five")
    load(db, five, COUNTY + [
        feature("440904100201001", "第一村民小组", "440904100201"),
        feature("440904100201901", "上河小学", "440904100201", kind="exclusive", unit_type="school"),
        feature("440904100201001001", "第一住户小组", "440904100201001", households=35),
        feature("440904100201001002", "第二住户小组", "440904100201001", households=48),
    ])
    with db.read() as session:
        generic = registry.staffed_grids(session, five, "440904")
        dianbai = registry.staffed_grids(session, scheme("dianbai"), "440904")
        moved = registry.staffed_grids(session, configured_scheme({"GRID_STAFFED_LEVEL": "community"}), "440904")
    assert [(g["code"], g["level"]) for g in generic] == [
        ("440904100201001", "villager_group"), ("440904100201901", "villager_group")]
    assert [(g["code"], g["level"], g["kind"]) for g in dianbai] == [
        ("440904100201901", "villager_group", "exclusive"),  # its unit's chief heads it, at any scheme
        ("440904100201001001", "household_group", "basic"), ("440904100201001002", "household_group", "basic")]
    assert dianbai[1]["community_code"] == "440904100201" and dianbai[1]["town_code"] == "440904100"
    assert [g["code"] for g in moved] == ["440904100201", "440904100201901"]
