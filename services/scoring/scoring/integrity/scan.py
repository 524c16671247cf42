"""The integrity scan: scoring's fact tables read into the detectors' PersonFacts, the
detectors run, the new flags stored (flags.record) and announced.

Two ways in, the same detectors:

- ``scan(session, scope, period)``: everyone posted in ``scope`` during ``period``, at
  once (a quarter of the district, as the benchmark runs it, or an assessor's request);
- incrementally, as facts arrive: the feed marks each fact's person and month
  (``mark``); ``scan_marked`` then scans, a few times a minute, the current months of
  the communities those people work in, with every person of them (so copies and
  resolution times are compared within the community; across communities the
  periodic scan compares them).

The loader reads a period and what the checks look back on: LOOKBACK days before it
(the last patrol point before the first, the weeks before a deadline).
"""
import contextlib
import datetime as dt
import time
import uuid
from collections import defaultdict
from operator import attrgetter

from sqlalchemy import and_, delete, or_, select, text

from common.bulk import insert_rows
from common.db import utcnow
from common.shanghai import shanghai_date
from scoring.integrity import detectors, flags
from scoring.integrity.facts import PatrolFact, PersonFacts, RatingFact, TicketFact, VisitFact
from scoring.models import HouseholdFact, IntegrityMark
from scoring.models import PatrolFact as PatrolRow
from scoring.models import PostFact, Rating
from scoring.models import TicketFact as TicketRow
from scoring.models import VisitFact as VisitRow
from scoring.periods import Period, parse_period, period_of

LOOKBACK = dt.timedelta(days=35)
COMMUNITY_DIGITS = 12  # a community's code: the unit an incremental scan compares within


def _posts(session, scope, start, end, person_ids=None):
    query = select(PostFact.person_id, PostFact.grid_code).where(
        PostFact.grid_code.startswith(scope), PostFact.start_date <= end,
        or_(PostFact.end_date.is_(None), PostFact.end_date >= start)).order_by(PostFact.person_id, PostFact.grid_code)
    if person_ids is not None:
        query = query.where(PostFact.person_id.in_(list(person_ids)))
    grids = defaultdict(list)
    for person_id, grid_code in session.execute(query):
        if grid_code not in grids[person_id]:
            grids[person_id].append(grid_code)
    return grids


def _in(column, people, posted):
    """``column`` among ``people``: a list when few, else the posts' subquery (no list
    of ten thousand parameters)."""
    return column.in_(list(people)) if len(people) <= 1000 else column.in_(posted)


FETCH_ROWS = 20_000  # rows a server-side cursor brings over at a time


def _rows(session, query, pause=None):
    """``query``'s rows as the driver gives them, ``pause`` called after each batch. On
    PostgreSQL straight from a server-side cursor, a batch at a time: no SQLAlchemy row
    and no type conversion per value (load sets the transaction's time zone to UTC, so
    the driver's moments are UTC already); a scan reads millions. Elsewhere through
    SQLAlchemy (SQLite keeps moments as text, which the column types parse)."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        for batch in connection.execute(query).partitions(FETCH_ROWS):
            yield from batch
            if pause is not None:
                pause()
        return
    compiled = query.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    with connection.connection.cursor(name=f"integrity_{uuid.uuid4().hex}") as cursor:
        cursor.execute(str(compiled), compiled.params)
        while batch := cursor.fetchmany(FETCH_ROWS):
            yield from batch
            if pause is not None:
                pause()


@contextlib.contextmanager
def _utc_moments(session):
    """PostgreSQL's moments in UTC within the block, then the transaction's own time
    zone again (a failed block rolls the transaction back, and the setting with it)."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    zone = session.execute(text("SELECT current_setting('TimeZone')")).scalar()
    session.execute(text("SELECT set_config('TimeZone', 'UTC', true)"))
    yield
    session.execute(text("SELECT set_config('TimeZone', :zone, true)"), {"zone": zone})


def _grouped(rows, make, key):
    """{person: [fact]} of ``rows`` made into facts by ``make``, grouped by ``key``."""
    groups = defaultdict(list)
    for fact in map(make, rows):
        groups[key(fact)].append(fact)
    return groups


TICKET_COLUMNS = (TicketRow.ticket_id, TicketRow.category, TicketRow.source, TicketRow.reporter_person_id,
                  TicketRow.responsible_person_id, TicketRow.resolved_by_person_id, TicketRow.reported_at,
                  TicketRow.accepted_at, TicketRow.resolved_at, TicketRow.status, TicketRow.outcome,
                  TicketRow.description_sig, TicketRow.grid_code)       # TicketFact's fields, in order
PATROL_COLUMNS = (PatrolRow.id, PatrolRow.person_id, PatrolRow.occurred_at, PatrolRow.received_at, PatrolRow.lon,
                  PatrolRow.lat, PatrolRow.inside, PatrolRow.located_grid_code)
VISIT_COLUMNS = (VisitRow.id, VisitRow.person_id, VisitRow.household_id, VisitRow.grid_code, VisitRow.occurred_at,
                 VisitRow.received_at, VisitRow.notes_sig, HouseholdFact.residents)
RATING_COLUMNS = (Rating.id, Rating.rater_account_id, Rating.rater_person_id, Rating.subject_person_id, Rating.kind,
                  Rating.score, Rating.scale_max, Rating.created_at, Rating.rater_account_created_at)


def load(session, scope, period, *, person_ids=None, pause=None):
    """[PersonFacts] of the people posted in ``scope`` during ``period`` (a Period or
    its text), or of those of ``person_ids`` among them: one query per fact table (two
    for tickets: reported, resolved), by its indexed days and the moments; each person's
    patrols and visits by time. ``pause`` is called after each batch of rows read."""
    period = parse_period(period) if not isinstance(period, Period) else period
    start, end = period.bounds()
    since = start - LOOKBACK
    grids = _posts(session, scope, period.start_day, period.end_day, person_ids)
    if not grids:
        return []
    posted = select(PostFact.person_id).where(
        PostFact.grid_code.startswith(scope), PostFact.start_date <= period.end_day,
        or_(PostFact.end_date.is_(None), PostFact.end_date >= period.start_day)).scalar_subquery()
    people = set(grids)
    first_day, last_day = shanghai_date(since), period.end_day  # the indexed days, then the moments
    with detectors.cyclic_gc_paused(), _utc_moments(session):
        reported = _grouped(_rows(session, pause=pause, query=select(*TICKET_COLUMNS).where(
            _in(TicketRow.reporter_person_id, people, posted), TicketRow.reported_day.between(first_day, last_day),
            TicketRow.reported_at >= since, TicketRow.reported_at < end)),
            TicketFact._make, attrgetter("reporter_person_id"))
        resolved = _grouped(_rows(session, pause=pause, query=select(*TICKET_COLUMNS).where(
            or_(_in(TicketRow.resolved_by_person_id, people, posted),
                and_(TicketRow.resolved_by_person_id.is_(None), _in(TicketRow.responsible_person_id, people, posted))),
            TicketRow.resolved_day.between(first_day, last_day),
            TicketRow.resolved_at >= since, TicketRow.resolved_at < end)),
            TicketFact._make, attrgetter("resolver"))
        patrols = _grouped(_rows(session, pause=pause, query=select(*PATROL_COLUMNS).where(
            _in(PatrolRow.person_id, people, posted), PatrolRow.day.between(first_day, last_day),
            PatrolRow.occurred_at >= since, PatrolRow.occurred_at < end)),
            PatrolFact._make, attrgetter("person_id"))
        visits = _grouped(_rows(session, pause=pause, query=select(*VISIT_COLUMNS)
                                .outerjoin(HouseholdFact, HouseholdFact.household_id == VisitRow.household_id)
                                .where(_in(VisitRow.person_id, people, posted),
                                       VisitRow.day.between(first_day, last_day),
                                       VisitRow.occurred_at >= since, VisitRow.occurred_at < end)),
                          VisitFact._make, attrgetter("person_id"))
        received = _grouped(_rows(session, pause=pause, query=select(*RATING_COLUMNS).where(
            _in(Rating.subject_person_id, people, posted), Rating.created_at >= start, Rating.created_at < end)),
            RatingFact._make, attrgetter("subject_person_id"))
        given = _grouped(_rows(session, pause=pause, query=select(*RATING_COLUMNS).where(
            _in(Rating.rater_person_id, people, posted), Rating.created_at >= start, Rating.created_at < end)),
            RatingFact._make, attrgetter("rater_person_id"))
        by_time = attrgetter("occurred_at")   # sorted here, person by person: cheaper than one sort of all
        persons = []
        for n, (person, codes) in enumerate(sorted(grids.items())):
            if pause is not None and n % detectors.PAUSE_EVERY_PERSONS == 0:
                pause()
            persons.append(PersonFacts(
                person, tuple(codes), tuple(reported.get(person, ())), tuple(resolved.get(person, ())),
                tuple(sorted(patrols.get(person, ()), key=by_time)), tuple(sorted(visits.get(person, ()), key=by_time)),
                tuple(given.get(person, ())), tuple(received.get(person, ()))))
        return persons


def scan(session, scope, period, *, thresholds=None, patterns=None, now=None, pause=None):
    """Scan ``scope`` for ``period``: ``(new flag rows, figures)``, figures holding the
    people and facts read, the flags seen and the seconds spent reading, detecting and
    storing. ``pause`` (no arguments) is called every few tens of milliseconds of the
    work: a service's lets its other requests run meanwhile."""
    period = parse_period(period) if not isinstance(period, Period) else period
    thresholds = thresholds or flags.current_thresholds(session)
    started = time.perf_counter()
    # the collector stays paused until the facts are gone: resumed over millions of
    # them, its first passes would walk them all (5 s of a district's scan)
    with detectors.cyclic_gc_paused():
        persons = load(session, scope, period, pause=pause)
        loaded = time.perf_counter()
        found = detectors.detect_all(persons, str(period), thresholds, patterns, pause=pause)
        detected = time.perf_counter()
        rows = flags.record(session, found, now=now)
        stored = time.perf_counter()
        people, facts = len(persons), sum(person.count() for person in persons)
        detectors.release(persons, pause)
    return rows, {"people": people, "facts": facts, "flags_seen": len(found), "flags_new": len(rows),
                  "load_seconds": round(loaded - started, 3), "detect_seconds": round(detected - loaded, 3),
                  "store_seconds": round(stored - detected, 3)}


# --- incrementally ------------------------------------------------------------------------

def mark(session, people_moments):
    """Remember that facts of these (person_id, moment) arrived: their months want a
    scan. One statement; a mark already there stays as it is."""
    marks = sorted({(person, str(period_of(moment, "month"))) for person, moment in people_moments
                    if person and moment is not None})
    if marks:
        now = utcnow()
        insert_rows(session, IntegrityMark.__table__,
                    [{"person_id": person, "period": period, "marked_at": now} for person, period in marks],
                    suffix="ON CONFLICT (person_id, period) DO NOTHING")


def scan_marked(session, *, now=None, limit=50, pause=None):
    """Scan the communities of up to ``limit`` marked people, for the months marked;
    returns the new flag rows. The marks taken are removed in the same transaction."""
    marked = session.execute(select(IntegrityMark.person_id, IntegrityMark.period)
                             .order_by(IntegrityMark.marked_at).limit(limit).with_for_update(skip_locked=True)).all()
    if not marked:
        return []
    by_period = defaultdict(set)
    for person, period in marked:
        by_period[period].add(person)
    thresholds = flags.current_thresholds(session)
    rows = []
    for period, people in by_period.items():
        month = parse_period(period)
        posts = _posts(session, "", month.start_day, month.end_day, people)
        for community in sorted({code[:COMMUNITY_DIGITS] for codes in posts.values() for code in codes}):
            found, _ = scan(session, community, month, thresholds=thresholds, now=now, pause=pause)
            rows += found
    session.execute(delete(IntegrityMark).where(
        or_(*(and_(IntegrityMark.person_id == person, IntegrityMark.period == period) for person, period in marked))))
    return rows
