"""The quarterly assessment of the large district, one JSON line per figure.

In a temporary PostgreSQL database (BENCH_PG_URL, required), scoring's facts of a year
in the large district's shape are generated with bulk SQL: 10,000 workers posted in
1,000 basic grids of 200 communities in 12 towns, 400,000 households, 1,000,000 tickets,
1,200,000 patrols and 800,000 visits. Then:

- ``assessment_large_district_quarter``: ``scoring.assessments.run`` of the
  ``gaochun-street`` plan (20/80, every indicator, bound chiefs and workers) over the
  district for one quarter, from the facts to the stored draft with every breakdown;
  aim: under 10 s. Printed beside ``facts_grouped_scan``, the bare grouped scan of the
  same quarter's facts per person (one SQL per fact table), its floor on this database.
"""
import json
import sys
import time

from sqlalchemy import create_engine, make_url, text

from bench.run import HOST, PG_URL
from bench.sql import COUNTY, GRID_CODE, posts_step, run_steps, scratch_database
from common.cli import open_database

PEOPLE = 10_000
AIM_SECONDS = 10.0
QUARTER, Q_START, Q_END = "2026-Q3", "2026-07-01", "2026-09-30"


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def emit(**figure):
    print(json.dumps(figure, ensure_ascii=False), flush=True)


def generate(url):
    steps = [
        posts_step(PEOPLE),
        ("households", f"""
            INSERT INTO household_facts (household_id, grid_code, version)
            SELECT 'hh-' || h, {GRID_CODE.replace('g', '(h / 400)')} || lpad((1 + h % 10)::text, 3, '0'), 1
            FROM generate_series(0, 399999) AS h"""),
        ("tickets", f"""
            INSERT INTO ticket_facts (ticket_id, version, number, grid_code, source, category, reported_category,
                grade, status, level, outcome, satisfaction, reopen_count, duplicate_of, resolved_level,
                reporter_person_id, responsible_person_id, responsible_grid_code, reported_at, accepted_at,
                resolved_at, feedback_at, rated_at, closed_at, resolve_due, on_time, reported_day, resolved_day,
                rated_day)
            SELECT 't-' || t, 3, 'n' || t, {GRID_CODE.replace('g', '(t % 1000)')},
                   CASE WHEN t % 3 = 0 THEN 'resident_report' ELSE 'grid_patrol' END,
                   'UM02', CASE WHEN t % 50 = 0 THEN 'UM01' ELSE 'UM02' END, 'daily',
                   CASE WHEN t % 4 = 0 THEN 'handling' ELSE 'closed' END, 'grid',
                   CASE WHEN t % 4 = 0 THEN NULL WHEN t % 97 = 0 THEN 'withdrawn' ELSE 'fixed' END,
                   CASE WHEN t % 4 = 0 THEN NULL ELSE 1 + t % 5 END, 0, NULL,
                   CASE WHEN t % 4 = 0 THEN NULL WHEN t % 9 = 0 THEN 'department' ELSE 'grid' END,
                   'person-' || ((t % 1000) * 10 + 1 + t % 9), 'person-' || ((t % 1000) * 10 + 1), NULL,
                   d, d, CASE WHEN t % 4 = 0 THEN NULL ELSE d + interval '2 days' END, NULL,
                   CASE WHEN t % 4 = 0 THEN NULL ELSE d + interval '3 days' END, NULL, d + interval '5 days',
                   CASE WHEN t % 4 = 0 THEN NULL ELSE t % 7 <> 0 END, d::date,
                   CASE WHEN t % 4 = 0 THEN NULL ELSE (d + interval '2 days')::date END,
                   CASE WHEN t % 4 = 0 THEN NULL ELSE (d + interval '3 days')::date END
            FROM generate_series(0, 999999) AS t,
                 LATERAL (SELECT TIMESTAMPTZ '2026-01-01 01:00+00' + (t % 360) * interval '1 day') AS day(d)"""),
        ("patrols", """
            INSERT INTO patrol_facts (id, person_id, grid_codes, located_grid_code, inside, occurred_at, received_at, day)
            SELECT 'pa-' || p, 'person-' || (p % 10000), '[]', NULL, p % 8 <> 0, d, d, d::date
            FROM generate_series(0, 1199999) AS p,
                 LATERAL (SELECT TIMESTAMPTZ '2026-01-01 02:00+00' + (p % 360) * interval '1 day') AS day(d)"""),
        ("visits", """
            INSERT INTO visit_facts (id, person_id, household_id, grid_code, occurred_at, received_at, day)
            SELECT 'vi-' || v, 'person-' || (v % 10000), 'hh-' || ((v % 10000) / 10 * 400 + v % 397), NULL, d, d,
                   d::date
            FROM generate_series(0, 799999) AS v,
                 LATERAL (SELECT TIMESTAMPTZ '2026-01-01 03:00+00' + (v % 360) * interval '1 day') AS day(d)"""),
    ]
    run_steps(url, steps, "generated")


def grouped_scan(url):
    """The floor: each fact table of the quarter grouped per person, nothing else."""
    engine = create_engine(url)
    statements = [
        f"SELECT reporter_person_id, count(*) FROM ticket_facts WHERE reported_day BETWEEN '{Q_START}' AND '{Q_END}' "
        "GROUP BY reporter_person_id",
        f"SELECT responsible_person_id, count(*), sum(CASE WHEN on_time THEN 1 ELSE 0 END) FROM ticket_facts "
        f"WHERE resolved_day BETWEEN '{Q_START}' AND '{Q_END}' GROUP BY responsible_person_id",
        f"SELECT person_id, count(*) FROM patrol_facts WHERE day BETWEEN '{Q_START}' AND '{Q_END}' GROUP BY person_id",
        f"SELECT person_id, count(DISTINCT household_id) FROM visit_facts WHERE day BETWEEN '{Q_START}' AND "
        f"'{Q_END}' GROUP BY person_id",
    ]
    started = time.perf_counter()
    with engine.connect() as connection:
        for statement in statements:
            connection.execute(text(statement)).all()
    seconds = time.perf_counter() - started
    engine.dispose()
    return seconds


def main():
    if not PG_URL:  # as bench.tickets' statistics: a line that says so, and `make bench` goes on
        emit(benchmark="assessment_large_district_quarter", skipped="needs BENCH_PG_URL (PostgreSQL)")
        return
    if make_url(PG_URL).host not in (HOST, "localhost"):
        sys.exit("bench: BENCH_PG_URL must name a server on 127.0.0.1")
    from scoring import MIGRATIONS_DIR, assessments
    with scratch_database(PG_URL, "gridgov_bench_assess") as url:
        handle = open_database("scoring", MIGRATIONS_DIR, {"DB_URL": url})
        log("generating a year of the large district's facts ...")
        generate(url)
        with handle.transaction() as session:
            assessments.ensure_default_plans(session)
        floor = grouped_scan(url)
        started = time.perf_counter()
        with handle.transaction() as session:
            assessment = assessments.run(session, plan_code="gaochun-street", plan_version=None, period=QUARTER,
                                         scope=COUNTY, author="bench")
            subjects = assessment.summary["subjects"]
        seconds = time.perf_counter() - started
        handle.engine.dispose()
        emit(benchmark="facts_grouped_scan", seconds=round(floor, 2), period=QUARTER,
             facts={"tickets": 1_000_000, "patrols": 1_200_000, "visits": 800_000, "households": 400_000})
        emit(benchmark="assessment_large_district_quarter", seconds=round(seconds, 2), aim_seconds=AIM_SECONDS,
             subjects=subjects, plan="gaochun-street", period=QUARTER, ratio_to_grouped_scan=round(seconds / floor, 1))


if __name__ == "__main__":
    main()
