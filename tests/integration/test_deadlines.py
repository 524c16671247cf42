"""A callee does not commit after its caller's deadline (issue 21): tickets is held
past the gateway's deadline by a lock this test takes on its table; the gateway
answers 503, and once the lock goes, tickets rolls the intake back instead of
committing it: no ticket, no outbox row, one transaction counted as too late."""
import time

import pytest
import requests
from sqlalchemy import create_engine, text

COUNTY, X, Y = "320731", 133.30, 43.30          # a county and a spot no other test uses


def deadline_exceeded(stack):
    metrics = requests.get(f"{stack.processes['tickets'].url}/metrics", timeout=5).text
    line = next((line for line in metrics.splitlines() if line.startswith("gridgov_deadline_exceeded_total ")), None)
    return float(line.split()[1]) if line else 0.0


def test_an_intake_held_past_the_gateways_deadline_is_not_committed(stack):
    url = stack.env["TICKETS_DB_URL"]
    if not url.startswith("postgresql"):
        pytest.skip("holds a table lock from a second connection: needs PostgreSQL")
    token = stack.login()
    grid = stack.square_district(token, COUNTY, "时限", X, Y)
    before = deadline_exceeded(stack)

    engine = create_engine(url)
    try:
        with engine.connect() as holder:
            holder.execute(text("LOCK TABLE tickets IN SHARE MODE"))  # reads go on, an insert waits
            started = time.monotonic()
            answer = stack.call("POST", "/api/v1/tickets", token,
                                {"grid_code": grid, "category": "EP03", "description": "时限测试：路灯不亮"})
            waited = time.monotonic() - started
            holder.rollback()  # the lock goes: the intake's insert goes through, its commit must not
    finally:
        engine.dispose()
    assert answer.status_code == 503 and answer.json()["error"] == "SERVICE_UNAVAILABLE", answer.text
    assert waited < 3.5, waited

    assert stack.wait_for(lambda: deadline_exceeded(stack) == before + 1, timeout=10), "no late transaction counted"
    assert stack.db_rows("tickets", "SELECT id FROM tickets WHERE grid_code = :grid", grid=grid) == []
    assert stack.db_rows("tickets", "SELECT event_id FROM outbox_events WHERE CAST(payload AS TEXT) LIKE :grid",
                         grid=f"%{grid}%") == []
