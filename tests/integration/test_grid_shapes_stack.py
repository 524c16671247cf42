"""GET /api/v1/grids/{code}/shapes on the real stack (the demo district 320508), and
the portal's files at /portal/."""
import requests
from shapely.geometry import shape

API = "/api/v1"


def shapes(stack, token, code, **params):
    return stack.call("GET", f"{API}/grids/{code}/shapes", token, params=params)


def codes(answer):
    return [feature["properties"]["code"] for feature in answer["features"]]


def test_children_leaves_and_levels_with_their_properties(stack):
    token = stack.login()
    answer = shapes(stack, token, "320508", zoom=12)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    children = stack.call("GET", f"{API}/grids", token, params={"parent": "320508"}).json()["items"]
    assert body["type"] == "FeatureCollection" and body["code"] == "320508" and body["zoom"] == 12
    assert body["level"] == children[0]["level"] and codes(body) == sorted(c["code"] for c in children)
    assert len(body["bbox"]) == 4 and body["bbox"][0] < body["bbox"][2] and body["bbox"][1] < body["bbox"][3]
    first = body["features"][0]
    assert set(first["properties"]) == {"code", "name", "level", "kind", "parent_code"}
    assert first["properties"]["parent_code"] == "320508" and first["properties"]["name"] == children[0]["name"]
    assert first["geometry"]["type"] in ("Polygon", "MultiPolygon")

    exported = stack.call("GET", f"{API}/grids/export", token, params={"root": "320508019044"}).json()["features"]
    parents = {f["properties"]["parent_code"] for f in exported}
    leaves = sorted(f["properties"]["code"] for f in exported if f["properties"]["code"] not in parents)
    leaf = shapes(stack, token, "320508019044", zoom=16, level="leaf").json()
    assert leaf["level"] == "leaf" and codes(leaf) == leaves
    # at a near zoom the drawn shapes keep the grids' areas
    originals = {f["properties"]["code"]: shape(f["geometry"]) for f in exported}
    for feature in leaf["features"]:
        original = originals[feature["properties"]["code"]]
        assert abs(shape(feature["geometry"]).area - original.area) / original.area < 0.05

    communities = shapes(stack, token, "320508", zoom=11, level="community").json()
    assert communities["level"] == "community" and communities["features"]
    assert all(f["properties"]["level"] == "community" for f in communities["features"])
    # far out, coordinates have few decimals and every grid is still there
    far = shapes(stack, token, "320508", zoom=3, level="leaf").json()
    near = shapes(stack, token, "320508", zoom=14, level="leaf").json()
    assert len(far["features"]) == len(near["features"])
    # other tests share the demo district and may add grids stored with no geometry: only
    # those are null, at every zoom; every other grid keeps a shape however far out
    stored_without = {f["properties"]["code"] for f in near["features"] if f["geometry"] is None}
    assert {f["properties"]["code"] for f in far["features"] if f["geometry"] is None} == stored_without
    drawn = [f for f in far["features"] if f["geometry"] is not None]
    assert drawn and all(f["geometry"]["coordinates"] for f in drawn)


def test_the_answer_is_cached_by_etag_and_gzipped(stack):
    token = stack.login()
    first = shapes(stack, token, "320508019", zoom=13)
    assert first.status_code == 200 and first.headers["Content-Encoding"] == "gzip"
    assert first.headers["Cache-Control"] == "private, max-age=60" and first.headers["ETag"]
    again = shapes(stack, token, "320508019", zoom=13)
    assert again.headers["ETag"] == first.headers["ETag"] and again.content == first.content
    unchanged = stack.call("GET", f"{API}/grids/320508019/shapes", token, params={"zoom": 13},
                           headers={"If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304 and unchanged.content == b""
    raw = requests.get(f"{stack.gateway}{API}/grids/320508019/shapes", params={"zoom": 13},
                       headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}, timeout=10)
    assert raw.status_code == 200 and "Content-Encoding" not in raw.headers and raw.json() == first.json()


def test_a_change_to_the_registry_changes_the_answer(stack):
    token = stack.login()
    code = stack.square_district(token, "320597", "形状", 121.2, 31.6)
    before = shapes(stack, token, code[:-3], zoom=14).json()
    assert codes(before) == [code]
    assert stack.split_in_halves(token, code, 121.2, 31.6).status_code == 201
    after = stack.waited(lambda: (lambda body: body if len(body["features"]) == 2 else None)(
        shapes(stack, token, code[:-3], zoom=14).json()))
    assert {f["properties"]["name"] for f in after["features"]} == {"西", "东"}


def test_bad_input_names_its_field_and_an_unknown_grid_is_404(stack):
    token = stack.login()
    for params, field in (({"zoom": 99}, "zoom"), ({"zoom": -1}, "zoom"), ({"zoom": "far"}, "zoom"), ({}, "zoom"),
                          ({"zoom": 12, "level": "Nope!"}, "level"), ({"zoom": 12, "level": "street_block"}, "level"),
                          ({"zoom": 12, "level": "district"}, "level"), ({"zoom": 12, "extra": 1}, "extra")):
        answer = shapes(stack, token, "320508019", **params)
        assert answer.status_code == 400, (params, answer.text)
        assert field in answer.json()["details"]["fields"], (params, answer.json())
    missing = shapes(stack, token, "320508999", zoom=12)
    assert missing.status_code == 404 and missing.json()["error"] == "GRID_NOT_FOUND"
    assert shapes(stack, token, "not-a-code", zoom=12).status_code == 400


def test_scope_and_roles(stack):
    admin = stack.login()
    worker = stack.new_account(admin, ["grid_worker"], scope="320508019044001")
    inside = shapes(stack, worker, "320508019044001", zoom=16)
    assert inside.status_code == 200 and inside.json()["features"]
    outside = shapes(stack, worker, "320508019", zoom=12)
    assert outside.status_code == 403 and outside.json()["error"] == "OUT_OF_SCOPE"
    auditor = stack.new_account(admin, ["auditor"], scope="320508")
    assert shapes(stack, auditor, "320508", zoom=10).status_code == 200
    resident = stack.new_account(admin, ["resident"])
    refused = shapes(stack, resident, "320508", zoom=10)
    assert refused.status_code == 403 and refused.json()["error"] == "ROLE_FORBIDDEN"
    assert shapes(stack, None, "320508", zoom=10).status_code == 401


def test_the_portal_is_served_under_portal(stack):
    home = requests.get(f"{stack.gateway}/", allow_redirects=False, timeout=10)
    assert home.status_code == 302 and home.headers["Location"].endswith("/portal/")
    bare = requests.get(f"{stack.gateway}/portal", allow_redirects=False, timeout=10)
    assert bare.status_code == 302 and bare.headers["Location"].endswith("/portal/")
    page = requests.get(f"{stack.gateway}/portal/", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Cache-Control"] == "no-cache"
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "worker-src 'self' blob:" in policy and "frame-ancestors 'none'" in policy
    assert "/portal/assets/" in page.text
    script = page.text.split('src="/portal/assets/', 1)[1].split('"', 1)[0]
    asset = requests.get(f"{stack.gateway}/portal/assets/{script}", timeout=10)
    assert asset.status_code == 200 and asset.headers["Cache-Control"].endswith("immutable")
    assert asset.headers["Content-Type"].startswith("text/javascript")
    worker = requests.get(f"{stack.gateway}/portal/sw.js", timeout=10)
    if worker.status_code == 200:  # the PWA's worker, once the portal has one
        assert worker.headers["Service-Worker-Allowed"] == "/portal/" and worker.headers["Cache-Control"] == "no-cache"
    config = requests.get(f"{stack.gateway}/portal/config.json", timeout=10)
    assert config.status_code == 200 and set(config.json()) == {"tile_url", "tile_attribution", "version"}
    for name in ("nothing.js", "assets"):  # a folder is no file
        missing = requests.get(f"{stack.gateway}/portal/{name}", timeout=10)
        assert missing.status_code == 404 and missing.json()["error"] == "PORTAL_FILE_NOT_FOUND"
    missing = requests.get(f"{stack.gateway}/portal/assets/nothing.js", timeout=10)
    assert missing.status_code == 404 and missing.json()["error"] == "PORTAL_FILE_NOT_FOUND"
    again = requests.get(f"{stack.gateway}/portal/", headers={"If-None-Match": page.headers["ETag"]}, timeout=10)
    assert again.status_code == 304

