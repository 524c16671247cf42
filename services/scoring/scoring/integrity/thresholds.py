"""The detectors' thresholds: a JSON document (``thresholds.json`` is the default), each
value with its unit, zh/en name and why, checked here and read by the detectors.

    load_thresholds(document=None) -> Thresholds   # 400 VALIDATION_FAILED naming the field
    describe(thresholds=None) -> [row]             # one row per threshold, for the README
    deduction(patterns, thresholds) -> points      # confirmed flags' points, capped

A document overrides the defaults: it may give only what it changes
(``{"patterns": {"impossible_rate": {"thresholds": {"max_per_window": {"value": {"DM": 3,
"*": 8}}}}}}``); what is checked is the defaults with it laid over. Every threshold has a
kind (``KINDS``), which fixes what its value may be:

==========  =====================================================================
count       a whole number, at least 1
number      a number above 0
share       a number from 0 to 1
hour        a whole hour of the day, 0 to 23 (Shanghai)
by_family   {family: number >= 0}, family a two-letter category prefix or "*"
            (every other family); "*" is required
range       {"min": a, "max": b}, 0 <= a <= b
==========  =====================================================================

Unknown patterns, unknown thresholds, negative values and inverted pairs (a range's
min above its max; ``min_share_floor`` above ``min_share``) are refused.
"""
import copy
import functools
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from common.errors import InvalidInput
from common.generated import Block, readme_main
from common.validation import Number, Text, Whole, load

DEFAULT_FILE = Path(__file__).with_name("thresholds.json")
README = Path(__file__).resolve().parents[4] / "README.md"

# Every pattern, every threshold and its kind: what a document may name.
KINDS = {
    "impossible_rate": {"window_minutes": "number", "max_per_window": "by_family"},
    "deadline_burst": {"burst_hours": "number", "min_lag_hours": "number", "min_records": "count",
                       "min_share": "share", "idle_week_discount": "share", "min_share_floor": "share"},
    "checkin_only": {"min_checkins_per_week": "count", "min_weeks": "count"},
    "implausible_movement": {"max_speed_kmh": "number", "speed_gap_seconds": "range", "min_fast_jumps": "count",
                             "min_repeat_days": "count", "max_outside_share": "share", "min_patrols": "count"},
    "too_fast": {"min_minutes": "by_family", "median_fraction": "share", "min_sample": "count",
                 "min_tickets": "count", "min_share": "share"},
    "copied_text": {"min_similarity": "share", "min_records": "count", "min_person_records": "count"},
    "self_dealing": {"max_minutes": "number", "min_tickets": "count", "min_share": "share"},
    "one_sided_ratings": {"min_ratings": "count", "bulk_before_end_days": "number",
                          "bulk_window_minutes": "number", "bulk_min_accounts": "count"},
    "impossible_visit": {"night_start_hour": "hour", "night_end_hour": "hour", "min_night_visits": "count",
                         "min_empty_visits": "count"},
}
PATTERNS = tuple(KINDS)

# Pairs where the first may not exceed the second: (pattern, lower, upper).
ORDERED = (("deadline_burst", "min_share_floor", "min_share"),)

LIMIT = 1e9     # no threshold is larger; a larger number is a typo
WHY = validate.Length(max=2000)


def unknown_pattern(pattern, field_name="pattern"):
    """The 400 for a pattern no detector knows."""
    return InvalidInput(f"Unknown pattern {str(pattern)[:40]!r}: must be one of {', '.join(PATTERNS)}.",
                        code="VALIDATION_FAILED",
                        details={"fields": {field_name: [f"must be one of: {', '.join(PATTERNS)}"]}})


# --- the loaded form -------------------------------------------------------------------

@dataclass(frozen=True)
class PatternRules:
    key: str
    name: dict
    why: str | None
    values: dict                 # threshold key -> value (number, {family: n}, {"min", "max"})
    labels: dict = field(default_factory=dict, compare=False)   # threshold key -> its document entry

    def __getitem__(self, key):
        return self.values[key]


@dataclass(frozen=True)
class Deductions:
    points: dict                 # pattern -> points per confirmed flag
    cap_per_period: float
    unit: str = "points"
    why: str | None = None


@dataclass(frozen=True)
class Thresholds:
    patterns: dict               # pattern -> PatternRules
    deductions: Deductions
    document: dict = field(default_factory=dict, compare=False)   # as validated, defaults filled

    def __getitem__(self, pattern):
        return self.patterns[pattern]


def by_family(value, family):
    """A by_family threshold's value for ``family`` (its own, else "*")."""
    return value.get(family, value["*"])


# --- the document's schema -------------------------------------------------------------

FAMILY_KEY = validate.Regexp(r"^(?:[A-Z]{2}|\*)$", error="a family is two capital letters, or * for the rest")


class ByFamily(fields.Dict):
    def __init__(self, **kwargs):
        super().__init__(keys=fields.String(validate=FAMILY_KEY),
                         values=Number(validate=validate.Range(min=0, max=LIMIT)),
                         validate=validate.Length(min=1, max=50), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        loaded = super()._deserialize(value, attr, data, **kwargs)
        if "*" not in loaded:
            raise ValidationError("needs \"*\": the value for every family not named")
        return loaded


class RangeSchema(Schema):
    min = Number(required=True, validate=validate.Range(min=0, max=LIMIT))
    max = Number(required=True, validate=validate.Range(min=0, max=LIMIT))

    @validates_schema
    def _in_order(self, data, **_):
        if data["min"] > data["max"]:
            raise ValidationError(f"min ({data['min']:g}) is above max ({data['max']:g})", "min")


def _value_field(kind):
    return {
        "count": lambda: Whole(required=True, validate=validate.Range(min=1, max=int(LIMIT))),
        "number": lambda: Number(required=True, validate=validate.Range(min=0, min_inclusive=False, max=LIMIT)),
        "share": lambda: Number(required=True, validate=validate.Range(min=0, max=1)),
        "hour": lambda: Whole(required=True, validate=validate.Range(min=0, max=23)),
        "by_family": lambda: ByFamily(required=True),
        "range": lambda: fields.Nested(RangeSchema, required=True),
    }[kind]()


class NameSchema(Schema):
    zh = Text(required=True, validate=validate.Length(max=100))
    en = Text(required=True, validate=validate.Length(max=100))


def _threshold_schema(kind):
    return Schema.from_dict({
        "value": _value_field(kind),
        "unit": Text(load_default=None, validate=validate.Length(max=40)),
        "name": fields.Nested(NameSchema, load_default=None),
        "why": Text(load_default=None, validate=WHY),
    }, name=f"Threshold_{kind}")


def _pattern_schema(pattern):
    thresholds = Schema.from_dict(
        {key: fields.Nested(_threshold_schema(kind), required=True) for key, kind in KINDS[pattern].items()},
        name=f"Thresholds_{pattern}")
    return Schema.from_dict({
        "name": fields.Nested(NameSchema, load_default=None),
        "why": Text(load_default=None, validate=WHY),
        "thresholds": fields.Nested(thresholds, required=True),
    }, name=f"Pattern_{pattern}")


class DeductionsSchema(Schema):
    points = fields.Nested(Schema.from_dict(
        {pattern: Number(required=True, validate=validate.Range(min=0, max=100)) for pattern in PATTERNS},
        name="DeductionPoints"), required=True)
    cap_per_period = Number(required=True, validate=validate.Range(min=0, max=100))
    unit = Text(load_default="points", validate=validate.Length(max=40))
    why = Text(load_default=None, validate=WHY)


class ThresholdsSchema(Schema):
    version = Whole(load_default=None, validate=validate.Range(min=1, max=1_000_000))
    why = Text(load_default=None, validate=WHY)
    patterns = fields.Nested(Schema.from_dict(
        {pattern: fields.Nested(_pattern_schema(pattern), required=True) for pattern in PATTERNS},
        name="Patterns"), required=True)
    deductions = fields.Nested(DeductionsSchema, required=True)

    @validates_schema
    def _ordered(self, data, **_):
        for pattern, lower, upper in ORDERED:
            values = data["patterns"][pattern]["thresholds"]
            if values[lower]["value"] > values[upper]["value"]:
                raise ValidationError({"patterns": {pattern: {"thresholds": {lower: {"value": [
                    f"must not be above {upper} ({values[upper]['value']:g})"]}}}}})


# --- loading ---------------------------------------------------------------------------

@functools.cache
def _default_document():
    with open(DEFAULT_FILE, encoding="utf-8") as handle:
        return json.load(handle)


def _overlay(base, override):
    """``base`` with ``override`` laid over it, objects merged key by key. A value that
    replaces (a by_family map, a range) replaces as a whole, so that a family left out
    of the override is not silently kept."""
    if not isinstance(base, dict) or not isinstance(override, dict):
        return copy.deepcopy(override)
    merged = copy.deepcopy(base)
    for key, value in override.items():
        merged[key] = copy.deepcopy(value) if key == "value" else _overlay(base.get(key), value)
    return merged


def load_thresholds(document=None):
    """The thresholds of ``document`` laid over the defaults (None: the defaults), checked.
    Anything wrong is a 400 VALIDATION_FAILED naming the field's path."""
    if document is None:
        return _default_thresholds()
    if not isinstance(document, dict):
        raise InvalidInput("The thresholds must be a JSON object.", code="VALIDATION_FAILED",
                           details={"fields": {"_schema": ["must be an object"]}})
    return _build(load(ThresholdsSchema, _overlay(_default_document(), document), "thresholds"))


@functools.cache
def _default_thresholds():
    return _build(load(ThresholdsSchema, _default_document(), "thresholds"))


def _build(data):
    patterns = {}
    for key, entry in data["patterns"].items():
        labels = entry["thresholds"]
        patterns[key] = PatternRules(key=key, name=entry["name"] or {"zh": key, "en": key}, why=entry["why"],
                                     values={name: item["value"] for name, item in labels.items()},
                                     labels=labels)
    deductions = Deductions(points=dict(data["deductions"]["points"]),
                            cap_per_period=data["deductions"]["cap_per_period"],
                            unit=data["deductions"]["unit"], why=data["deductions"]["why"])
    return Thresholds(patterns=patterns, deductions=deductions, document=data)


def pattern_name(pattern, thresholds=None):
    """{"zh", "en"} of a pattern (its key, for one no detector knows any more)."""
    rules = (thresholds or load_thresholds()).patterns.get(pattern)
    return dict(rules.name) if rules else {"zh": pattern, "en": pattern}


def deduction(patterns, thresholds=None):
    """The points a period's confirmed flags take off: ``patterns`` lists each confirmed
    flag's pattern (a pattern twice: two flags), each worth its points, the total capped."""
    policy = (thresholds or load_thresholds()).deductions
    total = 0.0
    for pattern in patterns:
        if pattern not in policy.points:
            raise unknown_pattern(pattern)
        total += policy.points[pattern]
    return min(total, policy.cap_per_period)


def _shown(value):
    if isinstance(value, dict) and set(value) == {"min", "max"}:
        return f"{value['min']:g}–{value['max']:g}"
    if isinstance(value, dict):
        named = sorted((k for k in value if k != "*"))
        return ", ".join([f"{k} {value[k]:g}" for k in named] + [f"others {value['*']:g}"])
    return f"{value:g}"


def describe(thresholds=None):
    """One row per threshold (and one for the deduction policy) for the README's table:
    ``{"pattern", "pattern_zh", "pattern_en", "threshold", "zh", "en", "value", "unit",
    "why"}``, in the document's order."""
    thresholds = thresholds or load_thresholds()
    rows = []
    for pattern, rules in thresholds.patterns.items():
        for key, entry in rules.labels.items():
            name = entry["name"] or {"zh": key, "en": key}
            rows.append({"pattern": pattern, "pattern_zh": rules.name["zh"], "pattern_en": rules.name["en"],
                         "threshold": key, "zh": name["zh"], "en": name["en"], "value": _shown(entry["value"]),
                         "unit": entry["unit"] or "", "why": entry["why"] or ""})
    policy = thresholds.deductions
    points = ", ".join(f"{pattern} {value:g}" for pattern, value in policy.points.items())
    rows.append({"pattern": "deductions", "pattern_zh": "扣分", "pattern_en": "deductions",
                 "threshold": "points, cap_per_period", "zh": "每条确认扣分, 每期上限",
                 "en": "points per confirmed flag, cap a period",
                 "value": f"{points}; cap {policy.cap_per_period:g}", "unit": policy.unit, "why": policy.why or ""})
    return rows


def markdown(thresholds=None):
    """The README's block: each pattern with what it looks for and why, then its
    thresholds (value, unit, why) in a table, then the deduction policy."""
    thresholds = thresholds or load_thresholds()
    rows = describe(thresholds)
    lines = []
    for pattern, rules in thresholds.patterns.items():
        lines += [f"**{pattern}** ({rules.name['zh']}, {rules.name['en']}): {rules.why or ''}", "",
                  "| threshold | value | unit | why |", "| --- | --- | --- | --- |"]
        lines += [f"| {row['threshold']} ({row['zh']}) | {row['value']} | {row['unit']} | "
                  f"{row['why'].replace('|', '/')} |" for row in rows if row["pattern"] == pattern]
        lines.append("")
    (policy,) = [row for row in rows if row["pattern"] == "deductions"]
    lines.append(f"**Deductions** (扣分): {policy['value']} {policy['unit']}. {policy['why']}")
    return "\n".join(lines)


README_BLOCK = Block("integrity", "python -m scoring.integrity.thresholds")


def main(argv=None):
    """``--write``: rewrite the README's block; ``--check``: exit 1 if it is stale."""
    return readme_main(README_BLOCK, README, markdown, "The integrity thresholds as the README shows them.", argv)


if __name__ == "__main__":
    sys.exit(main())
