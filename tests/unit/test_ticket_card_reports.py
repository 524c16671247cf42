"""Reports through a grid's public card (issue 19): the per-address limits counted on a
keyed hash of the address, the burst flag, the tracking code, a location held to the
card's grid, and the seal over what a card report keeps. TicketsService on a database,
the grid faked."""
import datetime as dt

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import select

from common.errors import InvalidInput, NotFound, TooManyRequests
from common.outbox import OutboxWriter, outbox_events
from common.pii import PiiCipher
from tickets import MIGRATIONS_DIR, card_reports
from tickets.actions import Settings
from tickets.calendar import WorkCalendar
from tickets.catalogue import Catalogue
from tickets.models import Ticket
from tickets.service import TicketsService

GRID, OTHER = "320508019044001", "320508019044002"
HERE = "203.0.113.7"
RULES = card_reports.CardRules(per_grid=3, per_address=5, burst_reports=4, burst_window=dt.timedelta(minutes=10))
CIPHER = PiiCipher(bytes(32))
ADMIN = {"account_id": "a-admin", "username": "admin", "roles": ["admin"]}


class FakeGrid:
    """Two grids; a point east of 120.60 is OTHER's, west of it GRID's."""

    def get_grid(self, code, with_geometry=False):
        if code not in (GRID, OTHER):
            raise NotFound(f"no grid {code}")
        return {"code": code}

    def locate(self, lon, lat, crs="wgs84"):
        return {"grid": {"code": OTHER if lon > 120.60 else GRID}, "lon": lon, "lat": lat}


class NoWitness:
    def trail_witness(self, ticket_id):
        return None


@pytest.fixture
def db(open_db):
    return open_db("tickets", MIGRATIONS_DIR)


def service(db, rules=RULES):
    return worker_factory(TicketsService, db=db, outbox=OutboxWriter("tickets"),
                          settings=Settings(Catalogue(), WorkCalendar()), cipher=CIPHER, grid=FakeGrid(),
                          scoring=NoWitness(), card_rules=rules)


def report(db, grid=GRID, address=HERE, **data):
    return service(db).report_from_card(grid, {"description": "楼道里堆满杂物，堵住了消防通道", **data}, address)


def test_an_anonymous_card_report_runs_the_loop_with_its_grid_source_and_a_tracking_code(db):
    receipt = report(db, category="UM02")
    assert receipt["anonymous"] is True and receipt["review_flag"] is None and receipt["status"] == "reported"
    assert receipt["grid_code"] == GRID and receipt["category_name"] == "乱堆乱放"
    with db.read() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == receipt["number"]))
        assert ticket.source == "qr_card" and ticket.reporter_account_id is None and ticket.reporter_phone_enc is None
        # neither the address nor the code is kept, only their keyed hashes
        assert ticket.client_address_hash == CIPHER.search_hash(HERE) != HERE
        assert ticket.tracking_hash == CIPHER.search_hash(receipt["tracking_code"])
        events = session.execute(select(outbox_events.c.event_type, outbox_events.c.payload)).all()
    assert [e.event_type for e in events] == ["ticket_reported"]
    assert events[0].payload["source"] == "qr_card"
    progress = service(db).track_card_report(receipt["tracking_code"].lower())
    assert progress["number"] == receipt["number"] and progress["status_label"]["zh"] == "已提交，待受理"
    assert "reporter_name" not in progress and "responsible" not in progress


def test_a_report_with_a_contact_is_not_anonymous_and_keeps_the_phone_encrypted(db):
    receipt = report(db, name="王女士", phone="139 1234 5678")
    with db.read() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == receipt["number"]))
        assert receipt["anonymous"] is False and ticket.reporter_phone_masked == "139****5678"
        assert CIPHER.decrypt(ticket.reporter_phone_enc) == "13912345678"


def test_one_address_is_limited_per_grid_and_across_grids_and_another_address_is_not(db):
    for _ in range(RULES.per_grid):
        report(db)
    with pytest.raises(TooManyRequests) as refused:
        report(db)
    assert refused.value.details["limit"] == RULES.per_grid
    report(db, address="198.51.100.9")              # another address, the same grid
    report(db, grid=OTHER)
    report(db, grid=OTHER)                           # this address's fifth in the hour, to any grid
    with pytest.raises(TooManyRequests) as refused:
        report(db, grid=OTHER)
    assert refused.value.details["limit"] == RULES.per_address
    with db.read() as session:
        assert session.query(Ticket).count() == 6   # nothing stored of the refused ones


def test_reports_past_the_burst_in_a_grids_window_are_flagged_for_review(db):
    flags = [report(db, address=f"198.51.100.{n}")["review_flag"] for n in range(RULES.burst_reports + 2)]
    assert flags == [None] * RULES.burst_reports + ["burst", "burst"]
    assert report(db, grid=OTHER)["review_flag"] is None  # another grid's card is not in the burst
    listed = service(db).list_tickets({"review_flag": "burst"}, ADMIN)["items"]
    assert len(listed) == 2 and {t["review_flag"] for t in listed} == {"burst"}


def test_the_burst_window_passes(db):
    for n in range(RULES.burst_reports):
        report(db, address=f"198.51.100.{n}")
    with db.transaction() as session:  # the burst was an hour ago
        for ticket in session.scalars(select(Ticket)):
            ticket.reported_at -= dt.timedelta(hours=1)
    assert report(db)["review_flag"] is None


@pytest.mark.parametrize("data, field", [
    ({"description": "脏"}, "description"),
    ({"category": "ZZ99"}, "category"),
    ({"phone": "12345"}, "phone"),
    ({"attachments": ["x"]}, "attachments"),
    ({"location": {"lon": 120.7, "lat": 31.3}}, "location"),   # OTHER's: not on this card's grid
])
def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(db, data, field):
    with pytest.raises(InvalidInput) as refused:
        report(db, **data)
    details = refused.value.details
    assert field == details.get("field") or field in details.get("fields", {})
    with db.read() as session:
        assert session.query(Ticket).count() == 0


def test_a_location_on_the_cards_grid_is_kept(db):
    receipt = report(db, location={"lon": 120.55, "lat": 31.3})
    with db.read() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == receipt["number"]))
        assert (ticket.lon, ticket.lat) == (120.55, 31.3)


@pytest.mark.parametrize("code", ["", "ABC", "0123456789AB!", "U" * 12])
def test_a_malformed_tracking_code_is_a_400(db, code):
    with pytest.raises(InvalidInput):
        service(db).track_card_report(code)


def test_a_tracking_code_nobody_has_is_a_404_and_a_misread_one_is_read_right(db):
    with pytest.raises(NotFound):
        service(db).track_card_report("0" * 12)
    code = report(db)["tracking_code"]
    spoken = "-".join((code[:4], code[4:8], code[8:])).lower().replace("0", "o").replace("1", "l")
    assert service(db).track_card_report(spoken)["status"] == "reported"


def test_the_seal_covers_the_burst_flag(db):
    receipt = report(db)
    with db.transaction() as session:
        session.scalar(select(Ticket).where(Ticket.number == receipt["number"])).review_flag = "burst"
    with db.read() as session:
        ticket_id = session.scalar(select(Ticket.id).where(Ticket.number == receipt["number"]))
    checked = service(db).verify_ticket(ticket_id, ADMIN)
    assert checked["intact"] is False and checked["problems"][0]["fields"] == ["review_flag"]
