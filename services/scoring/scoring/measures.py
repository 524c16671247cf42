"""What each measure of the registry counts, over a scope and a period: one grouped
query per measure over the fact tables, free of nameko.

The subjects are the people holding a post in the scope during the period (workers), or
the grids those posts are in (grids: a grid counts what the people posted in it did).
Each measure gives, per subject, ``(value, volume, refs)``: a rate in 0..1 or a count,
the number of facts behind it, and the ids of those facts (at most ``REF_LIMIT`` here;
a subject's whole list comes from ``refs_of``)."""
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, or_, select, union

from scoring.models import (HouseholdFact, PartyServiceFact, PatrolFact, PostFact, SentimentFact,
                            ServiceDayAttendanceFact, ServiceDayFact, TicketFact, VisitFact, WishFact)

REF_LIMIT = 5  # ids kept with each figure; refs_of gives them all
# Above this many subjects the first ids are not looked up with the figures (a window
# over every fact of a district costs seconds); refs_of gives any subject's on request.
INLINE_REFS_MAX_SUBJECTS = 2000
# Outcomes that are no resolution: a withdrawal, a merged duplicate.
NOT_RESOLVED = ("withdrawn", "duplicate")


@dataclass
class Subject:
    subject_id: str          # a person id, or a grid code
    kind: str                # "worker" or "grid"
    grid_code: str           # the worker's first grid in scope (by code), or the grid itself
    roles: list = field(default_factory=list)
    grids: list = field(default_factory=list)  # the grids the subject's posts are in (in scope)


@dataclass
class Measured:
    value: float | None
    volume: int
    refs: list


def _running(scope, start, end):
    """The conditions of a post in ``scope`` running on some day of [start, end]."""
    return (PostFact.grid_code.startswith(scope), PostFact.start_date <= end,
            or_(PostFact.end_date.is_(None), PostFact.end_date >= start))


def subjects_of(session, scope, start, end, kind="worker"):
    """{subject id: Subject} for the posts in ``scope`` running on some day of [start, end]."""
    rows = session.execute(select(PostFact.person_id, PostFact.grid_code, PostFact.role).where(
        *_running(scope, start, end)).order_by(PostFact.grid_code)).all()
    subjects = {}
    for person_id, grid_code, role in rows:
        key = person_id if kind == "worker" else grid_code
        subject = subjects.setdefault(key, Subject(key, kind, grid_code))
        if role not in subject.roles:
            subject.roles.append(role)
        if grid_code not in subject.grids:
            subject.grids.append(grid_code)
        if kind == "grid":
            subject.roles = sorted(set(subject.roles))
    return subjects


def _posted(scope, start, end):
    """The people posted in ``scope`` on some day of [start, end], as a subquery."""
    return select(PostFact.person_id).where(*_running(scope, start, end)).scalar_subquery()


def _by_subject(kind, person_column, scope, start, end):
    """(the subject key of a fact, the join that gives it): a worker is the fact's own
    person (one of those posted in the scope); a grid is the grid of a post of that
    person in the scope during the period."""
    if kind == "worker":
        return person_column, None
    posts = select(PostFact.person_id, PostFact.grid_code).where(*_running(scope, start, end)).subquery()
    return posts.c.grid_code, (posts, posts.c.person_id == person_column)


def _keyed(kind, person_column, scope, start, end, *columns):
    """(key, a select of the key and ``columns(key)`` over the facts of the scope's
    subjects, joined to their posts for grids): one subquery for both, or the key
    would name a second, unjoined copy of it."""
    key, join = _by_subject(kind, person_column, scope, start, end)
    query = select(key.label("key"), *(column(key) if callable(column) else column for column in columns))
    if join is None:
        return key, query.where(person_column.in_(_posted(scope, start, end)))
    return key, query.select_from(person_column.table).join(*join)


def _grouped(session, kind, person_column, scope, start, end, columns, conditions):
    """{subject key: row of ``columns``} over the facts meeting ``conditions``."""
    key, query = _keyed(kind, person_column, scope, start, end, *columns)
    return {row.key: row for row in session.execute(query.where(*conditions).group_by(key)).all()}


def _first_refs(session, kind, person_column, id_column, scope, start, end, conditions):
    """{subject key: the first REF_LIMIT ids} (by id) of the facts meeting ``conditions``."""
    _, ranked = _keyed(kind, person_column, scope, start, end, id_column.label("ref"),
                       lambda key: func.row_number().over(partition_by=key, order_by=id_column).label("n"))
    ranked = ranked.where(*conditions).subquery()
    refs = defaultdict(list)
    for subject, ref in session.execute(select(ranked.c.key, ranked.c.ref).where(ranked.c.n <= REF_LIMIT)
                                        .order_by(ranked.c.key, ranked.c.n)).all():
        refs[subject].append(ref)
    return refs


def _count(expression):
    return func.coalesce(func.sum(case((expression, 1), else_=0)), 0)


def measure_all(session, subjects, scope, start, end, keys):
    """{subject id: {measure key: Measured}} for the measures named in ``keys``: each
    a grouped query (the counting happens in the database), and the first ids behind
    each figure."""
    kind = next(iter(subjects.values())).kind if subjects else "worker"
    out = {subject: {} for subject in subjects}
    wanted = set(keys)
    empty = {}

    def grouped(person_column, columns, conditions):
        return _grouped(session, kind, person_column, scope, start, end, columns, conditions)

    def refs(person_column, id_column, conditions):
        if len(subjects) > INLINE_REFS_MAX_SUBJECTS:
            return empty
        return _first_refs(session, kind, person_column, id_column, scope, start, end, conditions)

    def put(key, rows, value_of, volume_of, refs_of=empty):
        for subject in subjects:
            row = rows.get(subject)
            volume = int(volume_of(row)) if row is not None else 0
            out[subject][key] = Measured(value_of(row, volume), volume, refs_of.get(subject, []))

    reported = [TicketFact.reported_day.between(start, end)]
    if wanted & {"events_reported", "accuracy"}:
        kept = and_(or_(TicketFact.outcome.is_(None), TicketFact.outcome != "withdrawn"),
                    TicketFact.status != "merged", TicketFact.duplicate_of.is_(None),
                    TicketFact.category == TicketFact.reported_category)
        rows = grouped(TicketFact.reporter_person_id, [
            _count(TicketFact.source == "grid_patrol").label("own"), func.count().label("all"),
            _count(kept).label("kept")], reported)
        own_refs = refs(TicketFact.reporter_person_id, TicketFact.ticket_id,
                        reported + [TicketFact.source == "grid_patrol"])
        put("events_reported", rows, lambda row, n: float(n), lambda row: row.own, own_refs)
        put("accuracy", rows, lambda row, n: row.kept / n if n else None, lambda row: row.all, own_refs)

    in_period = [PatrolFact.day.between(start, end)]
    if wanted & {"patrols", "patrols_inside"}:
        rows = grouped(PatrolFact.person_id, [func.count().label("all"), _count(PatrolFact.inside).label("inside")],
                       in_period)
        patrol_refs = refs(PatrolFact.person_id, PatrolFact.id, in_period)
        put("patrols", rows, lambda row, n: float(n), lambda row: row.all, patrol_refs)
        put("patrols_inside", rows, lambda row, n: row.inside / n if n else None, lambda row: row.all, patrol_refs)

    visited = [VisitFact.day.between(start, end)]
    if "households_visited" in wanted:
        # distinct (subject, household) pairs first, then counted: PostgreSQL hashes the
        # pairs where count(DISTINCT ...) per group would sort
        key, pairs = _keyed(kind, VisitFact.person_id, scope, start, end, VisitFact.household_id.label("household"))
        pairs = pairs.where(*visited).distinct().subquery()
        rows = {row.key: row for row in session.execute(
            select(pairs.c.key, func.count().label("households")).group_by(pairs.c.key)).all()}
        households = _households_in(session, subjects, scope)
        visit_refs = refs(VisitFact.person_id, VisitFact.id, visited)
        for subject in subjects:
            count = int(rows[subject].households) if subject in rows else 0
            registered = households.get(subject, 0)
            out[subject]["households_visited"] = Measured(min(count / registered, 1.0) if registered else None,
                                                          count, visit_refs.get(subject, []))

    if "active_days" in wanted:
        days = _active_days(session, kind, scope, start, end)
        for subject in subjects:
            count = days.get(subject, 0)
            out[subject]["active_days"] = Measured(float(count), count, [])

    resolved = [TicketFact.resolved_day.between(start, end),
                or_(TicketFact.outcome.is_(None), TicketFact.outcome.not_in(NOT_RESOLVED))]
    if wanted & {"on_time_rate", "below_department"}:
        below = and_(TicketFact.resolved_level.is_not(None), TicketFact.resolved_level != "department")
        rows = grouped(TicketFact.responsible_person_id, [
            func.count().label("all"), _count(TicketFact.on_time.is_(True)).label("on_time"),
            _count(below).label("below")], resolved)
        resolved_refs = refs(TicketFact.responsible_person_id, TicketFact.ticket_id, resolved)
        put("on_time_rate", rows, lambda row, n: row.on_time / n if n else None, lambda row: row.all, resolved_refs)
        put("below_department", rows, lambda row, n: row.below / n if n else None, lambda row: row.all,
            resolved_refs)

    rated = [TicketFact.rated_day.between(start, end), TicketFact.satisfaction.is_not(None)]
    if "satisfaction" in wanted:
        rows = grouped(TicketFact.responsible_person_id, [
            func.count().label("all"), func.sum(TicketFact.satisfaction).label("points")], rated)
        rated_refs = refs(TicketFact.responsible_person_id, TicketFact.ticket_id, rated)
        put("satisfaction", rows, lambda row, n: float(row.points) / n / 5 * 100 if n else None,  # 1..5 as 20..100
            lambda row: row.all, rated_refs)

    recorded = [SentimentFact.day.between(start, end)]
    if wanted & {"sentiment_records", "sentiment"}:
        # followed up: a follow-up made (or the record reported as a ticket, which is one),
        # closed or not, as the record stands when the assessment runs
        rows = grouped(SentimentFact.person_id, [
            func.count().label("all"), _count(SentimentFact.status != "open").label("followed")], recorded)
        sentiment_refs = refs(SentimentFact.person_id, SentimentFact.id, recorded)
        put("sentiment_records", rows, lambda row, n: float(n), lambda row: row.all, sentiment_refs)
        put("sentiment", rows, lambda row, n: row.followed / n if n else None, lambda row: row.all, sentiment_refs)

    # A party member's service (issue 19 §4): what they gave, each fact credited to the member.
    served = [PartyServiceFact.day.between(start, end)]
    if "party_service_hours" in wanted:
        rows = grouped(PartyServiceFact.person_id, [
            func.count().label("all"), func.sum(PartyServiceFact.hours).label("hours")], served)
        put("party_service_hours", rows, lambda row, n: round(float(row.hours), 2) if n else 0.0,
            lambda row: row.all, refs(PartyServiceFact.person_id, PartyServiceFact.id, served))

    # wishes by the day they were confirmed, sign-ins by the day of their service day
    for key, model, ref in (("wishes_fulfilled", WishFact, WishFact.wish_id),
                            ("service_days_attended", ServiceDayAttendanceFact, ServiceDayAttendanceFact.id)):
        if key in wanted:
            dated = [model.day.between(start, end)]
            rows = grouped(model.person_id, [func.count().label("all")], dated)
            put(key, rows, lambda row, n: float(n), lambda row: row.all, refs(model.person_id, ref, dated))

    if "service_day_attendance" in wanted:
        expected = _service_days_expected(session, kind, scope, start, end)
        signed = _signed_in(session, scope, start, end)
        for subject in subjects:
            pairs = expected.get(subject, set())
            met = sorted(signed[pair] for pair in pairs if pair in signed)
            out[subject]["service_day_attendance"] = Measured(len(met) / len(pairs) if pairs else None, len(pairs),
                                                              met[:REF_LIMIT])
    return out


def _service_days_expected(session, kind, scope, start, end):
    """{subject: {(person, service day)}}: each person posted in the scope is expected at
    the service days held in the period in the grid of a post of theirs or a grid above it
    (a community's day is its grids' too); a grid expects each of its people at its days."""
    held = defaultdict(set)  # grid code -> the service days held there in the period
    above = [scope[:length] for length in range(1, len(scope))]
    for day_id, grid_code in session.execute(select(ServiceDayFact.id, ServiceDayFact.grid_code).where(
            ServiceDayFact.day.between(start, end),
            or_(ServiceDayFact.grid_code.startswith(scope), ServiceDayFact.grid_code.in_(above)))).all():
        held[grid_code].add(day_id)
    expected = defaultdict(set)
    posts = session.execute(select(PostFact.person_id, PostFact.grid_code).where(*_running(scope, start, end))
                            .distinct()).all()
    for person, grid_code in posts:
        for length in range(1, len(grid_code) + 1):
            expected[person if kind == "worker" else grid_code] |= {(person, day) for day in held.get(
                grid_code[:length], ())}
    return expected


def _signed_in(session, scope, start, end):
    """{(person, service day): sign-in id} of the people posted in the scope, at service
    days of the period."""
    return {(person, day): sign_in for sign_in, person, day in session.execute(select(
        ServiceDayAttendanceFact.id, ServiceDayAttendanceFact.person_id, ServiceDayAttendanceFact.service_day_id).where(
        ServiceDayAttendanceFact.day.between(start, end),
        ServiceDayAttendanceFact.person_id.in_(_posted(scope, start, end)))).all()}


def _active_days(session, kind, scope, start, end):
    """{subject: days with an own report, a patrol or a visit}, counted in the database."""
    branches = []
    for person, day in ((TicketFact.reporter_person_id, TicketFact.reported_day),
                        (PatrolFact.person_id, PatrolFact.day), (VisitFact.person_id, VisitFact.day)):
        _, branch = _keyed(kind, person, scope, start, end, day.label("day"))
        branches.append(branch.where(day.between(start, end)).distinct())  # a few dozen days a person, not rows
    days = union(*branches).subquery()
    return dict(session.execute(select(days.c.key, func.count()).group_by(days.c.key)).all())


def _households_in(session, subjects, scope):
    """{subject: households registered in its grids (their subtrees)}: one grouped query
    over the scope, then each household grid counted under every subject grid that is
    a prefix of it."""
    grids = {grid for subject in subjects.values() for grid in subject.grids}
    counts = defaultdict(int)
    for code, count in session.execute(select(HouseholdFact.grid_code, func.count()).where(
            HouseholdFact.grid_code.startswith(scope)).group_by(HouseholdFact.grid_code)).all():
        for length in range(len(scope), len(code) + 1):
            if code[:length] in grids:
                counts[code[:length]] += count
    return {key: sum(counts[grid] for grid in subject.grids) for key, subject in subjects.items()}


def refs_of(session, subject_ids, start, end):
    """Every fact behind a worker's measures in the period (a breakdown asked in full)."""
    people = list(subject_ids)
    return {
        "tickets_reported": session.scalars(select(TicketFact.ticket_id).where(
            TicketFact.reporter_person_id.in_(people), TicketFact.reported_day.between(start, end))).all(),
        "tickets_resolved": session.scalars(select(TicketFact.ticket_id).where(
            TicketFact.responsible_person_id.in_(people), TicketFact.resolved_day.between(start, end))).all(),
        "tickets_rated": session.scalars(select(TicketFact.ticket_id).where(and_(
            TicketFact.responsible_person_id.in_(people), TicketFact.rated_day.between(start, end),
            TicketFact.satisfaction.is_not(None)))).all(),
        "patrols": session.scalars(select(PatrolFact.id).where(
            PatrolFact.person_id.in_(people), PatrolFact.day.between(start, end))).all(),
        "visits": session.scalars(select(VisitFact.id).where(
            VisitFact.person_id.in_(people), VisitFact.day.between(start, end))).all(),
        "sentiments": session.scalars(select(SentimentFact.id).where(
            SentimentFact.person_id.in_(people), SentimentFact.day.between(start, end))).all(),
        "party_service": session.scalars(select(PartyServiceFact.id).where(
            PartyServiceFact.person_id.in_(people), PartyServiceFact.day.between(start, end))).all(),
        "wishes": session.scalars(select(WishFact.wish_id).where(
            WishFact.person_id.in_(people), WishFact.day.between(start, end))).all(),
        "service_days": session.scalars(select(ServiceDayAttendanceFact.id).where(
            ServiceDayAttendanceFact.person_id.in_(people), ServiceDayAttendanceFact.day.between(start, end))).all(),
    }
