"""Integrity flags as records (a real database: PostgreSQL when there is one): stored
once per evidence, reviewed once with the trail kept, deductions by the policy in force,
capped per period, and thresholds versions refused whole when wrong."""
import datetime as dt

import pytest

from common.errors import InvalidInput
from scoring import MIGRATIONS_DIR, assessments
from scoring.integrity import flags
from scoring.integrity.detectors import Flag, fingerprint
from scoring.models import IntegrityFlag, IntegrityReview, IntegrityThresholds
from scoring.periods import parse_period

WHEN = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.timezone.utc)
GRID = "320508019044001"


@pytest.fixture
def db(open_db):
    return open_db("scoring", MIGRATIONS_DIR)


def flag(pattern="impossible_rate", person="p1", ids=("t1", "t2"), period="2026-11", grid=GRID):
    evidence = tuple({"kind": "ticket", "id": i, "at": WHEN.isoformat()} for i in ids)
    return Flag(pattern, person, grid, period, evidence, {"count": len(ids)}, fingerprint(pattern, person, evidence))


def test_a_flag_is_stored_once_per_evidence_and_new_evidence_is_a_new_flag(db):
    with db.transaction() as session:
        first = flags.record(session, [flag(), flag(), flag(person="p2")], now=WHEN)
        assert [(f.person_id, f.status) for f in first] == [("p1", "raised"), ("p2", "raised")]
    with db.transaction() as session:
        dismissed = flags.review(session, first[0].id, decision="dismiss", note="核实为真实调解记录",
                                 reviewer="auditor1", reviewer_account_id="a1", now=WHEN)
        assert dismissed.status == "dismissed" and dismissed.deduction == 0
    with db.transaction() as session:
        again = flags.record(session, [flag(), flag(ids=("t1", "t2", "t3"))], now=WHEN)
        assert [len(f.evidence) for f in again] == [3], "the dismissed evidence came back"
        assert session.query(IntegrityFlag).count() == 3


def test_an_episode_that_grows_updates_its_flag_until_someone_reviews_it(db):
    with db.transaction() as session:
        (first,) = flags.record(session, [flag(ids=("t1", "t2"))], now=WHEN)
    with db.transaction() as session:
        assert flags.record(session, [flag(ids=("t1", "t2", "t3"))], now=WHEN) == []
    with db.read() as session:
        (row,) = session.query(IntegrityFlag).all()
        assert row.id == first.id and [item["id"] for item in row.evidence] == ["t1", "t2", "t3"]
    with db.transaction() as session:
        flags.review(session, first.id, decision="dismiss", note="已核实", reviewer="au", reviewer_account_id="a")
    with db.transaction() as session:
        (grown,) = flags.record(session, [flag(ids=("t1", "t2", "t3", "t4"))], now=WHEN)
        assert grown.id != first.id, "a reviewed flag does not change; more evidence is a new flag"


def test_a_review_happens_once_and_the_trail_keeps_it(db):
    with db.transaction() as session:
        (raised,) = flags.record(session, [flag()], now=WHEN)
    with db.transaction() as session:
        confirmed = flags.review(session, raised.id, decision="confirm", note="一小时内调解十余起，经核实为补录",
                                 reviewer="auditor1", reviewer_account_id="a1", now=WHEN)
        assert (confirmed.status, confirmed.deduction) == ("confirmed", 5.0)  # the policy's points for the pattern
    with db.transaction() as session:
        with pytest.raises(flags.FlagReviewed):
            flags.review(session, raised.id, decision="dismiss", note="再次审核", reviewer="auditor2",
                         reviewer_account_id="a2")
    with db.read() as session:
        trail = flags.trail(session, raised.id)
        assert [(r.decision, r.reviewer, r.deduction) for r in trail] == [("confirm", "auditor1", 5.0)]
        view = flags.view(flags.get(session, raised.id), trail_rows=trail)
        assert view["reviews"][0]["note"] == "一小时内调解十余起，经核实为补录" and view["evidence_count"] == 2
    with db.transaction() as session, pytest.raises(InvalidInput):
        flags.review(session, raised.id, decision="maybe", note="x", reviewer="a", reviewer_account_id="a")
    with pytest.raises(InvalidInput) as refused:
        flags.load_review({"decision": "confirm"})
    assert "note" in refused.value.details["fields"]
    with db.read() as session:
        assert session.query(IntegrityReview).count() == 1


def test_deductions_are_capped_per_period_and_counted_in_the_period_they_lie_in(db):
    with db.transaction() as session:
        raised = flags.record(session, [flag(ids=(f"t{n}",), pattern=pattern, period=period)
                                        for n, (pattern, period) in enumerate([
                                            ("impossible_rate", "2026-10"), ("impossible_rate", "2026-11"),
                                            ("deadline_burst", "2026-11"), ("impossible_rate", "2026-12"),
                                            ("copied_text", "2026-07")])], now=WHEN)
        for minutes, row in enumerate(raised):  # reviewed one after another: the last confirmed gives way
            flags.review(session, row.id, decision="confirm", note="经核实", reviewer="au", reviewer_account_id="a",
                         now=WHEN + dt.timedelta(minutes=minutes))
    with db.read() as session:
        quarter = flags.deductions_of(session, ["p1"], parse_period("2026-Q4"))
        # October 5, November 5 and 3, December 5: capped at 15, the last confirmed keeps 2
        assert [points for _, _, points in quarter["p1"]] == [5, 5, 3, 2]
        november = flags.deductions_of(session, ["p1"], parse_period("2026-11"))
        assert sorted(pattern for _, pattern, _ in november["p1"]) == ["deadline_burst", "impossible_rate"]
        assert flags.deductions_of(session, ["p2"], parse_period("2026-Q4")) == {}


def test_thresholds_versions_are_checked_whole_and_the_newest_applies(db):
    with db.transaction() as session:
        assert flags.thresholds_view(session)["version"] == 0
        with pytest.raises(InvalidInput):
            flags.save_thresholds(session, {"patterns": {"impossible_rate": {"thresholds": {
                "window_minutes": {"value": -60}}}}}, author="admin")
        with pytest.raises(InvalidInput):
            flags.save_thresholds(session, {"patterns": {"no_such_pattern": {}}}, author="admin")
    with db.read() as session:
        assert session.query(IntegrityThresholds).count() == 0
    with db.transaction() as session:
        version, _ = flags.save_thresholds(session, {"deductions": {"cap_per_period": 10}}, author="admin")
        assert version == 1
    with db.read() as session:
        view = flags.thresholds_view(session)
        assert view["version"] == 1 and flags.current_thresholds(session).deductions.cap_per_period == 10


def test_a_confirmed_flag_shows_in_the_assessment_as_its_own_line(db):
    with db.transaction() as session:
        assessments.ensure_default_plans(session)
        session.execute(IntegrityFlag.__table__.delete())
        from scoring.models import PostFact
        session.add(PostFact(id="post-1", person_id="p1", grid_code=GRID, role="full_time_worker",
                             start_date=dt.date(2026, 1, 1), end_date=None, version=1))
        (raised,) = flags.record(session, [flag()], now=WHEN)
        flags.review(session, raised.id, decision="confirm", note="经核实", reviewer="au", reviewer_account_id="a")
        assessment = assessments.run(session, plan_code="dianbai-indicators", plan_version=None, period="2026-Q4",
                                     scope=GRID, author="test")
        (row,) = assessments.results(session, assessment.id)
        view = assessments.result_view(row, assessment.summary.get("names"))
    parts = {node["key"]: node for node in view["breakdown"]["children"]}
    integrity = parts.pop("integrity")
    earned = sum(node["contribution"] for node in parts.values())
    assert [child["key"] for child in integrity["children"]] == [raised.id]
    assert integrity["points"] == pytest.approx(-min(5.0, earned))  # never below 0
    assert view["own_score"] == pytest.approx(earned + integrity["points"])


def test_a_flags_texts_come_from_their_owners_and_a_silent_owner_is_named():
    from common.errors import Unavailable
    from scoring.integrity.endpoints import IntegrityEndpoints

    class Owner:
        def __init__(self, texts=None):
            self.texts = texts

        def __getattr__(self, method):
            def call(ids):
                if self.texts is None:
                    raise Unavailable("people is not answering")
                return {i: self.texts[i] for i in ids if i in self.texts}
            return call

    endpoints = IntegrityEndpoints()
    endpoints.tickets, endpoints.people = Owner({"t1": "邻里纠纷已调解"}), Owner(None)
    view = endpoints._with_texts({"evidence": [{"kind": "ticket", "id": "t1"}, {"kind": "ticket", "id": "t9"},
                                               {"kind": "visit", "id": "v1"}, {"kind": "patrol", "id": "p1"}]})
    assert [item.get("text") for item in view["evidence"]] == ["邻里纠纷已调解", None, None, None]
    assert view["texts_missing"] == ["visit"]
