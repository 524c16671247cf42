"""A steady, realistic load against a gateway, recorded request by request.

Used by the chaos test (tests/integration/test_chaos.py, ``make chaos``), ``make load``,
``make soak`` and ``make cluster-test`` (devtools.cluster_test); the first and the last
check the run with ``audit_intakes``.

Open loop: a pacer thread hands out operations at ``rate`` per second for ``seconds``;
a few worker threads (green ones under eventlet) carry them out, so a slow platform
shows as latency and a backlog, not as a lower rate.

The mix (weights, see ``DEFAULT_MIX``):

- ``intake``: ``POST /tickets`` with an ``Idempotency-Key``, retried with the same key
  on 503, connection errors and timeouts until acknowledged (201) or ``retry_seconds``
  pass. The description carries a marker (``load:<run>:<n>``) so a check can find the
  ticket in the database.
- ``intake_keyless``: the same without a key and without retries: a 503 leaves it
  unknown whether the ticket was stored, which the chaos test checks (a callee must
  not commit after its caller's deadline).
- ``action``: the next step (accept, handle, resolve, feedback) of an acknowledged
  ticket, with its own key, retried like an intake.
- ``read``: one acknowledged ticket, or the district's list.
- ``statistics``: ``GET /tickets/statistics`` over the district's town.

Each HTTP attempt is recorded: its kind, its outcome (``ok``, ``503 <error code>``,
``4xx <error code>``, ``connection_error``, ``timeout``) and its latency. The report
gives, per kind, requests sent, acknowledged, failed with 503 by code, other failures,
throughput and p50/p95/p99 of the successful ones.

The driver makes its own district (a county code and a square at a map spot) and its
own accounts (a grid worker who reports and acts, a town leader who reads statistics)
through the admin account it is given.
"""
import argparse
import collections
import json
import queue
import random
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field

import requests

API = "/api/v1"
DEFAULT_MIX = {"intake": 40, "intake_keyless": 0, "action": 30, "read": 20, "statistics": 10}
ACTION_STEPS = (("accept", {}), ("handle", {}), ("resolve", {"outcome": "fixed", "note": "已清理 (load)"}),
                ("feedback", {"note": "已回访 (load)"}))
CATEGORY = "UM04"  # admitted to grid affairs: the grid worker accepts and resolves it
PASSWORD = "LoadPassw0rd-2026"
RETRYABLE = "retryable"


def parse_mix(text):
    """``"intake=40,action=30,read=20,statistics=10"`` -> weights; kinds not named weigh 0."""
    mix = dict.fromkeys(DEFAULT_MIX, 0)
    for part in filter(None, (p.strip() for p in text.split(","))):
        kind, _, weight = part.partition("=")
        if kind not in DEFAULT_MIX or not weight.strip().isdigit():
            raise ValueError(f"LOAD_MIX: {part!r} is not <kind>=<whole number> with a kind of {sorted(DEFAULT_MIX)}")
        mix[kind] = int(weight)
    if not any(mix.values()):
        raise ValueError("LOAD_MIX: every weight is 0")
    return mix


def percentile(ordered, p):
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else None


@dataclass
class Attempt:
    kind: str
    outcome: str  # "ok", "503 SERVICE_UNAVAILABLE", "409 VERSION_CONFLICT", "connection_error", ...
    seconds: float
    at: float  # monotonic time it was sent


@dataclass
class Intake:
    """One ticket the driver tried to file: its marker, key and what came of it."""
    marker: str
    key: str | None
    sent_at: float = 0.0  # monotonic time of the first attempt
    acknowledged: bool = False
    ticket_id: str | None = None
    attempts: int = 0
    outcomes: list = field(default_factory=list)  # each attempt's status (None: no answer)
    answers: list = field(default_factory=list)  # each attempt's outcome, as Attempt.outcome


def intake_description(marker):
    """The description an intake sends: a check finds the stored ticket by it."""
    return f"楼道垃圾桶满溢 {marker}"


@dataclass
class IntakeAudit:
    """What the database holds against what the driver was told (``audit_intakes``)."""
    lost: list  # markers of acknowledged intakes (keyed or not) not stored
    doubled: dict  # marker -> how many tickets carry it, where more than one
    unknown: set  # stored descriptions no intake of this run sent
    stored: int  # tickets stored

    @property
    def failures(self):
        return [problem for problem in (
            self.lost and f"{len(self.lost)} acknowledged, not stored: {self.lost[:10]}",
            self.doubled and f"{len(self.doubled)} stored more than once: {dict(list(self.doubled.items())[:10])}",
            self.unknown and f"{len(self.unknown)} stored that no intake sent: {sorted(self.unknown)[:10]}") if problem]


def audit_intakes(intakes, stored_descriptions):
    """Every acknowledged intake stored exactly once, none stored twice, nothing made up.
    ``stored_descriptions``: the descriptions of the district's tickets, one per row.
    An intake not acknowledged may have been stored (once): a 503 leaves it unknown."""
    stored = collections.Counter(stored_descriptions)
    lost = [i.marker for i in intakes if i.acknowledged and stored[intake_description(i.marker)] == 0]
    doubled = {i.marker: stored[intake_description(i.marker)] for i in intakes
               if stored[intake_description(i.marker)] > 1}
    unknown = set(stored) - {intake_description(i.marker) for i in intakes}
    return IntakeAudit(lost, doubled, unknown, sum(stored.values()))


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.attempts = []
        self.intakes = []
        self.operations = collections.Counter()  # (kind, "acknowledged" | "gave_up" | "refused")

    def attempt(self, kind, outcome, seconds, at):
        with self.lock:
            self.attempts.append(Attempt(kind, outcome, seconds, at))

    def operation(self, kind, result):
        with self.lock:
            self.operations[kind, result] += 1


class Client:
    """What one worker thread sends: a session of its own, one attempt recorded per
    request, 503s and connection failures retried with the same key."""

    def __init__(self, driver):
        self.driver = driver
        self.session = requests.Session()
        self.last_outcome, self.answers = None, []

    def send(self, kind, method, path, token, body=None, headers=None):
        """(status or None, parsed body or None), recorded as one attempt (its outcome
        also in ``self.last_outcome``)."""
        headers = dict(headers or {}, Authorization=f"Bearer {token}")
        began = time.monotonic()
        try:
            response = self.session.request(method, f"{self.driver.gateway}{path}", json=body, headers=headers,
                                            timeout=self.driver.request_timeout)
        except requests.Timeout:
            self.driver.recorder.attempt(kind, "timeout", time.monotonic() - began, began)
            self.last_outcome = "timeout"
            return None, None
        except requests.RequestException:
            self.driver.recorder.attempt(kind, "connection_error", time.monotonic() - began, began)
            self.last_outcome = "connection_error"
            self.session.close()  # a fresh connection for the next try
            self.session = requests.Session()
            return None, None
        try:
            parsed = response.json()
        except ValueError:
            parsed = None
        ok = 200 <= response.status_code < 300
        code = parsed.get("error") if isinstance(parsed, dict) else None
        outcome = "ok" if ok else f"{response.status_code} {code or '-'}"
        self.driver.recorder.attempt(kind, outcome, time.monotonic() - began, began)
        self.last_outcome = outcome
        return response.status_code, parsed

    def until_acknowledged(self, kind, method, path, token, body, key):
        """Send until a non-retryable answer or ``retry_seconds`` pass; returns
        (status, body, attempts, outcomes). 503s and failed connections are retried with
        the same key and a short backoff."""
        deadline = time.monotonic() + self.driver.retry_seconds
        attempts, outcomes, pause = 0, [], 0.25
        self.answers = []
        while True:
            attempts += 1
            status, parsed = self.send(kind, method, path, token, body, {"Idempotency-Key": key} if key else None)
            outcomes.append(status)
            self.answers.append(self.last_outcome)
            if status is not None and status != 503:
                return status, parsed, attempts, outcomes
            if key is None or time.monotonic() + pause > deadline:
                return status, parsed, attempts, outcomes
            time.sleep(pause)
            pause = min(2.0, pause * 1.5)

    def close(self):
        self.session.close()


class LoadDriver:
    def __init__(self, gateway, rate=5.0, seconds=30.0, mix=None, threads=8, retry_seconds=120.0,
                 request_timeout=15.0, seed=None):
        if rate <= 0 or seconds <= 0:
            raise ValueError("rate and seconds must be positive")
        self.gateway = gateway.rstrip("/")
        self.rate, self.seconds, self.threads = rate, seconds, threads
        self.mix = dict(mix or DEFAULT_MIX)
        self.retry_seconds, self.request_timeout = retry_seconds, request_timeout
        self.random = random.Random(seed)
        self.run_id = uuid.uuid4().hex[:8]
        self.recorder = Recorder()
        self.tokens = {}
        self.grid = self.town = None
        self.ready = queue.Queue()  # acknowledged tickets with steps left: [id, version, step]
        self.started = self.ended = None
        self._sequence = 0
        self._lock = threading.Lock()
        self.dropped = 0  # operations not started because every worker was busy
        self.unfinished = 0  # workers still busy when the run gave up waiting for them

    # --- set-up -----------------------------------------------------------------------
    def setup(self, admin_username, admin_password, county, x, y, size=0.02):
        """Import county > street > community > grid (each the square at (x, y)) and
        create the driver's accounts; returns the grid's code."""
        admin = self._login(admin_username, admin_password)
        whole = {"type": "Polygon", "coordinates": [[[x, y], [x + size, y], [x + size, y + size], [x, y + size],
                                                     [x, y]]]}
        chain = [(county, "压测区"), (f"{county}001", "压测街道"), (f"{county}001001", "压测社区"),
                 (f"{county}001001001", "压测网格")]
        features = [{"type": "Feature", "geometry": whole, "properties": {
            "code": code, "name": name, "parent_code": code[:-3] if len(code) > 6 else None}}
            for code, name in chain]
        response = self._admin_call("POST", "/grids/import", admin, {"type": "FeatureCollection", "features": features})
        if response.status_code not in (201, 409):  # 409: a rerun on the same district
            raise RuntimeError(f"importing the load district {county}: {response.status_code} {response.text[:300]}")
        self.grid, self.town = chain[-1][0], chain[1][0]
        self.tokens["worker"] = self._account(admin, ["grid_worker"], self.grid)
        self.tokens["leader"] = self._account(admin, ["town_leader"], self.town)
        return self.grid

    def _admin_call(self, method, path, token, body):
        return requests.request(method, f"{self.gateway}{API}{path}", json=body, timeout=30,
                                headers={"Authorization": f"Bearer {token}"})

    def _login(self, username, password):
        response = requests.post(f"{self.gateway}{API}/auth/login", timeout=30,
                                 json={"username": username, "password": password})
        if response.status_code != 200:
            raise RuntimeError(f"signing in as {username}: {response.status_code} {response.text[:300]}")
        return response.json()["access_token"]

    def _account(self, admin, roles, scope):
        username = f"load{uuid.uuid4().hex[:10]}"
        response = self._admin_call("POST", "/accounts", admin, {
            "username": username, "display_name": "压测账号 (load)", "password": PASSWORD, "roles": roles,
            "grid_scope": scope})
        if response.status_code != 201:
            raise RuntimeError(f"creating a {roles[0]} account: {response.status_code} {response.text[:300]}")
        return self._login(username, PASSWORD)

    # --- the run ----------------------------------------------------------------------
    def run(self, stop_event=None):
        """Drive the load for ``seconds`` (or until ``stop_event`` is set), then let
        operations in flight finish (their retries included). Returns the report."""
        if not self.tokens:
            raise RuntimeError("call setup() first")
        work = queue.Queue(maxsize=self.threads * 4)
        workers = [threading.Thread(target=self._worker, args=(work,), daemon=True, name=f"load-{i}")
                   for i in range(self.threads)]
        for worker in workers:
            worker.start()
        kinds = [k for k, w in self.mix.items() if w > 0]
        weights = [self.mix[k] for k in kinds]
        self.started = time.monotonic()
        n = 0
        while True:
            due = self.started + n / self.rate
            now = time.monotonic()
            if due - self.started >= self.seconds or (stop_event is not None and stop_event.is_set()):
                break
            if due > now:
                time.sleep(due - now)
            kind = self.random.choices(kinds, weights)[0]
            try:
                work.put_nowait(kind)
            except queue.Full:
                self.dropped += 1
            n += 1
        for _ in workers:
            work.put(None)
        deadline = time.monotonic() + self.retry_seconds + self.request_timeout + 30  # retries in flight end
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        self.unfinished = sum(worker.is_alive() for worker in workers)
        self.ended = time.monotonic()
        return self.report()

    def _worker(self, work):
        client = Client(self)
        try:
            while True:
                kind = work.get()
                if kind is None:
                    return
                try:
                    getattr(self, f"_do_{kind}")(client)
                except Exception as exc:  # a driver bug must not stop the load; it is counted
                    self.recorder.operation(kind, f"driver_error {type(exc).__name__}")
        finally:
            client.close()

    def _next_marker(self):
        with self._lock:
            self._sequence += 1
            return f"load:{self.run_id}:{self._sequence}"

    def _do_intake(self, client, keyed=True):
        kind = "intake" if keyed else "intake_keyless"
        marker = self._next_marker()
        intake = Intake(marker, str(uuid.uuid4()) if keyed else None, time.monotonic())
        with self.recorder.lock:
            self.recorder.intakes.append(intake)
        body = {"grid_code": self.grid, "category": CATEGORY, "description": intake_description(marker)}
        status, parsed, intake.attempts, intake.outcomes = client.until_acknowledged(
            kind, "POST", f"{API}/tickets", self.tokens["worker"], body, intake.key)
        intake.answers = client.answers
        if status == 201:
            intake.acknowledged, intake.ticket_id = True, parsed["id"]
            self.ready.put([parsed["id"], parsed["version"], 0])
            self.recorder.operation(kind, "acknowledged")
        else:
            self.recorder.operation(kind, "gave_up" if status in (None, 503) else "refused")

    def _do_intake_keyless(self, client):
        self._do_intake(client, keyed=False)

    def _do_action(self, client):
        try:
            ticket = self.ready.get_nowait()
        except queue.Empty:
            return self._do_read(client)
        ticket_id, version, step = ticket
        action, extra = ACTION_STEPS[step]
        status, parsed, _, _ = client.until_acknowledged(
            "action", "POST", f"{API}/tickets/{ticket_id}/actions", self.tokens["worker"],
            {"action": action, "version": version, **extra}, str(uuid.uuid4()))
        if status == 200:
            self.recorder.operation("action", "acknowledged")
            if step + 1 < len(ACTION_STEPS):
                self.ready.put([ticket_id, parsed["ticket"]["version"], step + 1])
        else:
            self.recorder.operation("action", "gave_up" if status in (None, 503) else "refused")
            if status in (None, 503):
                self.ready.put(ticket)  # try the same step again later

    def _do_read(self, client):
        with self.recorder.lock:
            known = [i.ticket_id for i in self.recorder.intakes[-200:] if i.acknowledged]
        path = f"{API}/tickets/{self.random.choice(known)}" if known and self.random.random() < 0.7 \
            else f"{API}/tickets?root={self.grid}&limit=20"
        status, _ = client.send("read", "GET", path, self.tokens["worker"])
        self.recorder.operation("read", "acknowledged" if status == 200 else "failed")

    def _do_statistics(self, client):
        status, _ = client.send("statistics", "GET", f"{API}/tickets/statistics?root={self.town}",
                                self.tokens["leader"])
        self.recorder.operation("statistics", "acknowledged" if status == 200 else "failed")

    # --- the figures ------------------------------------------------------------------
    def report(self):
        with self.recorder.lock:
            attempts = list(self.recorder.attempts)
            intakes = list(self.recorder.intakes)
            operations = dict(self.recorder.operations)
        elapsed = (self.ended or time.monotonic()) - (self.started or time.monotonic())
        kinds = {}
        for kind in DEFAULT_MIX:
            mine = [a for a in attempts if a.kind == kind]
            if not mine:
                continue
            ok = sorted(a.seconds for a in mine if a.outcome == "ok")
            outcomes = collections.Counter(a.outcome for a in mine)
            kinds[kind] = {
                "sent": len(mine), "ok": len(ok),
                "failed_503": {o.split(" ", 1)[1]: n for o, n in outcomes.items() if o.startswith("503 ")},
                "failed_other": {o: n for o, n in outcomes.items() if o != "ok" and not o.startswith("503 ")},
                "ok_per_second": round(len(ok) / elapsed, 2) if elapsed else 0.0,
                "p50_ms": _ms(percentile(ok, 50)), "p95_ms": _ms(percentile(ok, 95)),
                "p99_ms": _ms(percentile(ok, 99)), "max_ms": _ms(ok[-1] if ok else None),
                "operations": {result: n for (k, result), n in operations.items() if k == kind},
            }
        return {
            "run": self.run_id, "gateway": self.gateway, "rate": self.rate, "seconds": self.seconds,
            "elapsed_seconds": round(elapsed, 1), "threads": self.threads, "mix": self.mix,
            "requests_sent": len(attempts),
            "requests_ok": sum(1 for a in attempts if a.outcome == "ok"),
            "requests_failed_503": sum(1 for a in attempts if a.outcome.startswith("503 ")),
            "requests_failed_other": sum(1 for a in attempts if a.outcome != "ok" and not a.outcome.startswith("503 ")),
            "intakes_acknowledged": sum(1 for i in intakes if i.acknowledged and i.key),
            "intakes_keyless_acknowledged": sum(1 for i in intakes if i.acknowledged and not i.key),
            "intakes_not_acknowledged": sum(1 for i in intakes if not i.acknowledged and i.key),
            "intakes_keyless_not_acknowledged": sum(1 for i in intakes if not i.acknowledged and not i.key),
            "dropped_client_busy": self.dropped,
            "workers_unfinished": self.unfinished,
            "throughput_ok_per_second": round(sum(1 for a in attempts if a.outcome == "ok") / elapsed, 2)
            if elapsed else 0.0,
            "kinds": kinds,
        }

    def intakes(self):
        with self.recorder.lock:
            return list(self.recorder.intakes)

    def attempts(self):
        with self.recorder.lock:
            return list(self.recorder.attempts)


def _ms(seconds):
    return None if seconds is None else round(1000 * seconds, 1)


def format_report(report):
    """The report as a table for a terminal."""
    lines = [f"load run {report['run']} against {report['gateway']}: {report['rate']:g}/s for "
             f"{report['seconds']:g} s (took {report['elapsed_seconds']:g} s, {report['threads']} threads)",
             f"requests sent {report['requests_sent']}, ok {report['requests_ok']}, failed with 503 "
             f"{report['requests_failed_503']}, other failures {report['requests_failed_other']}; "
             f"throughput {report['throughput_ok_per_second']:g} ok/s; tickets acknowledged "
             f"{report['intakes_acknowledged']}, not acknowledged {report['intakes_not_acknowledged']}; without a key: "
             f"acknowledged {report['intakes_keyless_acknowledged']}, not {report['intakes_keyless_not_acknowledged']}"
             f"; dropped (client busy) "
             f"{report['dropped_client_busy']}"
             + (f"; {report['workers_unfinished']} workers still busy at the end" if report['workers_unfinished'] else ""),
             f"{'kind':<15}{'sent':>7}{'ok':>7}{'ok/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}  failures"]
    for kind, k in report["kinds"].items():
        failures = {**{f"503 {c}": n for c, n in k["failed_503"].items()}, **k["failed_other"]}
        lines.append(f"{kind:<15}{k['sent']:>7}{k['ok']:>7}{k['ok_per_second']:>8g}"
                     + "".join(f"{'-' if k[p] is None else k[p]:>9}" for p in ("p50_ms", "p95_ms", "p99_ms", "max_ms"))
                     + f"  {', '.join(f'{o}: {n}' for o, n in sorted(failures.items())) or '-'}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Drive a steady load against a running gateway.")
    parser.add_argument("gateway", help="the gateway's base URL, e.g. http://127.0.0.1:8000")
    parser.add_argument("--rate", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--mix", default="", help="e.g. intake=40,action=30,read=20,statistics=10")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--admin", default="admin")
    parser.add_argument("--admin-password", required=True)
    parser.add_argument("--county", default="320799", help="the driver's own district (6 digits)")
    parser.add_argument("--spot", default="133.5,43.5", help="lon,lat of its square")
    args = parser.parse_args(argv)
    x, y = (float(v) for v in args.spot.split(","))
    driver = LoadDriver(args.gateway, args.rate, args.seconds, parse_mix(args.mix) if args.mix else None, args.threads)
    driver.setup(args.admin, args.admin_password, args.county, x, y)
    report = driver.run()
    print(format_report(report))
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
