"""The loop's rules without a database: which actions a ticket's state and level admit."""
import datetime as dt
from types import SimpleNamespace

import pytest

from tickets.catalogue import Catalogue
from tickets.workflow import REOPEN_WINDOW_DEFAULT, ActionNotAllowed, Actor, allowed_actions, apply

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)
LEADER = Actor("a1", "jinchang_leader", ("town_leader",))


def ticket(status="handling", level="grid", suspended=False):
    return SimpleNamespace(number="20261123-00001", status=status, level=level, suspended=suspended)


@pytest.mark.parametrize("level, admitted, refused", [
    ("grid", {"escalate", "resolve", "suspend"}, {"whistle", "sign", "verify", "meeting"}),
    ("community", {"escalate", "resolve", "meeting"}, {"whistle", "sign", "verify"}),
    ("town", {"whistle", "resolve", "meeting"}, {"escalate", "sign", "verify"}),
    ("department", {"sign", "contact", "report_back", "verify"}, {"escalate", "whistle", "resolve", "meeting"}),
])
def test_a_handling_ticket_admits_the_actions_of_its_level(level, admitted, refused):
    allowed = set(allowed_actions(ticket(level=level)))
    assert admitted <= allowed and not refused & allowed


def test_an_action_of_another_level_is_a_conflict_that_says_why_and_lists_the_possible():
    at_grid = ticket(level="grid")
    with pytest.raises(ActionNotAllowed) as refused:
        apply(at_grid, "whistle", LEADER, {"departments": ["environment"], "lead_department": "environment"},
              NOW, Catalogue().get("EP01"), [], REOPEN_WINDOW_DEFAULT)
    assert "escalate first" in refused.value.message
    assert refused.value.details["level"] == "grid" and "whistle" not in refused.value.details["allowed"]
    assert at_grid.level == "grid"  # nothing changed


def test_a_suspended_ticket_only_resumes():
    assert allowed_actions(ticket(suspended=True)) == ["resume"]
