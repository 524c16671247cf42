"""The judgement of an assessment as pure functions: plain data in, plain data out.

    assess(plan, subjects, *, entries=(), ratings=(), period=None, quarterly=None) -> [Result]
    annual(plan, quarter_results, *, year=None) -> [Result]
    consequences(results_by_year, plan, depths, *, year=None, party_members=()) -> Consequences
    normalise(indicator, value, *, low=None, high=None) -> points 0..100

Inputs (the query layer builds them from the fact tables; ``plan`` is a
``scoring.plans.Plan``):

- ``MeasureValue(value, volume=0, refs=())``: one measure of one subject for the period.
  ``value`` in the unit ``plans.MEASURES[key]`` gives (a rate in 0..full, None when
  nothing is behind it; a count). ``volume`` the number of facts behind it, ``refs``
  their ids (tickets, patrols, visits).
- ``SubjectFacts(subject_id, kind="worker", grid_code=None, role=None, measures={})``:
  a subject of the scope with its measures ``{measure key: MeasureValue}``. A worker's
  ``subject_id`` is their person id, ``grid_code`` the grid of their post, ``role`` the
  post's role (``grid_chief`` is a chief for bound assessment). A grid subject has
  ``subject_id == grid_code``. A missing measure counts as no data.
- ``SelfEntry(grid_code, month, points, max_points, ref=None)``: one item of a grid's
  monthly village self-assessment; ``month`` is "2026-07".
- ``Rating(kind, subject_id, score, scale_max, ref=None)``: one rating of a subject,
  ``score`` in 0..``scale_max`` (scaled to ``score / scale_max x 100``). ``kind`` is a
  rater kind of ``plans.RATER_KINDS`` ("resident" is also the survey) or
  ``plans.ITEM_KIND`` ("item", one of the street's own items, points of its maximum).
- ``quarterly``: ``{plan code: {"2026-Q1": [Result, ...], ...}}``, the published
  quarterly results a year plan (or ``annual``) is made of.

Outputs:

- ``Result(subject_kind, subject_id, grid_code, role, own_score, score, ranked_score,
  rank, band, pay_tier, volume, eligible, commended, reminded, breakdown, bound=None,
  members=())``: ``own_score`` is what the plan's parts give; ``score`` the final one
  (after bound assessment; else equal); ``ranked_score`` the score shrunk toward the
  scope's mean by volume, which ranks. ``bound`` is a ``BoundShare`` when bound
  assessment moved the score; ``members`` (grid results) the ``Member``\\ s it is the
  mean of. ``to_dict()`` / ``Result.from_dict()`` give and take plain JSON.
- ``Breakdown(key, name, kind, source, weight, points, contribution, to_total, value,
  volume, refs, no_data, note, detail, children)``: the tree of the own score. ``kind``
  "total" | "part" | "indicator" | "rater_kind" | "month" | "quarter"; ``weight`` its
  weight inside its parent (0..100); ``points`` 0..100; ``contribution`` = points x
  weight / 100 (the children's contributions add up to the parent's points);
  ``to_total`` its share of the own score (the parts' add up to it); ``value`` the
  raw value (a measure's value, a mean scaled rating, a month's share); ``volume`` the
  facts or ratings behind it (a node sums only children that carry weight);
  ``refs`` their ids; ``no_data`` when nothing was behind it (0 points).
- ``Consequences(year, contract_review, reserve_candidates, reserve_pool,
  party_candidates, employment_contract, pay_tiers)``, each a tuple of ``Listed``.

The rules, as the README tells them: a rate counts value / full x 100; minmax (v - min)
/ (max - min) x 100 over the subjects of the scope that have a value (all equal: 100,
whichever the direction, since nobody is behind anybody; but all 0 with higher better
gives 0, since nobody did anything); target min(v / target, 1) x 100; direction lower
gives 100 minus that. A part is the weighted mean of its children; a part with nothing
in it scores 0 and says so. Bound assessment, one pass on own scores: a chief's final =
(1 - a) x own + a x mean own of the workers at the chief's grid and the grids below it;
a worker's final = (1 - b) x own + b x mean own of everyone at the grid. Ranking:
``ranked = (volume x score + k x mean) / (volume + k)`` with k the plan's
``prior_weight`` and mean the scope's mean score; ranks compare ranked scores at 2
decimals, ties share a rank (1, 2, 2, 4); a subject below ``min_volume`` is ranked but
is neither commended nor reminded. The top ``commend_top`` eligible are commended and
then, of the other eligible, the bottom ``remind_bottom`` reminded; subjects tied at a
boundary are all in. Bands compare the final score at 2 decimals.
"""
import dataclasses
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Mapping

from scoring.periods import Period, parse_period
from scoring.plans import ITEM_KIND, MEASURES, RATER_KINDS, SURVEY_KIND, Part

CHIEF_ROLES = frozenset({"grid_chief"})
_RATER_NAMES = {kind: {"zh": zh, "en": en} for kind, (zh, en) in RATER_KINDS.items()}
DECIMALS = 2          # what people see, and so what ties and bands compare


# --- Inputs ---------------------------------------------------------------------------

@dataclass(frozen=True)
class MeasureValue:
    value: float | None = None
    volume: int = 0
    refs: tuple = ()


_NOTHING = MeasureValue()


@dataclass(frozen=True)
class SubjectFacts:
    subject_id: str
    kind: str = "worker"
    grid_code: str | None = None
    role: str | None = None
    measures: Mapping = field(default_factory=dict)


@dataclass(frozen=True)
class SelfEntry:
    grid_code: str
    month: str
    points: float
    max_points: float
    ref: str | None = None

    def __post_init__(self):
        if not self.max_points > 0 or not 0 <= self.points <= self.max_points:
            raise ValueError(f"a self-assessment item scores 0..max_points, max_points > 0: {self}")


@dataclass(frozen=True)
class Rating:
    kind: str
    subject_id: str
    score: float
    scale_max: float
    ref: str | None = None

    def __post_init__(self):
        if not self.scale_max > 0 or not 0 <= self.score <= self.scale_max:
            raise ValueError(f"a rating scores 0..scale_max, scale_max > 0: {self}")

    @property
    def points(self):
        return self.score / self.scale_max * 100


@dataclass(frozen=True)
class Deduction:
    """Points a confirmed integrity flag takes off a subject's own score."""
    flag_id: str
    pattern: str
    points: float

    def __post_init__(self):
        if not self.points > 0:
            raise ValueError(f"a deduction takes off points > 0: {self}")


INTEGRITY_NAME = {"zh": "数据真实性扣分", "en": "integrity deductions"}


# --- Outputs --------------------------------------------------------------------------

@dataclass(slots=True)
class Breakdown:
    """One node of a result's breakdown (read-only by convention: not frozen, because
    an assessment of ten thousand workers makes a quarter of a million of them)."""
    key: str
    name: dict
    kind: str
    source: str | None
    weight: float
    points: float
    contribution: float
    to_total: float
    value: float | None = None
    volume: int = 0
    refs: tuple = ()
    no_data: bool = False
    note: str | None = None
    detail: dict = field(default_factory=dict)
    children: tuple = ()

    def to_dict(self, *, max_refs=None, digits=None):
        """Plain JSON, leaving out what is at its default (no value, no refs, no note ...).
        ``max_refs`` caps each node's refs (``refs_more`` counts those left out);
        ``digits`` rounds the figures (None: as computed)."""
        r = _rounder(digits)
        data = {"key": self.key, "name": self.name, "kind": self.kind, "source": self.source,
                "weight": r(self.weight), "points": r(self.points), "contribution": r(self.contribution),
                "to_total": r(self.to_total)}
        if self.value is not None:
            data["value"] = r(self.value)
        if self.volume:
            data["volume"] = self.volume
        if self.refs:
            refs = self.refs if max_refs is None else self.refs[:max_refs]
            data["refs"] = list(refs)
            if len(refs) < len(self.refs):
                data["refs_more"] = len(self.refs) - len(refs)
        if self.no_data:
            data["no_data"] = True
        if self.note is not None:
            data["note"] = self.note
        if self.detail:
            data["detail"] = self.detail
        if self.children:
            data["children"] = [child.to_dict(max_refs=max_refs, digits=digits) for child in self.children]
        return data

    @classmethod
    def from_dict(cls, data):
        return cls(key=data["key"], name=data["name"], kind=data["kind"], source=data["source"],
                   weight=data["weight"], points=data["points"], contribution=data["contribution"],
                   to_total=data["to_total"], value=data.get("value"), volume=data.get("volume", 0),
                   refs=tuple(data.get("refs") or ()), no_data=data.get("no_data", False), note=data.get("note"),
                   detail=data.get("detail") or {},
                   children=tuple(cls.from_dict(child) for child in data.get("children") or ()))

    def find(self, *keys):
        """The node down the path of child keys (``find("street", "indicators")``)."""
        node = self
        for key in keys:
            node = next(child for child in node.children if child.key == key)
        return node


def _rounder(digits):
    if digits is None:
        return lambda x: x
    return lambda x: round(x, digits) if isinstance(x, float) else x


@dataclass(frozen=True)
class BoundShare:
    """``final = (1 - share) x own + share x others``; ``others`` is the mean own score
    of the subjects ``of``."""
    rule: str            # "chief_takes_workers" | "worker_takes_grid"
    share: float
    own: float
    others: float
    of: tuple


@dataclass(frozen=True)
class Member:
    subject_id: str
    role: str | None
    own_score: float
    volume: int


@dataclass(frozen=True)
class Result:
    subject_kind: str
    subject_id: str
    grid_code: str | None
    role: str | None
    own_score: float
    score: float
    ranked_score: float
    rank: int
    band: str
    pay_tier: str | None
    volume: int
    eligible: bool
    commended: bool
    reminded: bool
    breakdown: Breakdown
    bound: BoundShare | None = None
    members: tuple = ()

    def to_dict(self, *, max_refs=None, digits=None):
        """Plain JSON (see Breakdown.to_dict for ``max_refs`` and ``digits``)."""
        r = _rounder(digits)
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data.update(own_score=r(self.own_score), score=r(self.score), ranked_score=r(self.ranked_score),
                    breakdown=self.breakdown.to_dict(max_refs=max_refs, digits=digits))
        data["bound"] = dict(dataclasses.asdict(self.bound), own=r(self.bound.own), others=r(self.bound.others),
                             of=list(self.bound.of)) if self.bound else None
        data["members"] = [dict(dataclasses.asdict(m), own_score=r(m.own_score)) for m in self.members]
        return data

    @classmethod
    def from_dict(cls, data):
        data = dict(data)
        data["breakdown"] = Breakdown.from_dict(data["breakdown"])
        if data.get("bound"):
            data["bound"] = BoundShare(**dict(data["bound"], of=tuple(data["bound"]["of"])))
        data["members"] = tuple(Member(**member) for member in data.get("members") or ())
        return cls(**data)


@dataclass(frozen=True)
class Listed:
    """One line of a consequence list. ``years``: ((year, score, band), ...) behind it."""
    subject_id: str
    grid_code: str | None
    score: float
    band: str
    tier: str | None = None
    years: tuple = ()


@dataclass(frozen=True)
class Consequences:
    year: int
    contract_review: tuple       # 解聘审查: failed the year (score below pass_mark)
    reserve_candidates: tuple    # 后备干部: excellent excellent_years running, at a grid of a reserve depth
    reserve_pool: tuple          # 三个优先 (plans with three_priorities): 优先纳入后备库
    party_candidates: tuple      # 优先列为入党培养对象 (those not party members)
    employment_contract: tuple   # 优先签订聘用合同
    pay_tiers: tuple             # 以分定绩、以绩取酬: every result whose band has a tier

    def to_dict(self):
        return dataclasses.asdict(self)


# --- Normalisation --------------------------------------------------------------------

def normalise(indicator, value, *, low=None, high=None):
    """Points 0..100 for ``value`` of ``indicator`` (a plans.Indicator); ``low`` and
    ``high`` are the scope's minimum and maximum (minmax only)."""
    if indicator.normalise == "rate":
        points = value / MEASURES[indicator.measure].full * 100
    elif indicator.normalise == "minmax":
        if high == low:  # nobody is behind anybody; but nobody earns points for nothing done
            return 0.0 if high == 0 and indicator.direction == "higher" else 100.0
        points = (value - low) / (high - low) * 100
    else:
        points = min(value / indicator.target, 1) * 100
    points = min(max(points, 0.0), 100.0)
    return 100.0 - points if indicator.direction == "lower" else points


# --- The own score: one tree per subject ----------------------------------------------

@dataclass
class _Context:
    period: Period | None
    scope: dict                  # indicator key -> (low, high, detail) over the scope
    ratings: dict                # (subject_id, kind) -> [Rating]
    entries: dict                # grid_code -> {month text: [SelfEntry]}
    quarterly: dict              # plan code -> {quarter text: {subject_id: Result}}
    deductions: dict = field(default_factory=dict)   # subject_id -> [Deduction]
    grid_parts: dict = field(default_factory=dict)   # (part key, grid code) -> node, shared by the grid's people


def _node(key, name, kind, source, weight, factor, children, detail=None):
    """A node whose points are the weighted sum of its children's."""
    points, volume, no_data = 0.0, 0, True
    for child in children:
        points += child.contribution
        if child.weight > 0:
            volume += child.volume
        no_data = no_data and child.no_data
    return Breakdown(key, name, kind, source, weight, points, points * weight / 100, points * factor, None, volume,
                     (), no_data, "no data" if no_data else None, detail or {}, tuple(children))


def _leaf(key, name, kind, source, weight, factor, points, value=None, volume=0, refs=(), no_data=False,
          detail=None):
    """A node of its own points (0 with no data)."""
    if no_data:
        points = 0.0
    return Breakdown(key, name, kind, source, weight, points, points * weight / 100, points * factor, value, volume,
                     tuple(refs), no_data, "no data" if no_data else None, detail or {})


def _part(part, subject, ctx, factor):
    """The node of ``part`` for ``subject``; ``factor`` = what 1 point here is worth in
    the total (the product of the weights above, as fractions)."""
    source = part.source
    if source in ("indicators", "mix"):
        if source == "indicators":
            children = [_indicator(i, subject, ctx, factor * i.weight / 100) for i in part.indicators]
        else:
            children = [_part(p, subject, ctx, factor * p.weight / 100) for p in part.parts]
        return _node(part.key, part.name, "part", source, part.weight, factor, children)
    if source == "ratings":
        return _ratings_part(part, subject, ctx, factor)
    if source == "survey":
        found = ctx.ratings.get((subject.subject_id, SURVEY_KIND), [])
        return _rated(part.key, part.name, "part", source, part.weight, factor, found)
    if source == "items":
        return _items_part(part, subject, ctx, factor)
    if source == "ticket_satisfaction":
        measure = subject.measures.get("satisfaction") or MeasureValue()
        no_data = measure.value is None
        points = 0.0 if no_data else min(max(measure.value / MEASURES["satisfaction"].full * 100, 0.0), 100.0)
        return _leaf(part.key, part.name, "part", source, part.weight, factor, points, value=measure.value,
                     volume=measure.volume, refs=tuple(measure.refs), no_data=no_data,
                     detail={"measure": "satisfaction"})
    if source == "self_assessments":
        return _self_part(part, subject, ctx, factor)
    if source == "quarterly_results":
        return _quarters_part(part, subject, ctx, factor)
    raise ValueError(f"unknown source {source}")


def _indicator(indicator, subject, ctx, factor):
    measure = subject.measures.get(indicator.measure) or _NOTHING
    low, high, detail = ctx.scope[indicator.key]
    no_data = measure.value is None
    points = 0.0 if no_data else normalise(indicator, measure.value, low=low, high=high)
    return _leaf(indicator.key, indicator.name, "indicator", "indicators", indicator.weight, factor, points,
                 measure.value, measure.volume, measure.refs, no_data, detail)


def _rated(key, name, kind, source, weight, factor, ratings):
    """A node worth the mean of ``ratings`` scaled to 0..100."""
    if not ratings:
        return _leaf(key, name, kind, source, weight, factor, 0.0, no_data=True)
    value = sum(r.score / r.scale_max for r in ratings) * 100 / len(ratings)
    return _leaf(key, name, kind, source, weight, factor, value, value, len(ratings),
                 [r.ref for r in ratings if r.ref is not None])


def _ratings_part(part, subject, ctx, factor):
    """The mean of the rater kinds' means, each present kind counting equally (a kind
    nobody rated in is shown with no data and weight 0: not the subject's doing)."""
    found = {kind: ctx.ratings.get((subject.subject_id, kind), ()) for kind in part.rater_kinds}
    present = [kind for kind in part.rater_kinds if found[kind]]
    children = []
    for kind in part.rater_kinds:
        weight = 100 / len(present) if kind in present else 0.0
        children.append(_rated(kind, _RATER_NAMES[kind], "rater_kind", "ratings", weight,
                               factor * weight / 100, found[kind]))
    return _node(part.key, part.name, "part", "ratings", part.weight, factor, children)


def _items_part(part, subject, ctx, factor):
    """The street's items: points given over points possible, x 100 (an item with a
    larger maximum counts more, as on a points sheet)."""
    items = ctx.ratings.get((subject.subject_id, ITEM_KIND), [])
    no_data = not items
    possible = sum(r.scale_max for r in items)
    value = None if no_data else sum(r.score for r in items) / possible * 100
    detail = {"items": [{"ref": r.ref, "points": r.score, "max_points": r.scale_max} for r in items]}
    return _leaf(part.key, part.name, "part", "items", part.weight, factor, value or 0.0, value=value,
                 volume=len(items), refs=tuple(r.ref for r in items if r.ref is not None), no_data=no_data,
                 detail=detail)


def _self_part(part, subject, ctx, factor):
    """The grid's months: each month's points over its maximum, the part the mean of
    the months entered, x 100; the months of the period with no entry are named. Every
    worker of the grid takes the grid's (one node, shared)."""
    cached = ctx.grid_parts.get((part.key, subject.grid_code))
    if cached is None:
        cached = ctx.grid_parts[(part.key, subject.grid_code)] = _grid_self_part(part, subject, ctx, factor)
    return cached


def _grid_self_part(part, subject, ctx, factor):
    by_month = ctx.entries.get(subject.grid_code, {}) if subject.grid_code else {}
    months = sorted(by_month)
    expected = [str(m) for m in ctx.period.months()] if ctx.period else months
    missing = [m for m in expected if m not in by_month]
    children = []
    for month in months:
        entries = by_month[month]
        share = sum(e.points for e in entries) / sum(e.max_points for e in entries)
        weight = 100 / len(months)
        children.append(_leaf(month, {"zh": month, "en": month}, "month", "self_assessments", weight,
                              factor * weight / 100, share * 100, value=share, volume=len(entries),
                              refs=tuple(e.ref for e in entries if e.ref is not None),
                              detail={"points": sum(e.points for e in entries),
                                      "max_points": sum(e.max_points for e in entries)}))
    node = _node(part.key, part.name, "part", "self_assessments", part.weight, factor, children,
                 detail={"grid_code": subject.grid_code, "missing": missing})
    if children and missing:
        node = dataclasses.replace(node, note="missing months: " + ", ".join(missing))
    return node


def _quarters_part(part, subject, ctx, factor):
    """The mean of the subject's quarterly results of ``part.plan``; missing quarters named."""
    by_quarter = ctx.quarterly.get(part.plan, {})
    present = sorted(q for q, results in by_quarter.items() if subject.subject_id in results)
    expected = [str(q) for q in ctx.period.quarters()] if ctx.period else sorted(by_quarter)
    missing = [q for q in expected if q not in present]
    children = []
    for quarter in present:
        result = by_quarter[quarter][subject.subject_id]
        weight = 100 / len(present)
        children.append(_leaf(quarter, {"zh": quarter, "en": quarter}, "quarter", "quarterly_results", weight,
                              factor * weight / 100, result.score, value=result.score, volume=result.volume,
                              detail={"band": result.band, "rank": result.rank}))
    node = _node(part.key, part.name, "part", "quarterly_results", part.weight, factor, children,
                 detail={"plan": part.plan, "missing": missing})
    if children and missing:
        node = dataclasses.replace(node, note="missing quarters: " + ", ".join(missing))
    return node


def _own(plan, subject, ctx):
    parts = [_part(part, subject, ctx, part.weight / 100) for part in plan.parts]
    total = _node("total", plan.name, "total", None, 100.0, 1.0, parts)
    deductions = ctx.deductions.get(subject.subject_id) if plan.subject != "grid" else None
    return _deducted(total, deductions) if deductions else total


def _deducted(total, deductions):
    """``total`` with its integrity line."""
    return _node(total.key, total.name, total.kind, total.source, total.weight, 1.0,
                 total.children + (_deductions(deductions, total.points),), total.detail)


def _grid_deductions(rows, ctx):
    """A grid's score is its people's mean, so it loses the mean of their deductions
    (given by person, or by grid already shared out)."""
    for row in rows:
        people = len(row.members) or 1
        deductions = list(ctx.deductions.get(row.subject_id, ())) + [
            Deduction(d.flag_id, d.pattern, d.points / people)
            for member in row.members for d in ctx.deductions.get(member.subject_id, ())]
        if deductions:
            row.breakdown = _deducted(row.breakdown, deductions)
            row.own = row.score = row.breakdown.points


def _deductions(deductions, earned):
    """The integrity line: one child per confirmed flag, taking off its points, never
    more than the parts earned (a score does not go below 0)."""
    children, left = [], earned
    for deduction in deductions:
        points = min(deduction.points, max(left, 0.0))
        left -= points
        children.append(_leaf(deduction.flag_id, {"zh": deduction.pattern, "en": deduction.pattern}, "deduction",
                              "integrity_flags", 100.0, 1.0, -points, value=deduction.points, refs=(deduction.flag_id,),
                              detail={"pattern": deduction.pattern}))
    return _node("integrity", INTEGRITY_NAME, "deductions", "integrity_flags", 100.0, 1.0, children)


# --- Putting it together --------------------------------------------------------------

def assess(plan, subjects, *, entries=(), ratings=(), period=None, quarterly=None, deductions=None):
    """The results of ``plan`` for ``subjects`` (the whole ranking scope), best first.

    ``period`` (a Period or its text) keeps self-assessment entries to its months and
    names the months (or quarters) missing; without it every entry given counts.
    ``deductions`` ({subject_id: [Deduction]}): confirmed integrity flags, each a line
    of the breakdown's ``integrity`` node taking its points off the own score (a grid
    subject's, by its code, are its people's already shared out).
    A grid plan turns worker subjects into one result per grid (the mean of its
    people's own scores); grid subjects are scored as they are."""
    period = parse_period(period) if period is not None else None
    subjects = list(subjects)
    ids = [s.subject_id for s in subjects]
    if len(set(ids)) != len(ids):
        raise ValueError("a subject is given twice")
    ctx = _Context(period=period, scope=_scope(plan, subjects), ratings=_ratings_index(ratings),
                   entries=_entries_index(entries, period), quarterly=_quarterly_index(quarterly or {}),
                   deductions={subject: list(items) for subject, items in (deductions or {}).items()})
    owns = [(subject, _own(plan, subject, ctx)) for subject in subjects]
    if plan.subject == "grid" and plan.period != "year":
        rows = _grids(owns)
        _grid_deductions(rows, ctx)
    else:
        rows = [_Row(subject.kind, subject.subject_id, subject.grid_code, subject.role, tree.points, tree.points,
                     tree.volume, tree) for subject, tree in owns]
        if plan.bound and plan.period != "year":
            _bind(rows, plan.bound)
    return _rank(rows, plan)


def annual(plan, quarter_results, *, year=None):
    """The year's results of quarterly ``plan``: each subject's score is the mean of the
    quarters it has (missing ones named in the breakdown), volume their sum, ranked,
    banded and commended by the plan's rules. ``quarter_results`` is
    ``{"2026-Q1": [Result, ...], ...}`` (Period keys too)."""
    quarters = {parse_period(q, field="quarter"): list(results) for q, results in quarter_results.items()}
    if any(q.kind != "quarter" for q in quarters):
        raise ValueError("annual results are made of quarters")
    years = {q.year for q in quarters} | ({int(year)} if year is not None else set())
    if len(years) != 1:
        raise ValueError(f"quarters of one year only: {sorted(years)}")
    year_period = Period(years.pop(), "year")
    latest = {}
    for quarter in sorted(quarters, key=lambda q: q.number):
        for result in quarters[quarter]:
            latest[result.subject_id] = result
    subjects = [SubjectFacts(r.subject_id, r.subject_kind, r.grid_code, r.role) for r in latest.values()]
    yearly = dataclasses.replace(
        plan, period="year", bound=None,
        parts=(Part(key="quarters", name={"zh": "季度考核结果", "en": "quarterly results"}, weight=100.0,
                    source="quarterly_results", plan=plan.code),))
    return assess(yearly, subjects, period=year_period,
                  quarterly={plan.code: {str(q): results for q, results in quarters.items()}})


@dataclass
class _Row:
    kind: str
    subject_id: str
    grid_code: str | None
    role: str | None
    own: float
    score: float
    volume: int
    breakdown: Breakdown
    bound: BoundShare | None = None
    members: tuple = ()


def _scope(plan, subjects):
    """{indicator key: (min, max, detail)}: the scope's minimum and maximum of a minmax
    indicator's values over the subjects that have one, and the detail every subject's
    node of that indicator shows (one dict, shared)."""
    scope = {}
    for indicator in _indicators(plan.parts):
        detail = {"measure": indicator.measure, "direction": indicator.direction, "normalise": indicator.normalise}
        low = high = None
        if indicator.normalise == "target":
            detail["target"] = indicator.target
        if indicator.normalise == "minmax":
            values = [m.value for s in subjects if (m := s.measures.get(indicator.measure)) and m.value is not None]
            low, high = (min(values), max(values)) if values else (None, None)
            detail.update(scope_min=low, scope_max=high)
        scope[indicator.key] = (low, high, detail)
    return scope


def _indicators(parts):
    for part in parts:
        yield from part.indicators
        yield from _indicators(part.parts)


def _ratings_index(ratings):
    index = defaultdict(list)
    for rating in ratings:
        index[(rating.subject_id, rating.kind)].append(rating)
    return index


def _entries_index(entries, period):
    index = defaultdict(lambda: defaultdict(list))
    for entry in entries:
        month = parse_period(entry.month, field="month")
        if month.kind != "month":
            raise ValueError(f"a self-assessment is monthly: {entry.month}")
        if period is None or period.contains(month.start_day):
            index[entry.grid_code][str(month)].append(entry)
    return index


def _quarterly_index(quarterly):
    return {code: {str(parse_period(q, field="quarter")): {r.subject_id: r for r in results}
                   for q, results in by_quarter.items()}
            for code, by_quarter in quarterly.items()}


def _mean(values):
    values = list(values)
    return sum(values) / len(values)


def _bind(rows, bound):
    """Bound assessment, one pass over own scores (no iteration). A chief answers for the
    workers of their grid and of the grids below it (a village's 网格长 over its grids);
    a worker shares with the people of their own grid."""
    by_grid = defaultdict(list)
    for row in rows:
        if row.grid_code and row.kind == "worker":
            by_grid[row.grid_code].append(row)
    chiefs_grids = {row.grid_code for row in rows if row.kind == "worker" and row.role in CHIEF_ROLES and row.grid_code}
    lengths = sorted({len(code) for code in chiefs_grids})
    under = defaultdict(list)  # chief's grid code -> the non-chief workers at it or below it
    for code, people in by_grid.items():
        for length in lengths:
            if length <= len(code) and code[:length] in chiefs_grids:
                under[code[:length]].extend(p for p in people if p.role not in CHIEF_ROLES)
    for row in rows:
        people = by_grid.get(row.grid_code) if row.kind == "worker" else None
        if not people:
            continue
        if row.role in CHIEF_ROLES:
            others = under.get(row.grid_code)
            if not others:
                continue
            share, rule = bound.chief_takes_workers, "chief_takes_workers"
        else:
            others, share, rule = people, bound.worker_takes_grid, "worker_takes_grid"
        mean = _mean(p.own for p in others)
        row.score = (1 - share) * row.own + share * mean
        row.bound = BoundShare(rule=rule, share=share, own=row.own, others=mean,
                               of=tuple(sorted(p.subject_id for p in others)))


def _grids(owns):
    """One row per grid from its people's own trees: the mean, node by node."""
    by_grid = defaultdict(list)
    for subject, tree in owns:
        if subject.kind == "grid":
            by_grid[subject.grid_code or subject.subject_id].append((subject, tree))
        elif subject.grid_code:
            by_grid[subject.grid_code].append((subject, tree))
    rows = []
    for code in sorted(by_grid):
        people = by_grid[code]
        tree = _average([tree for _, tree in people])
        members = tuple(Member(s.subject_id, s.role, t.points, t.volume) for s, t in people if s.kind != "grid")
        rows.append(_Row("grid", code, code, None, tree.points, tree.points,
                         sum(t.volume for _, t in people), tree, members=members))
    return rows


def _average(trees):
    """The mean of same-shaped trees: points, contributions and shares averaged over all
    of them, volumes summed, refs joined."""
    if len(trees) == 1:
        return trees[0]
    first = trees[0]
    values = [t.value for t in trees if t.value is not None]
    refs = tuple(dict.fromkeys(ref for t in trees for ref in t.refs))
    children = tuple(_average([t.children[i] for t in trees]) for i in range(len(first.children)))
    no_data = all(t.no_data for t in trees)
    return dataclasses.replace(
        first, weight=_mean(t.weight for t in trees), points=_mean(t.points for t in trees),
        contribution=_mean(t.contribution for t in trees), to_total=_mean(t.to_total for t in trees),
        value=_mean(values) if values else None, volume=sum(t.volume for t in trees), refs=refs,
        no_data=no_data, note=first.note if no_data else None, children=children)


def _rank(rows, plan):
    ranking = plan.ranking
    if not rows:
        return []
    mean = _mean(row.score for row in rows)
    k = ranking.prior_weight

    def shrunk(row):
        return row.score if row.volume + k == 0 else (row.volume * row.score + k * mean) / (row.volume + k)

    ranked = {row.subject_id: shrunk(row) for row in rows}
    shown = {sid: round(value, DECIMALS) for sid, value in ranked.items()}
    ranks = _competition_ranks(shown)
    eligible = {row.subject_id for row in rows if row.volume >= ranking.min_volume}
    commended, reminded = set(), set()
    if ranking.commend_top:
        top = _competition_ranks({sid: shown[sid] for sid in eligible})
        commended = {sid for sid, rank in top.items() if rank <= ranking.commend_top}
    rest = {sid: -shown[sid] for sid in eligible - commended}
    if ranking.remind_bottom:
        bottom = _competition_ranks(rest)
        reminded = {sid for sid, rank in bottom.items() if rank <= ranking.remind_bottom}
    results = []
    for row in rows:
        band = next(b for b in plan.bands if round(row.score, DECIMALS) >= b.min)
        results.append(Result(
            subject_kind=row.kind, subject_id=row.subject_id, grid_code=row.grid_code, role=row.role,
            own_score=row.own, score=row.score, ranked_score=ranked[row.subject_id], rank=ranks[row.subject_id],
            band=band.key, pay_tier=plan.pay_tiers.get(band.key), volume=row.volume,
            eligible=row.subject_id in eligible, commended=row.subject_id in commended,
            reminded=row.subject_id in reminded, breakdown=row.breakdown, bound=row.bound, members=row.members))
    return sorted(results, key=lambda r: (r.rank, r.subject_id))


def _competition_ranks(scores):
    """{id: rank}, highest first; equal scores share a rank, the next skips (1, 2, 2, 4)."""
    ordered = sorted(scores.values(), reverse=True)
    first_at = {}
    for position, score in enumerate(ordered, start=1):
        first_at.setdefault(score, position)
    return {sid: first_at[score] for sid, score in scores.items()}


# --- Consequences ---------------------------------------------------------------------

def consequences(results_by_year, plan, depths, *, year=None, party_members=()):
    """The lists a street acts on for ``year`` (default: the latest given), from the
    annual results of ``plan`` by year (``{2025: [Result], 2026: [Result]}``, year
    keys as ints, "2026" or Periods) and ``depths`` ({grid_code: depth}). Workers only.

    - contract review: the year's score (at 2 decimals) below ``pass_mark``;
    - reserve cadre candidates: in the ``excellent_band`` each of the last
      ``excellent_years`` years up to ``year``, at a grid whose depth is one of
      ``reserve_depths`` (Dianbai's level-4 and level-5 workers);
    - with ``three_priorities`` (Pinggu), the year's excellent workers: reserve pool,
      party candidacy (those not in ``party_members``), employment contract;
    - pay tiers: every worker whose band has a tier."""
    by_year = {}
    for key, results in results_by_year.items():
        number = key.year if isinstance(key, Period) else int(key)
        by_year[number] = {r.subject_id: r for r in results if r.subject_kind == "worker"}
    year = int(year) if year is not None else max(by_year, default=None)
    if year is None:
        raise ValueError("no year to list consequences for")
    rules = plan.consequences
    current = sorted(by_year.get(year, {}).values(), key=lambda r: (-round(r.score, DECIMALS), r.subject_id))
    party_members = set(party_members)

    def listed(result, **extra):
        return Listed(result.subject_id, result.grid_code, result.score, result.band, **extra)

    review = tuple(listed(r) for r in current if round(r.score, DECIMALS) < rules.pass_mark)
    reserve = []
    streak_years = range(year - rules.excellent_years + 1, year + 1)
    for result in current:
        streak = [by_year.get(y, {}).get(result.subject_id) for y in streak_years]
        if all(r is not None and r.band == rules.excellent_band for r in streak) \
                and depths.get(result.grid_code) in rules.reserve_depths:
            reserve.append(listed(result, years=tuple((y, r.score, r.band) for y, r in zip(streak_years, streak))))
    excellent = [r for r in current if r.band == rules.excellent_band] if rules.three_priorities else []
    return Consequences(
        year=year, contract_review=review, reserve_candidates=tuple(reserve),
        reserve_pool=tuple(listed(r) for r in excellent),
        party_candidates=tuple(listed(r) for r in excellent if r.subject_id not in party_members),
        employment_contract=tuple(listed(r) for r in excellent),
        pay_tiers=tuple(listed(r, tier=r.pay_tier) for r in current if r.pay_tier is not None))
