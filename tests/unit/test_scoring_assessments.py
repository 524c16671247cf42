"""Assessments as records on a real database: a draft runs again, publishing makes it
immutable, a correction is the next version with its reason (both stay readable),
bad input is refused with nothing stored, and the posted sheet opens with Chinese
headers."""
import copy
import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from common.errors import Conflict, InvalidInput, NotFound
from scoring import MIGRATIONS_DIR, assessments, entries, exports, facts
from scoring.models import Assessment, AssessmentResult, PlanVersion
from scoring.plans import default_plans

SCOPE = "320597001001"
GRIDS = [f"{SCOPE}00{n}" for n in (1, 2, 3)]


@pytest.fixture
def db(open_db):
    handle = open_db("scoring", MIGRATIONS_DIR)
    with handle.transaction() as session:
        assessments.ensure_default_plans(session)
        facts.store_posts(session, [facts.post_row({
            "id": f"post-{n}", "person_id": f"w{n}", "grid_code": grid, "role": "full_time_worker",
            "start_date": "2026-01-01"}) for n, grid in enumerate(GRIDS, start=1)])
        rows = []
        for n in range(1, 4):  # w1 reports 1, w2 reports 2, w3 reports 3 tickets on patrol in Q3
            for k in range(n):
                rows.append(facts.ticket_row({
                    "ticket_id": f"t-{n}-{k}", "version": 1, "number": f"20260702-{n}{k:04d}",
                    "grid_code": GRIDS[n - 1], "source": "grid_patrol", "category": "UM02", "grade": "daily",
                    "status": "reported", "reported_at": "2026-07-02T09:00:00+08:00",
                    "reporter_person_id": f"w{n}"}))
        facts.store_tickets(session, rows)
    return handle


def run(db, plan="dianbai-indicators", period="2026-Q3", reason=None):
    with db.transaction() as session:
        return assessments.view(assessments.run(session, plan_code=plan, plan_version=None, period=period,
                                                scope=SCOPE, author="tester", reason=reason))


def test_a_draft_runs_again_then_publishing_makes_it_immutable_and_corrections_are_versions(db):
    first = run(db)
    assert first["status"] == "draft" and first["version"] == 1 and first["summary"]["subjects"] == 3
    again = run(db)
    assert again["id"] == first["id"]  # a draft runs again in place
    with db.transaction() as session:
        published = assessments.view(assessments.publish(session, first["id"], "leader"))
    assert published["status"] == "published" and published["published_by"] == "leader"
    with pytest.raises(Conflict) as caught:
        run(db)
    assert caught.value.code == "ASSESSMENT_PUBLISHED"
    with pytest.raises(Conflict):
        with db.transaction() as session:
            assessments.publish(session, first["id"], "leader")
    with db.read() as session:
        before = [(r.subject_id, r.score) for r in assessments.results(session, first["id"])]

    with db.transaction() as session:  # w1 reports 5 more: the published results do not move
        facts.store_tickets(session, [facts.ticket_row({
            "ticket_id": f"late-{k}", "version": 1, "number": f"20260710-9{k:04d}", "grid_code": GRIDS[0],
            "source": "grid_patrol", "category": "UM02", "grade": "daily", "status": "reported",
            "reported_at": "2026-07-10T09:00:00+08:00", "reporter_person_id": "w1"}) for k in range(5)])
    with db.read() as session:
        assert [(r.subject_id, r.score) for r in assessments.results(session, first["id"])] == before
    with pytest.raises(NotFound):
        with db.transaction() as session:
            assessments.correct(session, "no-such-id", "late reports", "leader")
    with db.transaction() as session:
        second = assessments.view(assessments.correct(session, first["id"], "w1的迟报事件补录", "leader"))
    assert second["version"] == 2 and second["status"] == "draft" and second["reason"] == "w1的迟报事件补录"
    with db.transaction() as session:
        assessments.publish(session, second["id"], "leader")
    with db.read() as session:
        statuses = dict(session.execute(select(Assessment.version, Assessment.status)).all())
        assert statuses == {1: "superseded", 2: "published"}
        assert [(r.subject_id, r.score) for r in assessments.results(session, first["id"])] == before  # still there
        after = {r.subject_id: r.score for r in assessments.results(session, second["id"])}
        assert after["w1"] > dict(before)["w1"]
        latest = assessments.latest_published(session, "dianbai-indicators", "2026-Q3", SCOPE)
        assert latest.id == second["id"]


def test_bad_input_is_refused_and_nothing_is_half_stored(db):
    with pytest.raises(NotFound):
        run(db, plan="no-such-plan")
    with pytest.raises(InvalidInput) as caught:
        run(db, period="2026-Q5")
    assert "period" in caught.value.details["fields"]
    with pytest.raises(InvalidInput):
        run(db, period="2026-07")  # a quarterly plan runs for a quarter (or its year)
    with pytest.raises(InvalidInput):
        with db.transaction() as session:
            assessments.run(session, plan_code="dianbai-indicators", plan_version=None, period="2026-Q3",
                            scope="999999", author="t")  # nobody posted there
    bad = copy.deepcopy(default_plans()["dianbai-indicators"].document)
    bad["parts"][0]["indicators"][0]["weight"] += 1  # weights no longer add up
    with pytest.raises(InvalidInput):
        with db.transaction() as session:
            assessments.save_plan(session, bad, "officer")
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Assessment)) == 0
        assert session.scalar(select(func.count()).select_from(AssessmentResult)) == 0
        assert session.scalar(select(func.count()).select_from(PlanVersion).where(
            PlanVersion.code == "dianbai-indicators")) == 1


def test_a_plan_is_versioned_and_an_assessment_names_the_version_it_ran(db):
    document = copy.deepcopy(default_plans()["dianbai-indicators"].document)
    document["name"]["zh"] = "电白网格员考核（修订）"
    with db.transaction() as session:
        saved = assessments.save_plan(session, document, "officer")
    assert saved["version"] == 2
    ran = run(db)
    assert ran["plan_version"] == 2
    with db.read() as session:
        versions = assessments.plan_versions(session, "dianbai-indicators")
    assert [v["version"] for v in versions] == [1, 2] and versions[0]["document"]["name"]["zh"] != "电白网格员考核（修订）"


def test_the_posted_sheet_opens_with_chinese_headers(db):
    ran = run(db)
    with db.read() as session:
        stored = assessments.get(session, ran["id"])
        assessment, node_names = assessments.view(stored), stored.summary["names"]
        plan = assessments.plan_row(session, "dianbai-indicators").document
        rows = assessments.results(session, ran["id"])
    names = {"w1": "张一", "w2": "李二", "w3": "王三"}
    grids = {code: {"name": f"第{n}网格"} for n, code in enumerate(GRIDS, start=1)}
    title, header, lines = exports.sheet(assessment, plan, rows, names, grids, node_names)
    assert header[-1].endswith("（得分）") and header[-1] != "indicators（得分）"
    book = load_workbook(io.BytesIO(exports.as_xlsx(title, header, lines)))
    page = book.active
    assert page.title == "考核结果" and "草稿" in page["A1"].value
    assert [cell.value for cell in page[2]][:8] == ["排名", "网格编码", "网格名称", "姓名", "得分", "排名得分", "等次", "绩效档次"]
    assert [cell.value for cell in page[3]][3] == "王三"  # w3 reported most: first
    text = exports.as_csv(title, header, lines).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text)))[1][:4] == ["排名", "网格编码", "网格名称", "姓名"]


def test_self_assessments_and_street_items_enter_a_quarter_and_a_second_rating_is_refused(db):
    with db.transaction() as session:
        entries.enter_self_assessment(session, {"month": "2026-07", "grid_code": GRIDS[0], "items": [
            {"name": "民情日志", "points": 18, "max_points": 20}, {"name": "走访记录", "points": 27, "max_points": 30}]},
            None)
        with pytest.raises(InvalidInput) as caught:
            entries.enter_self_assessment(session, {"month": "2026-Q3", "grid_code": GRIDS[0], "items": [
                {"name": "x", "points": 1, "max_points": 2}]}, None)
        assert "month" in caught.value.details["fields"]
        with pytest.raises(InvalidInput):
            entries.enter_self_assessment(session, {"month": "2026-07", "grid_code": GRIDS[0], "items": [
                {"name": "x", "points": 3, "max_points": 2}]}, None)
    from common.actor import Actor
    worker = Actor("acc-w1", "w1", ("grid_worker",), GRIDS[0], person_id="w1")
    with db.transaction() as session:
        rating = entries.rate(session, {"period": "2026-Q3", "kind": "self", "subject_person_id": "w1",
                                        "score": 4}, worker)
        assert rating.scale_max == 5
    with pytest.raises(Conflict):
        with db.transaction() as session:
            entries.rate(session, {"period": "2026-Q3", "kind": "self", "subject_person_id": "w1", "score": 5},
                         worker)
    with pytest.raises(InvalidInput):
        with db.transaction() as session:
            entries.rate(session, {"period": "2026-Q3", "kind": "self", "subject_person_id": "w1", "score": 6},
                         worker)
    resident = Actor("acc-r", "r", ("resident",))
    with pytest.raises(Exception) as caught:
        with db.transaction() as session:  # a resident of grid 2 rating grid 1's worker
            entries.rate(session, {"period": "2026-Q3", "kind": "resident", "subject_person_id": "w1", "score": 5},
                         resident, entries.RaterContext(home_grid=GRIDS[1] + "001"))
    assert getattr(caught.value, "code", "") == "NOT_YOURS_TO_RATE"
    with db.transaction() as session:
        entries.rate(session, {"period": "2026-Q3", "kind": "resident", "subject_person_id": "w1", "score": 5},
                     resident, entries.RaterContext(home_grid=GRIDS[0] + "001"))


class PeopleKnowing:
    """people.account_created_at for the accounts it holds; NotFound for any other."""

    def __init__(self, accounts):
        self.accounts, self.asked = accounts, []

    def account_created_at(self, account_id):
        self.asked.append(account_id)
        if account_id not in self.accounts:
            raise NotFound("No account has that id.", code="ACCOUNT_NOT_FOUND")
        return {"account_id": account_id, "created_at": self.accounts[account_id]}


def test_a_rating_keeps_when_its_raters_account_was_created(db):
    """For integrity: ratings from accounts created in bulk just before a period closes."""
    import datetime as dt

    from nameko.testing.services import worker_factory

    from common.actor import Actor
    from scoring.models import Rating
    from scoring.service import ScoringService

    people = PeopleKnowing({"acc-w1": "2026-09-29T22:15:00+08:00"})
    service = worker_factory(ScoringService, db=db, people=people)
    worker = {"account_id": "acc-w1", "username": "w1", "roles": ["grid_worker"], "scope": GRIDS[0],
              "person_id": "w1"}
    gone = {"account_id": "acc-gone", "username": "w2", "roles": ["grid_worker"], "scope": GRIDS[1],
            "person_id": "w2"}
    mine = service.rate({"period": "2026-Q3", "kind": "self", "subject_person_id": "w1", "score": 4}, worker)
    unknown = service.rate({"period": "2026-Q3", "kind": "self", "subject_person_id": "w2", "score": 5}, gone)
    assert people.asked == ["acc-w1", "acc-gone"]
    with db.read() as session:
        kept = {rating.id: rating.rater_account_created_at for rating in session.scalars(select(Rating))}
    assert kept[mine["id"]] == dt.datetime(2026, 9, 29, 14, 15, tzinfo=dt.timezone.utc)
    assert kept[unknown["id"]] is None, "an account people does not know: the rating stands, its age unknown"
    created = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    with db.transaction() as session:  # the rule itself: the context's creation time is kept
        entered = entries.rate(session, {"period": "2026-Q3", "kind": "self", "subject_person_id": "w3", "score": 3},
                               Actor("acc-w3", "w3", ("grid_worker",), GRIDS[2], person_id="w3"),
                               entries.RaterContext(account_created_at=created))
        assert entered.rater_account_created_at == created
