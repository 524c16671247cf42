"""Which ticket events ask something of whom (people.notifications), without a broker."""
import pytest

from people import notifications

TICKET = {"ticket_id": "t1", "number": "20261206-00007", "category": "UM07", "grid_code": "320508019044001",
          "responsible_person_id": "p1"}


@pytest.mark.parametrize("event_type, extra, kind, title", [
    ("ticket_reported", {}, "responsible", "新工单待处理：20261206-00007"),
    ("ticket_reopened", {}, "responsible", "工单被重新打开：20261206-00007"),
    ("ticket_escalated", {"level": "community"}, "level", "工单上报至社区：20261206-00007"),
    ("ticket_escalated", {"level": "town", "clock": "resolve"}, "level", "工单超时自动上报至街道（乡镇）：20261206-00007"),
    ("sla_breached", {"clock": "contact:power#1"}, "town", "部门超时：20261206-00007"),
    ("sla_warning", {"clock": "resolve#1", "due": "2026-12-06T06:00:00+00:00"}, "responsible",
     "工单即将超时：20261206-00007"),
])
def test_an_event_tells_those_it_asks_something_of(event_type, extra, kind, title):
    told, heading, body = notifications._message(event_type, dict(TICKET, **extra))
    assert (told, heading) == (kind, title) and "20261206-00007" in body


@pytest.mark.parametrize("event_type, extra", [
    ("ticket_reported", {"responsible_person_id": None}),   # nobody answers for its grid
    ("ticket_escalated", {"level": "department"}),          # a whistle tells the departments, by webhook
    ("sla_breached", {"clock": "resolve"}),                  # the ticket's own clock escalates it instead
    ("ticket_accepted", {}),
])
def test_other_events_tell_nobody(event_type, extra):
    assert notifications._message(event_type, dict(TICKET, **extra)) is None


def test_a_warning_says_which_clock_and_when_in_beijing_time():
    _, _, body = notifications._message("sla_warning", dict(TICKET, clock="accept", due="2026-12-06T06:00:00+00:00"))
    assert "受理时限将于 12-06 14:00 到期" in body
