"""Scoring's facts feed (scoring.feed) and its rebuild (scoring.rebuild), one JSON line
per figure, each beside its reference:

- ``raw_kombu_consume``: a bare kombu consumer (prefetch 100, one ack per message,
  JSON bodies) draining BENCH_SCORING_EVENTS (50,000) of the same envelopes from a
  durable queue: what broker and client allow on this machine (4,840 messages/s in
  2026-11).
- ``scoring_live_ticket_reported``: ``ticket_reported`` events published at
  BENCH_SCORING_LIVE_RATE (80/s, about the gateway's intake rate) for
  BENCH_SCORING_LIVE_SECONDS (20) while scoring keeps up: the CPU of the scoring
  process per consumed event (``/proc/<pid>/stat``, user + system), the figure
  ``bench.tickets`` showed per intake (2.5 ms on 2026-12-06; aim: half).
- ``scoring_backlog_ticket_reported`` and ``scoring_backlog_mixed``: scoring is
  stopped (SIGSTOP) while BENCH_SCORING_EVENTS events wait in its queues, then
  continued (SIGCONT) and timed until every one is applied (its ``processed_events``
  rows): events/s against the aim of 2,000/s and against the raw consumer of the same
  run (aim: 0.4 of it), and CPU per event, of scoring and of the whole machine by part
  (``bench.run.cpu_seconds_by_part``: RabbitMQ, PostgreSQL, ...). The first backlog is
  ``ticket_reported`` only (the costliest handler: claim, reported ticket, trail mark,
  fact); the mixed one is half ticket lifecycles (reported, accepted, resolved, rated,
  closed), half rounds, visits, households and posts.
- ``scoring_rebuild``: ``scoring.rebuild_facts`` over RPC, from scratch (the fact
  tables emptied), of BENCH_SCORING_FACTS (3,000,000) records that the owners serve
  through their paged RPCs: tickets 30%, patrols 37%, visits 20%, households 13%, posts
  (10,000). The owners' tables are filled with bulk SQL first (``rebuild_seed``, not
  timed). Aim: under 600 s. Only with BENCH_PG_URL; BENCH_SCORING_FACTS=0 skips it.

Events are in the platform's envelope (common.events.make_envelope), with the payloads
the owners publish (tickets.snapshots.step_event's snapshot and trail mark; people's
patrol, visit, household and post payloads), published persistent to the owners'
event exchanges and routed to the queues scoring's handlers consume (declared as the
owners' relays declare them, common.outbox.consumer_queues).

Set-up and tear-down as ``bench.run`` (``bench_environment``: fresh vhost, temporary
databases with BENCH_PG_URL, else SQLite); scoring, and for the rebuild people and
tickets, run as ``nameko run`` processes.
"""
import datetime as dt
import hashlib
import os
import random
import signal
import sys
import time
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

import requests
from kombu import Connection, Consumer, Exchange, Producer, Queue
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from bench.run import (PG_URL, START_TIMEOUT, bench_environment, cpu_ms_per_call, cpu_seconds_by_part, log)
from bench.sql import run_steps
from bench.tickets import emit, generate_tickets
from common.config import database_url
from common import textsig
from common.contract import subscriptions_of
from common.launcher import BY_NAME, ServiceProcess
from common.outbox import consumer_queues
from people.models import Assignment, Household, PatrolCheckin, Person, Visit

EVENTS = int(os.environ.get("BENCH_SCORING_EVENTS", "50000"))
LIVE_RATE = float(os.environ.get("BENCH_SCORING_LIVE_RATE", "80"))
LIVE_SECONDS = float(os.environ.get("BENCH_SCORING_LIVE_SECONDS", "20"))
FACTS = int(os.environ.get("BENCH_SCORING_FACTS", "3000000"))

RAW_REFERENCE = 4840.0  # messages/s, raw kombu consume on this machine (2026-11)
RATE_AIM = 2000.0  # events/s
RATIO_AIM = 0.4  # of the raw consumer
CPU_REFERENCE_MS = 2.5  # scoring's CPU per ticket_reported (per intake), 2026-12-06
CPU_AIM_MS = 1.25
REBUILD_AIM_SECONDS = 600.0
DRAIN_TIMEOUT = 900
RAW_PREFETCH = 100
RAW_QUEUE = "bench-raw-consume"
# What integrity reads travels in events and pages as the owners send it: text
# signatures of notes and descriptions of a realistic length (a pool, signed once).
SIGNATURES = tuple(textsig.signature("".join(chr(text.randrange(0x4E00, 0x9FA5)) for _ in range(40)))
                   for text in (random.Random(n) for n in range(64)))
OURS = set()  # pids of this run's components: other runs' (a test suite's) count as "other"


# --- events as the owners publish them ------------------------------------------------

class Events:
    """Envelopes in the platform's shape; deterministic ids of people and grids."""

    def __init__(self, grid_codes, seed=16):
        from common.events import make_envelope
        self.envelope = make_envelope
        self.rng = random.Random(seed)
        self.grids = grid_codes
        self.people = [str(uuid.UUID(int=self.rng.getrandbits(128), version=4)) for _ in range(1000)]
        self.day = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)
        self.numbers = 0

    def _id(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _moment(self, base, spread_seconds):
        return base + dt.timedelta(seconds=self.rng.uniform(0, spread_seconds))

    def ticket_lifecycle(self, steps=1):
        """The events of one ticket, reported first: ``steps`` of reported, accepted,
        resolved, rated, closed, each with the snapshot after it (tickets.snapshots)."""
        ticket_id, person = self._id(), self.rng.choice(self.people)
        grid = self.rng.choice(self.grids)
        reported = self._moment(self.day, 5 * 86400)
        self.numbers += 1
        snapshot = {
            "ticket_id": ticket_id, "number": f"{reported:%Y%m%d}-{self.numbers % 100000:05d}", "version": 1,
            "grid_code": grid, "source": self.rng.choice(("grid_patrol", "grid_patrol", "resident_report",
                                                          "hotline_12345")),
            "category": "UM02", "reported_category": "UM02", "grade": "daily", "status": "reported",
            "level": "grid", "outcome": None, "satisfaction": None, "reopen_count": 0, "duplicate_of": None,
            "resolved_level": None, "reporter_person_id": person, "responsible_person_id": person,
            "responsible_grid_code": grid, "resolved_by_person_id": None,
            "description_sig": self.rng.choice(SIGNATURES), "reported_at": reported.isoformat(), "accepted_at": None,
            "resolved_at": None, "feedback_at": None, "rated_at": None, "closed_at": None,
            "resolve_due": (reported + dt.timedelta(days=5)).isoformat(), "on_time": None}
        head = hashlib.sha256(ticket_id.encode())
        at = reported
        plan = (("ticket_reported", "report", {}),
                ("ticket_accepted", "accept", {"status": "accepted"}),
                ("ticket_resolved", "resolve", {"status": "resolved", "outcome": "fixed", "resolved_level": "grid"}),
                ("ticket_rated", "rate", {"status": "rated", "satisfaction": 5}),
                ("ticket_closed", "close", {"status": "closed"}))
        events = []
        for seq, (event_type, action, change) in enumerate(plan[:steps], start=1):
            snapshot.update(change, version=seq)
            if action == "accept":
                snapshot["accepted_at"] = at.isoformat()
            elif action == "resolve":
                snapshot["resolved_at"], snapshot["on_time"] = at.isoformat(), True
                snapshot["resolved_by_person_id"] = person
            elif action == "rate":
                snapshot["feedback_at"] = snapshot["rated_at"] = at.isoformat()
            elif action == "close":
                snapshot["closed_at"] = at.isoformat()
            head.update(action.encode())
            payload = dict(snapshot, action=action, at=at.isoformat(),
                           actor_person_id=person if action != "rate" else None,
                           trail_seq=seq, trail_head=head.hexdigest())
            events.append(("tickets", event_type, payload))
            at += dt.timedelta(hours=self.rng.uniform(0.5, 20))
        return events

    def patrol(self):
        grid, occurred = self.rng.choice(self.grids), self._moment(self.day, 5 * 86400)
        return ("people", "patrol_logged", {
            "id": self._id(), "person_id": self.rng.choice(self.people), "grid_codes": [grid],
            "located_grid_code": grid, "inside": self.rng.random() < 0.9,
            "lon": 120.6 + self.rng.random() / 10, "lat": 31.3 + self.rng.random() / 10,
            "occurred_at": occurred.isoformat(),
            "received_at": (occurred + dt.timedelta(seconds=30)).isoformat()})

    def visit(self):
        occurred = self._moment(self.day, 5 * 86400)
        return ("people", "visit_logged", {
            "id": self._id(), "person_id": self.rng.choice(self.people), "household_id": self._id(),
            "grid_code": self.rng.choice(self.grids), "notes_sig": self.rng.choice(SIGNATURES),
            "occurred_at": occurred.isoformat(), "received_at": (occurred + dt.timedelta(seconds=30)).isoformat()})

    def household(self):
        grid = self.rng.choice(self.grids)
        return ("people", "household_registered", {
            "household_id": self._id(), "grid_code": grid, "place_code": f"{grid}9{self.rng.randrange(10000):04d}",
            "residents": 0, "version": 1})

    def post(self):
        return ("people", "person_assigned", {
            "id": self._id(), "person_id": self._id(), "grid_code": self.rng.choice(self.grids),
            "role": "full_time_worker", "role_label": "专职网格员", "start_date": "2026-01-01", "end_date": None,
            "version": 1})

    def reported(self, count):
        return [self.wrap(event) for _ in range(count) for event in self.ticket_lifecycle(1)]

    def mixed(self, count):
        """Half ticket lifecycles of five events, then rounds, visits, households and posts
        (15 : 7 : 2 : 1), interleaved as they would be on a working day."""
        tickets = count // 2 // 5
        rest = count - 5 * tickets
        events = [event for _ in range(tickets) for event in self.ticket_lifecycle(5)]
        kinds = [self.patrol] * 15 + [self.visit] * 7 + [self.household] * 2 + [self.post]
        events += [kinds[n % len(kinds)]() for n in range(rest)]
        # Each type has a queue of its own; a ticket's events stay in their order.
        order = sorted(range(len(events)),
                       key=lambda n: self.rng.random() if events[n][0] == "people" else n / len(events))
        return [self.wrap(events[n]) for n in order]

    def wrap(self, event):
        source, event_type, payload = event
        return source, event_type, self.envelope(source, event_type, payload)


# --- the broker ---------------------------------------------------------------------

def scoring_queues():
    """{source: [kombu Queue]} of scoring's handlers, declared as the owners' relays do."""
    from nameko.events import get_event_exchange
    queues = {}
    for source in ("tickets", "people"):
        ours = {event_type: tuple(c for c in consumers if c.startswith("scoring."))
                for event_type, consumers in subscriptions_of(source).items()}
        ours = {event_type: consumers for event_type, consumers in ours.items() if consumers}
        queues[source] = consumer_queues(source, get_event_exchange(source, {}), ours)
    return queues


def publish(amqp_uri, events, rate=None):
    """Publish (source, event_type, envelope) persistent to the source's event exchange;
    at ``rate`` per second if given. Returns once the broker has them all (the channel
    is closed, which the broker answers after the messages before it)."""
    exchanges = {source: Exchange(f"{source}.events", type="topic", durable=True) for source in ("tickets", "people")}
    with Connection(amqp_uri) as connection:
        producer = Producer(connection.channel(), serializer="json")
        started = time.monotonic()
        for n, (source, event_type, envelope) in enumerate(events):
            if rate:
                wait = started + n / rate - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
            producer.publish(envelope, exchange=exchanges[source], routing_key=event_type, delivery_mode=2,
                             message_id=envelope["event_id"], content_encoding="utf-8")
        producer.channel.close()


def ready_messages(channel, queues):
    return sum(channel.queue_declare(queue=q.name, passive=True).message_count for q in queues)


def raw_kombu_consume(amqp_uri, events):
    """Messages/s of a bare kombu consumer draining ``events`` from a durable queue."""
    queue = Queue(RAW_QUEUE, durable=True, auto_delete=False)
    with Connection(amqp_uri) as connection:
        bound = queue(connection.channel())
        bound.declare()
        producer = Producer(connection.channel(), serializer="json")
        for _, _, envelope in events:
            producer.publish(envelope, exchange="", routing_key=RAW_QUEUE, delivery_mode=2,
                             message_id=envelope["event_id"])
        producer.channel.close()
    received = []

    def on_message(body, message):
        received.append(body["event_id"])
        message.ack()

    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        consumer = Consumer(channel, queues=[queue], callbacks=[on_message], accept=["json"])
        consumer.qos(prefetch_count=RAW_PREFETCH)
        cpu_before = own_cpu_seconds()
        started = time.perf_counter()
        with consumer:
            while len(received) < len(events):
                connection.drain_events(timeout=30)
        seconds = time.perf_counter() - started
        cpu = own_cpu_seconds() - cpu_before
        queue(channel).delete()
    return len(received) / seconds, 1000 * cpu / len(received)


# --- processes and CPU ----------------------------------------------------------------

def pid_cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds():
    times = os.times()
    return times.user + times.system


@contextmanager
def services(env, log_dir, *names):
    """``nameko run`` processes of the named components, healthy; stopped on exit."""
    processes = {name: ServiceProcess(BY_NAME[name], env, log_dir / f"{name}.log") for name in names}
    try:
        for process in processes.values():
            OURS.add(process.start().process.pid)
        for process in processes.values():
            process.wait_healthy(START_TIMEOUT)
        yield processes
    except Exception:
        for process in processes.values():
            tail = process.log_path.read_text(errors="replace").splitlines()[-15:] if process.log_path.exists() else []
            log(f"--- last lines of {process.component.name}.log ---\n" + "\n".join(tail))
        raise
    finally:
        for process in processes.values():
            if process.alive():
                os.kill(process.process.pid, signal.SIGCONT)  # a stopped process cannot take its SIGTERM
            process.stop()


@contextmanager
def stopped(process):
    """The process stopped (SIGSTOP) inside the block, continued on the way out."""
    os.kill(process.process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(process.process.pid, signal.SIGCONT)


def batch_sizes(process):
    """{"batches", "events"} the process's idempotent consumers took so far (its /metrics)."""
    found = {"batches": 0.0, "events": 0.0}
    response = requests.get(f"{process.url}/metrics", timeout=10)
    response.raise_for_status()
    for family in text_string_to_metric_families(response.text):
        if family.name == "gridgov_event_batch_size":
            for sample in family.samples:
                if sample.name.endswith("_count"):
                    found["batches"] += sample.value
                elif sample.name.endswith("_sum"):
                    found["events"] += sample.value
    return found


def mean_batch(before, after):
    batches = after["batches"] - before["batches"]
    return round((after["events"] - before["events"]) / batches, 1) if batches else None


# --- measurement ------------------------------------------------------------------------

class Scoring:
    """The running scoring process, its queues and its claims."""

    def __init__(self, process, amqp_uri, db_url):
        self.process, self.amqp_uri = process, amqp_uri
        self.queues = [q for queues in scoring_queues().values() for q in queues]
        self.engine = create_engine(db_url)
        with Connection(amqp_uri) as connection:  # scoring may answer /healthz before its consumers declare them
            channel = connection.channel()
            for queue in self.queues:
                queue(channel).declare()

    def applied(self):
        with self.engine.connect() as connection:
            return connection.scalar(text("SELECT count(*) FROM processed_events"))

    def wait_applied(self, target, since):
        """Seconds from ``since`` until ``target`` claims are stored: the queues' ready
        counts polled first (cheap for the broker), then the claims."""
        deadline = since + DRAIN_TIMEOUT
        with Connection(self.amqp_uri) as connection:
            channel = connection.channel()
            while ready_messages(channel, self.queues) and time.perf_counter() < deadline:
                self._check_alive()
                time.sleep(0.1)
        deadline = min(deadline, time.perf_counter() + 60)  # the last batches, at most
        while time.perf_counter() < deadline:
            applied = self.applied()
            if applied >= target:
                return time.perf_counter() - since
            self._check_alive()
            time.sleep(0.02)
        sys.exit(f"bench: scoring applied {applied} events, not {target}; see {self.process.log_path}")

    def _check_alive(self):
        if not self.process.alive():
            sys.exit(f"bench: scoring exited; see {self.process.log_path}")

    def cpu(self):
        return pid_cpu_seconds(self.process.process.pid)


def backlog(name, scoring, events, raw_rate, **labels):
    """Stop scoring, publish ``events``, continue it and time it until all are applied."""
    target = scoring.applied() + len(events)
    batches_before = batch_sizes(scoring.process)
    log(f"{name}: publishing {len(events):,} events while scoring is stopped ...")
    with stopped(scoring.process):
        publish(scoring.amqp_uri, events)
        machine_before, scoring_before = cpu_seconds_by_part(OURS), scoring.cpu()
        started = time.perf_counter()
    seconds = scoring.wait_applied(target, started)
    scoring_cpu, machine_after = scoring.cpu() - scoring_before, cpu_seconds_by_part(OURS)
    by_part, total = cpu_ms_per_call(machine_before, machine_after, len(events))
    rate = len(events) / seconds
    figure = dict(
        benchmark=name, events=len(events), seconds=round(seconds, 2), events_per_second=round(rate, 1),
        aim_events_per_second=RATE_AIM, raw_kombu_messages_per_second=round(raw_rate, 1),
        ratio_to_raw=round(rate / raw_rate, 3), aim_ratio_to_raw=RATIO_AIM,
        scoring_cpu_ms_per_event=round(1000 * scoring_cpu / len(events), 3),
        reference_scoring_cpu_ms_per_event=CPU_REFERENCE_MS, aim_scoring_cpu_ms_per_event=CPU_AIM_MS,
        machine_cpu_ms_per_event=total, machine_cpu_ms_per_event_by_part=by_part,
        mean_batch=mean_batch(batches_before, batch_sizes(scoring.process)), **labels)
    emit(**figure)
    return figure


def live(scoring, events, **labels):
    """Publish ``events`` at LIVE_RATE while scoring runs; CPU per event once all are applied."""
    name = "scoring_live_ticket_reported"
    target = scoring.applied() + len(events)
    batches_before = batch_sizes(scoring.process)
    log(f"{name}: {len(events):,} events at {LIVE_RATE:g}/s ...")
    machine_before, scoring_before = cpu_seconds_by_part(OURS), scoring.cpu()
    started = time.perf_counter()
    publish(scoring.amqp_uri, events, rate=LIVE_RATE)
    published = time.perf_counter() - started
    lag = scoring.wait_applied(target, started) - published
    scoring_cpu, machine_after = scoring.cpu() - scoring_before, cpu_seconds_by_part(OURS)
    by_part, total = cpu_ms_per_call(machine_before, machine_after, len(events))
    emit(benchmark=name, events=len(events), rate_per_second=LIVE_RATE,
         scoring_cpu_ms_per_event=round(1000 * scoring_cpu / len(events), 3),
         reference_scoring_cpu_ms_per_event=CPU_REFERENCE_MS, aim_scoring_cpu_ms_per_event=CPU_AIM_MS,
         machine_cpu_ms_per_event=total, machine_cpu_ms_per_event_by_part=by_part,
         mean_batch=mean_batch(batches_before, batch_sizes(scoring.process)),
         seconds_behind_at_the_end=round(max(lag, 0.0), 2), **labels)


# --- the rebuild -------------------------------------------------------------------------

def rebuild_mix(total):
    """{table: records} of ``total``: tickets 30%, patrols 37%, visits 20%, posts 10,000
    (a large district's staff), households the rest."""
    posts = min(10_000, total // 100)
    tickets, patrols, visits = int(total * 0.30), int(total * 0.37), int(total * 0.20)
    return {"tickets": tickets, "patrols": patrols, "visits": visits, "posts": posts,
            "households": total - tickets - patrols - visits - posts}


def _array(values):
    return "ARRAY[" + ",".join(f"'{value}'" for value in values) + "]"


def seed_people(url, grid_codes, mix):
    """Staff, their posts, households, rounds and visits in people's tables, by SQL;
    ids are uuids as people makes them (md5 of a name, so rows can point at each other)."""
    codes, n, signatures = _array(grid_codes), len(grid_codes), _array(SIGNATURES)
    persons, posts, homes, rounds, visits = (model.__tablename__ for model in (
        Person, Assignment, Household, PatrolCheckin, Visit))
    staff, households = mix["posts"], mix["households"]
    person = f"md5('person-' || (%s %% {staff}))::uuid::text"
    steps = [
        (persons, f"""
            INSERT INTO {persons} (id, name, party_member, smartphone_user, violation_recorded, status,
                                   created_at, updated_at)
            SELECT md5('person-' || p)::uuid::text, '网格员' || p, p % 3 = 0, true, false, 'active', now(), now()
            FROM generate_series(0, {staff - 1}) AS p"""),
        (posts, f"""
            INSERT INTO {posts} (id, person_id, grid_code, role, start_date, end_date, created_at, version)
            SELECT md5('post-' || p)::uuid::text, md5('person-' || p)::uuid::text, ({codes})[1 + p / 10 % {n}],
                   (ARRAY['grid_chief','full_time_worker','part_time_worker','part_time_worker'])[1 + p % 4],
                   DATE '2026-01-01', NULL, now(), 1
            FROM generate_series(0, {staff - 1}) AS p"""),
        (homes, f"""
            INSERT INTO {homes} (id, place_code, grid_code, address, residents, created_at, version)
            SELECT md5('hh-' || h)::uuid::text, ({codes})[1 + h % {n}] || '9' || lpad((h % 10000)::text, 4, '0'),
                   ({codes})[1 + h % {n}], NULL, h % 5, now(), 1
            FROM generate_series(0, {households - 1}) AS h"""),
        (rounds, f"""
            INSERT INTO {rounds} (id, person_id, client_id, lon, lat, occurred_at, received_at,
                                  assigned_grid_codes, located_grid_code, inside)
            SELECT md5('pa-' || p)::uuid::text, {person % 'p'}, 'c' || p, 120.6 + (p % 1000) / 10000.0,
                   31.3 + (p % 997) / 10000.0, d, d + interval '30 seconds',
                   json_build_array(({codes})[1 + (p % {staff}) / 10 % {n}]),
                   ({codes})[1 + (p % {staff}) / 10 % {n}], p % 8 <> 0
            FROM generate_series(0, {mix['patrols'] - 1}) AS p,
                 LATERAL (SELECT TIMESTAMPTZ '2026-01-01 01:00+00' + (p % 360) * interval '1 day'
                                 + (p % 600) * interval '1 minute') AS day(d)"""),
        (visits, f"""
            INSERT INTO {visits} (id, person_id, household_id, grid_code, client_id, notes, notes_sig, occurred_at,
                                  received_at)
            SELECT md5('vi-' || v)::uuid::text, {person % 'v'}, md5('hh-' || (v % {households}))::uuid::text,
                   ({codes})[1 + (v % {households}) % {n}], 'c' || v, '入户走访', ({signatures})[1 + v % {len(SIGNATURES)}],
                   d, d + interval '30 seconds'
            FROM generate_series(0, {mix['visits'] - 1}) AS v,
                 LATERAL (SELECT TIMESTAMPTZ '2026-01-01 02:00+00' + (v % 360) * interval '1 day'
                                 + (v % 600) * interval '1 minute') AS day(d)"""),
    ]
    run_steps(url, steps, "seeded people")


def empty_facts(url):
    from scoring.facts import FACT_TABLES
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE " + ", ".join(model.__tablename__ for model in FACT_TABLES)))
    engine.dispose()


def rebuild(bench, scoring, grid_codes):
    from nameko.standalone.rpc import ClusterRpcProxy
    mix = rebuild_mix(FACTS)
    log(f"seeding the owners with {FACTS:,} records {mix} ...")
    started = time.perf_counter()
    generate_tickets(bench.db_urls["tickets"], grid_codes, mix["tickets"], SIGNATURES)
    seed_people(bench.db_urls["people"], grid_codes, mix)
    emit(benchmark="rebuild_seed", seconds=round(time.perf_counter() - started, 1), records=mix)
    empty_facts(bench.db_urls["scoring"])
    log("rebuilding scoring's facts from the owners' pages ...")
    machine_before, scoring_before = cpu_seconds_by_part(OURS), scoring.cpu()
    started = time.perf_counter()
    with ClusterRpcProxy({"AMQP_URI": bench.amqp_uri}, timeout=3 * REBUILD_AIM_SECONDS) as rpc:
        result = rpc.scoring.rebuild_facts()
    seconds = time.perf_counter() - started
    scoring_cpu, machine_after = scoring.cpu() - scoring_before, cpu_seconds_by_part(OURS)
    written = sum(result["counts"].values())
    by_part, total = cpu_ms_per_call(machine_before, machine_after, max(written, 1) / 1000)  # µs per fact
    emit(benchmark="scoring_rebuild", facts=written, seconds=round(seconds, 1),
         aim_seconds=REBUILD_AIM_SECONDS, facts_per_second=round(written / seconds),
         counts=result["counts"], refused=result["refused"], removed=result["removed"],
         scoring_cpu_us_per_fact=round(1e6 * scoring_cpu / max(written, 1), 1),
         machine_cpu_us_per_fact=total, machine_cpu_us_per_fact_by_part=by_part)
    if written != FACTS:
        log(f"the rebuild wrote {written:,} facts, not {FACTS:,}")


def district_grid_codes(count=1000):
    """Basic grids' codes in the large district's shape (bench.assessment's): 320599, town,
    community, grid."""
    return [f"320599{1 + g // 85:03d}{1 + g // 5 % 17:03d}{1 + g % 5:03d}" for g in range(count)]


def main():
    with ExitStack() as stack:
        bench = bench_environment(stack, "scoring")
        database = bench.database
        grids = district_grid_codes()
        events = Events(grids)
        log(f"generating events ({len(grids)} grids) ...")
        reported, mixed = events.reported(EVENTS), events.mixed(EVENTS)
        live_events = events.reported(int(LIVE_RATE * LIVE_SECONDS))

        log(f"raw kombu: {EVENTS:,} messages ...")
        raw_rate, raw_cpu = raw_kombu_consume(bench.amqp_uri, reported)
        emit(benchmark="raw_kombu_consume", messages=EVENTS, messages_per_second=round(raw_rate, 1),
             reference_messages_per_second=RAW_REFERENCE, client_cpu_ms_per_message=round(raw_cpu, 3),
             prefetch=RAW_PREFETCH)

        log("starting scoring ...")
        started = stack.enter_context(services(bench.env, bench.work_dir, "scoring"))
        scoring = Scoring(started["scoring"], bench.amqp_uri,
                          database_url("scoring", {"SCORING_DB_URL": bench.env.get("SCORING_DB_URL"),
                                                   "DATA_DIR": str(bench.work_dir)}))
        stack.callback(scoring.engine.dispose)
        live(scoring, live_events, database=database)
        backlog("scoring_backlog_ticket_reported", scoring, reported, raw_rate, database=database)
        backlog("scoring_backlog_mixed", scoring, mixed, raw_rate, database=database)

        if not PG_URL or FACTS <= 0:
            emit(benchmark="scoring_rebuild", skipped="needs BENCH_PG_URL (PostgreSQL)" if not PG_URL
                 else "BENCH_SCORING_FACTS=0")
            return
        log("starting people and tickets ...")
        stack.enter_context(services(bench.env, bench.work_dir, "people", "tickets"))
        rebuild(bench, scoring, grids)
        log("stopping ...")


if __name__ == "__main__":
    main()
