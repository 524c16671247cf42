"""Assessment plans: the measure registry, the plan document and its validation, and
the default plans that ship as ``plans/*.json``.

A plan is a versioned JSON document (the storage keeps code, version, document). This
module checks one and turns it into frozen dataclasses the engine reads:

    load_plan(document) -> Plan            # 400 VALIDATION_FAILED naming the field path
    default_plans() -> {code: Plan}        # the files in plans/, each validated
    require_period(plan, period) -> Period # 400 naming `period` when it does not fit

The document (every object may also carry ``"why"``, a sentence saying where its
numbers come from):

    code          lower-case letters, digits and '-', 2-40
    name          {"zh", "en"}
    subject       "worker" | "grid"   (a grid's result is the mean of its people's)
    period        "month" | "quarter" | "year"
    parts         [part], weights adding up to 100
    bound         {"chief_takes_workers": a, "worker_takes_grid": b}, each 0..1
                  (worker plans by month or quarter only)
    ranking       {"min_volume", "prior_weight", "commend_top", "remind_bottom"}
    bands         [{"key", "min", "zh", "en"?}], mins strictly descending, the last 0
    pay_tiers     [{"band", "tier"}]
    consequences  {"pass_mark", "excellent_band", "excellent_years", "reserve_depths",
                   "three_priorities"}

A part: ``{"key", "name"?, "weight", "source", ...}`` where source is one of
    indicators         + "indicators": [indicator], weights adding up to 100
    mix                + "parts": [part], weights adding up to 100 (3 levels at most)
    ratings            + "rater_kinds": [a key of RATER_KINDS]
    self_assessments   the grid's monthly village self-assessment (SelfEntry)
    items              the street's own items (ratings of kind ITEM_KIND)
    ticket_satisfaction the `satisfaction` measure
    survey             the residents' survey (ratings of kind "resident")
    quarterly_results  + "plan": a plan code; the mean of its quarterly results.
                       Year plans are made of these parts only, and only they are.
An indicator: ``{"key", "name"?, "measure", "direction"?, "normalise", "target"?,
"weight"}``: measure a key of MEASURES, direction "higher" (default) | "lower",
normalise "rate" (rate measures only) | "minmax" | "target" (with ``target`` > 0, in
the measure's own unit). Keys of parts and indicators are unique in the whole plan.
"""
import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from common.errors import InvalidInput
from common.validation import Text, bounded, load
from scoring.periods import parse_period


# --- The measure registry -------------------------------------------------------------

@dataclass(frozen=True)
class Measure:
    """One measure the query layer computes per subject and period, as
    ``MeasureValue(value, volume, refs)``.

    ``kind`` "rate": ``value`` lies in 0..``full`` (None when nothing is behind it);
    the ``rate`` normalisation gives ``value / full x 100``. ``kind`` "count": a count
    (0 when nothing happened). ``refs`` names what the refs are ids of, ``dated_by``
    the moment that puts a fact in the period."""
    key: str
    zh: str
    en: str
    kind: str
    full: float | None
    refs: str
    dated_by: str
    about: str

    @property
    def name(self):
        return {"zh": self.zh, "en": self.en}


MEASURES = {m.key: m for m in (
    Measure("events_reported", "网格事件上报数", "events reported", "count", None, "tickets", "reported_at",
            "tickets of source grid_patrol the worker reported themself (reporter_person_id)"),
    Measure("active_days", "活跃天数", "active days", "count", None, "tickets, patrols, visits", "reported_at, occurred_at",
            "Shanghai days with any own report, patrol or visit; volume = the facts on those days"),
    Measure("patrols", "巡查次数", "patrols", "count", None, "patrols", "occurred_at",
            "patrols the worker logged"),
    Measure("patrols_inside", "格内巡查占比", "share of patrols inside the grid", "rate", 1.0, "patrols", "occurred_at",
            "patrols located inside the worker's grids / patrols; volume = patrols"),
    Measure("households_visited", "入户走访覆盖率", "households visited", "rate", 1.0, "visits", "occurred_at",
            "distinct households visited / households registered in the worker's grids; volume = visits"),
    Measure("on_time_rate", "按时办结率", "on-time rate", "rate", 1.0, "tickets", "resolved_at",
            "tickets the worker was responsible for, resolved in the period: on time / resolved"),
    Measure("below_department", "部门以下化解率", "share resolved below department level", "rate", 1.0,
            "tickets", "resolved_at",
            "of those resolved tickets, the share resolved below department level"),
    Measure("satisfaction", "群众满意度", "satisfaction", "rate", 100.0, "tickets", "rated_at",
            "mean rating (1-5) of the worker's tickets rated in the period, as mean / 5 x 100"),
    Measure("accuracy", "信息准确率", "information accuracy", "rate", 1.0, "tickets", "reported_at",
            "own reports not withdrawn, not merged as duplicates, not recategorised / own reports"),
    # The sentiment index (民情指数, seed 000) rests on two figures: how much a worker collects,
    # and whether it was followed up. ``sentiment`` kept the kind (rate) its slot had, so
    # plans stored before sentiment records existed still load.
    Measure("sentiment_records", "社情民意收集数", "sentiment records collected", "count", None, "sentiment records",
            "occurred_at", "sentiment records the worker made in the period"),
    Measure("sentiment", "民情指数(社情民意跟进率)", "public sentiment index (share followed up)", "rate", 1.0,
            "sentiment records", "occurred_at",
            "of the worker's sentiment records made in the period, those followed up or closed (a record reported "
            "as a ticket counts: that is a follow-up), as they stand when the assessment runs / records; "
            "volume = records"),
    # A party member's service (党建引领, issue 19 §4; seed 000: 双报到 and 网格服务日, seed 001:
    # 点亮微心愿), from people's events: facts a plan may weigh for the members among its subjects.
    Measure("party_service_hours", "党员服务时长(双报到)", "party service hours (two-way registration)", "count", None,
            "party service entries", "day",
            "hours of service the worker logged as a registered party member (双报到) on days of the period; "
            "volume = entries"),
    Measure("wishes_fulfilled", "认领完成微心愿数", "small wishes fulfilled", "count", None, "wishes", "confirmed_at",
            "small wishes (点亮微心愿) the worker claimed and fulfilled whose posters confirmed them in the period"),
    Measure("service_days_attended", "网格服务日参加次数", "service days attended", "count", None,
            "service day sign-ins", "day (the service day's)",
            "grid service days (网格服务日) held in the period that the worker signed in to, wherever held"),
    Measure("service_day_attendance", "网格服务日参加率", "service-day attendance rate", "rate", 1.0,
            "service day sign-ins", "day (the service day's)",
            "of the grid service days held in the period in the worker's grids or a grid above one (a community's "
            "day is its grids' too), those the worker signed in to / those held; volume = days held"),
)}

DIRECTIONS = ("higher", "lower")
NORMALISATIONS = ("rate", "minmax", "target")
SUBJECTS = ("worker", "grid")
PERIODS = ("month", "quarter", "year")

# Who rates (Rating.kind). Residents, departments, the village and the worker rate 1-5
# in Pinggu's 360; outside raters rate 0-100 on the street's sheets. The scale travels
# with each rating (Rating.scale_max), so one kind may come on either scale.
RATER_KINDS = {
    "resident": ("居民", "residents"),
    "department": ("部门", "departments"),
    "village": ("村(社区)", "village"),
    "self": ("本人", "self"),
    "party_rep": ("党员代表", "party representatives"),
    "retired_cadre": ("老干部", "retired cadres"),
}
# The street's own items are kept as ratings of this kind (points out of each item's
# maximum); the survey source reads the residents' ratings.
ITEM_KIND = "item"
SURVEY_KIND = "resident"

SOURCES = {
    "indicators": ("计算指标", "computed indicators"),
    "mix": ("组合", "mix"),
    "ratings": ("评价", "ratings"),
    "self_assessments": ("村(社区)月度自考", "village monthly self-assessment"),
    "items": ("街道考核事项", "street items"),
    "ticket_satisfaction": ("事件满意度", "ticket satisfaction"),
    "survey": ("群众问卷", "resident survey"),
    "quarterly_results": ("季度考核结果", "quarterly results"),
}

WEIGHT_TOLERANCE = 0.001
MAX_DEPTH = 3          # a plan's parts, a mix's parts, a mix inside that
MAX_PARTS = 20
MAX_INDICATORS = 50
MAX_BANDS = 10


# --- The plan as the engine reads it --------------------------------------------------

@dataclass(frozen=True)
class Indicator:
    key: str
    name: dict
    measure: str
    direction: str
    normalise: str
    weight: float
    target: float | None = None
    why: str | None = None


@dataclass(frozen=True)
class Part:
    key: str
    name: dict
    weight: float
    source: str
    indicators: tuple = ()      # of Indicator (source indicators)
    parts: tuple = ()           # of Part (source mix)
    rater_kinds: tuple = ()     # of str (source ratings)
    plan: str | None = None     # source quarterly_results
    why: str | None = None


@dataclass(frozen=True)
class Bound:
    chief_takes_workers: float
    worker_takes_grid: float


@dataclass(frozen=True)
class Ranking:
    min_volume: int = 0
    prior_weight: float = 0.0
    commend_top: int = 10
    remind_bottom: int = 5


@dataclass(frozen=True)
class Band:
    key: str
    min: float
    zh: str
    en: str


@dataclass(frozen=True)
class ConsequenceRules:
    pass_mark: float = 60.0
    excellent_band: str = "excellent"
    excellent_years: int = 2
    reserve_depths: tuple = (4, 5)
    three_priorities: bool = False


@dataclass(frozen=True)
class Plan:
    code: str
    name: dict
    subject: str
    period: str
    parts: tuple                 # of Part
    bands: tuple                 # of Band, descending
    ranking: Ranking = Ranking()
    bound: Bound | None = None
    pay_tiers: dict = field(default_factory=dict)   # band key -> tier
    consequences: ConsequenceRules = ConsequenceRules()
    why: str | None = None
    document: dict = field(default_factory=dict, compare=False)  # as validated, defaults filled

    def band_of(self, key):
        return next((band for band in self.bands if band.key == key), None)


# --- The document's schema ------------------------------------------------------------

KEY = validate.Regexp(r"^[a-z][a-z0-9_]{0,39}$", error="1-40 lower-case letters, digits or '_', a letter first")
PLAN_CODE = validate.Regexp(r"^[a-z0-9][a-z0-9-]{1,39}$", error="2-40 lower-case letters, digits or '-'")
WHY = validate.Length(max=2000)


class Number(fields.Float):
    """A JSON number (not a string holding one), finite."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            raise ValidationError("Not a valid number.")
        return super()._deserialize(value, attr, data, **kwargs)


def _why():
    return Text(load_default=None, validate=WHY)


class NameSchema(Schema):
    zh = Text(required=True, validate=validate.Length(max=100))
    en = Text(required=True, validate=validate.Length(max=100))


def _sum_error(weights, what):
    total = sum(weights)
    if abs(total - 100) > WEIGHT_TOLERANCE:
        return f"the {what}' weights add up to {total:g}: they must add up to 100"
    return None


class IndicatorSchema(Schema):
    key = fields.String(required=True, validate=KEY)
    name = fields.Nested(NameSchema, load_default=None)
    measure = fields.String(required=True, validate=validate.OneOf(list(MEASURES)))
    direction = fields.String(load_default="higher", validate=validate.OneOf(DIRECTIONS))
    normalise = fields.String(required=True, validate=validate.OneOf(NORMALISATIONS))
    target = Number(load_default=None, validate=validate.Range(min=0, min_inclusive=False, max=1e9))
    weight = Number(required=True, validate=validate.Range(min=0, max=100))
    why = _why()

    @validates_schema
    def _normalisation(self, data, **_):
        if data["normalise"] == "target" and data.get("target") is None:
            raise ValidationError("a target normalisation needs a target", "target")
        if data["normalise"] != "target" and data.get("target") is not None:
            raise ValidationError("only a target normalisation takes a target", "target")
        if data["normalise"] == "rate" and MEASURES[data["measure"]].kind != "rate":
            raise ValidationError(f"{data['measure']} is a count, not a rate: normalise it by minmax or target",
                                  "normalise")


# What each source takes besides key, name, weight, source and why.
_SOURCE_FIELDS = {"indicators": "indicators", "mix": "parts", "ratings": "rater_kinds",
                  "quarterly_results": "plan"}


class PartSchema(Schema):
    key = fields.String(required=True, validate=KEY)
    name = fields.Nested(NameSchema, load_default=None)
    weight = Number(required=True, validate=validate.Range(min=0, max=100))
    source = fields.String(required=True, validate=validate.OneOf(list(SOURCES)))
    indicators = fields.List(fields.Nested(IndicatorSchema), validate=validate.Length(min=1, max=MAX_INDICATORS))
    parts = fields.List(fields.Nested(lambda: PartSchema()), validate=validate.Length(min=1, max=MAX_PARTS))
    rater_kinds = fields.List(fields.String(validate=validate.OneOf(list(RATER_KINDS))),
                              validate=validate.Length(min=1, max=len(RATER_KINDS)))
    plan = fields.String(validate=PLAN_CODE)
    why = _why()

    @validates_schema
    def _fits_source(self, data, **_):
        errors = {}
        wanted = _SOURCE_FIELDS.get(data["source"])
        for name in _SOURCE_FIELDS.values():
            if name == wanted and data.get(name) is None:
                errors[name] = [f"a part with source {data['source']} needs {name}"]
            elif name != wanted and name in data:
                errors[name] = [f"a part with source {data['source']} takes no {name}"]
        if errors:
            raise ValidationError(errors)
        if wanted == "indicators":
            problem = _sum_error([i["weight"] for i in data["indicators"]], "indicators")
            if problem:
                raise ValidationError(problem, "indicators")
        if wanted == "parts":
            problem = _sum_error([p["weight"] for p in data["parts"]], "parts")
            if problem:
                raise ValidationError(problem, "parts")
        if wanted == "rater_kinds" and len(set(data["rater_kinds"])) != len(data["rater_kinds"]):
            raise ValidationError("a rater kind is named twice", "rater_kinds")


class BoundSchema(Schema):
    chief_takes_workers = Number(required=True, validate=validate.Range(min=0, max=1))
    worker_takes_grid = Number(required=True, validate=validate.Range(min=0, max=1))
    why = _why()


class RankingSchema(Schema):
    min_volume = fields.Integer(strict=True, load_default=0, validate=bounded(0, 1_000_000))
    prior_weight = Number(load_default=0.0, validate=validate.Range(min=0, max=1_000_000))
    commend_top = fields.Integer(strict=True, load_default=10, validate=bounded(0, 100_000))
    remind_bottom = fields.Integer(strict=True, load_default=5, validate=bounded(0, 100_000))
    why = _why()


class BandSchema(Schema):
    key = fields.String(required=True, validate=KEY)
    min = Number(required=True, validate=validate.Range(min=0, max=100))
    zh = Text(required=True, validate=validate.Length(max=20))
    en = Text(load_default=None, validate=validate.Length(max=40))


class PayTierSchema(Schema):
    band = fields.String(required=True, validate=KEY)
    tier = Text(required=True, validate=validate.Length(max=20))


class ConsequencesSchema(Schema):
    pass_mark = Number(load_default=60.0, validate=validate.Range(min=0, max=100))
    excellent_band = fields.String(load_default="excellent", validate=KEY)
    excellent_years = fields.Integer(strict=True, load_default=2, validate=bounded(1, 10))
    reserve_depths = fields.List(fields.Integer(strict=True, validate=bounded(1, 10)), load_default=lambda: [4, 5],
                                 validate=validate.Length(max=10))
    three_priorities = fields.Boolean(load_default=False, truthy={True}, falsy={False})
    why = _why()


class PlanSchema(Schema):
    code = fields.String(required=True, validate=PLAN_CODE)
    name = fields.Nested(NameSchema, required=True)
    why = _why()
    subject = fields.String(required=True, validate=validate.OneOf(SUBJECTS))
    period = fields.String(required=True, validate=validate.OneOf(PERIODS))
    parts = fields.List(fields.Nested(PartSchema), required=True, validate=validate.Length(min=1, max=MAX_PARTS))
    bound = fields.Nested(BoundSchema, load_default=None)
    ranking = fields.Nested(RankingSchema, load_default=lambda: RankingSchema().load({}))
    bands = fields.List(fields.Nested(BandSchema), required=True, validate=validate.Length(min=1, max=MAX_BANDS))
    pay_tiers = fields.List(fields.Nested(PayTierSchema), load_default=list, validate=validate.Length(max=MAX_BANDS))
    consequences = fields.Nested(ConsequencesSchema, load_default=lambda: ConsequencesSchema().load({}))

    @pre_load
    def _not_too_deep(self, data, **_):
        """Mixes nest at most MAX_DEPTH levels: checked before loading, without
        recursion, so a document nested a thousand deep is a 400, not a crash."""
        if not isinstance(data, dict):
            return data
        pending = [(data.get("parts"), ("parts",), 1)]
        while pending:
            parts, path, depth = pending.pop()
            if not isinstance(parts, list):
                continue
            if depth > MAX_DEPTH:
                raise ValidationError(_at(path, [f"mixes nest at most {MAX_DEPTH} levels deep"]))
            for index, part in enumerate(parts[:MAX_PARTS]):
                if isinstance(part, dict):
                    pending.append((part.get("parts"), path + (index, "parts"), depth + 1))
        return data

    @validates_schema
    def _whole(self, data, **_):
        errors = {}
        problem = _sum_error([p["weight"] for p in data["parts"]], "parts")
        if problem:
            errors["parts"] = [problem]
        _merge(errors, _duplicate_keys(data["parts"]))
        _merge(errors, _period_sources(data))
        if data.get("bound") is not None and (data["subject"] != "worker" or data["period"] == "year"):
            errors["bound"] = ["bound assessment binds workers and their chief in a month or quarter "
                               "(a year is made of quarterly results, bound already)"]
        _merge(errors, _bands(data))
        if errors:
            raise ValidationError(errors)


def _at(path, message):
    """``message`` nested under ``path`` (keys and list indices) as marshmallow names errors."""
    for step in reversed(path):
        message = {step: message}
    return message


def _merge(into, more):
    for key, value in more.items():
        if key in into and isinstance(into[key], dict) and isinstance(value, dict):
            _merge(into[key], value)
        elif key in into and isinstance(into[key], list) and isinstance(value, list):
            into[key] = into[key] + value
        elif key not in into:
            into[key] = value


def _walk(parts, path=("parts",)):
    """(path, part) for every part of the tree, parents first."""
    for index, part in enumerate(parts):
        here = path + (index,)
        yield here, part
        yield from _walk(part.get("parts") or (), here + ("parts",))


def _duplicate_keys(parts):
    errors, part_keys, indicator_keys = {}, set(), set()
    for path, part in _walk(parts):
        if part["key"] in part_keys:
            _merge(errors, _at(path + ("key",), [f"the part key {part['key']!r} is used twice"]))
        part_keys.add(part["key"])
        for index, indicator in enumerate(part.get("indicators") or ()):
            if indicator["key"] in indicator_keys:
                _merge(errors, _at(path + ("indicators", index, "key"),
                                   [f"the indicator key {indicator['key']!r} is used twice"]))
            indicator_keys.add(indicator["key"])
    return errors


def _period_sources(data):
    errors = {}
    for path, part in _walk(data["parts"]):
        quarterly = part["source"] == "quarterly_results"
        if data["period"] == "year" and not quarterly and len(path) == 2:
            _merge(errors, _at(path + ("source",), ["a year plan is made of quarterly results: "
                                                    "every part's source must be quarterly_results"]))
        elif data["period"] != "year" and quarterly:
            _merge(errors, _at(path + ("source",), ["quarterly results make a year plan only"]))
    return errors


def _bands(data):
    errors = {}
    bands = data["bands"]
    keys = [band["key"] for band in bands]
    for index, key in enumerate(keys):
        if key in keys[:index]:
            _merge(errors, _at(("bands", index, "key"), [f"the band {key!r} is named twice"]))
    for index in range(1, len(bands)):
        if bands[index]["min"] >= bands[index - 1]["min"]:
            _merge(errors, _at(("bands", index, "min"), ["bands must be listed from the highest minimum down, "
                                                         "each lower than the one before"]))
    if bands[-1]["min"] != 0:
        _merge(errors, _at(("bands", len(bands) - 1, "min"),
                           ["the lowest band must start at 0: every score needs a band"]))
    tiered = []
    for index, tier in enumerate(data["pay_tiers"]):
        if tier["band"] not in keys:
            _merge(errors, _at(("pay_tiers", index, "band"), [f"no band {tier['band']!r} in bands"]))
        elif tier["band"] in tiered:
            _merge(errors, _at(("pay_tiers", index, "band"), [f"the band {tier['band']!r} has a tier already"]))
        tiered.append(tier["band"])
    if data["consequences"]["excellent_band"] not in keys:
        _merge(errors, _at(("consequences", "excellent_band"),
                           [f"no band {data['consequences']['excellent_band']!r} in bands"]))
    return errors


# --- Loading --------------------------------------------------------------------------

def load_plan(document):
    """The Plan a document describes, or a 400 VALIDATION_FAILED naming every field
    path found wrong (``parts.1.parts.0.weight``)."""
    data = load(PlanSchema, document, "plan")
    return Plan(
        code=data["code"], name=dict(data["name"]), subject=data["subject"], period=data["period"],
        parts=tuple(_part(part) for part in data["parts"]),
        bands=tuple(Band(b["key"], b["min"], b["zh"], b["en"] or b["key"]) for b in data["bands"]),
        ranking=Ranking(**{k: v for k, v in data["ranking"].items() if k != "why"}),
        bound=Bound(**{k: v for k, v in data["bound"].items() if k != "why"}) if data["bound"] else None,
        pay_tiers={tier["band"]: tier["tier"] for tier in data["pay_tiers"]},
        consequences=ConsequenceRules(**{k: tuple(v) if isinstance(v, list) else v
                                         for k, v in data["consequences"].items() if k != "why"}),
        why=data["why"], document=_plain(data))


def _part(data):
    source_name = SOURCES[data["source"]]
    return Part(
        key=data["key"], name=dict(data["name"] or {"zh": source_name[0], "en": source_name[1]}),
        weight=data["weight"], source=data["source"],
        indicators=tuple(Indicator(
            key=i["key"], name=dict(i["name"] or MEASURES[i["measure"]].name), measure=i["measure"],
            direction=i["direction"], normalise=i["normalise"], weight=i["weight"], target=i["target"], why=i["why"])
            for i in data.get("indicators") or ()),
        parts=tuple(_part(p) for p in data.get("parts") or ()),
        rater_kinds=tuple(data.get("rater_kinds") or ()), plan=data.get("plan"), why=data["why"])


def _plain(data):
    """The validated document as plain JSON (what the storage keeps)."""
    return json.loads(json.dumps(data, ensure_ascii=False))


DEFAULTS_DIR = Path(__file__).resolve().parent / "plans"


@functools.cache
def default_plans():
    """The default plans, {code: Plan}, from ``plans/<code>.json``. A default that does
    not validate, or whose file is not named after its code, stops the start."""
    plans = {}
    for path in sorted(DEFAULTS_DIR.glob("*.json")):
        plan = load_plan(json.loads(path.read_text(encoding="utf-8")))
        if plan.code != path.stem:
            raise ValueError(f"{path.name} holds plan {plan.code!r}: the file must be named after its code")
        plans[plan.code] = plan
    return plans


def require_period(plan, period, *, field="period"):
    """The Period to run ``plan`` for, or a 400 naming ``field``: a plan runs for a
    period of its own kind, and a quarterly plan also for a year (its annual result,
    made of the quarters)."""
    period = parse_period(period, field=field)
    if period.kind == plan.period or (plan.period == "quarter" and period.kind == "year"):
        return period
    wanted = {"month": "a month (2026-07)", "quarter": "a quarter (2026-Q3) or a year (2026)",
              "year": "a year (2026)"}[plan.period]
    raise InvalidInput(f"Plan {plan.code} runs by {plan.period}: give {wanted}.", code="VALIDATION_FAILED",
                       details={"fields": {field: [f"must be {wanted} for plan {plan.code}"]}})
