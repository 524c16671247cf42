"""Who whistles, on the real stack: a community blows the whistle for its own ticket
and the departments report back to it (社区吹哨、部门报到, seed 001; seed 002 whistles at
village level); a deployment that whistles at town level only refuses the community's
whistle with nothing stored; a whistle level no whistle is blown at stops tickets at start."""
import uuid

from common.launcher import BY_NAME, ServiceProcess
from stack import free_port
from ticket_client import Ticket

API = "/api/v1"
# Each test its own county and spot, which no other test uses.
COMMUNITY_WHISTLES, TOWN_ONLY = ("320571", 124.80, 34.80), ("320572", 124.90, 34.90)  # counties no other test uses


def staff(stack, admin, grid):
    """Accounts for the grid, its community and town, a resident, and two departments of
    this test's own (people registers them), so that no other test's lists see its dispatches."""
    own = uuid.uuid4().hex[:6]
    environment, urban = f"environment_{own}", f"urban_{own}"
    return {"departments": (environment, urban),
        "resident": stack.new_account(admin, ["resident"]),
        "worker": stack.new_account(admin, ["grid_worker"], grid),
        "community": stack.new_account(admin, ["community_officer"], grid[:12]),
        "leader": stack.new_account(admin, ["town_leader"], grid[:9]),
        "environment": stack.new_account(admin, ["department"], department=environment),
        "urban": stack.new_account(admin, ["department"], department=urban),
    }


def reported_at_community(stack, who, description, x, y):
    """A resident's report at (x, y), accepted at grid level and escalated to the community."""
    created = stack.call("POST", f"{API}/tickets", who["resident"], {
        "category": "EP01", "description": description, "location": {"lon": x, "lat": y, "crs": "wgs84"}})
    assert created.status_code == 201, created.text
    ticket = Ticket(stack, created.json())
    ticket.act(who["worker"], "accept")
    assert ticket.act(who["worker"], "handle")["level"] == "grid"
    assert ticket.act(who["worker"], "escalate", note="网格无法处置，上报社区")["level"] == "community"
    return ticket


def test_the_community_whistles_and_the_departments_report_back_to_it(stack):
    admin = stack.login()
    county, x, y = COMMUNITY_WHISTLES
    grid = stack.square_district(admin, county, "吹哨", x, y)
    who = staff(stack, admin, grid)
    ticket = reported_at_community(stack, who, "小区门口饭店油烟直排，居民多次投诉", x + 0.01, y + 0.01)
    assert ticket.seen_by(admin)["grid_code"] == grid

    environment, urban = who["departments"]
    assert ticket.act(who["environment"], "sign", expect=404)["error"] == "TICKET_NOT_FOUND"  # not summoned yet
    refused = ticket.act(who["leader"], "whistle", expect=403, departments=[environment],
                         lead_department=environment)  # the community's whistle is its own
    assert refused["error"] == "NOT_AUTHORISED_FOR_ACTION" and refused["details"]["level"] == "community"
    assert "whistle" in ticket.seen_by(who["community"])["your_actions"]
    dispatched = ticket.act(who["community"], "whistle", departments=[environment, urban],
                            lead_department=environment, note="社区吹哨，生态环境、城管报到")
    assert (dispatched["level"], dispatched["whistle_level"], dispatched["lead_department"]) == (
        "department", "community", environment)

    ticket.act(who["urban"], "sign")
    ticket.act(who["environment"], "sign")
    ticket.act(who["environment"], "contact", note="电话联系居民，约定上门查看")
    ticket.act(who["environment"], "report_back", note="已责令饭店安装油烟净化器并整改到位")

    town_sees = ticket.seen_by(who["leader"])
    assert "verify" in town_sees["allowed_actions"] and "verify" not in town_sees["your_actions"]
    not_town = ticket.act(who["leader"], "verify", expect=403, outcome="fixed")
    assert not_town["error"] == "NOT_AUTHORISED_FOR_ACTION" and not_town["details"]["whistle_level"] == "community"
    assert "verify" in ticket.seen_by(who["community"])["your_actions"]
    resolved = ticket.act(who["community"], "verify", outcome="fixed", note="社区现场核实，整改到位")
    assert (resolved["status"], resolved["resolved_level"]) == ("resolved", "department")
    ticket.act(who["community"], "feedback", note="电话告知居民整改结果")
    ticket.act(who["resident"], "rate", satisfaction=5)
    assert ticket.act(who["community"], "close")["status"] == "closed"

    history = ticket.history(admin)
    assert [h["action"] for h in history] == ["report", "accept", "handle", "escalate", "whistle", "sign", "sign",
                                              "contact", "report_back", "verify", "feedback", "rate", "close"]
    blown, verified = history[4], history[9]
    assert (blown["actor_role"], blown["from_level"], blown["to_level"]) == ("community_officer", "community",
                                                                             "department")
    assert blown["data"]["whistle_level"] == "community" and verified["actor_role"] == "community_officer"
    assert stack.call("GET", f"{API}/tickets/{ticket.id}/verify", admin).json()["intact"] is True


def test_a_deployment_whistling_at_town_only_refuses_the_communitys_whistle_storing_nothing(stack):
    admin = stack.login()
    county, x, y = TOWN_ONLY
    grid = stack.square_district(admin, county, "街道吹哨", x, y)
    who = staff(stack, admin, grid)
    stack.restart("tickets", TICKET_WHISTLE_LEVELS="town")
    try:
        ticket = reported_at_community(stack, who, "河道旁餐馆油烟扰民", x + 0.01, y + 0.01)
        before = ticket.seen_by(admin)
        assert "whistle" not in before["allowed_actions"]
        environment, _ = who["departments"]
        refused = ticket.act(who["community"], "whistle", expect=409, departments=[environment],
                             lead_department=environment)
        assert refused["error"] == "WHISTLE_LEVEL_NOT_ALLOWED" and "community level" in refused["message"]
        assert refused["details"]["level"] == "community" and refused["details"]["whistle_levels"] == ["town"]
        after = ticket.seen_by(admin)
        assert (after["version"], after["level"], after["whistle_level"], after["dispatches"]) == (
            before["version"], "community", None, [])
        assert [h["action"] for h in ticket.history(admin)][-1] == "escalate"
        assert stack.call("GET", f"{API}/tickets/{ticket.id}", who["environment"]).status_code == 404

        assert ticket.act(who["community"], "escalate", note="上报街道吹哨")["level"] == "town"
        blown = ticket.act(who["leader"], "whistle", departments=[environment], lead_department=environment)
        assert (blown["level"], blown["whistle_level"]) == ("department", "town")
    finally:
        stack.restart("tickets")  # the default levels again, for the tests after this one


def test_tickets_refuses_to_start_on_a_level_no_whistle_is_blown_at(stack, tmp_path):
    log_path = tmp_path / "tickets-bad-whistle.log"
    env = dict(stack.env, TICKETS_PORT=str(free_port()), TICKET_WHISTLE_LEVELS="community,street")
    process = ServiceProcess(BY_NAME["tickets"], env, log_path).start()
    try:
        exit_code = process.process.wait(60)
    finally:
        process.kill()
    assert exit_code != 0 and not process.healthy()
    assert ("Refusing to start on wrong whistle levels: TICKET_WHISTLE_LEVELS: 'street' is not a level a whistle "
            "is blown at") in log_path.read_text()
