"""Assessments as stored records, free of nameko: plans by version, a plan run over a
period and a scope as a draft, publishing (immutable after), corrections as new
versions with their reason, and the readings of results, rankings and consequences.

The judgement itself is scoring.engine's; what it is fed comes from the fact tables
(scoring.measures) and the entries people made (scoring.entries)."""
import json
import uuid
from collections import Counter, defaultdict

from sqlalchemy import delete, func, insert, select, text

from common import keyset
from common.db import utcnow
from common.errors import Conflict, InvalidInput, NotFound
from scoring import engine, measures
from scoring.integrity import flags as integrity_flags
from scoring.models import Assessment, AssessmentResult, PlanVersion, Rating, SelfAssessment, StreetItems
from scoring.periods import parse_period
from scoring.plans import ITEM_KIND, default_plans, load_plan, require_period

STORED_REFS = 20  # refs kept in a stored breakdown per node; refs_of gives them all
DIGITS = 2  # what people see


class PlanNotFound(NotFound):
    code = "PLAN_NOT_FOUND"


class AssessmentNotFound(NotFound):
    code = "ASSESSMENT_NOT_FOUND"


class AssessmentPublished(Conflict):
    code = "ASSESSMENT_PUBLISHED"


class NothingToAssess(InvalidInput):
    code = "NOTHING_TO_ASSESS"


# --- plans ------------------------------------------------------------------------------

def ensure_default_plans(session, now=None):
    """Store each default plan whose code has no version yet (its version 1)."""
    stored = set(session.scalars(select(PlanVersion.code).distinct()))
    for code, plan in default_plans().items():
        if code not in stored:
            session.add(PlanVersion(code=code, version=1, document=plan.document, created_at=now or utcnow(),
                                    created_by="system"))


def save_plan(session, document, author):
    """A new version of the plan ``document["code"]`` (1 for a new code)."""
    plan = load_plan(document)
    latest = session.scalar(select(func.max(PlanVersion.version)).where(PlanVersion.code == plan.code)) or 0
    row = PlanVersion(code=plan.code, version=latest + 1, document=plan.document, created_at=utcnow(),
                      created_by=author)
    session.add(row)
    session.flush()
    return plan_view(row)


def plan_view(row, with_document=True):
    view = {"code": row.code, "version": row.version, "name": row.document["name"],
            "subject": row.document["subject"], "period": row.document["period"],
            "created_at": row.created_at.isoformat(), "created_by": row.created_by}
    if with_document:
        view["document"] = row.document
    return view


def plan_row(session, code, version=None):
    query = select(PlanVersion).where(PlanVersion.code == code)
    query = query.where(PlanVersion.version == version) if version else query.order_by(PlanVersion.version.desc())
    row = session.scalars(query.limit(1)).first()
    if row is None:
        raise PlanNotFound(f"No plan {code}" + (f" version {version}" if version else "") + ".",
                           details={"field": "plan"})
    return row


def list_plans(session, after=None, limit=None):
    """Plans at their latest version, by code, a page at a time: ``{"items", "next"}``."""
    latest = select(PlanVersion.code, func.max(PlanVersion.version).label("version")).group_by(
        PlanVersion.code).subquery()
    query = select(PlanVersion).join(
        latest, (PlanVersion.code == latest.c.code) & (PlanVersion.version == latest.c.version))
    page = keyset.page(session, query, (PlanVersion.code,), cursor=after, limit=limit, noun="plan")
    return page.answer([plan_view(row, with_document=False) for row in page.rows])


def plan_versions(session, code):
    rows = session.scalars(select(PlanVersion).where(PlanVersion.code == code).order_by(PlanVersion.version)).all()
    if not rows:
        raise PlanNotFound(f"No plan {code}.", details={"field": "code"})
    return [plan_view(row) for row in rows]


# --- running ------------------------------------------------------------------------------

def compute(session, plan, period, scope):
    """engine.Result list of ``plan`` over ``scope`` for ``period`` (a Period), from the
    facts and the entries as they are now."""
    if period.kind == "year" and plan.period == "quarter":
        return _annual(session, plan, period, scope)
    # A grid plan counts each grid's facts together (a chief with no tickets of their own
    # does not halve the grid's satisfaction), a worker plan each person's.
    subjects = measures.subjects_of(session, scope, period.start_day, period.end_day,
                                    kind="grid" if plan.subject == "grid" else "worker")
    if not subjects:
        raise NothingToAssess(f"Nobody held a post in {scope} during {period}.", details={"field": "scope"})
    keys = _measure_keys(plan.parts)
    measured = measures.measure_all(session, subjects, scope, period.start_day, period.end_day, keys)
    facts = [engine.SubjectFacts(
        subject.subject_id, subject.kind, subject.grid_code,
        "grid_chief" if "grid_chief" in subject.roles else (subject.roles[0] if subject.roles else None),
        {key: engine.MeasureValue(m.value, m.volume, tuple(m.refs)) for key, m in measured[subject.subject_id].items()})
        for subject in subjects.values()]
    return engine.assess(plan, facts, entries=_entries(session, period, scope),
                         ratings=_ratings(session, period, subjects), period=period,
                         quarterly=_quarterly(session, plan, period, scope),
                         deductions=_deductions(session, plan, period, scope, subjects))


def _deductions(session, plan, period, scope, subjects):
    """Confirmed integrity flags as the engine's deductions: by person, or for a grid
    plan by grid, each shared out over the people posted there in the period."""
    if plan.subject != "grid":
        found = integrity_flags.deductions_of(session, list(subjects), period)
        return {person: [engine.Deduction(*item) for item in items] for person, items in found.items()}
    people = measures.subjects_of(session, scope, period.start_day, period.end_day, kind="worker")
    found = integrity_flags.deductions_of(session, list(people), period)
    if not found:
        return {}
    staffed = Counter(person.grid_code for person in people.values())
    shared = defaultdict(list)
    for person, items in found.items():
        grid = people[person].grid_code
        if grid in subjects:
            shared[grid] += [engine.Deduction(flag, pattern, points / staffed[grid]) for flag, pattern, points in items]
    return dict(shared)


def _measure_keys(parts):
    keys = set()
    for part in parts:
        keys |= {indicator.measure for indicator in part.indicators}
        keys |= set(_measure_keys(part.parts))
        if part.source == "ticket_satisfaction":
            keys.add("satisfaction")
    return sorted(keys)


def _entries(session, period, scope):
    months = [str(month) for month in period.months()] if period.kind != "month" else [str(period)]
    rows = session.execute(select(SelfAssessment.grid_code, SelfAssessment.month, SelfAssessment.points,
                                  SelfAssessment.max_points).where(
        SelfAssessment.month.in_(months), SelfAssessment.grid_code.startswith(scope))).all()
    return [engine.SelfEntry(grid, month, points, max_points, ref=f"{month}:{grid}")
            for grid, month, points, max_points in rows]


def _ratings(session, period, subjects):
    ids = list(subjects)
    rated = [engine.Rating(kind, subject, score, scale, ref=rating_id) for rating_id, kind, subject, score, scale in
             session.execute(select(Rating.id, Rating.kind, Rating.subject_person_id, Rating.score, Rating.scale_max)
                             .where(Rating.period == str(period), Rating.subject_person_id.in_(ids))).all()]
    items = [engine.Rating(ITEM_KIND, subject, points, max_points, ref=f"{period}:{subject}")
             for subject, points, max_points in session.execute(
                 select(StreetItems.subject_id, StreetItems.points, StreetItems.max_points).where(
                     StreetItems.period == str(period), StreetItems.subject_id.in_(ids))).all()]
    return rated + items


def _published_results(session, plan_code, period_text, scope):
    assessment = session.scalars(select(Assessment).where(
        Assessment.plan_code == plan_code, Assessment.period == period_text, Assessment.scope == scope,
        Assessment.status == "published")).first()
    if assessment is None:
        return None
    names = assessment.summary.get("names") or {}
    return [engine_result(row, names) for row in results(session, assessment.id)]


def _quarterly(session, plan, period, scope):
    """For a year plan: the published quarterly results of the plans it names."""
    if plan.period != "year":
        return None
    codes = {part.plan for part in _all_parts(plan.parts) if part.source == "quarterly_results"}
    return {code: {str(q): results for q in period.quarters()
                   if (results := _published_results(session, code, str(q), scope)) is not None}
            for code in codes}


def _all_parts(parts):
    for part in parts:
        yield part
        yield from _all_parts(part.parts)


def _annual(session, plan, period, scope):
    """A quarterly plan run for a year: the mean of its published quarters."""
    quarters = {str(q): results for q in period.quarters()
                if (results := _published_results(session, plan.code, str(q), scope)) is not None}
    if not quarters:
        raise NothingToAssess(f"No quarter of {period} has a published {plan.code} assessment of {scope}.",
                              details={"field": "period"})
    return engine.annual(plan, quarters, year=period.year)


def run(session, *, plan_code, plan_version, period, scope, author, reason=None):
    """Run as a draft: the next version if the latest is published (a correction, which
    needs its reason), else the draft again (a re-run replaces a draft's results)."""
    row = plan_row(session, plan_code, plan_version)
    plan = load_plan(row.document)
    period = require_period(plan, period)
    latest = session.scalars(select(Assessment).where(
        Assessment.plan_code == plan.code, Assessment.period == str(period), Assessment.scope == scope)
        .order_by(Assessment.version.desc()).limit(1).with_for_update()).first()
    if latest is not None and latest.status != "draft" and reason is None:
        raise AssessmentPublished(
            f"The {plan.code} assessment of {scope} for {period} is published; correct it (a new version with "
            "a reason) instead of running it again.", details={"assessment_id": latest.id})
    results = compute(session, plan, period, scope)
    if latest is not None and latest.status == "draft":
        assessment = latest
        assessment.plan_version, assessment.created_at, assessment.created_by = row.version, utcnow(), author
        assessment.reason = reason if reason is not None else assessment.reason
        session.execute(delete(AssessmentResult).where(AssessmentResult.assessment_id == assessment.id))
    else:
        assessment = Assessment(id=str(uuid.uuid4()), plan_code=plan.code, plan_version=row.version,
                                period=str(period), scope=scope, version=(latest.version + 1) if latest else 1,
                                status="draft", reason=reason, summary={}, created_at=utcnow(), created_by=author)
        session.add(assessment)
    session.flush()
    names = _store_results(session, assessment.id, results)
    assessment.summary = dict(_summary(results), names=names)
    return assessment


def _summary(results):
    scores = [r.score for r in results]
    return {"subjects": len(results), "mean": round(sum(scores) / len(scores), 2) if scores else None,
            "commended": sum(r.commended for r in results), "reminded": sum(r.reminded for r in results)}


# A stored breakdown is packed as nested lists, in this order; its names are the plan's,
# the same in every result, so they are kept once, in the assessment's summary.
PACKED = ("key", "kind", "source", "weight", "points", "contribution", "to_total", "value", "volume", "refs",
          "no_data", "note", "detail", "children")


def _round(value):
    return round(value, DIGITS) if isinstance(value, float) else value


def _pack(node, path, names):
    """A Breakdown as nested lists (a third of its dict's size and time: ten thousand
    results a district)."""
    here = f"{path}/{node.key}" if path else node.key
    if here not in names:
        names[here] = node.name
    value = node.value
    return [node.key, node.kind, node.source, node.weight, round(node.points, DIGITS),
            round(node.contribution, DIGITS), round(node.to_total, DIGITS),
            round(value, DIGITS) if isinstance(value, float) else value, node.volume,
            list(node.refs[:STORED_REFS]), node.no_data, node.note, node.detail or None,
            [_pack(child, here, names) for child in node.children]]


def _unpack(packed, path, names):
    """A packed node as Breakdown.to_dict gives it (what the API shows), names put back."""
    node = dict(zip(PACKED, packed))
    here = f"{path}/{node['key']}" if path else node["key"]
    node["name"] = names.get(here)
    node["children"] = [_unpack(child, here, names) for child in node["children"]]
    for name, empty in (("value", None), ("volume", 0), ("refs", []), ("no_data", False), ("note", None),
                        ("detail", None), ("children", [])):
        if node[name] == empty:
            del node[name]
    return node


def part_shares(row):
    """{top-level part key: its share of the total} of a stored result (the sheet's columns)."""
    children = row.breakdown["breakdown"][PACKED.index("children")]
    key, to_total = PACKED.index("key"), PACKED.index("to_total")
    return {child[key]: child[to_total] for child in children}


def _bound(share):
    if share is None:
        return None
    return {"rule": share.rule, "share": share.share, "own": _round(share.own), "others": _round(share.others),
            "of": list(share.of)}


def _store_results(session, assessment_id, results):
    rows, names = [], {}
    for result in results:
        stored = {"role": result.role, "own_score": _round(result.own_score),
                  "bound": _bound(result.bound),
                  "members": [dict(subject_id=m.subject_id, role=m.role, own_score=_round(m.own_score),
                                   volume=m.volume) for m in result.members],
                  "breakdown": _pack(result.breakdown, "", names)}
        rows.append({
            "assessment_id": assessment_id, "subject_id": result.subject_id, "subject_kind": result.subject_kind,
            "grid_code": result.grid_code or "", "score": _round(result.score),
            "ranked_score": _round(result.ranked_score), "rank": result.rank, "band": result.band,
            "pay_tier": result.pay_tier, "volume": result.volume, "eligible": result.eligible,
            "commended": result.commended, "reminded": result.reminded, "breakdown": stored})
    if session.get_bind().dialect.name == "postgresql":
        _insert_all(session, rows)
    else:
        for start in range(0, len(rows), 1000):
            session.execute(insert(AssessmentResult), rows[start:start + 1000])
    return names


def _insert_all(session, rows):
    """Ten thousand results in one statement: PostgreSQL unpacks them from one JSON
    document (a third of the time of batched INSERTs; COPY is refused under the green
    driver)."""
    session.execute(text("INSERT INTO assessment_results SELECT * FROM "
                         "json_populate_recordset(NULL::assessment_results, CAST(:rows AS json))"),
                    {"rows": json.dumps(rows, ensure_ascii=False, separators=(",", ":"))})


def get(session, assessment_id, for_update=False):
    query = select(Assessment).where(Assessment.id == assessment_id)
    assessment = session.scalars(query.with_for_update() if for_update else query).first()
    if assessment is None:
        raise AssessmentNotFound(f"No assessment {assessment_id}.", details={"assessment_id": assessment_id})
    return assessment


def publish(session, assessment_id, author):
    """Immutable from here; a published earlier version is superseded (and stays readable)."""
    assessment = get(session, assessment_id, for_update=True)
    if assessment.status != "draft":
        raise AssessmentPublished(f"This assessment is {assessment.status} already.",
                                  details={"assessment_id": assessment.id, "status": assessment.status})
    for earlier in session.scalars(select(Assessment).where(
            Assessment.plan_code == assessment.plan_code, Assessment.period == assessment.period,
            Assessment.scope == assessment.scope, Assessment.status == "published")):
        earlier.status = "superseded"
    assessment.status, assessment.published_at, assessment.published_by = "published", utcnow(), author
    return assessment


def correct(session, assessment_id, reason, author):
    """The next version of a published assessment, run on the data as it is now, as a
    draft carrying ``reason``."""
    earlier = get(session, assessment_id)
    if earlier.status == "draft":
        raise InvalidInput("A draft is run again, not corrected.", code="VALIDATION_FAILED",
                           details={"fields": {"assessment_id": ["is a draft"]}})
    return run(session, plan_code=earlier.plan_code, plan_version=earlier.plan_version,
               period=earlier.period, scope=earlier.scope, author=author, reason=reason)


def view(assessment):
    summary = {key: value for key, value in assessment.summary.items() if key != "names"}
    return {"id": assessment.id, "plan": assessment.plan_code, "plan_version": assessment.plan_version,
            "period": assessment.period, "scope": assessment.scope, "version": assessment.version,
            "status": assessment.status, "reason": assessment.reason, "summary": summary,
            "created_at": assessment.created_at.isoformat(), "created_by": assessment.created_by,
            "published_at": assessment.published_at and assessment.published_at.isoformat(),
            "published_by": assessment.published_by}


def find(session, *, plan=None, period=None, scope=None, within=None, limit=100, after=None):
    """Assessments newest first, a page at a time (``keyset.Page``); ``within``: only
    scopes under this subtree."""
    query = select(Assessment)
    for column, value in ((Assessment.plan_code, plan), (Assessment.period, period), (Assessment.scope, scope)):
        if value:
            query = query.where(column == value)
    if within:
        query = query.where(Assessment.scope.startswith(within))
    return keyset.page(session, query, (Assessment.created_at, Assessment.id), cursor=after, limit=limit,
                       noun="assessment", descending=True)


def results(session, assessment_id, subject=None):
    """The stored results in rank order, as plain rows (readable after the session)."""
    table = AssessmentResult.__table__
    query = select(table).where(table.c.assessment_id == assessment_id).order_by(table.c.rank, table.c.subject_id)
    if subject:
        query = query.where(table.c.subject_id == subject)
    return session.execute(query).all()


def results_page(session, assessment_id, subject=None, after=None, limit=None):
    """The stored results in rank order, a page at a time (``keyset.Page``): ``after``
    names a subject of this assessment."""
    of_this = AssessmentResult.assessment_id == assessment_id
    query = select(AssessmentResult).where(of_this)
    if subject:
        query = query.where(AssessmentResult.subject_id == subject)
    return keyset.page(session, query, (AssessmentResult.rank, AssessmentResult.subject_id), cursor=after,
                       limit=limit, noun="subject of this assessment", among=(of_this,))


def result_view(row, names=None, with_breakdown=True):
    """A stored result as the API shows it; ``names``: the assessment's names of the
    breakdown's nodes (its summary), put back in."""
    stored = row.breakdown
    view = {"subject_kind": row.subject_kind, "subject_id": row.subject_id, "grid_code": row.grid_code or None,
            "role": stored["role"], "own_score": stored["own_score"], "score": row.score,
            "ranked_score": row.ranked_score, "rank": row.rank, "band": row.band, "pay_tier": row.pay_tier,
            "volume": row.volume, "eligible": row.eligible, "commended": row.commended, "reminded": row.reminded,
            "bound": stored["bound"], "members": stored["members"]}
    if with_breakdown:
        view["breakdown"] = _unpack(stored["breakdown"], "", names or {})
    return view


def engine_result(row, names):
    """A stored result back as an engine.Result (annual results are made of these)."""
    return engine.Result.from_dict(result_view(row, names))


def latest_published(session, plan, period, scope):
    assessment = session.scalars(select(Assessment).where(
        Assessment.plan_code == plan, Assessment.period == str(parse_period(period)), Assessment.scope == scope,
        Assessment.status == "published")).first()
    if assessment is None:
        raise AssessmentNotFound(f"No published {plan} assessment of {scope} for {period}.",
                                 details={"plan": plan, "period": period, "scope": scope})
    return assessment


def annual_results_by_year(session, plan_code, scope, years):
    """{year: [engine.Result]} of the plan's published year assessments, else of the
    annual results made from its published quarters."""
    plan = load_plan(plan_row(session, plan_code).document)
    by_year = {}
    for year in years:
        published = _published_results(session, plan_code, str(year), scope)
        if published is None:
            try:
                published = compute(session, plan, parse_period(str(year)), scope) if plan.period == "quarter" \
                    else None
            except NothingToAssess:
                published = None
        if published:
            by_year[year] = published
    return plan, by_year



# --- the scores a map colours grids by ----------------------------------------------------

def scoring_the_subtree(candidates, root):
    """Of ``candidates`` (published assessments, newest first: anything with ``scope``),
    the ones whose results score ``root``'s subtree: the newest covering it (its scope
    a prefix of ``root``); else, for each scope inside it, its newest, leaving out a
    scope nested inside another chosen one (the street's assessment speaks for its
    communities). Several plans of one scope: the newest published wins."""
    covering = [a for a in candidates if root.startswith(a.scope)]
    if covering:
        return covering[:1]
    newest = {}
    for assessment in candidates:
        if assessment.scope.startswith(root):
            newest.setdefault(assessment.scope, assessment)
    scopes = sorted(newest, key=len)
    kept = [scope for n, scope in enumerate(scopes) if not any(scope.startswith(outer) for outer in scopes[:n])]
    return [newest[scope] for scope in sorted(kept)]


def grid_scores(session, root, top=0):
    """``{"assessments": [views], "sums": [[grid code, results, sum of scores]],
    "results": [the ``top`` first results by rank, without breakdown]}`` of the
    published assessments scoring ``root`` (scoring_the_subtree); the sums in one
    grouped query, so a mean per grid of any level is a roll-up away."""
    candidates = session.scalars(select(Assessment).where(Assessment.status == "published").order_by(
        Assessment.published_at.desc(), Assessment.id)).all()
    chosen = scoring_the_subtree(candidates, root)
    if not chosen:
        return {"assessments": [], "sums": [], "results": []}
    ids = [assessment.id for assessment in chosen]
    under = (AssessmentResult.assessment_id.in_(ids),
             AssessmentResult.grid_code.startswith(root, autoescape=True))
    sums = session.execute(select(AssessmentResult.grid_code, func.count(), func.sum(AssessmentResult.score))
                           .where(*under).group_by(AssessmentResult.grid_code).order_by(AssessmentResult.grid_code))
    results = []
    if top:
        rows = session.scalars(select(AssessmentResult).where(*under).order_by(
            AssessmentResult.rank, AssessmentResult.subject_id).limit(top)).all()
        results = [dict(result_view(row, with_breakdown=False), assessment_id=row.assessment_id) for row in rows]
    return {"assessments": [view(assessment) for assessment in chosen],
            "sums": [[code, count, float(total or 0)] for code, count, total in sums], "results": results}
