"""Plan documents: every bad plan is a 400 naming the field path; the three default
plans load, validate and carry the seeds' numbers."""
import copy
import json
import re

import pytest

from common.errors import InvalidInput, http_status
from scoring import plans
from scoring.plans import MEASURES, default_plans, load_plan, require_period


def valid():
    """A small plan touching every source but quarterly results."""
    return {
        "code": "test-plan", "name": {"zh": "测试方案", "en": "test plan"},
        "subject": "worker", "period": "quarter",
        "parts": [
            {"key": "computed", "weight": 50, "source": "indicators", "indicators": [
                {"key": "reports", "measure": "events_reported", "direction": "higher", "normalise": "minmax",
                 "weight": 60},
                {"key": "on_time", "measure": "on_time_rate", "normalise": "rate", "weight": 40}]},
            {"key": "street", "weight": 50, "source": "mix", "parts": [
                {"key": "self_check", "weight": 20, "source": "self_assessments"},
                {"key": "items", "weight": 20, "source": "items"},
                {"key": "outside", "weight": 20, "source": "ratings", "rater_kinds": ["party_rep", "department"]},
                {"key": "tickets", "weight": 20, "source": "ticket_satisfaction"},
                {"key": "survey", "weight": 20, "source": "survey"}]}],
        "bound": {"chief_takes_workers": 0.3, "worker_takes_grid": 0.2},
        "ranking": {"min_volume": 10, "prior_weight": 10, "commend_top": 10, "remind_bottom": 5},
        "bands": [{"key": "excellent", "min": 90, "zh": "优秀"}, {"key": "pass", "min": 60, "zh": "合格"},
                  {"key": "fail", "min": 0, "zh": "不合格"}],
        "pay_tiers": [{"band": "excellent", "tier": "A"}],
        "consequences": {"pass_mark": 60, "excellent_band": "excellent", "excellent_years": 2,
                         "reserve_depths": [4, 5]},
    }


def paths(messages, prefix=""):
    """The dotted field paths of marshmallow's nested error messages."""
    if isinstance(messages, dict):
        return [p for key, value in messages.items() for p in paths(value, f"{prefix}{key}.")]
    return [prefix.rstrip(".")]


def refused(document):
    with pytest.raises(InvalidInput) as caught:
        load_plan(document)
    error = caught.value
    assert http_status(error) == 400 and error.code == "VALIDATION_FAILED"
    json.dumps(error.to_dict())          # the body travels as JSON
    return paths(error.details["fields"])


def changed(change):
    document = valid()
    change(document)
    return document


def indicator(doc, index=0):
    return doc["parts"][0]["indicators"][index]


def test_the_valid_plan_loads_with_defaults_filled():
    plan = load_plan(valid())
    assert plan.code == "test-plan" and [p.key for p in plan.parts] == ["computed", "street"]
    street = plan.parts[1]
    assert [p.source for p in street.parts] == ["self_assessments", "items", "ratings", "ticket_satisfaction", "survey"]
    assert street.parts[2].rater_kinds == ("party_rep", "department")
    assert plan.parts[0].indicators[1].direction == "higher"                      # the default
    assert plan.parts[0].indicators[0].name == {"zh": "网格事件上报数", "en": "events reported"}  # the measure's
    assert street.parts[0].name == {"zh": "村(社区)月度自考", "en": "village monthly self-assessment"}
    assert plan.bands[0].en == "excellent" and plan.pay_tiers == {"excellent": "A"}
    assert plan.consequences.reserve_depths == (4, 5) and plan.consequences.three_priorities is False
    assert load_plan(plan.document) == plan       # what the storage keeps loads to the same plan


def test_weights_within_a_thousandth_of_100_pass():
    def thirds(doc):
        for part, weight in zip(doc["parts"][1]["parts"][:3], (33.3333, 33.3333, 33.3334)):
            part["weight"] = weight
        doc["parts"][1]["parts"] = doc["parts"][1]["parts"][:3]
    load_plan(changed(thirds))


BAD = {
    "unknown measure": (lambda d: indicator(d).update(measure="smiles"), "parts.0.indicators.0.measure"),
    "unknown direction": (lambda d: indicator(d).update(direction="up"), "parts.0.indicators.0.direction"),
    "unknown normalise": (lambda d: indicator(d).update(normalise="zscore"), "parts.0.indicators.0.normalise"),
    "unknown source": (lambda d: d["parts"][1]["parts"][1].update(source="gossip"), "parts.1.parts.1.source"),
    "parts not adding up": (lambda d: d["parts"][0].update(weight=40), "parts"),
    "parts off by more than a thousandth": (lambda d: d["parts"][0].update(weight=49.998), "parts"),
    "indicators not adding up": (lambda d: indicator(d).update(weight=50), "parts.0.indicators"),
    "a mix not adding up": (lambda d: d["parts"][1]["parts"][4].update(weight=25), "parts.1.parts"),
    "a negative weight": (lambda d: indicator(d).update(weight=-10), "parts.0.indicators.0.weight"),
    "a weight over 100": (lambda d: d["parts"][0].update(weight=150), "parts.0.weight"),
    "a weight in a string": (lambda d: d["parts"][0].update(weight="50"), "parts.0.weight"),
    "a weight that is true": (lambda d: d["parts"][0].update(weight=True), "parts.0.weight"),
    "a weight that is NaN": (lambda d: d["parts"][0].update(weight=float("nan")), "parts.0.weight"),
    "a duplicate part key": (lambda d: d["parts"][1]["parts"][3].update(key="computed"), "parts.1.parts.3.key"),
    "a duplicate sibling key": (lambda d: d["parts"][1].update(key="computed"), "parts.1.key"),
    "a duplicate indicator key": (lambda d: indicator(d, 1).update(key="reports"), "parts.0.indicators.1.key"),
    "bands ascending": (lambda d: d["bands"].reverse(), "bands.1.min"),
    "bands with an equal minimum": (lambda d: d["bands"][1].update(min=90), "bands.1.min"),
    "bands leaving low scores without a band": (lambda d: d["bands"][2].update(min=10), "bands.2.min"),
    "a band named twice": (lambda d: d["bands"][1].update(key="excellent"), "bands.1.key"),
    "a band over 100": (lambda d: d["bands"][0].update(min=101), "bands.0.min"),
    "no bands": (lambda d: d.update(bands=[]), "bands"),
    "a target normalisation without a target": (lambda d: indicator(d).update(normalise="target"),
                                                "parts.0.indicators.0.target"),
    "a target of 0": (lambda d: indicator(d).update(normalise="target", target=0), "parts.0.indicators.0.target"),
    "a target without a target normalisation": (lambda d: indicator(d).update(target=30),
                                                "parts.0.indicators.0.target"),
    "a rate normalisation of a count": (lambda d: indicator(d).update(normalise="rate"),
                                        "parts.0.indicators.0.normalise"),
    "a year plan of indicators": (lambda d: d.update(period="year", bound=None), "parts.0.source"),
    "quarterly results in a quarter plan": (lambda d: d["parts"][1]["parts"][0].update(
        source="quarterly_results", plan="gaochun-street"), "parts.1.parts.0.source"),
    "quarterly results without a plan": (lambda d: d.update(period="year", bound=None, parts=[
        {"key": "q", "weight": 100, "source": "quarterly_results"}]), "parts.0.plan"),
    "an indicators part without indicators": (lambda d: d["parts"][0].pop("indicators"), "parts.0.indicators"),
    "an indicators part with empty indicators": (lambda d: d["parts"][0].update(indicators=[]),
                                                 "parts.0.indicators"),
    "a mix without parts": (lambda d: d["parts"][1].pop("parts"), "parts.1.parts"),
    "a ratings part without rater kinds": (lambda d: d["parts"][1]["parts"][2].pop("rater_kinds"),
                                           "parts.1.parts.2.rater_kinds"),
    "an unknown rater kind": (lambda d: d["parts"][1]["parts"][2].update(rater_kinds=["neighbour"]),
                              "parts.1.parts.2.rater_kinds.0"),
    "a rater kind twice": (lambda d: d["parts"][1]["parts"][2].update(rater_kinds=["self", "self"]),
                           "parts.1.parts.2.rater_kinds"),
    "indicators on a ratings part": (lambda d: d["parts"][1]["parts"][2].update(
        indicators=d["parts"][0]["indicators"]), "parts.1.parts.2.indicators"),
    "rater kinds on a survey": (lambda d: d["parts"][1]["parts"][4].update(rater_kinds=["resident"]),
                                "parts.1.parts.4.rater_kinds"),
    "a pay tier of no band": (lambda d: d["pay_tiers"].append({"band": "heroic", "tier": "S"}), "pay_tiers.1.band"),
    "a band with two pay tiers": (lambda d: d["pay_tiers"].append({"band": "excellent", "tier": "B"}),
                                  "pay_tiers.1.band"),
    "an excellent band that is no band": (lambda d: d["consequences"].update(excellent_band="outstanding"),
                                          "consequences.excellent_band"),
    "bound on a grid plan": (lambda d: d.update(subject="grid"), "bound"),
    "a bound share over 1": (lambda d: d["bound"].update(chief_takes_workers=30), "bound.chief_takes_workers"),
    "a bound share missing": (lambda d: d["bound"].pop("worker_takes_grid"), "bound.worker_takes_grid"),
    "a negative minimum volume": (lambda d: d["ranking"].update(min_volume=-1), "ranking.min_volume"),
    "a fractional commend count": (lambda d: d["ranking"].update(commend_top=2.5), "ranking.commend_top"),
    "an unknown subject": (lambda d: d.update(subject="household"), "subject"),
    "an unknown period": (lambda d: d.update(period="week"), "period"),
    "no parts": (lambda d: d.update(parts=[]), "parts"),
    "a bad code": (lambda d: d.update(code="Gaochun Street"), "code"),
    "a blank Chinese name": (lambda d: d["name"].update(zh="　"), "name.zh"),
    "a part key with spaces": (lambda d: d["parts"][0].update(key="my part"), "parts.0.key"),
    "an unknown field": (lambda d: d.update(colour="red"), "colour"),
    "an unknown field in an indicator": (lambda d: indicator(d).update(scale=3), "parts.0.indicators.0.scale"),
    "mixes nested four deep": (lambda d: d["parts"][1]["parts"][0].update(source="mix", parts=[
        {"key": "deeper", "weight": 100, "source": "mix", "parts": [
            {"key": "deepest", "weight": 100, "source": "survey"}]}]), "parts.1.parts.0.parts.0.parts"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_plan_is_a_400_naming_the_field(case):
    change, field = BAD[case]
    assert field in refused(changed(change))


def test_a_plan_nested_a_thousand_deep_is_a_400_not_a_crash():
    document = valid()
    part = document["parts"][1]
    for level in range(1000):
        inner = {"key": f"p{level}", "weight": 100, "source": "mix", "parts": []}
        part["parts"] = [inner]
        part = inner
    assert refused(document) == ["parts.1.parts.0.parts.0.parts"]   # the fourth level


@pytest.mark.parametrize("document", [None, [], "plan", 3])
def test_a_plan_that_is_no_object_is_a_400(document):
    refused(document)


def test_every_problem_of_one_level_is_named_at_once():
    def two(doc):
        doc["parts"][0]["weight"] = 10
        doc["bands"].reverse()
    assert {"parts", "bands.1.min", "bands.2.min"} <= set(refused(changed(two)))


# --- The measure registry ---------------------------------------------------------------

def test_the_measure_registry():
    assert list(MEASURES) == ["events_reported", "active_days", "patrols", "patrols_inside", "households_visited",
                              "on_time_rate", "below_department", "satisfaction", "accuracy", "sentiment_records",
                              "sentiment", "party_service_hours", "wishes_fulfilled", "service_days_attended",
                              "service_day_attendance"]
    counts = {key for key, m in MEASURES.items() if m.kind == "count"}
    assert counts == {"events_reported", "active_days", "patrols", "sentiment_records", "party_service_hours",
                      "wishes_fulfilled", "service_days_attended"}
    for measure in MEASURES.values():
        assert re.search(r"[\u4e00-\u9fff]", measure.zh) and measure.en
        assert (measure.full is None) == (measure.kind == "count")
    assert MEASURES["satisfaction"].full == 100 and MEASURES["on_time_rate"].full == 1


# --- Periods a plan runs for --------------------------------------------------------------

def test_a_quarterly_plan_runs_for_a_quarter_or_its_year():
    plan = load_plan(valid())
    assert str(require_period(plan, "2026-Q3")) == "2026-Q3"
    assert str(require_period(plan, "2026")) == "2026"
    for wrong in ("2026-07", "2026-Q5"):
        with pytest.raises(InvalidInput) as caught:
            require_period(plan, wrong)
        assert list(caught.value.details["fields"]) == ["period"]
    monthly = load_plan(dict(valid(), period="month"))
    with pytest.raises(InvalidInput):
        require_period(monthly, "2026-Q3")


def test_a_year_plan_is_made_of_quarterly_results():
    document = dict(valid(), period="year", bound=None, parts=[
        {"key": "street", "weight": 80, "source": "quarterly_results", "plan": "gaochun-street"},
        {"key": "dianbai", "weight": 20, "source": "quarterly_results", "plan": "dianbai-indicators"}])
    plan = load_plan(document)
    assert [p.plan for p in plan.parts] == ["gaochun-street", "dianbai-indicators"]
    assert str(require_period(plan, "2026")) == "2026"


# --- The default plans --------------------------------------------------------------------

def test_the_three_default_plans_load_and_validate():
    defaults = default_plans()
    assert sorted(defaults) == ["dianbai-indicators", "gaochun-street", "pinggu-360"]
    for code, plan in defaults.items():
        assert plan.subject == "worker" and plan.period == "quarter"
        assert re.search(r"[\u4e00-\u9fff]", plan.name["zh"]) and plan.name["en"]
        assert plan.why and all(part.why for part in plan.parts)
        on_disk = json.loads((plans.DEFAULTS_DIR / f"{code}.json").read_text(encoding="utf-8"))
        assert load_plan(copy.deepcopy(on_disk)) == plan


def test_gaochun_is_20_80_with_bound_shares_top_10_and_bottom_5():
    plan = default_plans()["gaochun-street"]
    assert [(p.key, p.weight, p.source) for p in plan.parts] == [
        ("village_self", 20, "self_assessments"), ("street", 80, "mix")]
    street = plan.parts[1]
    assert [(p.source, p.weight) for p in street.parts] == [("indicators", 60), ("items", 20), ("ratings", 20)]
    assert street.parts[2].rater_kinds == ("party_rep", "retired_cadre", "department")
    assert (plan.bound.chief_takes_workers, plan.bound.worker_takes_grid) == (0.3, 0.2)
    assert (plan.ranking.commend_top, plan.ranking.remind_bottom) == (10, 5)
    assert "seed 004" in plan.why.lower() and "20%" in plan.why
    assert "前10名" in plan.document["ranking"]["why"] and "捆绑考核" in plan.document["bound"]["why"]


def test_pinggu_is_4_2_3_1_with_residents_half_tickets_half_survey():
    plan = default_plans()["pinggu-360"]
    assert [(p.key, p.weight) for p in plan.parts] == [("residents", 40), ("departments", 20), ("village", 30),
                                                       ("self", 10)]
    assert [(p.source, p.weight) for p in plan.parts[0].parts] == [("ticket_satisfaction", 50), ("survey", 50)]
    assert [p.rater_kinds for p in plan.parts[1:]] == [("department",), ("village",), ("self",)]
    assert plan.consequences.three_priorities is True
    assert "seed 002" in plan.why.lower() and "4:2:3:1" in plan.why


def test_dianbai_carries_the_issues_indicators_and_the_sentiment_index():
    plan = default_plans()["dianbai-indicators"]
    (part,) = plan.parts
    assert [i.measure for i in part.indicators] == list(MEASURES)
    weights = {i.measure: i.weight for i in part.indicators}
    assert weights["events_reported"] == max(weights.values())
    # seed 000 names the accuracy and sentiment indexes together: the index weighs what accuracy does
    assert weights["sentiment_records"] + weights["sentiment"] == weights["accuracy"] == 10
    assert sum(weights.values()) == 100
    # a party member's service is carried, not weighed: seed 003 names no party work for Dianbai
    party = ("party_service_hours", "wishes_fulfilled", "service_days_attended", "service_day_attendance")
    assert [weights[key] for key in party] == [0, 0, 0, 0] and "weight 0" in part.why
    assert "seed 003" in plan.why.lower() and "seed 000" in part.why.lower()


def test_a_plan_stored_with_the_sentiment_slot_still_loads():
    """Plans saved while the sentiment index was a slot (weight 0, normalised as a rate)
    stay valid: ``sentiment`` kept its kind."""
    document = json.loads(json.dumps(default_plans()["dianbai-indicators"].document))
    indicators = document["parts"][0]["indicators"]
    indicators[:] = [i for i in indicators if i["measure"] != "sentiment_records"]
    for indicator in indicators:
        if indicator["measure"] == "sentiment":
            indicator.update(weight=0, why=None)
        if indicator["measure"] == "patrols":
            indicator["weight"] = 10
        if indicator["measure"] == "on_time_rate":
            indicator["weight"] = 10
    assert load_plan(document).parts[0].indicators[-1].normalise == "rate"
