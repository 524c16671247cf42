"""Small wishes (点亮微心愿) on a real database (PostgreSQL when there is one): a wish from
posted to confirmed with the claimant's points in the ledger, what a claimant sees of
the poster before and after claiming, who may take each step and in which order, and the
counts per community."""
import datetime as dt
import uuid

import pytest

from common.actor import Actor
from common.errors import Forbidden, InvalidInput
from people import MIGRATIONS_DIR, points, wishes
from people.exceptions import NoHome, OwnWish, WishClaimed, WishNotFound, WishOutOfOrder
from people.models import Account, Assignment, Household, Person, Resident

COMMUNITY, OTHER_COMMUNITY = "320575001001", "320575001002"
GRID, OTHER_GRID = f"{COMMUNITY}001", f"{OTHER_COMMUNITY}001"
NOW = dt.datetime(2026, 12, 1, 2, tzinfo=dt.timezone.utc)
WISH = {"title": "为母亲借一辆轮椅", "description": "母亲腿脚不便，想借一辆轮椅去医院复查", "category": "goods"}


@pytest.fixture
def db(open_db):
    return open_db("people", MIGRATIONS_DIR)


def resident_account(session, grid=GRID, id_hash=None, phone_hash=None, household=True):
    """A resident (in a household of ``grid`` unless ``household`` is False) and their own account."""
    home = Household(place_code=f"{grid[:12]}00001", grid_code=grid, address="3幢201室") if household else None
    if home is not None:
        session.add(home)
        session.flush()
    resident = Resident(name="王秀英", gender="female", birth_date=dt.date(1950, 3, 1), id_number_enc="enc",
                        id_number_hash=id_hash or uuid.uuid4().hex, id_number_masked="340504********0027",
                        phone_enc="enc", phone_hash=phone_hash or uuid.uuid4().hex, phone_masked="139****5678",
                        household_id=home and home.id, grid_code=grid if home else None)
    session.add(resident)
    session.flush()
    account = Account(username=f"r{uuid.uuid4().hex[:8]}", display_name="居民", password_hash="-",
                      roles=["resident"], resident_id=resident.id)
    session.add(account)
    session.flush()
    return Actor(account_id=account.id, username=account.username, roles=("resident",)), resident


def staff(session, *, party_member=False, post=None, role="grid_worker", scope=GRID, id_hash=None):
    """A staff member (a party member, or holding ``post`` in ``scope``) and their account's actor."""
    person = Person(name="志愿者小李", party_member=party_member, id_number_hash=id_hash)
    session.add(person)
    session.flush()
    if post:
        session.add(Assignment(person_id=person.id, grid_code=scope, role=post, start_date=dt.date(2026, 1, 1)))
        session.flush()
    return Actor(account_id=str(uuid.uuid4()), username=f"s{uuid.uuid4().hex[:6]}", roles=(role,), scope=scope,
                 person_id=person.id), person


OFFICER = Actor(account_id="officer", username="sq_officer", roles=("community_officer",), scope=COMMUNITY)


def test_a_wish_goes_from_posted_to_confirmed_and_the_claimant_earns_the_points(db):
    with db.transaction() as session:
        poster, resident = resident_account(session)
        claimant, person = staff(session, party_member=True)
        wish = wishes.post(session, WISH, account_id=poster.account_id, now=NOW)
        assert (wish.status, wish.grid_code) == ("posted", GRID)

        # before approval only supervisors and the poster see it; a worker of the grid does not
        assert wishes.get(session, wish.id, poster) is wish and wishes.get(session, wish.id, OFFICER) is wish
        with pytest.raises(WishNotFound):
            wishes.get(session, wish.id, claimant)
        wishes.approve(session, wish, actor=OFFICER, by=OFFICER.username, now=NOW)

        # approved: the volunteer sees what is wished, not who wished it
        (seen,) = wishes.views(session, [wishes.get(session, wish.id, claimant)], claimant)
        assert seen["title"] == WISH["title"] and seen["poster"] is None and seen["poster_shown"] is False
        assert "王秀英" not in str(seen) and "139" not in str(seen)

        wishes.claim(session, wish, wishes.claimant(session, person.id), by=claimant.username, now=NOW)
        (seen,) = wishes.views(session, [wish], claimant)
        assert seen["poster"] == {"name": "王秀英", "phone": "139****5678", "address": "3幢201室"}
        assert "340504" not in str(seen)  # never an ID number, masked or not
        assert seen["claimant_name"] == "志愿者小李" and seen["claimed_by_person_id"] == person.id

        wishes.fulfil(session, wish, "轮椅已送到家中", actor=claimant, now=NOW)
        wishes.confirm(session, wish, actor=poster, now=NOW)
        entry = points.earn(session, wish.claimed_by_person_id, 10, wishes.activity(wish), None,
                            wishes.POINTS_APPROVER)
        wishes.awarded(session, wish, entry)
        balance, entries = points.statement(session, person.id)
        assert balance == 10 and entries[0].activity == f"点亮微心愿 {wish.id}"
        assert (wish.status, wish.points, wish.points_entry_id) == ("confirmed", 10, entry.id)

        # confirmed: the claimant no longer needs the poster; the poster still sees everything
        (seen,) = wishes.views(session, [wish], claimant)
        assert seen["poster"] is None
        (mine,) = wishes.views(session, [wish], poster)
        assert mine["yours"] and mine["poster"]["name"] == "王秀英" and mine["claimant_name"] == "志愿者小李"
        event = wishes.payload(wish)
        assert event["claimant_person_id"] == person.id and event["points"] == 10
        assert not {"resident_id", "household_id", "title", "description"} & set(event)
        assert "王秀英" not in str(event) and WISH["title"] not in str(event)
        wishes.post(session, WISH, account_id=poster.account_id, now=NOW)  # not confirmed: no fact of scoring's
    with db.read() as session:  # scoring's rebuild reads the confirmed ones, each as its event
        assert wishes.confirmed_page(session, None, 1000) == {"items": [event], "next": None}


def test_numbers_in_the_text_and_a_resident_without_a_home_are_refused(db):
    with db.transaction() as session:
        poster, _ = resident_account(session)
        homeless, _ = resident_account(session, household=False)
        with pytest.raises(InvalidInput) as refused:
            wishes.post(session, dict(WISH, description="请联系我 139 1234 5678"), account_id=poster.account_id,
                        now=NOW)
        assert list(refused.value.details["fields"]) == ["description"]
        with pytest.raises(InvalidInput) as refused:
            wishes.post(session, dict(WISH, title="身份证３４０５０４１９５００３０１００２７"),
                        account_id=poster.account_id, now=NOW)
        assert list(refused.value.details["fields"]) == ["title"]
        with pytest.raises(NoHome):
            wishes.post(session, WISH, account_id=homeless.account_id, now=NOW)
        with pytest.raises(NoHome):
            wishes.post(session, WISH, account_id=None, now=NOW)
        assert wishes.page(session, root=COMMUNITY)["items"] == []  # nothing stored
        wishes.post(session, dict(WISH, description="门牌12号，家里3口人"), account_id=poster.account_id, now=NOW)


def test_who_may_take_each_step_and_in_which_order(db):
    with db.transaction() as session:
        poster, resident = resident_account(session, id_hash="same-person")
        other_poster, _ = resident_account(session)
        volunteer, volunteer_person = staff(session, post="volunteer")
        in_service, _ = staff(session, post="party_member_in_service")
        worker, worker_person = staff(session, post="full_time_worker")
        himself, himself_person = staff(session, party_member=True, id_hash="same-person")
        wish = wishes.post(session, WISH, account_id=poster.account_id, now=NOW)

        with pytest.raises(Forbidden) as refused:
            wishes.approve(session, wish, actor=worker, by=worker.username, now=NOW)
        assert refused.value.code == "NOT_A_REVIEWER"
        with pytest.raises(WishOutOfOrder) as refused:
            wishes.fulfil(session, wish, "已完成", actor=None, now=NOW)
        assert refused.value.details["status"] == "posted"
        wishes.approve(session, wish, actor=OFFICER, by=OFFICER.username, now=NOW)
        with pytest.raises(WishOutOfOrder) as refused:
            wishes.approve(session, wish, actor=OFFICER, by=OFFICER.username, now=NOW)
        assert refused.value.details == {"field": "status", "status": "approved", "allowed_from": ["posted"]}

        with pytest.raises(Forbidden) as refused:                  # a worker who is no volunteer
            wishes.claimant(session, worker_person.id)
        assert refused.value.code == "NOT_A_VOLUNTEER"
        with pytest.raises(Forbidden):                             # an account linked to no staff record
            wishes.claimant(session, None)
        assert wishes.claimant(session, in_service.person_id).id == in_service.person_id
        with pytest.raises(OwnWish):                               # the poster's own staff record
            wishes.claim(session, wish, wishes.claimant(session, himself_person.id), by="x", now=NOW)
        with pytest.raises(Forbidden) as refused:
            wishes.withdraw(session, wish, actor=other_poster, now=NOW)
        assert refused.value.code == "NOT_YOUR_WISH"

        wishes.claim(session, wish, wishes.claimant(session, volunteer_person.id), by="v", now=NOW)
        for person in (volunteer_person, wishes.claimant(session, in_service.person_id)):
            with pytest.raises(WishClaimed) as refused:            # twice, or one claimed already
                wishes.claim(session, wish, person, by="again", now=NOW)
            assert refused.value.details["claimed_by_you"] is (person is volunteer_person)
        with pytest.raises(WishOutOfOrder):
            wishes.withdraw(session, wish, actor=poster, now=NOW)  # claimed: too late to withdraw
        with pytest.raises(Forbidden) as refused:
            wishes.fulfil(session, wish, "我来完成", actor=in_service, now=NOW)
        assert refused.value.code == "NOT_THE_CLAIMANT"
        with pytest.raises(InvalidInput) as refused:
            wishes.fulfil(session, wish, "已送达，电话13912345678", actor=volunteer, now=NOW)
        assert list(refused.value.details["fields"]) == ["note"]
        assert wish.status == "claimed" and wish.fulfil_note is None
        with pytest.raises(WishOutOfOrder):
            wishes.confirm(session, wish, actor=poster, now=NOW)
        wishes.fulfil(session, wish, "已送达", actor=volunteer, now=NOW)
        with pytest.raises(Forbidden):
            wishes.confirm(session, wish, actor=other_poster, now=NOW)
        wishes.confirm(session, wish, actor=poster, now=NOW)
        with pytest.raises(WishOutOfOrder) as refused:
            wishes.confirm(session, wish, actor=poster, now=NOW)
        assert refused.value.details["status"] == "confirmed"

        withdrawn = wishes.post(session, WISH, account_id=poster.account_id, now=NOW)
        wishes.withdraw(session, withdrawn, actor=poster, now=NOW)
        rejected = wishes.post(session, WISH, account_id=poster.account_id, now=NOW)
        with pytest.raises(InvalidInput):
            wishes.reject(session, rejected, "请拨打13912345678", actor=OFFICER, by="o", now=NOW)
        wishes.reject(session, rejected, "请到社区服务站当面办理", actor=OFFICER, by="o", now=NOW)
        assert (withdrawn.status, rejected.status, rejected.reject_reason) == (
            "withdrawn", "rejected", "请到社区服务站当面办理")


def test_lists_show_each_reader_their_part_and_the_summary_counts_per_community(db):
    with db.transaction() as session:
        poster, _ = resident_account(session)
        elsewhere, _ = resident_account(session, grid=OTHER_GRID)
        worker, person = staff(session, party_member=True)
        posted = wishes.post(session, WISH, account_id=poster.account_id, now=NOW)
        lit = [wishes.post(session, WISH, account_id=poster.account_id, now=NOW + dt.timedelta(minutes=n))
               for n in range(1, 4)]
        far = wishes.post(session, WISH, account_id=elsewhere.account_id, now=NOW)
        for wish in lit + [far]:
            wishes.approve(session, wish, actor=None, by="admin", now=NOW)
        wishes.claim(session, lit[0], person, by="w", now=NOW)

        first = wishes.page(session, root=GRID, lit_only=True, limit=2)
        rest = wishes.page(session, root=GRID, lit_only=True, after=first["next"], limit=2)
        assert [w.id for w in first["items"] + rest["items"]] == [w.id for w in reversed(lit)]
        assert rest["next"] is None
        assert {w.id for w in wishes.page(session, own_account=poster.account_id)["items"]} == \
            {posted.id, *(w.id for w in lit)}
        with pytest.raises(WishNotFound):
            wishes.get(session, far.id, worker)                    # another community: as if there were none
        with pytest.raises(InvalidInput):
            wishes.page(session, after="no-such-wish")

        report = wishes.summary(session, "320575")
        assert [(c["community_code"], c["posted"], c["approved"], c["claimed"], c["open"])
                for c in report["communities"]] == [(COMMUNITY, 1, 2, 1, 4), (OTHER_COMMUNITY, 0, 1, 0, 1)]
        assert report["total"]["open"] == 5 and report["total"]["approved"] == 3
        assert [c["community_code"] for c in wishes.summary(session, OTHER_GRID)["communities"]] == [OTHER_COMMUNITY]


def test_the_points_a_wish_earns_are_configured_within_what_one_entry_credits():
    assert wishes.wish_points("10") == 10 and wishes.wish_points(1000) == 1000
    for wrong in ("0", "1001", "ten", None):
        with pytest.raises(ValueError, match="WISH_POINTS"):
            wishes.wish_points(wrong)
