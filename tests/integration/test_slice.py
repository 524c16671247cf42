"""The thin slice through all five: sign in, report a ticket, see it counted."""
import uuid

GRID = "320508019044002"


def test_every_component_is_healthy_and_exposes_metrics(stack):
    import requests
    for name, process in stack.processes.items():
        health = requests.get(f"{process.url}/healthz", timeout=5)
        assert health.status_code == 200, (name, health.text)
        body = health.json()
        assert body["status"] == "ok" and body["checks"]["broker"] == "ok"
        assert ("database" in body["checks"]) == (name != "gateway")
        metrics = requests.get(f"{process.url}/metrics", timeout=5)
        assert metrics.status_code == 200
        assert metrics.headers["Content-Type"].startswith("text/plain")
        assert 'gridgov_entrypoint_calls_total{entrypoint="healthz",kind="http",outcome="ok"}' in metrics.text
        if name == "tickets":  # the domain's own gauges, read from the database at scrape time
            assert 'gridgov_tickets_open{level="",status="reported"}' in metrics.text
            assert 'gridgov_tickets_overdue{clock="resolve"}' in metrics.text


def test_ticket_reported_through_gateway_is_counted_by_scoring(stack):
    token = stack.login()
    before = stack.call("GET", f"/api/v1/scoring/tickets-reported?root={GRID}", token).json()["tickets_reported"]
    description = f"彩香一村5幢电梯故障，困人风险 {uuid.uuid4().hex[:6]}"
    created = stack.call("POST", "/api/v1/tickets", token, {"grid_code": GRID, "category": "MU04", "description": description})
    assert created.status_code == 201, created.text
    ticket = created.json()
    assert ticket["status"] == "reported" and ticket["grid_code"] == GRID
    assert ticket["description"] == description
    assert len(ticket["number"]) == len("20261123-00001")

    fetched = stack.call("GET", f"/api/v1/tickets/{ticket['id']}", token)
    assert fetched.status_code == 200 and fetched.json()["number"] == ticket["number"]

    def counted():
        view = stack.call("GET", f"/api/v1/scoring/tickets-reported?root={GRID}", token).json()
        return view if view["tickets_reported"] == before + 1 else None

    view = stack.wait_for(counted)
    assert view, "scoring never counted the reported ticket"
    assert view["by_grid"][GRID] == before + 1

    # the outbox row was relayed and scoring recorded the event once
    relayed = stack.db_rows("tickets", "SELECT event_type, published_at FROM outbox_events "
                            "WHERE event_type = 'ticket_reported' AND CAST(payload AS TEXT) LIKE :id",
                            id=f"%{ticket['id']}%")
    assert len(relayed) == 1 and relayed[0]["published_at"] is not None


def test_metrics_count_outcomes_per_entrypoint(stack):
    import requests
    token = stack.login()
    stack.call("GET", "/api/v1/grids/999999999999999", token)  # a 404 from the grid service
    text = requests.get(f"{stack.processes['grid'].url}/metrics", timeout=5).text
    assert 'gridgov_entrypoint_calls_total{entrypoint="get_grid",kind="rpc",outcome="rejected"}' in text
    gateway = requests.get(f"{stack.gateway}/metrics", timeout=5).text
    assert 'gridgov_entrypoint_calls_total{entrypoint="get_grid",kind="http",outcome="rejected"}' in gateway
    assert "gridgov_entrypoint_duration_seconds_bucket" in gateway
    tickets = requests.get(f"{stack.processes['tickets'].url}/metrics", timeout=5).text
    assert "gridgov_outbox_pending_events" in tickets


def test_grids_are_listed_with_chinese_names(stack):
    token = stack.login()
    response = stack.call("GET", "/api/v1/grids?parent=320508019044", token)
    assert response.status_code == 200
    names = {grid["code"]: grid["name"] for grid in response.json()["items"]}
    assert names["320508019044001"] == "彩香一村第一网格"
    assert stack.call("GET", "/api/v1/grids/320508", token).json()["name"] == "姑苏区"
