"""Who sees which tickets: accounts without a grid scope reach only their own, and an
anonymous report hides its reporter from everyone but the reporter."""
import uuid

API = "/api/v1"
GRID = "320508019045002"

REPORT = {"category": "UM02", "grid_code": GRID, "source": "resident_report", "description": "楼道堆放杂物堵塞消防通道"}


def report(stack, token, **extra):
    created = stack.call("POST", f"{API}/tickets", token, dict(REPORT, **extra))
    assert created.status_code == 201, created.text
    return created.json()


def test_grid_staff_accounts_must_name_their_grids(stack):
    admin = stack.login()
    refused = stack.call("POST", f"{API}/accounts", admin, {
        "username": f"t{uuid.uuid4().hex[:9]}", "display_name": "无网格", "password": "Passw0rd-2026",
        "roles": ["grid_worker"]})
    assert refused.status_code == 400 and "grid_scope" in refused.json()["details"]["fields"]


def test_a_resident_reaches_only_the_tickets_they_reported(stack):
    admin = stack.login()
    resident, neighbour = stack.new_account(admin, ["resident"]), stack.new_account(admin, ["resident"])
    mine, theirs = report(stack, resident), report(stack, neighbour, reporter_name="王先生")

    assert [t["id"] for t in stack.call("GET", f"{API}/tickets", resident).json()["items"]] == [mine["id"]]
    assert stack.call("GET", f"{API}/tickets/{mine['id']}", resident).status_code == 200
    for path in (f"/tickets/{theirs['id']}", f"/tickets/{theirs['id']}/history", "/tickets?root=320508"):
        refused = stack.call("GET", f"{API}{path}", resident)
        assert refused.status_code == 403 and refused.json()["error"] == "OUT_OF_SCOPE", path
    assert stack.call("GET", f"{API}/places", resident).status_code == 403


def test_an_anonymous_report_hides_its_reporter_from_the_handlers(stack):
    admin = stack.login()
    resident = stack.new_account(admin, ["resident"])
    worker = stack.new_account(admin, ["grid_worker"], GRID)
    resident_id = stack.call("GET", f"{API}/me", resident).json()["id"]
    ticket = report(stack, resident, anonymous=True, reporter_name="李四", reporter_phone="13912345678")
    assert ticket["reporter_account_id"] == resident_id and ticket["reporter_name"] is None

    seen = stack.call("GET", f"{API}/tickets/{ticket['id']}", worker).json()
    assert seen["anonymous"] is True and seen["reporter_account_id"] is None and seen["reporter_phone"] is None
    listed = stack.call("GET", f"{API}/tickets?root={GRID}", worker).json()["items"]
    assert next(t for t in listed if t["id"] == ticket["id"])["reporter_account_id"] is None
    first = stack.call("GET", f"{API}/tickets/{ticket['id']}/history", worker).json()["items"][0]
    assert (first["actor_account_id"], first["actor_username"]) == (None, "anonymous")

    own = stack.call("GET", f"{API}/tickets/{ticket['id']}/history", resident).json()["items"][0]
    assert own["actor_account_id"] == resident_id
    # Only the view is redacted: the stored trail still verifies.
    assert stack.call("GET", f"{API}/tickets/{ticket['id']}/verify", admin).json()["intact"] is True
