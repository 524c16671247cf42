"""Integrity's scan of the large district's quarter on PostgreSQL, one JSON line per figure.

In a temporary PostgreSQL database (BENCH_PG_URL, required), scoring's schema holds a
quarter (2026-Q2) of facts for 10,000 workers posted ten to a grid in about 1,000 grids
(bench.sql's layout, as bench.assessment's), made by the integrity generator
(``honest.mixed_district``): honest workers and 5% fabricators, one pattern each at a
strength from faint (a quarter of the blatant case) to blatant, so the flags can be
scored. Generating 10,000 workers takes minutes, so a base district of
BENCH_INTEGRITY_BASE workers (2,000, each generated on its own) is written again and
again under new ids until there are BENCH_INTEGRITY_WORKERS (10,000): every copy gets
its own person, record, household and rater ids and its own text signatures (each XORed with the copy's
own mask: a copy's own copied texts stay copies, and no two copies' texts coincide). The
rows go in by COPY in the order facts arrive (day by day, everyone's interleaved).

- ``integrity_scan_large_district_quarter``: ``scan.scan`` of the county for the quarter,
  from the fact tables to the stored flags, with the time to load, detect and store,
  pausing as the service does; aim: under 60 s.
- ``integrity_scan_event_loop``: meanwhile, how long another greenthread waited at most
  (and at the 99th percentile) between two turns: what a call to scoring waits while a
  district is scanned.
- ``integrity_precision_recall``: of the flags that scan stored, against the patterns
  laid on (a person counts as caught when flagged with their own pattern), with the
  recall by strength, beside the same figures of the detectors run on the generator's
  own objects (``reference``: the 2,000 workers generated one by one, none a copy).
- ``integrity_detectors_by_pattern``: each pattern's detector alone over the district's
  facts as the scan loads them (where detect_seconds goes; alone, each pays for turning
  the moments into seconds that the scan does once for all).
- ``integrity_incremental_scan``: 50 people's facts of a month marked (``scan.mark``), as
  the feed marks them, then ``scan.scan_marked``: each marked person's community (50
  people) scanned for the month; beside the timer's interval, which it must stay under.

Progress goes to stderr. Without BENCH_PG_URL a line says the bench was skipped.
"""
import datetime as dt
import json
import os
import random
import sys
import time
from collections import defaultdict

from sqlalchemy import create_engine, make_url, select, text

from bench.run import HOST, PG_URL
from bench.sql import (COUNTY, NULL, PEOPLE_PER_GRID, copy_lines, grid_code, person_id, posts_step, run_steps,
                       scratch_database)
from common.cli import open_database

WORKERS = int(os.environ.get("BENCH_INTEGRITY_WORKERS", "10000"))
BASE = int(os.environ.get("BENCH_INTEGRITY_BASE", "2000"))
SHARE = 0.05
SEED = 17
PERIOD = "2026-Q2"
MONTH, MARKED_PEOPLE = "2026-05", 50
AIM_SECONDS = 60.0
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def emit(**figure):
    print(json.dumps(figure, ensure_ascii=False), flush=True)


# --- the district, as COPY lines ----------------------------------------------------------
# Each base fact is formatted once, into what no copy changes; a copy only fills in its
# ids, its person, grid and signatures.

TICKET_COLUMNS = ("ticket_id", "number", "grid_code", "reporter_person_id", "responsible_person_id",
                  "resolved_by_person_id", "description_sig", "version", "source", "category", "reported_category",
                  "grade", "status", "outcome", "reopen_count", "reported_at", "accepted_at", "resolved_at",
                  "reported_day", "resolved_day", "written_at")
PATROL_COLUMNS = ("id", "person_id", "grid_codes", "located_grid_code", "inside", "lon", "lat", "occurred_at",
                  "received_at", "day", "written_at")
VISIT_COLUMNS = ("id", "person_id", "household_id", "grid_code", "notes_sig", "occurred_at", "received_at", "day",
                 "written_at")
RATING_COLUMNS = ("id", "rater_key", "rater_account_id", "rater_person_id", "subject_person_id", "period", "kind",
                  "score", "scale_max", "created_at", "rater_account_created_at")
HOUSEHOLD_COLUMNS = ("household_id", "grid_code", "residents", "version", "written_at")
SELF = None          # a person field that names the fact's own person


def _moment(value):
    return NULL if value is None else value.isoformat()


def _day(value):
    return NULL if value is None else value.astimezone(SHANGHAI).date().isoformat()


def _number(value):
    return NULL if value is None else repr(value)


def _sig(value):
    return None if value is None else int(value, 16)


class District:
    """The base district's facts as templates, and the lines of ``workers`` people made
    from them: person p is base person ``p % len(base)`` in copy ``p // len(base)``."""

    def __init__(self, population, workers, seed=SEED):
        self.workers = workers
        self.persons = population.persons
        self.size = len(self.persons)
        self.copies = -(-workers // self.size)
        rng = random.Random(seed)
        self.masks = [0] + [rng.getrandbits(1024) for _ in range(self.copies - 1)]
        self.truth = {person_id(p): population.truth[self.persons[p % self.size].person_id] for p in range(workers)}
        self.strength = {person_id(p): population.strength[self.persons[p % self.size].person_id]
                         for p in range(workers) if self.persons[p % self.size].person_id in population.strength}
        self.written = dt.datetime.now(dt.timezone.utc).isoformat()
        self.tickets, self.patrols, self.visits, self.ratings = (defaultdict(list) for _ in range(4))
        self.households = {}
        for b, person in enumerate(self.persons):
            self._templates(b, person)

    def _person_field(self, value, own):
        return SELF if value == own else (NULL if value is None else value)

    def _templates(self, b, person):
        own = person.person_id
        tickets = {t.ticket_id: t for t in person.tickets_reported + person.tickets_resolved}
        for j, t in enumerate(tickets.values()):
            tail = "\t".join(("1", t.source, t.category, t.category, "daily", t.status, t.outcome or NULL, "0",
                              _moment(t.reported_at), _moment(t.accepted_at), _moment(t.resolved_at),
                              _day(t.reported_at), _day(t.resolved_at), self.written))
            people = tuple(self._person_field(v, own) for v in (t.reporter_person_id, t.responsible_person_id,
                                                                 t.resolved_by_person_id))
            self.tickets[_day(t.reported_at)].append((b, j, people, _sig(t.description_sig), tail))
        for j, patrol in enumerate(person.patrols):
            tail = "\t".join(("t" if patrol.inside else "f", _number(patrol.lon), _number(patrol.lat),
                              _moment(patrol.occurred_at), _moment(patrol.received_at), _day(patrol.occurred_at),
                              self.written))
            located = None if patrol.inside else patrol.located_grid_code or NULL    # None: the post's grid
            self.patrols[_day(patrol.occurred_at)].append((b, j, located, tail))
        for j, visit in enumerate(person.visits):
            tail = "\t".join((_moment(visit.occurred_at), _moment(visit.received_at), _day(visit.occurred_at),
                              self.written))
            self.visits[_day(visit.occurred_at)].append((b, j, visit.household_id, _sig(visit.notes_sig), tail))
            if self.households.get((b, visit.household_id)) is None:
                self.households[(b, visit.household_id)] = visit.household_residents
        own_given = [r for r in person.ratings_given if r.subject_person_id != own]  # a self rating is received too
        for j, rating in enumerate(person.ratings_received + tuple(own_given)):
            tail = "\t".join((PERIOD, rating.kind, str(rating.score), str(rating.scale_max),
                              _moment(rating.created_at), _moment(rating.rater_account_created_at)))
            rater = self._person_field(rating.rater_person_id, own)
            self.ratings[_day(rating.created_at)].append(
                (b, j, rating.rater_account_id, rater, self._person_field(rating.subject_person_id, own), tail))
        # ratings given to people outside the district (a chief's made-up members) are
        # written too, as if rated before those people left: the rater is the one scanned.

    def _people(self, b):
        """(copy, p) of base person b's copies."""
        return [(n, n * self.size + b) for n in range(self.copies) if n * self.size + b < self.workers]

    def _by_day(self, templates):
        """Day by day, every copy of the day's facts: the order they would arrive in."""
        for day in sorted(templates):
            rows = templates[day]
            for n in range(self.copies):
                first = n * self.size
                for row in rows:
                    p = first + row[0]
                    if p < self.workers:
                        yield n, p, row

    def _account(self, rater, n):
        """A rater's account in copy n: the copy's own (a worker's, a chief's, a
        resident's, one made in bulk), but a department's, which rates everyone."""
        if rater.startswith("dept-"):
            return rater
        return f"{rater}~{n}"

    def ticket_lines(self):
        for n, p, (b, j, people, sig, tail) in self._by_day(self.tickets):
            pid, mask = person_id(p), self.masks[n]
            fields = "\t".join(pid if v is SELF else v for v in people)
            signature = NULL if sig is None else format(sig ^ mask, "0256x")
            yield f"t{p}.{j}\tN{p}.{j}\t{grid_code(p // PEOPLE_PER_GRID)}\t{fields}\t{signature}\t{tail}\n"

    def patrol_lines(self):
        for n, p, (b, j, located, tail) in self._by_day(self.patrols):
            grid = grid_code(p // PEOPLE_PER_GRID)
            yield f'p{p}.{j}\t{person_id(p)}\t["{grid}"]\t{grid if located is None else located}\t{tail}\n'

    def visit_lines(self):
        for n, p, (b, j, household, sig, tail) in self._by_day(self.visits):
            signature = NULL if sig is None else format(sig ^ self.masks[n], "0256x")
            yield (f"v{p}.{j}\t{person_id(p)}\t{household}~{n}\t{grid_code(p // PEOPLE_PER_GRID)}\t{signature}"
                   f"\t{tail}\n")

    def rating_lines(self):
        for n, p, (b, j, rater, rater_person, subject, tail) in self._by_day(self.ratings):
            account = self._account(rater, n)
            rater_person = person_id(p) if rater_person is SELF else rater_person
            subject = person_id(p) if subject is SELF else f"{subject}~{n}"
            yield f"r{p}.{j}\t{account}\t{account}\t{rater_person}\t{subject}\t{tail}\n"

    def household_lines(self):
        for (b, household), residents in self.households.items():
            for n, p in self._people(b):
                yield (f"{household}~{n}\t{grid_code(p // PEOPLE_PER_GRID)}\t"
                       f"{NULL if residents is None else residents}\t1\t{self.written}\n")


def write(url, district):
    """The posts by SQL, the facts by COPY, then VACUUM ANALYZE (as a live table would
    be: statistics known, pages all visible)."""
    run_steps(url, [posts_step(district.workers)], "wrote")
    engine = create_engine(url)
    counts = {}
    raw = engine.raw_connection()
    try:
        for table, columns, lines in (
                ("ticket_facts", TICKET_COLUMNS, district.ticket_lines()),
                ("patrol_facts", PATROL_COLUMNS, district.patrol_lines()),
                ("visit_facts", VISIT_COLUMNS, district.visit_lines()),
                ("household_facts", HOUSEHOLD_COLUMNS, district.household_lines()),
                ("ratings", RATING_COLUMNS, district.rating_lines())):
            started = time.perf_counter()
            counts[table] = copy_lines(raw, table, columns, lines)
            raw.commit()
            log(f"wrote {counts[table]:,} {table} in {time.perf_counter() - started:.1f} s")
    finally:
        raw.close()
    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM (ANALYZE)"))
    log(f"vacuumed and analysed in {time.perf_counter() - started:.1f} s")
    engine.dispose()
    return counts


# --- the figures ------------------------------------------------------------------------

def _scored(result, checks):
    """The figures of ``honest.evaluate``, and how many flags each check of a pattern
    with several raised (``checks``: the flags' ``figures["check"]``)."""
    by_check = defaultdict(dict)
    for pattern, check in checks:
        if check:
            by_check[pattern][check] = by_check[pattern].get(check, 0) + 1
    return {"precision": result["precision"], "recall": result["recall"], "fabricators": result["fabricators"],
            "honest": result["persons"] - result["fabricators"], "flags": result["flags"],
            "false_flags": result["false_flags"], "recall_by_strength": result["by_strength"],
            "per_pattern": result["by_pattern"], "flags_by_check": by_check}


def by_pattern(session, period, patterns):
    """Seconds of each pattern's detector alone over the district's facts, as the scan
    loads them (the scan's detect_seconds runs them all over one View a person)."""
    from scoring.integrity import detectors, scan
    with detectors.cyclic_gc_paused():
        persons = scan.load(session, COUNTY, period)
        seconds = {}
        for pattern in patterns:
            started = time.perf_counter()
            detectors.detect_all(persons, period, patterns=[pattern])
            seconds[pattern] = round(time.perf_counter() - started, 2)
        del persons
    return seconds


def main():
    if not PG_URL:  # as bench.assessment: a line that says so, and `make bench` goes on
        emit(benchmark="integrity_scan_large_district_quarter", skipped="needs BENCH_PG_URL (PostgreSQL)")
        return
    if make_url(PG_URL).host not in (HOST, "localhost"):
        sys.exit("bench: BENCH_PG_URL must name a server on 127.0.0.1")
    from scoring import MIGRATIONS_DIR
    from scoring.integrity import detectors, honest, scan
    from scoring.integrity.thresholds import PATTERNS
    from scoring.models import IntegrityFlag

    started = time.perf_counter()
    base = honest.mixed_district(SEED, workers=min(BASE, WORKERS), share=SHARE, period=PERIOD,
                                 strengths=honest.GRADED_STRENGTHS)
    log(f"generated a base district of {len(base.persons):,} workers in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    found = detectors.detect_all(base.persons, PERIOD)
    reference = _scored(honest.evaluate(base, found), [(f.pattern, f.figures.get("check")) for f in found])
    log(f"the detectors alone over the base district in {time.perf_counter() - started:.1f} s")
    district = District(base, WORKERS)

    with scratch_database(PG_URL, "gridgov_bench_integrity") as url:
        handle = open_database("scoring", MIGRATIONS_DIR, {"DB_URL": url})
        counts = write(url, district)
        EventLoopWatch.green_driver()   # after the COPYs, which a green connection cannot make
        handle.engine.dispose()

        log("scanning the district's quarter, as the service does: pausing for other greenthreads ...")
        started, cpu = time.perf_counter(), time.process_time()
        with handle.transaction() as session, EventLoopWatch() as watch:
            _, figures = scan.scan(session, COUNTY, PERIOD, pause=watch.pause)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        emit(benchmark="integrity_scan_large_district_quarter", seconds=round(seconds, 2), aim_seconds=AIM_SECONDS,
             people=figures["people"], facts=figures["facts"], rows=counts, load_seconds=figures["load_seconds"],
             detect_seconds=figures["detect_seconds"], store_seconds=figures["store_seconds"],
             flags=figures["flags_new"], period=PERIOD, **_machine(cpu))
        emit(benchmark="integrity_scan_event_loop", pauses=watch.pauses, ticks=watch.ticks,
             longest_gap_ms=round(watch.longest * 1000, 1), p99_gap_ms=watch.quantile(0.99),
             longest_between_pauses={"ms": round(watch.stretch[0] * 1000, 1), "from": watch.stretch[1],
                                     "to": watch.stretch[2]},
             reference_ms={"before the pauses (detecting, in one piece)": round(figures["detect_seconds"] * 1000),
                           "gateway RPC bound": 3_000},
             what="the longest time another greenthread (a call, an event, a heartbeat) waited during the scan")

        with handle.read() as session:
            stored = session.execute(select(IntegrityFlag.pattern, IntegrityFlag.person_id, IntegrityFlag.figures)
                                     .where(IntegrityFlag.period == PERIOD)).all()
        scored = honest.evaluate(honest.Population(persons=(), truth=district.truth, strength=district.strength),
                                 stored)
        emit(benchmark="integrity_precision_recall",
             **_scored(scored, [(row.pattern, row.figures.get("check")) for row in stored]),
             reference={"what": f"the detectors on the generator's own {len(base.persons):,} workers, no database",
                        **reference})

        log("each pattern alone ...")
        with handle.read() as session:
            seconds_by_pattern = by_pattern(session, PERIOD, PATTERNS)
        emit(benchmark="integrity_detectors_by_pattern", seconds=seconds_by_pattern,
             sum_seconds=round(sum(seconds_by_pattern.values()), 2), scan_detect_seconds=figures["detect_seconds"],
             people=figures["people"], period=PERIOD)

        marked = random.Random(SEED).sample(range(WORKERS), MARKED_PEOPLE)
        moment = dt.datetime.fromisoformat(f"{MONTH}-15T10:00:00+08:00")
        with handle.transaction() as session:
            scan.mark(session, [(person_id(p), moment) for p in marked])
        started, cpu = time.perf_counter(), time.process_time()
        with handle.transaction() as session:
            raised = scan.scan_marked(session, limit=MARKED_PEOPLE)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        communities = len({grid_code(p // PEOPLE_PER_GRID)[:scan.COMMUNITY_DIGITS] for p in marked})
        emit(benchmark="integrity_incremental_scan", seconds=round(seconds, 2), marked_people=MARKED_PEOPLE,
             communities=communities, seconds_per_community=round(seconds / communities, 3), period=MONTH,
             flags_new=len(raised), timer_interval_seconds=_timer_interval(), **_machine(cpu))
        handle.engine.dispose()


def _caller():
    """Where the scan paused: its two innermost functions."""
    frame = sys._getframe(2)
    return f"{frame.f_back.f_code.co_name}>{frame.f_code.co_name}:{frame.f_lineno}"


class EventLoopWatch:
    """A greenthread that wakes every millisecond while the scan runs in the main one,
    as scoring's other work would: the gaps between its wakes are how long that work
    waited. PostgreSQL's driver waits green here, as in the service (its wait callback,
    which ``nameko run`` installs with the rest of eventlet's patches)."""

    @staticmethod
    def green_driver():
        """PostgreSQL's driver waiting green, as in the service: for the connections made
        after this (psycopg2 decides it as it connects)."""
        import eventlet.support.psycopg2_patcher as psycopg_patcher
        psycopg_patcher.make_psycopg_green()

    def __enter__(self):
        import eventlet
        self._eventlet, self.pauses, self.ticks, self.gaps, self.running = eventlet, 0, 0, [], True
        self._thread = eventlet.spawn(self._tick)
        eventlet.sleep(0)
        return self

    def _tick(self):
        last = time.perf_counter()
        while self.running:
            self._eventlet.sleep(0.001)
            now = time.perf_counter()
            self.gaps.append(now - last)
            self.ticks += 1
            last = now

    def pause(self):
        """The scan's pause; remembers the longest stretch between two and where it was."""
        now, site = time.perf_counter(), _caller()
        stretch = now - getattr(self, "_last", now)
        if stretch > getattr(self, "stretch", (0,))[0]:
            self.stretch = (stretch, getattr(self, "_site", "start"), site)
        self.pauses += 1
        self._eventlet.sleep(0)
        self._last, self._site = time.perf_counter(), site

    @property
    def longest(self):
        return max(self.gaps, default=0.0)

    def quantile(self, q):
        ordered = sorted(self.gaps)
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1) if ordered else 0.0

    def __exit__(self, *exc):
        self.running = False
        self._thread.wait()


def _machine(cpu):
    """This process's CPU seconds (the scan is mostly Python; PostgreSQL's share is the
    rest of the time) and the machine's load: on a shared 2-core machine the wall time
    follows what else runs."""
    return {"client_cpu_seconds": round(cpu, 2), "load_average_1min": round(os.getloadavg()[0], 2)}


def _timer_interval():
    from scoring.integrity.endpoints import SCAN_SECONDS
    return SCAN_SECONDS


if __name__ == "__main__":
    main()
