"""Replay equals live, on the real stack: a small loop of work (a grid worker's reports
taken through the loop, a resident's report rated, a patrol, a visit, a post, a
household and its residents, a sentiment record followed up) reaches scoring's facts
through the owners' events, with what integrity reads of them (points, text signatures, resolvers, resident counts);
then ``rebuild_facts`` over RPC rebuilds every fact table from the owners' pages, and
the tables read the same as before, row for row, and an assessment run on them gives
the same results."""
import time

import pytest
from kombu import Connection, Queue
from nameko.standalone.rpc import ClusterRpcProxy
from shapely.geometry import box

from common import textsig
from common.contract import SUBSCRIPTIONS, queue_name
from common.shanghai import shanghai_date
from idnumbers import fresh_id_number
from ticket_client import Ticket

API = "/api/v1"
COUNTY = "320592"  # a county and a spot no other test uses
X, Y = 123.20, 33.20
FACT_TABLES = {"ticket_facts": "ticket_id", "patrol_facts": "id", "visit_facts": "id", "post_facts": "id",
               "household_facts": "household_id", "sentiment_facts": "id", "party_service_facts": "id",
               "wish_facts": "wish_id", "service_day_facts": "id", "service_day_attendance_facts": "id"}
VERSIONED = {"ticket_facts", "post_facts", "household_facts", "sentiment_facts", "wish_facts"}
NOTES = "走访独居老人，身体状况良好，家中水电正常"
SAID = "居民反映小区健身器材损坏，希望尽快维修"


def scoring_queues():
    return [queue_name(source, event_type, consumer) for (source, event_type), consumers in SUBSCRIPTIONS.items()
            for consumer in consumers if consumer.startswith("scoring.")]


def waiting_for_scoring(stack):
    """Events waiting in scoring's queues, or in the owners' outboxes, not yet published."""
    with Connection(stack.env["AMQP_URI"]) as connection:
        channel = connection.channel()
        queued = sum(Queue(name, durable=True)(channel).queue_declare(passive=True).message_count
                     for name in scoring_queues())
    unpublished = sum(stack.db_rows(service, "SELECT count(*) AS n FROM outbox_events WHERE published_at IS NULL")
                      [0]["n"] for service in ("tickets", "people"))
    return queued + unpublished


def dump(stack):
    """Every fact table as {key: row}, without ``written_at`` (when a row was written is no fact)."""
    tables = {}
    for table, key in FACT_TABLES.items():
        rows = stack.db_rows("scoring", f"SELECT * FROM {table}")
        tables[table] = {row[key]: {k: v for k, v in row.items() if k != "written_at"} for row in rows}
    return tables


def settled(stack, expected_versions):
    """The facts once scoring has every event: my tickets at the versions the API last
    gave, nothing waiting for scoring, and two reads a moment apart the same."""
    def mine_arrived():
        rows = stack.db_rows("scoring", "SELECT ticket_id, version FROM ticket_facts WHERE grid_code LIKE :county",
                             county=f"{COUNTY}%")
        return {row["ticket_id"]: row["version"] for row in rows} == expected_versions
    assert stack.wait_for(mine_arrived, timeout=30), "scoring never got every ticket event"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if waiting_for_scoring(stack) == 0:
            first = dump(stack)
            time.sleep(1.5)
            if waiting_for_scoring(stack) == 0 and dump(stack) == first:
                return first
        time.sleep(0.3)
    raise AssertionError("scoring's facts never settled")


def assessed(stack, admin):
    """A draft of Dianbai's indicators over the county this quarter: {subject: result}
    without what names the draft (its id, when it ran)."""
    today = shanghai_date()
    period = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    draft = stack.call("POST", f"{API}/assessments", admin, {"plan": "dianbai-indicators", "period": period,
                                                            "scope": COUNTY})
    assert draft.status_code == 201, draft.text
    results = stack.call("GET", f"{API}/assessments/{draft.json()['id']}/results", admin)
    assert results.status_code == 200, results.text
    return {item["subject_id"]: {k: v for k, v in item.items() if k not in ("assessment_id", "created_at")}
            for item in results.json()["items"]}


def test_a_rebuild_from_the_owners_gives_the_facts_the_live_feed_gave(stack):
    admin = stack.login()
    grid = stack.square_district(admin, COUNTY, "重放", X, Y)
    person = stack.call("POST", f"{API}/staff", admin, {"name": "重放网格员", "birth_date": "1988-06-01"}).json()
    post = stack.call("POST", f"{API}/staff/{person['id']}/assignments", admin,
                      {"grid_code": grid, "role": "full_time_worker", "start_date": "2026-01-01"})
    assert post.status_code == 201, post.text
    worker = stack.new_account(admin, ["grid_worker"], grid, person_id=person["id"])
    resident = stack.new_account(admin, ["resident"])
    lon, lat = box(X, Y, X + 0.02, Y + 0.02).centroid.coords[0]

    tickets = []
    for description in ("井盖缺失，存在安全隐患", "路灯不亮，夜间出行不便"):  # the worker's own reports
        created = stack.call("POST", f"{API}/tickets", worker, {"grid_code": grid, "category": "UM05",
                                                               "description": description})
        assert created.status_code == 201, created.text
        tickets.append(Ticket(stack, created.json()))
    for action, payload in (("accept", {}), ("handle", {}), ("resolve", {"outcome": "fixed"})):
        tickets[0].act(worker, action, **payload)
    reported = stack.call("POST", f"{API}/tickets", resident, {
        "category": "UM02", "description": "楼道堆放杂物，堵塞消防通道", "location": {"lon": lon, "lat": lat}})
    assert reported.status_code == 201 and reported.json()["grid_code"] == grid, reported.text
    rated = Ticket(stack, reported.json())
    tickets.append(rated)
    for action, payload in (("accept", {}), ("handle", {}), ("resolve", {"outcome": "fixed"}),
                            ("feedback", {"note": "已清理"})):
        rated.act(worker, action, **payload)
    rated.act(resident, "rate", satisfaction=4)

    patrol = stack.call("POST", f"{API}/patrols", worker, {"client_id": "replay-1", "lon": lon, "lat": lat})
    assert patrol.status_code == 201, patrol.text
    place = stack.call("POST", f"{API}/places", admin, {"type": "building", "name": "重放楼", "lon": lon, "lat": lat})
    assert place.status_code == 201, place.text
    home = stack.call("POST", f"{API}/households", admin, {"place_code": place.json()["code"]})
    assert home.status_code == 201, home.text
    for name in ("重放居民甲", "重放居民乙"):  # each a new version of the household, counting one more
        registered = stack.call("POST", f"{API}/residents", admin, {"name": name, "id_number": fresh_id_number(),
                                                                   "household_id": home.json()["id"]})
        assert registered.status_code == 201, registered.text
    visit = stack.call("POST", f"{API}/visits", worker, {"household_id": home.json()["id"], "client_id": "replay-v1",
                                                        "notes": NOTES})
    assert visit.status_code == 201, visit.text
    sentiment = stack.call("POST", f"{API}/sentiments", worker, {
        "client_id": "replay-s1", "grid_code": grid, "household_id": home.json()["id"], "category": "livelihood",
        "source": "home_visit", "content": SAID})
    assert sentiment.status_code == 201, sentiment.text
    sentiment_id = sentiment.json()["sentiment"]["id"]
    followed = stack.call("POST", f"{API}/sentiments/{sentiment_id}/follow-ups", worker,
                          {"client_id": "replay-f1", "note": "已联系物业维修"})
    assert followed.status_code == 201, followed.text

    live = settled(stack, {ticket.id: ticket.version for ticket in tickets})
    mine = {"ticket_facts": {ticket.id for ticket in tickets}, "patrol_facts": {patrol.json()["patrol"]["id"]},
            "visit_facts": {visit.json()["visit"]["id"]}, "post_facts": {post.json()["id"]},
            "household_facts": {home.json()["id"]}, "sentiment_facts": {sentiment_id}}
    for table, keys in mine.items():
        assert keys <= set(live[table]), f"{table}: the live feed missed some of the loop's records"
    worked = live["ticket_facts"]
    assert {worked[t.id]["reporter_person_id"] for t in tickets[:2]} == {person["id"]}
    assert worked[rated.id]["reporter_person_id"] is None and worked[rated.id]["satisfaction"] == 4
    assert (worked[tickets[0].id]["status"], worked[tickets[0].id]["on_time"]) == ("resolved", True)
    assert live["visit_facts"][visit.json()["visit"]["id"]]["grid_code"] == grid
    # what integrity reads, through the events: the point, the signatures, the resolver, the count
    assert live["visit_facts"][visit.json()["visit"]["id"]]["notes_sig"] == textsig.signature(NOTES)
    patrolled = live["patrol_facts"][patrol.json()["patrol"]["id"]]
    assert (patrolled["lon"], patrolled["lat"]) == pytest.approx((lon, lat))
    assert worked[tickets[0].id]["description_sig"] == textsig.signature("井盖缺失，存在安全隐患")
    assert (worked[tickets[0].id]["resolved_by_person_id"], worked[rated.id]["resolved_by_person_id"]) == (
        person["id"], person["id"])
    assert worked[tickets[1].id]["resolved_by_person_id"] is None
    said = live["sentiment_facts"][sentiment_id]
    assert (said["person_id"], said["grid_code"], said["status"], said["follow_up_count"], said["version"]) == (
        person["id"], grid, "followed_up", 1, 2)
    assert said["content_sig"] == textsig.signature(SAID)
    assert (live["household_facts"][home.json()["id"]]["residents"],
            live["household_facts"][home.json()["id"]]["version"]) == (2, 3)

    before = assessed(stack, admin)
    assert before[person["id"]]["score"] > 0, before

    with ClusterRpcProxy({"AMQP_URI": stack.env["AMQP_URI"]}, timeout=120) as rpc:
        result = rpc.scoring.rebuild_facts()
    assert set(result) == {"counts", "removed", "refused", "seconds"}
    assert result["refused"] == dict.fromkeys(FACT_TABLES, 0), result
    assert result["removed"] == dict.fromkeys(FACT_TABLES, 0), "the live feed held nothing its owners do not"
    rebuilt = dump(stack)

    for table, keys in mine.items():
        assert {k: rebuilt[table][k] for k in keys} == {k: live[table][k] for k in keys}, table
    for table in FACT_TABLES:  # and everything the other tests made before this one
        assert set(rebuilt[table]) == set(live[table]), table
        for key, row in live[table].items():
            if rebuilt[table][key] != row:  # a timer changed it meanwhile (an SLA breach): the rebuild is newer
                assert table in VERSIONED and rebuilt[table][key]["version"] > row["version"], (table, key, row,
                                                                                                rebuilt[table][key])
    assert result["counts"] == {table: len(rows) for table, rows in rebuilt.items()}
    assert assessed(stack, admin) == before, "the rebuilt facts assess differently"


def test_waiting_counts_scoring_queues_only():
    assert "evt-tickets-ticket_reported--scoring.handle_ticket_reported" in scoring_queues()
    assert not any("--grid." in name or "--tickets." in name for name in scoring_queues())
