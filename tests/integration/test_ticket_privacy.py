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
    for path in (f"/tickets/{theirs['id']}", f"/tickets/{theirs['id']}/history"):  # as if there were none
        refused = stack.call("GET", f"{API}{path}", resident)
        assert refused.status_code == 404 and refused.json()["error"] == "TICKET_NOT_FOUND", path
    refused = stack.call("GET", f"{API}/tickets?root=320508", resident)
    assert refused.status_code == 403 and refused.json()["error"] == "OUT_OF_SCOPE"
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


def test_a_reporters_phone_is_read_in_clear_only_by_its_handlers_and_each_read_is_logged(stack):
    admin = stack.login()
    resident = stack.new_account(admin, ["resident"])
    worker = stack.new_account(admin, ["grid_worker"], GRID)
    elsewhere = stack.new_account(admin, ["grid_worker"], "320508014021001")
    mine = report(stack, resident, reporter_name="王女士", reporter_phone="13912345678")
    beyond_the_grid = report(stack, resident, category="UM03", description="楼顶违法搭建", reporter_phone="13912345678")

    def read(token, ticket, reveal="true"):
        return stack.call("GET", f"{API}/tickets/{ticket['id']}?reveal={reveal}", token)

    def logged(ticket):
        return [r["viewer_account_id"] for r in stack.db_rows(
            "tickets", "SELECT viewer_account_id FROM reporter_contact_reads WHERE ticket_id = :id ORDER BY id",
            id=ticket["id"])]

    assert stack.call("GET", f"{API}/tickets/{mine['id']}", worker).json()["reporter_phone"] == "139****5678"
    assert read(resident, mine).json()["reporter_phone"] == "13912345678"  # their own: not logged
    assert logged(mine) == []
    handler = read(worker, mine)  # she may accept it: she calls the reporter back
    assert handler.status_code == 200 and handler.json()["reporter_phone"] == "13912345678"
    assert read(admin, mine).json()["reporter_phone"] == "13912345678"  # admin is in PII_CLEAR_ROLES
    ids = {token: stack.call("GET", f"{API}/me", token).json()["id"] for token in (worker, admin)}
    assert logged(mine) == [ids[worker], ids[admin]]

    # In her grid but not hers to handle (not admitted to grid affairs): masked only.
    refused = read(worker, beyond_the_grid)
    assert refused.status_code == 403 and refused.json()["error"] == "CLEAR_PERSONAL_DATA_FORBIDDEN", refused.text
    assert read(elsewhere, mine).json()["error"] == "TICKET_NOT_FOUND"
    bad = read(worker, mine, reveal="maybe")
    assert bad.status_code == 400 and "reveal" in bad.json()["details"]["fields"]
    assert logged(beyond_the_grid) == [] and logged(mine) == [ids[worker], ids[admin]]
    no_phone = report(stack, resident, reporter_name=" \u3000")
    assert no_phone["reporter_name"] is None  # a blank name is no name
    assert read(worker, no_phone).json()["reporter_phone"] is None and logged(no_phone) == []
