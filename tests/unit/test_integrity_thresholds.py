"""Integrity thresholds: the defaults load and carry their reasons; a bad document is a
400 naming the field; an override changes only what it names; the deduction policy."""
import json

import pytest

from common.errors import InvalidInput, http_status
from scoring.integrity.thresholds import (
    DEFAULT_FILE, KINDS, PATTERNS, deduction, describe, load_thresholds, main, markdown)


def paths(messages, prefix=""):
    if isinstance(messages, dict):
        return [p for key, value in messages.items() for p in paths(value, f"{prefix}{key}.")]
    return [prefix.rstrip(".")]


def refused(document):
    with pytest.raises(InvalidInput) as caught:
        load_thresholds(document)
    error = caught.value
    assert http_status(error) == 400 and error.code == "VALIDATION_FAILED"
    json.dumps(error.to_dict())
    return paths(error.details["fields"])


def override(pattern, key, value):
    return {"patterns": {pattern: {"thresholds": {key: {"value": value}}}}}


def test_the_defaults_name_and_argue_every_threshold():
    thresholds = load_thresholds()
    assert tuple(thresholds.patterns) == PATTERNS
    for pattern, rules in thresholds.patterns.items():
        assert rules.name["zh"] and rules.name["en"] and rules.why
        assert set(rules.values) == set(KINDS[pattern])
        for key, entry in rules.labels.items():
            assert entry["unit"] and entry["name"]["zh"] and entry["name"]["en"] and len(entry["why"]) > 20, key
    # the seed's own numbers stand behind the two it names
    assert thresholds["impossible_rate"]["window_minutes"] == 60
    assert thresholds["impossible_rate"]["max_per_window"]["DM"] < 12
    assert "个把小时" in thresholds["deadline_burst"].labels["burst_hours"]["why"]
    assert set(thresholds.deductions.points) == set(PATTERNS)


def test_the_default_file_is_what_loads():
    with open(DEFAULT_FILE, encoding="utf-8") as handle:
        document = json.load(handle)
    assert load_thresholds(document) == load_thresholds()


def test_an_override_changes_only_what_it_names():
    changed = load_thresholds(override("too_fast", "min_tickets", 7))
    defaults = load_thresholds()
    assert changed["too_fast"]["min_tickets"] == 7
    assert changed["too_fast"]["min_share"] == defaults["too_fast"]["min_share"]
    assert changed["impossible_rate"] == defaults["impossible_rate"]
    # a by-family value is replaced whole, not merged with the default's families
    families = load_thresholds(override("impossible_rate", "max_per_window", {"*": 6}))
    assert families["impossible_rate"]["max_per_window"] == {"*": 6}


@pytest.mark.parametrize("document, field", [
    (override("impossible_rate", "window_minutes", -60), "patterns.impossible_rate.thresholds.window_minutes.value"),
    (override("impossible_rate", "window_minutes", 0), "patterns.impossible_rate.thresholds.window_minutes.value"),
    (override("checkin_only", "min_weeks", -1), "patterns.checkin_only.thresholds.min_weeks.value"),
    (override("checkin_only", "min_weeks", 2.5), "patterns.checkin_only.thresholds.min_weeks.value"),
    (override("checkin_only", "min_weeks", True), "patterns.checkin_only.thresholds.min_weeks.value"),
    (override("copied_text", "min_similarity", 1.2), "patterns.copied_text.thresholds.min_similarity.value"),
    (override("too_fast", "median_fraction", "0.1"), "patterns.too_fast.thresholds.median_fraction.value"),
    (override("impossible_visit", "night_start_hour", 24),
     "patterns.impossible_visit.thresholds.night_start_hour.value"),
    (override("impossible_rate", "max_per_window", {"DM": -1, "*": 8}),
     "patterns.impossible_rate.thresholds.max_per_window.value.DM.value"),
    (override("impossible_rate", "max_per_window", {"DM": 4}),
     "patterns.impossible_rate.thresholds.max_per_window.value"),
    (override("impossible_rate", "max_per_window", {"dm": 4, "*": 8}),
     "patterns.impossible_rate.thresholds.max_per_window.value.dm.key"),
    (override("implausible_movement", "speed_gap_seconds", {"min": 600, "max": 60}),
     "patterns.implausible_movement.thresholds.speed_gap_seconds.value.min"),
    (override("implausible_movement", "speed_gap_seconds", {"min": -1, "max": 60}),
     "patterns.implausible_movement.thresholds.speed_gap_seconds.value.min"),
    (override("deadline_burst", "min_share_floor", 0.6), "patterns.deadline_burst.thresholds.min_share_floor.value"),
    (override("too_fast", "min_minute", 5), "patterns.too_fast.thresholds.min_minute"),
    ({"patterns": {"fake_gps": {}}}, "patterns.fake_gps"),
    ({"patterns": {"impossible_rate": {"threshold": {}}}}, "patterns.impossible_rate.threshold"),
    ({"limits": {}}, "limits"),
    ({"patterns": []}, "patterns._schema"),
    ({"deductions": {"points": {"too_fast": -3}}}, "deductions.points.too_fast"),
    ({"deductions": {"points": {"fake_gps": 3}}}, "deductions.points.fake_gps"),
    ({"deductions": {"cap_per_period": -1}}, "deductions.cap_per_period"),
])
def test_a_bad_document_is_a_400_naming_the_field(document, field):
    assert field in refused(document)


def test_a_document_must_be_an_object():
    assert refused(["impossible_rate"]) == ["_schema"]


def test_deductions_are_per_confirmed_flag_and_capped():
    thresholds = load_thresholds()
    points = thresholds.deductions.points
    assert deduction([], thresholds) == 0
    assert deduction(["impossible_rate", "too_fast"], thresholds) == points["impossible_rate"] + points["too_fast"]
    assert deduction(["impossible_rate"] * 10, thresholds) == thresholds.deductions.cap_per_period
    smaller = load_thresholds({"deductions": {"cap_per_period": 4}})
    assert deduction(["impossible_rate"], smaller) == 4
    with pytest.raises(InvalidInput) as caught:
        deduction(["fake_gps"], thresholds)
    assert "pattern" in caught.value.details["fields"]


def test_describe_gives_a_row_per_threshold_for_the_readme():
    rows = describe()
    assert len(rows) == sum(len(keys) for keys in KINDS.values()) + 1
    assert {row["pattern"] for row in rows} == set(PATTERNS) | {"deductions"}
    dm = next(row for row in rows if row["threshold"] == "max_per_window")
    assert dm["value"] == "DM 4, others 8" and dm["unit"] == "tickets" and dm["zh"]
    gaps = next(row for row in rows if row["threshold"] == "speed_gap_seconds")
    assert gaps["value"] == "60–7200"
    block = markdown()
    assert all(f"**{pattern}** (" in block for pattern in PATTERNS) and "**Deductions**" in block
    assert sum(line.startswith("| ") and not line.startswith(("| threshold", "| ---"))
               for line in block.splitlines()) == len(rows) - 1


def test_the_readme_describes_each_pattern_from_the_thresholds_document():
    assert main(["--check"]) == 0, "run: python -m scoring.integrity.thresholds --write"
