"""What each measure of the registry counts, over a scope and a period: one grouped
query per measure over the fact tables, free of nameko.

The subjects are the people holding a post in the scope during the period (workers), or
the grids those posts are in (grids: a grid counts what the people posted in it did).
Each measure gives, per subject, ``(value, volume, refs)``: a rate in 0..1 or a count,
the number of facts behind it, and the ids of those facts (at most ``REF_LIMIT`` here;
a subject's whole list comes from ``refs_of``)."""
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select

from scoring.models import HouseholdFact, PatrolFact, PostFact, TicketFact, VisitFact

REF_LIMIT = 100
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


def subjects_of(session, scope, start, end, kind="worker"):
    """{subject id: Subject} for the posts in ``scope`` running on some day of [start, end]."""
    rows = session.execute(select(PostFact.person_id, PostFact.grid_code, PostFact.role).where(
        PostFact.grid_code.startswith(scope), PostFact.start_date <= end,
        or_(PostFact.end_date.is_(None), PostFact.end_date >= start)).order_by(PostFact.grid_code)).all()
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


def _people_by_subject(session, subjects, scope, start, end):
    """{person id: [subject ids]}: for worker subjects the person itself; for grids the
    people posted in each during the period."""
    if subjects and next(iter(subjects.values())).kind == "worker":
        return {person: [person] for person in subjects}
    people = defaultdict(list)
    for person_id, grid_code in session.execute(select(PostFact.person_id, PostFact.grid_code).where(
            PostFact.grid_code.startswith(scope), PostFact.start_date <= end,
            or_(PostFact.end_date.is_(None), PostFact.end_date >= start))).all():
        if grid_code in subjects and grid_code not in people[person_id]:
            people[person_id].append(grid_code)
    return people


class _Tally:
    """Per subject: counts, sums and refs, added person by person."""

    def __init__(self):
        self.counts = defaultdict(int)
        self.hits = defaultdict(int)
        self.sums = defaultdict(float)
        self.refs = defaultdict(list)
        self.sets = defaultdict(set)

    def add(self, subject, ref=None, hit=False, amount=0.0, member=None):
        self.counts[subject] += 1
        self.hits[subject] += bool(hit)
        self.sums[subject] += amount
        if member is not None:
            self.sets[subject].add(member)
        if ref is not None and len(self.refs[subject]) < REF_LIMIT:
            self.refs[subject].append(ref)


def _posted(scope, start, end):
    """The people posted in ``scope`` on some day of [start, end], as a subquery."""
    return select(PostFact.person_id).where(
        PostFact.grid_code.startswith(scope), PostFact.start_date <= end,
        or_(PostFact.end_date.is_(None), PostFact.end_date >= start)).scalar_subquery()


def measure_all(session, subjects, scope, start, end, keys):
    """{subject id: {measure key: Measured}} for the measures named in ``keys``."""
    people = _people_by_subject(session, subjects, scope, start, end)
    posted = _posted(scope, start, end)
    out = {subject: {} for subject in subjects}
    wanted = set(keys)

    def fill(key, tally, value_of):
        for subject in subjects:
            count = tally.counts.get(subject, 0)
            out[subject][key] = Measured(value_of(tally, subject, count), count, tally.refs.get(subject, []))

    if wanted & {"events_reported", "accuracy", "active_days"}:
        reports = _Tally()
        accurate = _Tally()
        for ticket_id, person, source, outcome, status, duplicate_of, category, reported_category, day in \
                session.execute(select(
                    TicketFact.ticket_id, TicketFact.reporter_person_id, TicketFact.source, TicketFact.outcome,
                    TicketFact.status, TicketFact.duplicate_of, TicketFact.category, TicketFact.reported_category,
                    TicketFact.reported_day).where(TicketFact.reporter_person_id.in_(posted),
                                                   TicketFact.reported_day.between(start, end))).all():
            for subject in people.get(person, ()):
                if source == "grid_patrol":
                    reports.add(subject, ticket_id, member=day)
                kept = outcome != "withdrawn" and status != "merged" and duplicate_of is None \
                    and category == reported_category
                accurate.add(subject, ticket_id, hit=kept, member=day)
        fill("events_reported", reports, lambda t, s, n: float(n))
        fill("accuracy", accurate, lambda t, s, n: t.hits[s] / n if n else None)
    else:
        reports = accurate = _Tally()

    if wanted & {"patrols", "patrols_inside", "active_days"}:
        patrols = _Tally()
        for patrol_id, person, inside, day in session.execute(select(
                PatrolFact.id, PatrolFact.person_id, PatrolFact.inside, PatrolFact.day).where(
                PatrolFact.person_id.in_(posted), PatrolFact.day.between(start, end))).all():
            for subject in people.get(person, ()):
                patrols.add(subject, patrol_id, hit=inside, member=day)
        fill("patrols", patrols, lambda t, s, n: float(n))
        fill("patrols_inside", patrols, lambda t, s, n: t.hits[s] / n if n else None)
    else:
        patrols = _Tally()

    visits = _Tally()
    if wanted & {"households_visited", "active_days"}:
        for visit_id, person, household_id, day in session.execute(select(
                VisitFact.id, VisitFact.person_id, VisitFact.household_id, VisitFact.day).where(
                VisitFact.person_id.in_(posted), VisitFact.day.between(start, end))).all():
            for subject in people.get(person, ()):
                visits.add(subject, visit_id, member=household_id)
                visits.sets[("days", subject)].add(day)
        households = _households_in(session, subjects, scope)
        for subject in subjects:
            visited = len(visits.sets.get(subject, ()))
            registered = households.get(subject, 0)
            value = min(visited / registered, 1.0) if registered else None
            out[subject]["households_visited"] = Measured(value, visited, visits.refs.get(subject, []))

    if "active_days" in wanted:
        for subject in subjects:
            days = reports.sets.get(subject, set()) | accurate.sets.get(subject, set()) \
                | patrols.sets.get(subject, set()) | visits.sets.get(("days", subject), set())
            out[subject]["active_days"] = Measured(float(len(days)), len(days), [])

    if wanted & {"on_time_rate", "below_department"}:
        resolved = _Tally()
        below = _Tally()
        for ticket_id, person, on_time, level in session.execute(select(
                TicketFact.ticket_id, TicketFact.responsible_person_id, TicketFact.on_time,
                TicketFact.resolved_level).where(
                TicketFact.responsible_person_id.in_(posted), TicketFact.resolved_day.between(start, end),
                or_(TicketFact.outcome.is_(None), TicketFact.outcome.not_in(NOT_RESOLVED)))).all():
            for subject in people.get(person, ()):
                resolved.add(subject, ticket_id, hit=bool(on_time))
                below.add(subject, ticket_id, hit=level not in (None, "department"))
        fill("on_time_rate", resolved, lambda t, s, n: t.hits[s] / n if n else None)
        fill("below_department", below, lambda t, s, n: t.hits[s] / n if n else None)

    if "satisfaction" in wanted:
        rated = _Tally()
        for ticket_id, person, satisfaction in session.execute(select(
                TicketFact.ticket_id, TicketFact.responsible_person_id, TicketFact.satisfaction).where(
                TicketFact.responsible_person_id.in_(posted), TicketFact.rated_day.between(start, end),
                TicketFact.satisfaction.is_not(None))).all():
            for subject in people.get(person, ()):
                rated.add(subject, ticket_id, amount=satisfaction / 5 * 100)  # 1..5 as 20..100 (plans.MEASURES)
        fill("satisfaction", rated, lambda t, s, n: t.sums[s] / n if n else None)

    if "sentiment" in wanted:  # a slot until sentiment records exist
        for subject in subjects:
            out[subject]["sentiment"] = Measured(None, 0, [])
    return out


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
    }
