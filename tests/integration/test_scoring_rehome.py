"""Scoring and the grid summary follow a ticket that a grid split re-homed: their figures
count the ticket under the new grid, not the retired one, and a redelivered move is applied once."""
import json

import requests
from kombu import Connection, Exchange, Producer

from common.events import make_envelope

API = "/api/v1"


def by_grid(stack, token, root):
    response = stack.call("GET", f"{API}/scoring/tickets-reported?root={root}", token)
    assert response.status_code == 200, response.text
    return response.json()["by_grid"]


def test_scoring_counts_a_rehomed_ticket_under_its_new_grid_once(stack):
    admin = stack.login()
    x, y = 121.70, 31.70
    grid = stack.square_district(admin, "320584", "计分", x, y)
    community, west, east = grid[:12], grid[:12] + "002", grid[:12] + "003"
    for lon, description in ((x + 0.005, "西侧路灯不亮"), (x + 0.015, "东侧井盖缺失")):
        created = stack.call("POST", f"{API}/tickets", admin, {"category": "UM05", "description": description,
                                                              "location": {"lon": lon, "lat": y + 0.01}})
        assert created.status_code == 201 and created.json()["grid_code"] == grid, created.text
    assert stack.wait_for(lambda: by_grid(stack, admin, community) == {grid: 2}), by_grid(stack, admin, community)

    assert stack.split_in_halves(admin, grid, x, y).status_code == 201
    assert stack.wait_for(lambda: by_grid(stack, admin, community) == {west: 1, east: 1}), \
        f"the retired grid still counts the re-homed tickets: {by_grid(stack, admin, community)}"

    def summarised(code):
        return stack.call("GET", f"{API}/grids/{code}/summary", admin).json()["from_events"].get("tickets_reported")

    assert stack.wait_for(lambda: (summarised(grid), summarised(west), summarised(east)) == (0, 1, 1)), \
        "the grid summary still counts the re-homed tickets under the retired grid"

    moves = stack.db_rows("tickets", "SELECT event_id, occurred_at, payload FROM outbox_events "
                                     "WHERE event_type = 'ticket_rehomed' AND CAST(payload AS TEXT) LIKE :grid",
                          grid=f"%{grid}%")
    assert len(moves) == 2, moves
    payload = moves[0]["payload"]
    payload = json.loads(payload) if isinstance(payload, str) else payload  # SQLite hands JSON back as text
    assert set(payload) >= {"ticket_id", "from_grid_code", "to_grid_code", "at"}
    assert payload["from_grid_code"] == grid and payload["to_grid_code"] in (west, east)

    # the same move delivered again (a relay that died before marking it): applied once
    envelope = make_envelope("tickets", "ticket_rehomed", payload, event_id=moves[0]["event_id"])
    with Connection(stack.env["AMQP_URI"]) as connection:
        producer = Producer(connection.channel(), exchange=Exchange("tickets.events", type="topic", durable=True),
                            serializer="json")
        producer.publish(envelope, routing_key="ticket_rehomed", message_id=envelope["event_id"], delivery_mode=2)
    def duplicates_seen():
        text = requests.get(f"{stack.processes['scoring'].url}/metrics", timeout=5).text
        return 'gridgov_events_consumed_total{event_type="ticket_rehomed",outcome="duplicate"} 1.0' in text

    assert stack.wait_for(duplicates_seen), "the redelivered move never reached scoring"
    assert by_grid(stack, admin, community) == {west: 1, east: 1}
    applied = stack.db_rows("scoring", "SELECT consumer FROM processed_events WHERE event_id = :id",
                            id=moves[0]["event_id"])
    assert len(applied) == 1, applied
