"""The grid scheme across services: staffing gaps follow the scheme's staffed level
(Dianbai staffs its fifth level, seed 003), sizing by zone, households or population and
natural villages (seeds 000, 002), and bad scheme settings stop grid at start."""
import uuid

import pytest
from idnumbers import fresh_id_number as id_number

from common.launcher import BY_NAME, ServiceProcess
from stack import free_port

API = "/api/v1"
FULL_STANDARD = ["grid_chief", "grid_police", "full_time_worker", "part_time_worker", "part_time_worker"]


def feature(code, name, parent=None, **properties):
    return {"type": "Feature", "geometry": None,
            "properties": {"code": code, "name": name, "parent_code": parent, **properties}}


def import_grids(stack, token, features):
    response = stack.call("POST", f"{API}/grids/import", token, {"type": "FeatureCollection", "features": features})
    assert response.status_code == 201, response.text


def county(code, name):
    """A county > town 100 > villagers' committee 201 chain of its own for one test."""
    return [feature(code, f"{name}区"), feature(f"{code}100", f"{name}镇", code),
            feature(f"{code}100201", f"{name}村", f"{code}100")]


def gaps(stack, token, root):
    response = stack.call("GET", f"{API}/staffing/gaps?root={root}", token)
    assert response.status_code == 200, response.text
    return response.json()


def test_staffing_gaps_follow_the_schemes_staffed_level(stack):
    token = stack.login()
    village = "440904100201"  # 电白区 霞洞镇 上河村
    group = f"{village}001"
    import_grids(stack, token, county("440904", "电白") + [
        feature(group, "第一村民小组", village),
        feature(f"{village}901", "上河小学", village, kind="exclusive", unit_type="school"),
        feature(f"{group}001", "第一住户小组", group, households=36),
        feature(f"{group}002", "第二住户小组", group, households=47)])

    generic = gaps(stack, token, village)  # the default five-level scheme staffs the fourth level
    assert [(g["code"], g["level"]) for g in generic["gaps"]] == [
        (group, "villager_group"), (f"{village}901", "villager_group")]

    stack.restart("grid", GRID_LEVEL_SCHEME="dianbai")
    try:
        dianbai = gaps(stack, token, village)
        assert [(g["code"], g["level"], g["kind"]) for g in dianbai["gaps"]] == [
            (f"{village}901", "villager_group", "exclusive"),
            (f"{group}001", "household_group", "basic"), (f"{group}002", "household_group", "basic")]
        assert dianbai["by_community"][village] == {
            "grids": 3, "grids_with_gaps": 3, "missing": {"grid_chief": 3, "grid_police": 2,
                                                          "full_time_worker": 2, "part_time_worker": 5}}

        for role in FULL_STANDARD:  # a full complement on the first household group
            person = stack.call("POST", f"{API}/staff", token, {"name": f"电白{uuid.uuid4().hex[:4]}",
                                                                "id_number": id_number()})
            assert person.status_code == 201, person.text
            posted = stack.call("POST", f"{API}/staff/{person.json()['id']}/assignments", token,
                                {"grid_code": f"{group}001", "role": role, "start_date": "2026-01-01"})
            assert posted.status_code == 201, posted.text
        staffed = gaps(stack, token, village)
        assert [g["code"] for g in staffed["gaps"]] == [f"{village}901", f"{group}002"]
        assert staffed["by_community"][village]["grids_with_gaps"] == 2

        sizing = stack.call("GET", f"{API}/grids/{village}/sizing", token).json()
        assert sizing["scheme"] == "dianbai" and sizing["outside_range"] == []
        assert sizing["grids_checked"] == 2  # the household groups; Dianbai sizes nothing else
    finally:
        stack.restart("grid")
    back = gaps(stack, token, village)  # the posts were on household groups: the fourth level lacks them
    assert [g["code"] for g in back["gaps"]] == [group, f"{village}901"]


def test_sizing_by_zone_households_or_population(stack):
    token = stack.login()
    village = "440982100201"
    import_grids(stack, token, county("440982", "化州") + [
        feature(f"{village}001", "户少人多", village, households=250, population=1000),
        feature(f"{village}002", "户人都少", village, households=250, population=700),
        feature(f"{village}003", "大自然村", village, zone_type="natural_village", households=1800),
        feature(f"{village}004", "城区大网格", village, zone_type="urban", households=900, population=3000)])
    sizing = stack.call("GET", f"{API}/grids/440982/sizing", token)
    assert sizing.status_code == 200, sizing.text
    body = sizing.json()
    assert body["scheme"] == "five" and body["natural_villages"] == 1 and body["grids_checked"] == 4
    problems = {g["code"]: g for g in body["outside_range"]}
    assert {code[-3:]: (g["sized_as"], g["problem"]) for code, g in problems.items()} == {
        "002": ("basic", "too_small"), "004": ("urban", "too_large")}
    assert problems[f"{village}002"]["population_range"] == [800, 1200] and "seed 000" in problems[f"{village}002"]["why"]

    ecological = stack.call("POST", f"{API}/grids", token, {"name": "林区", "parent_code": village,
                                                             "zone_type": "ecological"})
    assert ecological.status_code == 400, ecological.text
    assert ecological.json()["error"] == "UNKNOWN_ZONE_TYPE"
    assert ecological.json()["details"] == {"field": "zone_type", "allowed": ["urban", "natural_village"]}
    assert len(stack.call("GET", f"{API}/grids?parent={village}", token).json()["items"]) == 4


@pytest.mark.parametrize("setting, value, fragment", [
    ("GRID_STAFFED_LEVEL", "ward", "GRID_STAFFED_LEVEL 'ward' is not a level of the five scheme"),
    ("GRID_SIZING", "villager_group:basic=500-300", "GRID_SIZING item 'villager_group:basic=500-300': "
                                                    "the households range is inverted"),
])
def test_bad_scheme_settings_stop_grid_at_start_naming_the_variable(stack, tmp_path, setting, value, fragment):
    env = dict(stack.env, GRID_PORT=str(free_port()), GRID_DB_URL=f"sqlite:///{tmp_path / 'grid.db'}",
               **{setting: value})
    log = tmp_path / "grid.log"
    process = ServiceProcess(BY_NAME["grid"], env, log).start()
    try:
        with pytest.raises(RuntimeError, match="exited with code 1"):
            process.wait_healthy(60)
    finally:
        process.kill()
    assert f"INVALID_GRID_SETTINGS: {fragment}" in log.read_text(errors="replace")
