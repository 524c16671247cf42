"""Lists a page at a time at the real door: `limit` bounded, `next` passed back as
`after` walks the whole list once, in order, and ends with null; an `after` naming
nothing is a 400 naming it. (That every list route declares both:
tests/unit/test_route_table.py.)"""
from shapely.geometry import shape

from idnumbers import fresh_id_number

API = "/api/v1"
COUNTY, X, Y = "320650", 129.50, 39.50          # a county and a spot no other test uses


def walk(stack, token, path, limit, **params):
    """Every item of a list, following `next`; and the pages' sizes."""
    items, sizes, after = [], [], None
    while True:
        answer = stack.call("GET", f"{API}{path}", token, params={**params, "limit": limit,
                                                                  **({"after": after} if after else {})})
        assert answer.status_code == 200, answer.text
        page = answer.json()
        items += page["items"]
        sizes.append(len(page["items"]))
        after = page["next"]
        if after is None:
            return items, sizes


def test_a_list_comes_a_page_at_a_time_and_next_walks_it_once(stack):
    admin = stack.login()
    grid = stack.square_district(admin, COUNTY, "分页", X, Y)
    assert stack.split_in_halves(admin, grid, X, Y).status_code == 201
    halves, sizes = walk(stack, admin, "/grids", 1, parent=grid[:-3])
    assert sizes == [1, 1] and [g["name"] for g in halves] == ["西", "东"]
    assert [g["code"] for g in halves] == sorted(g["code"] for g in halves)

    geometry = stack.call("GET", f"{API}/grids/{halves[0]['code']}?geometry=true", admin).json()["geometry"]
    point = shape(geometry).representative_point()
    registered = []
    for n in range(5):
        place = stack.call("POST", f"{API}/places", admin, {"type": "building", "name": f"分页{n}号楼",
                                                          "lon": point.x, "lat": point.y}).json()
        household = stack.call("POST", f"{API}/households", admin, {"place_code": place["code"]}).json()
        resident = stack.call("POST", f"{API}/residents", admin, {
            "name": f"分页{n}", "id_number": fresh_id_number(), "household_id": household["id"]})
        assert resident.status_code == 201, resident.text
        registered.append((place["code"], household["id"], resident.json()["id"]))
    root = {"root": COUNTY}
    places, sizes = walk(stack, admin, "/places", 2, **root)
    assert sizes == [2, 2, 1] and [p["code"] for p in places] == sorted(code for code, _, _ in registered)
    households, sizes = walk(stack, admin, "/households", 2, **root)
    assert sizes == [2, 2, 1] and [h["id"] for h in households] == [h for _, h, _ in registered], \
        "in the order registered, none twice, none left out"
    residents, sizes = walk(stack, admin, "/residents", 3, **root)
    assert sizes == [3, 2] and [r["id"] for r in residents] == [r for _, _, r in registered]
    searched = stack.call("POST", f"{API}/residents/search", admin, {"root": COUNTY, "limit": 3,
                                                                    "after": residents[2]["id"]}).json()
    assert [r["id"] for r in searched["items"]] == [r["id"] for r in residents[3:]] and searched["next"] is None

    stack.new_account(admin, ["auditor"], COUNTY)  # two accounts at least
    accounts, _ = walk(stack, admin, "/accounts", 1000)
    first = stack.call("GET", f"{API}/accounts", admin, params={"limit": 1}).json()
    assert first["items"] == accounts[:1] and first["next"] == accounts[0]["id"]


def test_a_page_beyond_the_bounds_or_after_nothing_is_refused(stack):
    admin = stack.login()
    too_many = stack.call("GET", f"{API}/grids", admin, params={"limit": 1001})
    assert too_many.status_code == 400 and "limit" in too_many.json()["details"]["fields"]
    nowhere = stack.call("GET", f"{API}/households", admin, params={"after": "no-such-household"})
    assert nowhere.status_code == 400 and nowhere.json()["details"]["fields"] == {"after": ["names no household"]}
