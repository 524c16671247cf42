"""Handling keeps the level that accepted a ticket: a grid worker may not pull down to
grid level a ticket the community (or above) accepted. Pure workflow, no database."""
import datetime as dt
from types import SimpleNamespace

import pytest

from tickets.catalogue import Catalogue
from tickets.exceptions import NotYourTicket
from tickets.workflow import REOPEN_WINDOW_DEFAULT, Actor, actions_for, apply, copy_of

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)
STREET_LIGHT = Catalogue().get("UM07")  # 路灯故障: on the grid-affairs list
WORKER = Actor("w1", "worker", ("grid_worker",), scope="320508019044001")
COMMUNITY = Actor("c1", "sq", ("community_officer",), scope="320508019044")
LEADER = Actor("l1", "leader", ("town_leader",), scope="320508019")
ADMIN = Actor("a1", "admin", ("admin",))


def reported():
    return SimpleNamespace(
        number="20261123-00003", status="reported", level=None, suspended=False, suspended_at=None,
        suspended_seconds=0, reporter_account_id="r1", accepted_at=None, handling_at=None, resolved_at=None,
        resolved_level=None, feedback_at=None, rated_at=None, closed_at=None, reopened_at=None, reopen_count=0,
        outcome=None, satisfaction=None, category="UM07", grade="daily", duplicate_of=None, meeting_disposal=False,
        lead_department=None, source="resident_report")


def accepted_by(actor):
    ticket = reported()
    apply(ticket, action="accept", actor=actor, payload={}, now=NOW, category=STREET_LIGHT, dispatches=[],
          reopen_window=REOPEN_WINDOW_DEFAULT)
    return ticket


def handle(ticket, actor):
    return apply(ticket, action="handle", actor=actor, payload={}, now=NOW, category=STREET_LIGHT, dispatches=[],
                 reopen_window=REOPEN_WINDOW_DEFAULT)


@pytest.mark.parametrize("acceptor, level", [(WORKER, "grid"), (COMMUNITY, "community"), (LEADER, "town")])
def test_a_ticket_is_with_the_level_that_accepted_it(acceptor, level):
    assert accepted_by(acceptor).level == level


@pytest.mark.parametrize("acceptor", [COMMUNITY, LEADER])
def test_a_grid_worker_may_not_pull_down_a_ticket_a_higher_level_accepted(acceptor):
    ticket = accepted_by(acceptor)
    with pytest.raises(NotYourTicket) as refused:
        handle(copy_of(ticket), WORKER)
    assert refused.value.details["level"] == ticket.level and "accepted at" in refused.value.message
    assert "handle" not in actions_for(ticket, actor=WORKER, category=STREET_LIGHT, dispatches=[], now=NOW,
                                       reopen_window=REOPEN_WINDOW_DEFAULT)
    assert (ticket.status, ticket.level) == ("accepted", acceptor_level(acceptor))  # nothing changed


def acceptor_level(actor):
    return {"community_officer": "community", "town_leader": "town"}[actor.roles[0]]


def test_the_level_that_accepted_handles_at_its_own_level():
    ticket = accepted_by(COMMUNITY)
    assert "handle" in actions_for(ticket, actor=COMMUNITY, category=STREET_LIGHT, dispatches=[], now=NOW,
                                   reopen_window=REOPEN_WINDOW_DEFAULT)
    change = handle(ticket, COMMUNITY)
    assert (ticket.status, ticket.level) == ("handling", "community")
    assert (change.from_level, change.to_level) == ("community", "community")


def test_a_district_wide_handler_keeps_the_higher_level_and_a_higher_level_may_take_it_up():
    by_community = accepted_by(COMMUNITY)
    handle(by_community, ADMIN)  # an admin would take a grid-affairs ticket at grid level
    assert by_community.level == "community"
    by_worker = accepted_by(WORKER)
    handle(by_worker, LEADER)
    assert by_worker.level == "town"
    by_worker_again = accepted_by(WORKER)
    handle(by_worker_again, WORKER)
    assert by_worker_again.level == "grid"


def test_an_account_holding_the_accepting_level_among_its_roles_handles_there():
    chief_and_officer = Actor("x1", "both", ("grid_chief", "community_officer"), scope="320508019044")
    ticket = accepted_by(COMMUNITY)
    handle(ticket, chief_and_officer)
    assert ticket.level == "community"
