"""Integrity flags as records: raised by the scan, reviewed by a person.

A detector's flag (``integrity.detectors.Flag``) is stored once per pattern, person and
evidence (its fingerprint): a scan that sees the same evidence again adds nothing, so a
dismissed flag does not come back for it; new evidence is a new flag. An auditor
confirms or dismisses a raised flag, once, with a note; every decision is kept in the
review trail. A confirmed flag carries the points the deduction policy gave it then,
and assessments run afterwards deduct them (``deductions_of``): a published assessment
changes only through a correction, a new version with its reason.
"""
import uuid

from marshmallow import Schema, fields, validate
from sqlalchemy import func, select

from common.db import utcnow
from common.errors import Conflict, InvalidInput, NotFound
from common.validation import Text, load
from scoring.integrity import thresholds as rules
from scoring.models import IntegrityFlag, IntegrityReview, IntegrityThresholds
from scoring.periods import parse_period

STATUSES = ("raised", "confirmed", "dismissed")
DECISIONS = {"confirm": "confirmed", "dismiss": "dismissed"}


class FlagNotFound(NotFound):
    code = "FLAG_NOT_FOUND"


class FlagReviewed(Conflict):
    code = "FLAG_ALREADY_REVIEWED"


class ReviewSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(tuple(DECISIONS)))
    note = Text(required=True, validate=validate.Length(min=2, max=2000))


def load_review(data):
    return load(ReviewSchema, data, "review")


# --- the thresholds in force ---------------------------------------------------------------

def _newest_thresholds(session):
    """The newest stored thresholds row, or None (the shipped defaults apply)."""
    return session.scalars(select(IntegrityThresholds).order_by(IntegrityThresholds.version.desc()).limit(1)).first()


def current_thresholds(session):
    """The newest stored thresholds document, checked, else the shipped defaults."""
    row = _newest_thresholds(session)
    return rules.load_thresholds(row.document if row else None)


def save_thresholds(session, document, *, author, now=None):
    """A new version of the thresholds (what it omits keeps its default); a refused
    document stores nothing."""
    checked = rules.load_thresholds(document)
    version = (session.scalar(select(func.max(IntegrityThresholds.version))) or 0) + 1
    session.add(IntegrityThresholds(version=version, document=document, created_at=now or utcnow(),
                                    created_by=author))
    session.flush()
    return version, checked


def thresholds_view(session):
    row = _newest_thresholds(session)
    checked = rules.load_thresholds(row.document if row else None)
    return {"version": row.version if row else 0, "created_at": row.created_at.isoformat() if row else None,
            "created_by": row.created_by if row else None, "document": checked.document,
            "rows": rules.describe(checked)}


class ScanSchema(Schema):
    scope = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{6,24}$", error="must be a grid code"))
    period = fields.String(required=True, validate=validate.Length(min=4, max=7))


def load_scan(data):
    """A scan's scope and period: a month or a quarter (a year's scan is its quarters')."""
    data = load(ScanSchema, data, "scan")
    parsed = parse_period(data["period"])
    if parsed.kind == "year":
        raise InvalidInput("Scan a month or a quarter.", code="VALIDATION_FAILED",
                           details={"fields": {"period": ["must be a month or a quarter"]}})
    return {"scope": data["scope"], "period": parsed}


def event_payload(flag):
    """``integrity_flag_raised``: figures only, nothing about the person."""
    return {"flag_id": flag.id, "pattern": flag.pattern, "grid_code": flag.grid_code, "period": flag.period,
            "evidence_count": len(flag.evidence)}


def deduction_for(thresholds):
    """What one confirmed flag takes off, by its pattern."""
    return lambda flag: rules.deduction([flag.pattern], thresholds)


def record(session, flags, *, now=None):
    """Store the detectors' ``flags`` that are new (by pattern, person and fingerprint);
    returns the stored rows, for their events. An episode that grew (more records in the
    same hour, the same month's burst) updates its flag while nobody has reviewed it,
    instead of adding a second one."""
    if not flags:
        return []
    now = now or utcnow()
    known = set(session.execute(select(IntegrityFlag.pattern, IntegrityFlag.person_id, IntegrityFlag.fingerprint)
                                .where(IntegrityFlag.fingerprint.in_(sorted({f.fingerprint for f in flags})))).all())
    open_flags = {}
    for row in session.scalars(select(IntegrityFlag).where(
            IntegrityFlag.status == "raised", IntegrityFlag.person_id.in_(sorted({f.person_id for f in flags})))):
        open_flags.setdefault((row.pattern, row.person_id, row.period), []).append(row)
    rows = []
    for flag in flags:
        key = (flag.pattern, flag.person_id, flag.fingerprint)
        if key in known:
            continue
        known.add(key)
        ids = {(item["kind"], item["id"]) for item in flag.evidence}
        grown = next((row for row in open_flags.get((flag.pattern, flag.person_id, str(flag.period)), ())
                      if {(item["kind"], item["id"]) for item in row.evidence} < ids), None)
        if grown is not None:
            grown.fingerprint, grown.evidence, grown.figures = flag.fingerprint, [dict(i) for i in flag.evidence], \
                dict(flag.figures)
            continue
        rows.append(IntegrityFlag(
            id=str(uuid.uuid4()), pattern=flag.pattern, person_id=flag.person_id, grid_code=flag.grid_code or "",
            period=str(flag.period), fingerprint=flag.fingerprint, status="raised",
            evidence=[dict(item) for item in flag.evidence], figures=dict(flag.figures), raised_at=now,
            deduction=0.0))
    session.add_all(rows)
    session.flush()
    return rows


def get(session, flag_id, *, for_update=False):
    query = select(IntegrityFlag).where(IntegrityFlag.id == flag_id)
    flag = session.scalars(query.with_for_update() if for_update else query).first()
    if flag is None:
        raise FlagNotFound(f"No integrity flag has the id {flag_id}.", details={"flag_id": flag_id})
    return flag


def listing(session, *, root=None, period=None, pattern=None, status=None, person_id=None, limit=100, after=None):
    """Flags newest first (then by id), filtered; ``after`` the last id of the page before."""
    query = select(IntegrityFlag).order_by(IntegrityFlag.raised_at.desc(), IntegrityFlag.id).limit(limit + 1)
    if root:
        query = query.where(IntegrityFlag.grid_code.startswith(root, autoescape=True))
    if period:
        query = query.where(IntegrityFlag.period == str(parse_period(period)))
    if pattern:
        query = query.where(IntegrityFlag.pattern == pattern)
    if status:
        query = query.where(IntegrityFlag.status == status)
    if person_id:
        query = query.where(IntegrityFlag.person_id == person_id)
    if after:
        anchor = session.get(IntegrityFlag, after)
        if anchor is None:
            raise InvalidInput("No flag has that id.", code="VALIDATION_FAILED",
                               details={"fields": {"after": ["no flag has this id"]}})
        query = query.where((IntegrityFlag.raised_at < anchor.raised_at)
                            | ((IntegrityFlag.raised_at == anchor.raised_at) & (IntegrityFlag.id > anchor.id)))
    rows = session.scalars(query).all()
    page = rows[:limit]
    return page, (page[-1].id if len(rows) > limit else None)


def review(session, flag_id, *, decision, note, reviewer, reviewer_account_id, now=None):
    """Confirm or dismiss a raised flag, once; a confirmed one carries the points the
    thresholds in force give its pattern."""
    if decision not in DECISIONS:
        raise InvalidInput("The decision is confirm or dismiss.", code="VALIDATION_FAILED",
                           details={"fields": {"decision": ["must be confirm or dismiss"]}})
    flag = get(session, flag_id, for_update=True)  # two reviewers at once: one waits, then sees it reviewed
    if flag.status != "raised":
        raise FlagReviewed(f"This flag was {flag.status} already.", details={"status": flag.status,
                                                                             "reviewed_by": flag.reviewed_by})
    now = now or utcnow()
    points = float(deduction_for(current_thresholds(session))(flag)) if decision == "confirm" else 0.0
    flag.status, flag.note, flag.reviewed_at, flag.reviewed_by = DECISIONS[decision], note, now, reviewer
    flag.deduction = points
    session.add(IntegrityReview(id=str(uuid.uuid4()), flag_id=flag.id, decision=decision, note=note,
                                reviewer=reviewer, reviewer_account_id=reviewer_account_id, deduction=points,
                                reviewed_at=now))
    session.flush()
    return flag


def trail(session, flag_id):
    return session.scalars(select(IntegrityReview).where(IntegrityReview.flag_id == flag_id)
                           .order_by(IntegrityReview.reviewed_at)).all()


def deductions_of(session, person_ids, period, *, cap=None):
    """{person_id: [(flag id, pattern, points), ...]} of the confirmed flags whose period
    lies within ``period`` (a Period); the points of a person are capped at ``cap`` (the
    thresholds' cap per period by default) in all, the last flags giving way first."""
    if cap is None:
        cap = current_thresholds(session).deductions.cap_per_period
    periods = {str(period)} | {str(month) for month in period.months()}
    if period.kind != "month":
        periods |= {str(quarter) for quarter in period.quarters()}
    query = (select(IntegrityFlag.person_id, IntegrityFlag.id, IntegrityFlag.pattern, IntegrityFlag.deduction)
             .where(IntegrityFlag.status == "confirmed", IntegrityFlag.deduction > 0,
                    IntegrityFlag.period.in_(sorted(periods)))
             .order_by(IntegrityFlag.reviewed_at, IntegrityFlag.id))
    if person_ids is not None:
        query = query.where(IntegrityFlag.person_id.in_(list(person_ids)))
    out, used = {}, {}
    for person_id, flag_id, pattern, points in session.execute(query):
        room = cap - used.get(person_id, 0.0)
        if room <= 0:
            continue
        points = min(points, room)
        used[person_id] = used.get(person_id, 0.0) + points
        out.setdefault(person_id, []).append((flag_id, pattern, points))
    return out


def counts(session, *, root=None, period=None):
    """{status: n} in the subtree and period: for the metrics and the summary."""
    query = select(IntegrityFlag.status, func.count()).group_by(IntegrityFlag.status)
    if root:
        query = query.where(IntegrityFlag.grid_code.startswith(root, autoescape=True))
    if period:
        query = query.where(IntegrityFlag.period == str(parse_period(period)))
    return dict.fromkeys(STATUSES, 0) | dict(session.execute(query).all())


def view(flag, *, with_evidence=True, trail_rows=()):
    data = {"id": flag.id, "pattern": flag.pattern, "pattern_name": rules.pattern_name(flag.pattern),
            "person_id": flag.person_id, "grid_code": flag.grid_code,
            "period": flag.period, "status": flag.status, "figures": flag.figures,
            "raised_at": flag.raised_at.isoformat(), "reviewed_at": flag.reviewed_at and flag.reviewed_at.isoformat(),
            "reviewed_by": flag.reviewed_by, "note": flag.note, "deduction": flag.deduction,
            "evidence_count": len(flag.evidence)}
    if with_evidence:
        data["evidence"] = flag.evidence
        data["reviews"] = [{"decision": r.decision, "note": r.note, "reviewer": r.reviewer, "deduction": r.deduction,
                            "reviewed_at": r.reviewed_at.isoformat()} for r in trail_rows]
    return data
