"""The door itself: its reference is served with nothing from elsewhere, files arrive
as a body or as a browser's form, personal searches can keep personal data out of
URLs, and a stranger behind a trusted proxy locks nobody out but themself."""
import re
import uuid

import pytest
import requests
from openapi_spec_validator import validate
from shapely.geometry import shape

from idnumbers import fresh_id_number

API = "/api/v1"
ROSTER_HEADER = "姓名,性别,身份证号码,手机号码,政治面貌,是否会用智能手机,网格编码,岗位,任职开始日期"
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//|https?://""")


def test_the_reference_and_its_document_are_served_with_nothing_from_elsewhere(stack):
    document = requests.get(f"{stack.gateway}{API}/openapi.json", timeout=10)
    assert document.status_code == 200 and document.headers["Content-Type"].startswith("application/json")
    validate(document.json())
    assert "/api/v1/tickets/{ticket_id}/actions" in document.json()["paths"]
    page = requests.get(f"{stack.gateway}{API}/docs", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and not EXTERNAL.search(page.text), page.text
    for asset in assets:
        assert asset.startswith(f"{API}/docs/assets/"), asset
        fetched = requests.get(f"{stack.gateway}{asset}", timeout=10)
        assert fetched.status_code == 200 and fetched.content, asset
        if asset.endswith("init.js"):
            assert not EXTERNAL.search(fetched.text) and "validatorUrl: null" in fetched.text
            assert f'url: "{API}/openapi.json"' in fetched.text
    missing = requests.get(f"{stack.gateway}{API}/docs/assets/..%2Fsecret", timeout=10)
    assert missing.status_code in (400, 404) and missing.json()["error"] in ("VALIDATION_FAILED", "ROUTE_NOT_FOUND")


def _roster(grid_code):
    row = f"表单导入,,{fresh_id_number()},,,是,{grid_code},志愿者,2026-02-01"
    return f"{ROSTER_HEADER}\n{row}\n".encode("utf-8")


def test_a_roster_arrives_as_the_body_or_as_a_browsers_form_and_nothing_else(stack):
    admin = stack.login()
    url, auth = f"{stack.gateway}{API}/staff/roster", {"Authorization": f"Bearer {admin}"}
    form = requests.post(url, headers=auth, timeout=30,
                         files={"file": ("C:\\Users\\办公室\\花名册.csv", _roster("320508014021002"), "text/csv")})
    assert form.status_code == 201 and form.json() == {"imported": 1, "assignments": 1}, form.text
    body = requests.post(url, headers=dict(auth, **{"Content-Type": "text/csv"}), data=_roster("320508014021002"),
                         timeout=30)
    assert body.status_code == 201, body.text
    wrong_field = requests.post(url, headers=auth, files={"roster": ("a.csv", _roster("320508014021002"))}, timeout=30)
    assert wrong_field.status_code == 400 and wrong_field.json()["details"]["fields"] == {"file": ["missing"]}
    as_text = requests.post(url, headers=dict(auth, **{"Content-Type": "text/plain"}), data=b"a,b", timeout=30)
    assert as_text.status_code == 415 and as_text.json()["error"] == "UNSUPPORTED_MEDIA_TYPE"
    empty = requests.post(url, headers=dict(auth, **{"Content-Type": "text/csv"}), data=b"", timeout=30)
    assert empty.status_code == 400


def test_residents_are_found_by_their_numbers_in_a_body_not_a_url(stack):
    admin = stack.login()
    geometry = stack.call("GET", f"{API}/grids/320508019044002?geometry=true", admin).json()["geometry"]
    point = shape(geometry).representative_point()
    place = stack.call("POST", f"{API}/places", admin, {"type": "building", "name": "搜索楼",
                                                      "lon": point.x, "lat": point.y}).json()
    household = stack.call("POST", f"{API}/households", admin, {"place_code": place["code"]}).json()
    number = fresh_id_number()
    created = stack.call("POST", f"{API}/residents", admin, {"name": "搜索居民", "id_number": number,
                                                            "phone": "13955556666",
                                                            "household_id": household["id"]})
    assert created.status_code == 201, created.text
    found = stack.call("POST", f"{API}/residents/search", admin, {"id_number": number})
    assert found.status_code == 200 and [r["id"] for r in found.json()["items"]] == [created.json()["id"]]
    by_phone = stack.call("POST", f"{API}/residents/search", admin, {"phone": "13955556666"}).json()["items"]
    assert created.json()["id"] in [r["id"] for r in by_phone]
    elsewhere = stack.new_account(admin, ["community_officer"], scope="320508014021")
    beyond = stack.call("POST", f"{API}/residents/search", elsewhere, {"id_number": number, "root": place["grid_code"]})
    assert beyond.status_code == 403 and beyond.json()["error"] == "OUT_OF_SCOPE"
    unknown = stack.call("POST", f"{API}/residents/search", admin, {"id_number": number, "name": "搜索居民"})
    assert unknown.status_code == 400 and "name" in unknown.json()["details"]["fields"]


def test_behind_a_trusted_proxy_a_stranger_locks_only_their_own_address(stack):
    """The test stack trusts 127.0.0.1 as a proxy (TRUSTED_PROXIES): X-Forwarded-For
    names the client, read from the right, so a prepended address fools nobody."""
    admin = stack.login()
    username = f"u{uuid.uuid4().hex[:10]}"
    stack.call("POST", f"{API}/accounts", admin, {"username": username, "display_name": "被盯上的网格员",
                                                  "password": "Passw0rd-2026", "roles": ["grid_worker"],
                                                  "grid_scope": "320508019044001"})

    def sign_in(password, forwarded):
        return stack.call("POST", f"{API}/auth/login", body={"username": username, "password": password},
                          headers={"X-Forwarded-For": forwarded})

    for _ in range(3):  # the stack locks after 3; the stranger pretends to be the owner's office first
        sign_in("guess", "198.51.100.10, 203.0.113.66")
    assert sign_in("Passw0rd-2026", "203.0.113.66").status_code == 423
    owner = sign_in("Passw0rd-2026", "198.51.100.10")
    assert owner.status_code == 200, owner.text


def test_the_reference_page_draws_every_route_in_a_browser_that_reaches_nothing_else(stack, tmp_path):
    """Debian's Chromium, headless, its resolver refusing every host but this one: the
    page still draws one block per declared route (the government-network case)."""
    import shutil
    import subprocess

    from gateway.routes import ROUTES

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no chromium here (.ci/run installs Debian's)")
    page = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", f"--user-data-dir={tmp_path}",
         "--virtual-time-budget=15000", "--dump-dom", f"{stack.gateway}{API}/docs"],
        capture_output=True, text=True, timeout=120).stdout
    drawn = re.findall(r'class="opblock opblock-(get|post|put|delete|patch)', page)
    assert len(drawn) == len(ROUTES), page[-2000:]
    assert "/api/v1/tickets/{ticket_id}/actions" in page


def test_a_lone_surrogate_in_any_body_is_a_400_naming_it(stack):
    """Every route that takes a JSON body, from the table: the half of a UTF-16 pair
    cannot be stored or written back as UTF-8, so it is refused where it arrives."""
    from gateway.routes import ROUTES

    admin = stack.login()
    # an account of a role each route admits, so that the body is read: the admin's where it may
    tokens = {"admin": admin, "auditor": stack.new_account(admin, ["auditor"], "320508"),
              "resident": stack.new_account(admin, ["resident"]),
              "grid_worker": stack.new_account(admin, ["grid_worker"], "320508019044001")}
    for route in (r for r in ROUTES if r.body is not None):
        token = admin if route.public else next(tokens[role] for role in tokens if role in route.roles)
        path = route.full_path
        for name in route.path_params:
            path = path.replace("{" + name + "}", "320508019044001" if name == "code" else "x1")
        answer = requests.request(route.method, f"{stack.gateway}{path}", timeout=10,
                                  data='{"note": "\\ud800"}'.encode(),
                                  headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        assert answer.status_code == 400, (route.name, answer.status_code, answer.text)
        assert answer.json()["details"]["fields"] == {"note": ["must not contain lone UTF-16 surrogates"]}, route.name
