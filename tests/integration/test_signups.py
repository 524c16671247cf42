"""Residents signing themselves up (issue 19) through the whole stack: a sign-up with no
token waits for a community officer, who opens the account by linking it to a resident
registered in a household of their grid; the resident then signs in, and their home grid
follows the household. Bad input, a taken username, an officer elsewhere and too many
sign-ups from one address are refused, and nothing is stored for them."""
import uuid

from shapely.geometry import box

from idnumbers import fresh_id_number

API = "/api/v1"
COUNTY, X, Y = "320569", 127.00, 37.00       # a county and a spot no other test uses
PASSWORD = "Zhuce2026abc"


def ok(response, status=(200, 201)):
    assert response.status_code in ((status,) if isinstance(status, int) else status), response.text
    return response.json()


def sign_up(stack, body, address):
    return stack.call("POST", f"{API}/public/sign-ups", None, body, headers={"X-Forwarded-For": address})


def test_a_resident_signs_up_an_officer_opens_the_account_and_the_resident_signs_in(stack):
    admin = stack.login()
    grid = stack.square_district(admin, COUNTY, "注册", X, Y)
    officer = stack.new_account(admin, ["community_officer"], grid[:12])
    outsider = stack.new_account(admin, ["community_officer"], "320508019044")
    centre = box(X, Y, X + 0.02, Y + 0.02).centroid
    place = ok(stack.call("POST", f"{API}/places", admin, {"type": "building", "name": "注册楼",
                                                           "lon": centre.x, "lat": centre.y}))["code"]
    home = ok(stack.call("POST", f"{API}/households", admin, {"place_code": place, "address": "1单元101室"}), 201)
    resident = ok(stack.call("POST", f"{API}/residents", admin, {"name": "注册居民", "id_number": fresh_id_number(),
                                                                "household_id": home["id"]}), 201)
    address = f"10.88.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    username = f"jm{uuid.uuid4().hex[:8]}"
    body = {"username": username, "password": PASSWORD, "name": "注册居民", "phone": "13811112222",
            "address": "注册楼1单元101室", "grid_code": grid}

    for bad, field in (({"password": "short"}, "password"), ({"phone": "12345"}, "phone"),
                       ({"grid_code": f"{grid}9"}, "grid_code")):
        refused = sign_up(stack, {**body, **bad}, address)
        assert refused.status_code == 400, refused.text
        assert field == refused.json()["details"].get("field") or field in refused.json()["details"].get("fields", {})
    made = sign_up(stack, body, address)
    assert made.status_code == 201, made.text
    signup = made.json()
    assert (signup["status"], signup["phone"], signup["verification"]) == ("pending", "138****2222", "approval")
    assert "password" not in signup and "13811112222" not in made.text
    assert sign_up(stack, body, address).status_code == 409                      # the username is pending
    assert stack.call("POST", f"{API}/auth/login", None, {"username": username, "password": PASSWORD}
                      ).status_code == 401                                        # no account yet

    listed = ok(stack.call("GET", f"{API}/sign-ups?status=pending", officer))["items"]
    assert [s["id"] for s in listed] == [signup["id"]]
    assert ok(stack.call("GET", f"{API}/sign-ups", outsider))["items"] == []
    assert stack.call("POST", f"{API}/sign-ups/{signup['id']}/approve", outsider,
                      {"resident_id": resident["id"]}).status_code == 404
    approved = ok(stack.call("POST", f"{API}/sign-ups/{signup['id']}/approve", officer,
                             {"resident_id": resident["id"]}))
    assert approved["status"] == "approved" and approved["account_id"]
    twice = stack.call("POST", f"{API}/sign-ups/{signup['id']}/reject", officer, {"reason": "重复"})
    assert twice.status_code == 409 and twice.json()["error"] == "SIGNUP_DECIDED"

    token = stack.login(username, PASSWORD)
    me = ok(stack.call("GET", f"{API}/me", token))
    assert me["roles"] == ["resident"] and me["resident_id"] == resident["id"]

    # one address, a few sign-ups an hour (SIGNUP_LIMIT_PER_HOUR, 5 by default)
    flood = f"10.89.{uuid.uuid4().int % 250}.1"
    answers = [sign_up(stack, {**body, "username": f"fl{uuid.uuid4().hex[:8]}"}, flood).status_code
               for _ in range(6)]
    assert answers == [201] * 5 + [429]
