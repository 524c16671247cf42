"""The loop's rules without a database: which actions a ticket's state and level admit."""
import datetime as dt
from types import SimpleNamespace

import pytest
from shapely.geometry import box, mapping

from tickets.catalogue import Catalogue
from tickets.exceptions import ActionNotAllowed, BadAction, NotYourTicket
from tickets.rehoming import homes_in
from tickets.workflow import REOPEN_WINDOW_DEFAULT, Actor, actions_for, allowed_actions, apply

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)
LEADER = Actor("a1", "jinchang_leader", ("town_leader",))


def ticket(status="handling", level="grid", suspended=False):
    return SimpleNamespace(number="20261123-00001", status=status, level=level, suspended=suspended)


@pytest.mark.parametrize("level, admitted, refused", [
    ("grid", {"escalate", "resolve", "suspend"}, {"whistle", "sign", "verify", "meeting"}),
    ("community", {"escalate", "resolve", "meeting", "whistle"}, {"sign", "verify"}),
    ("town", {"whistle", "resolve", "meeting"}, {"escalate", "sign", "verify"}),
    ("department", {"sign", "contact", "report_back", "verify"}, {"escalate", "whistle", "resolve", "meeting"}),
])
def test_a_handling_ticket_admits_the_actions_of_its_level(level, admitted, refused):
    allowed = set(allowed_actions(ticket(level=level)))  # the default: the community and the town whistle
    assert admitted <= allowed and not refused & allowed


def test_an_action_of_another_level_is_a_conflict_that_says_why_and_lists_the_possible():
    at_grid = ticket(level="grid")
    with pytest.raises(ActionNotAllowed) as refused:
        apply(at_grid, action="whistle", actor=LEADER,
              payload={"departments": ["environment"], "lead_department": "environment"},
              now=NOW, category=Catalogue().get("EP01"), dispatches=[], reopen_window=REOPEN_WINDOW_DEFAULT)
    assert "escalate first" in refused.value.message
    assert refused.value.details["level"] == "grid" and "whistle" not in refused.value.details["allowed"]
    assert at_grid.level == "grid"  # nothing changed


def test_a_suspended_ticket_only_resumes():
    assert allowed_actions(ticket(suspended=True)) == ["resume"]


def full_ticket(level, status="handling", reporter="r1"):
    return SimpleNamespace(
        number="20261123-00002", status=status, level=level, suspended=False, suspended_at=None, suspended_seconds=0,
        reporter_account_id=reporter, accepted_at=NOW, handling_at=NOW, resolved_at=None, resolved_level=None,
        feedback_at=None, rated_at=None, closed_at=None, reopened_at=None, reopen_count=0, outcome=None,
        satisfaction=None, category="EP01", grade="daily", duplicate_of=None, meeting_disposal=False,
        lead_department="environment" if level == "department" else None,
        whistle_level="town" if level == "department" else None)


def dispatch(department, lead=False, signed=False):
    return SimpleNamespace(department=department, lead=lead, signed_at=NOW if signed else None, contacted_at=None,
                           reported_at=None, report=None)


@pytest.mark.parametrize("level, actor, dispatches, expected", [
    ("grid", Actor("w1", "worker", ("grid_worker",)), [],
     ["escalate", "merge", "recategorise", "resolve", "suspend"]),
    ("grid", Actor("r1", "reporter", ("resident",)), [], ["withdraw"]),
    ("town", LEADER, [], ["merge", "recategorise", "meeting", "resolve", "suspend", "whistle"]),
    ("department", Actor("d1", "huanbao", ("department",), department="environment"),
     [dispatch("environment", lead=True), dispatch("urban_management", signed=True)], ["sign", "suspend"]),
    ("department", Actor("d2", "chengguan", ("department",), department="urban_management"),
     [dispatch("environment", lead=True), dispatch("urban_management", signed=True)],
     ["contact", "report_back", "suspend"]),
])
def test_your_actions_are_those_the_rules_let_this_actor_take(level, actor, dispatches, expected):
    handling = full_ticket(level)
    mine = actions_for(handling, actor=actor, category=Catalogue().get("EP01"), dispatches=dispatches, now=NOW,
                       reopen_window=REOPEN_WINDOW_DEFAULT)
    assert sorted(mine) == sorted(expected)
    assert (handling.status, handling.level) == ("handling", level)  # the tries changed nothing
    assert [d.signed_at for d in dispatches] == [None, NOW][:len(dispatches)]


@pytest.mark.parametrize("level, may", [(None, True), ("grid", True), ("community", False), ("department", False)])
def test_a_grid_worker_routes_only_tickets_still_at_the_grid(level, may):
    worker = Actor("w1", "worker", ("grid_worker",))
    mine = actions_for(full_ticket(level, status="handling" if level else "accepted"), actor=worker,
                       category=Catalogue().get("EP01"), dispatches=[], now=NOW, reopen_window=REOPEN_WINDOW_DEFAULT)
    assert ("recategorise" in mine) is may and ("merge" in mine) is may


def test_open_tickets_of_a_split_grid_find_the_part_covering_them():
    parts = {"west": mapping(box(0, 0, 1, 1)), "east": mapping(box(1, 0, 2, 1))}
    located = [("t1", 0.5, 0.5), ("t2", 1.5, 0.2), ("t3", 1.0, 0.5), ("t4", 5.0, 5.0)]
    homes = homes_in(parts, located)
    assert homes["t1"] == "west" and homes["t2"] == "east" and homes["t3"] in parts and "t4" not in homes


def test_a_dispatched_ticket_is_suspended_by_its_departments_and_the_town_only():
    summoned = [dispatch("environment", lead=True)]
    may = {name: "suspend" in actions_for(full_ticket("department"), actor=actor, category=Catalogue().get("EP01"),
                                          dispatches=summoned, now=NOW, reopen_window=REOPEN_WINDOW_DEFAULT)
           for name, actor in (("summoned", Actor("d1", "huanbao", ("department",), department="environment")),
                               ("other", Actor("d2", "shichang", ("department",), department="market")),
                               ("town", LEADER), ("worker", Actor("w1", "worker", ("grid_worker",))))}
    assert may == {"summoned": True, "other": False, "town": True, "worker": False}


@pytest.mark.parametrize("payload, field, hint", [
    ({"outcome": "duplicate"}, "outcome", "merge"),
    ({"outcome": "withdrawn"}, "outcome", "withdraw"),
    ({"outcome": "cannot_fix"}, "note", "why"),
    ({"outcome": "not_our_responsibility", "note": ""}, "note", "why"),
    ({}, "outcome", "one of"),
])
def test_a_handler_states_an_honest_outcome_and_explains_any_but_fixed(payload, field, hint):
    worker = Actor("w1", "worker", ("grid_worker",))
    handling = full_ticket("grid")
    with pytest.raises(BadAction) as refused:
        apply(handling, action="resolve", actor=worker, payload=payload, now=NOW, category=Catalogue().get("EP01"),
              dispatches=[], reopen_window=REOPEN_WINDOW_DEFAULT)
    assert refused.value.details == {"field": field} and hint in refused.value.message
    assert handling.status == "handling"
    apply(handling, action="resolve", actor=worker, payload={"outcome": "cannot_fix", "note": "产权单位不同意，已向居民说明"},
          now=NOW, category=Catalogue().get("EP01"), dispatches=[], reopen_window=REOPEN_WINDOW_DEFAULT)
    assert (handling.status, handling.outcome) == ("resolved", "cannot_fix")


def test_staff_do_not_rate_their_own_reports_and_those_close_unrated():
    worker = Actor("w1", "worker", ("grid_worker",))
    found_on_patrol = full_ticket("grid", status="feedback_given", reporter="w1")
    found_on_patrol.source, found_on_patrol.feedback_at = "grid_patrol", NOW
    with pytest.raises(NotYourTicket):
        apply(found_on_patrol, action="rate", actor=worker, payload={"satisfaction": 5}, now=NOW,
              category=Catalogue().get("EP01"), dispatches=[], reopen_window=REOPEN_WINDOW_DEFAULT)
    apply(found_on_patrol, action="close", actor=worker, payload={}, now=NOW, category=Catalogue().get("EP01"),
          dispatches=[], reopen_window=REOPEN_WINDOW_DEFAULT)
    assert (found_on_patrol.status, found_on_patrol.satisfaction) == ("closed", None)


def test_a_residents_report_waits_for_its_rating_until_the_window_passes():
    worker, resident = Actor("w1", "worker", ("grid_worker",)), Actor("r1", "zhang", ("resident",))
    reported = full_ticket("grid", status="feedback_given", reporter="r1")
    reported.source, reported.feedback_at = "resident_report", NOW
    assert "close" not in actions_for(reported, actor=worker, category=Catalogue().get("EP01"), dispatches=[], now=NOW,
                                      reopen_window=REOPEN_WINDOW_DEFAULT)
    with pytest.raises(ActionNotAllowed) as refused:
        apply(reported, action="close", actor=worker, payload={}, now=NOW, category=Catalogue().get("EP01"),
              dispatches=[], reopen_window=REOPEN_WINDOW_DEFAULT)
    assert refused.value.details["closable_at"] == (NOW + REOPEN_WINDOW_DEFAULT).isoformat()
    assert actions_for(reported, actor=resident, category=Catalogue().get("EP01"), dispatches=[], now=NOW,
                       reopen_window=REOPEN_WINDOW_DEFAULT) == ["rate"]
    later = NOW + REOPEN_WINDOW_DEFAULT + dt.timedelta(minutes=1)
    apply(reported, action="close", actor=worker, payload={}, now=later, category=Catalogue().get("EP01"),
          dispatches=[], reopen_window=REOPEN_WINDOW_DEFAULT)
    assert (reported.status, reported.satisfaction) == ("closed", None)


def test_grid_staff_accept_only_what_they_may_handle_grid_affairs():
    worker, community = Actor("w1", "worker", ("grid_worker",)), Actor("c1", "sq", ("community_officer",))
    illegal_building = Catalogue().get("UM03")  # 违法建设: not on the grid-affairs list
    assert not illegal_building.grid_admission
    reported = full_ticket(None, status="reported")
    assert "accept" not in actions_for(reported, actor=worker, category=illegal_building, dispatches=[], now=NOW,
                                       reopen_window=REOPEN_WINDOW_DEFAULT)
    with pytest.raises(NotYourTicket):
        apply(reported, action="accept", actor=worker, payload={}, now=NOW, category=illegal_building, dispatches=[],
              reopen_window=REOPEN_WINDOW_DEFAULT)
    assert reported.status == "reported"
    assert "accept" in actions_for(reported, actor=community, category=illegal_building, dispatches=[], now=NOW,
                                   reopen_window=REOPEN_WINDOW_DEFAULT)
    assert "accept" in actions_for(reported, actor=worker, category=Catalogue().get("UM07"), dispatches=[], now=NOW,
                                   reopen_window=REOPEN_WINDOW_DEFAULT)


def test_feedback_and_closing_are_for_the_handlers_not_a_department_that_only_referred_it():
    referrer = Actor("d1", "chengguan", ("department",), department="urban_management")
    summoned = Actor("d2", "huanbao", ("department",), department="environment")
    category = Catalogue().get("EP01")
    referred = full_ticket("grid", status="resolved", reporter="d1")
    referred.source = "department_referral"
    with pytest.raises(NotYourTicket):
        apply(referred, action="feedback", actor=referrer, payload={"note": "已告知"}, now=NOW, category=category,
              dispatches=[], reopen_window=REOPEN_WINDOW_DEFAULT)
    assert referred.status == "resolved"
    referred.status, referred.feedback_at = "feedback_given", NOW
    with pytest.raises(NotYourTicket):
        apply(referred, action="close", actor=referrer, payload={}, now=NOW, category=category, dispatches=[],
              reopen_window=REOPEN_WINDOW_DEFAULT)
    assert actions_for(referred, actor=referrer, category=category, dispatches=[], now=NOW,
                       reopen_window=REOPEN_WINDOW_DEFAULT) == []
    verified = full_ticket("department", status="resolved")
    this_round = [dispatch("environment", lead=True, signed=True)]
    assert actions_for(verified, actor=summoned, category=category, dispatches=this_round, now=NOW,
                       reopen_window=REOPEN_WINDOW_DEFAULT) == ["feedback"]
    assert actions_for(verified, actor=referrer, category=category, dispatches=this_round, now=NOW,
                       reopen_window=REOPEN_WINDOW_DEFAULT) == []
    apply(verified, action="feedback", actor=Actor("w1", "worker", ("grid_worker",)), payload={"note": "上门回访"},
          now=NOW, category=category, dispatches=[], reopen_window=REOPEN_WINDOW_DEFAULT)
    assert verified.status == "feedback_given"


def test_an_unsatisfied_reporter_reopens_within_the_window_one_level_up_and_not_after():
    resident, category = Actor("r1", "zhang", ("resident",)), Catalogue().get("EP01")
    window = dt.timedelta(days=3)

    def rated(satisfaction, level="grid"):
        done = full_ticket(level, status="rated", reporter="r1")
        done.satisfaction, done.rated_at, done.resolved_level, done.outcome = satisfaction, NOW, level, "fixed"
        return done

    late = rated(1)
    with pytest.raises(ActionNotAllowed) as refused:
        apply(late, action="reopen", actor=resident, payload={}, now=NOW + window + dt.timedelta(minutes=1),
              category=category, dispatches=[], reopen_window=window)
    assert refused.value.code == "REOPEN_WINDOW_PASSED" and (late.status, late.satisfaction) == ("rated", 1)
    with pytest.raises(ActionNotAllowed):  # a 3 is no complaint
        apply(rated(3), action="reopen", actor=resident, payload={}, now=NOW, category=category, dispatches=[],
              reopen_window=window)
    with pytest.raises(NotYourTicket):
        apply(rated(1), action="reopen", actor=Actor("w1", "worker", ("grid_worker",)), payload={}, now=NOW,
              category=category, dispatches=[], reopen_window=window)
    for level, up in (("grid", "community"), ("community", "town"), ("town", "town"), ("department", "town")):
        again = rated(2, level)
        change = apply(again, action="reopen", actor=resident, payload={}, now=NOW + window - dt.timedelta(minutes=1),
                       category=category, dispatches=[], reopen_window=window)
        assert (again.status, again.level, again.reopen_count, change.event) == ("handling", up, 1, "ticket_reopened")
        assert again.satisfaction is again.rated_at is again.resolved_at is None
