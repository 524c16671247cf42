"""What anyone may read of a ticket (tickets.published, served as Open311 by the gateway):
only published categories, never the reporter, a resident's own words withheld, the
latest note written for the public with its numbers masked, and the filters.
TicketsService on a database, the grid faked."""
import datetime as dt

import pytest
from nameko.testing.services import worker_factory

from common.errors import InvalidInput, NotFound
from common.outbox import OutboxWriter
from common.pii import PiiCipher
from tickets import MIGRATIONS_DIR
from tickets.actions import Settings
from tickets.calendar import WorkCalendar
from tickets.catalogue import Catalogue
from tickets.service import TicketsService

GRID, OTHER = "320508019044001", "320509001001001"
ADMIN = {"account_id": "a-admin", "username": "admin", "roles": ["admin"]}
WORKER = {"account_id": "a-worker", "username": "w1", "roles": ["grid_worker"], "scope": GRID}
RESIDENT = {"account_id": "a-resident", "username": "zhang", "roles": ["resident"]}
DEPARTMENT = {"account_id": "k-1", "username": "apikey:abc", "roles": ["department"], "department": "water"}


class FakeGrid:
    def get_grid(self, code, with_geometry=False):
        if code not in (GRID, OTHER):
            raise NotFound(f"no grid {code}")
        return {"code": code}


class NoPeople:
    def resident_home(self, account_id):
        raise NotFound("no home")


@pytest.fixture
def db(open_db):
    return open_db("tickets", MIGRATIONS_DIR)


def service(db):
    return worker_factory(TicketsService, db=db, outbox=OutboxWriter("tickets"),
                          settings=Settings(Catalogue(), WorkCalendar()), cipher=PiiCipher(bytes(32)),
                          grid=FakeGrid(), people=NoPeople())


def report(db, actor, category="UM05", grid=GRID, **data):
    return service(db).report_ticket({"category": category, "grid_code": grid, "description": "路面破损，电话13912345678",
                                      **data}, actor)


def act(db, ticket, actor, action, **data):
    fresh = service(db).get_ticket(ticket["id"])
    return service(db).act(ticket["id"], {"action": action, "version": fresh["version"], **data}, actor)["ticket"]


def read(db, **query):
    return service(db).published_tickets(query)


def test_only_published_categories_are_read_and_never_the_reporter(db):
    road = report(db, WORKER, reporter_name="李四", reporter_phone="13900001111")
    dispute = report(db, WORKER, category="DM01")      # 邻里纠纷: about people, never published
    assert Catalogue().get("DM01").published is False and Catalogue().get("UM05").published is True
    [seen] = read(db)
    assert seen["id"] == road["id"] and seen["number"] == road["number"] and dispute["id"] != seen["id"]
    text = str(seen)
    for private in ("李四", "13900001111", "a-worker", "reporter", "household", "responsible"):
        assert private not in text
    assert (seen["status"], seen["state"], seen["category"]) == ("open", "reported", "UM05")
    # a grid worker's report is a record of their work: published, its numbers masked
    assert seen["description"] == "路面破损，电话139****5678"
    assert seen["reported_at"].endswith("+00:00") and seen["resolve_due"]


def test_a_residents_own_words_and_photo_are_withheld(db):
    report(db, RESIDENT, attachments=["https://img.example.cn/a.jpg"])
    report(db, DEPARTMENT, attachments=["tickets/2026/a.jpg", "https://img.example.cn/b.jpg"])
    department, resident = read(db)
    assert (resident["description"], resident["media_url"]) == (None, None)
    # a storage key is no address: the first web address is the photo
    assert department["media_url"] == "https://img.example.cn/b.jpg" and department["description"]


def test_the_note_is_the_latest_one_written_for_the_public(db):
    ticket = report(db, WORKER)
    act(db, ticket, ADMIN, "accept")
    act(db, ticket, ADMIN, "handle")
    [handling] = read(db)
    assert (handling["status"], handling["note"]) == ("open", None)
    act(db, ticket, ADMIN, "suspend", note="等待管线单位确认")
    assert read(db)[0]["note"] == {"action": "suspend", "text": "等待管线单位确认"}
    act(db, ticket, ADMIN, "resume")
    act(db, ticket, ADMIN, "resolve", outcome="fixed", note="已修复，联系人13912345678")
    act(db, ticket, ADMIN, "feedback", note="已电话回访王女士")  # to the reporter: never published
    [resolved] = read(db)
    assert resolved["status"] == "closed" and resolved["outcome"] == "fixed"
    assert resolved["note"] == {"action": "resolve", "text": "已修复，联系人139****5678"}
    assert "王女士" not in str(resolved)


def test_filters(db):
    first = report(db, WORKER)
    other = report(db, ADMIN, category="UM07", grid=OTHER)
    assert [t["id"] for t in read(db, ids=[first["number"], other["id"]])] == [other["id"], first["id"]]
    assert [t["id"] for t in read(db, categories=["UM07", "DM01"])] == [other["id"]]
    assert [t["id"] for t in read(db, root=GRID[:6])] == [first["id"]]
    assert read(db, statuses=["closed"]) == [] and len(read(db, statuses=["open", "closed"])) == 2
    later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=1)).isoformat()
    assert read(db, start=later) == [] and len(read(db, end=later)) == 2
    assert len(read(db, limit=1)) == 1
    with pytest.raises(InvalidInput) as refused:
        read(db, statuses=["pending"], limit=1001)
    assert set(refused.value.details["fields"]) == {"statuses", "limit"}
