"""The README's worked example of assessment, computed by the engine: the README says
what the platform does, and this keeps it so."""
import pytest

from scoring import engine
from scoring.plans import default_plans


def test_the_readme_pinggu_example():
    plan = default_plans()["pinggu-360"]

    def worker(subject_id, satisfaction, rated):
        return engine.SubjectFacts(subject_id, "worker", "320508019044001", "full_time_worker",
                                   {"satisfaction": engine.MeasureValue(satisfaction, rated)})

    ratings = [engine.Rating("resident", "w1", score, 5) for score in (4, 4, 3, 4)]
    ratings += [engine.Rating("department", "w1", score, 5) for score in (3, 4)]
    ratings += [engine.Rating("village", "w1", score, 5) for score in (4, 5)]
    ratings += [engine.Rating("self", "w1", 5, 5)]
    ratings += [engine.Rating("resident", "w2", 3, 5)]
    ratings += [engine.Rating("department", "w2", score, 5) for score in (3, 4)]
    ratings += [engine.Rating("village", "w2", score, 5) for score in (3, 4)]
    ratings += [engine.Rating("self", "w2", 4, 5)]
    results = {r.subject_id: r for r in engine.assess(
        plan, [worker("w1", 85.0, 11), worker("w2", 60.0, 5)], ratings=ratings, period="2026-Q3")}
    first, colleague = results["w1"], results["w2"]
    assert first.breakdown.find("residents").points == pytest.approx(80)
    assert first.score == pytest.approx(83) and first.band == "good"
    assert colleague.score == pytest.approx(67)
    assert first.volume == 20 and colleague.volume == 11
    assert first.ranked_score == pytest.approx(81.4) and colleague.ranked_score == pytest.approx(69.5)
    assert (first.rank, colleague.rank) == (1, 2)
