"""Backup and restore of the four service databases at one consistent point.

    python -m common.backup backup [--out DIR]
    python -m common.backup restore ARCHIVE [--force] [--force-running] [--keep-queues]
    python -m common.backup verify ARCHIVE [--databases] [--manifest-sha256 HEX]

Four databases cannot share one snapshot, so the archive is made consistent through
the bus contract (docs/operations/backup.md says the guarantee in full):

- Each database is pinned in a snapshot of its own (PostgreSQL: a REPEATABLE READ
  transaction whose snapshot ``pg_dump --snapshot`` then dumps; SQLite: a read
  transaction the online backup API copies), all four pinned one after the other
  within milliseconds, before any is dumped.
- They are pinned consumers first (``DUMP_ORDER``): an event a consumer had applied
  when it was pinned was committed in its producer's outbox before, so the producer's
  later snapshot holds it. The contract has cycles (grid, people and tickets consume
  each other), so a few subscriptions go the other way (``AT_RISK``); a consumer may
  have applied one of their events in the milliseconds between the two pins. The
  backup checks for such a *gap* in the pinned snapshots and pins again if it finds one.
- On restore, every outbox event that some subscriber's restored inbox has not
  applied is marked pending again: the relay sends it once more, and the inboxes that
  had it drop the repeat. Nothing the producers committed is lost to a consumer.
"""
import argparse
import datetime as dt
import hashlib
import itertools
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import requests
from sqlalchemy import make_url

from common import config as cfg
from common.contract import SUBSCRIPTIONS, queue_name

log = logging.getLogger(__name__)

FORMAT = "gridgov-backup/1"
MANIFEST = "manifest.json"
SERVICES = cfg.SERVICES_WITH_DATABASE
ROOT = Path(__file__).resolve().parents[2]
PIN_ATTEMPTS = 3
REARMED_NOTE = "re-armed by restore"


class BackupError(Exception):
    """A refusal or failure with a message for the operator."""


# --- the order, from the bus contract -------------------------------------------------

def _risky_subscriptions(order, subscriptions=SUBSCRIPTIONS):
    """The (producer, event type, consumer) whose producer is pinned before its consumer."""
    place = {service: index for index, service in enumerate(order)}
    return [(producer, event_type, consumer) for (producer, event_type), consumers in sorted(subscriptions.items())
            for consumer in consumers
            if place[producer] < place[consumer.split(".")[0]]]


def dump_order(services=SERVICES, subscriptions=SUBSCRIPTIONS):
    """The pin order with the fewest subscriptions whose producer comes first (ties:
    by name): consumers before producers wherever the contract's cycles allow."""
    return min(itertools.permutations(sorted(services)),
               key=lambda order: (len(_risky_subscriptions(order, subscriptions)), order))


DUMP_ORDER = dump_order()
AT_RISK = _risky_subscriptions(DUMP_ORDER)


# --- what the outboxes and inboxes say ------------------------------------------------

def find_unapplied_and_gaps(outboxes, inboxes, subscriptions=SUBSCRIPTIONS):
    """From each producer's outbox ``{service: [(event_id, event_type, published), ...]}``
    and each service's inbox ``{service: [(event_id, consumer, source), ...]}``:

    - ``unapplied``: {producer: [event_id, ...]} of *published* events that at least one
      subscriber (by the contract) has not applied: to be marked pending again;
    - ``pending``: {producer: n} events not yet published (the relay sends them anyway);
    - ``gaps``: [(consumer, source, event_id)] events a consumer applied that its
      producer's outbox lacks (the producer's change is not in the backup).
    """
    applied = {(event_id, consumer) for rows in inboxes.values() for event_id, consumer, _ in rows}
    known, unapplied, pending = {}, {}, {}
    for producer, rows in outboxes.items():
        ids = known.setdefault(producer, set())
        for event_id, event_type, published in rows:
            ids.add(event_id)
            consumers = subscriptions.get((producer, event_type), ())
            if not published:
                pending[producer] = pending.get(producer, 0) + 1
            elif any((event_id, consumer) not in applied for consumer in consumers):
                unapplied.setdefault(producer, []).append(event_id)
    gaps = sorted((consumer, source, event_id) for rows in inboxes.values() for event_id, consumer, source in rows
                  if source in known and event_id not in known[source])
    return {"unapplied": unapplied, "pending": pending, "gaps": gaps}


def _read_bus_tables(databases):
    outboxes = {service: db.rows("SELECT event_id, event_type, published_at IS NOT NULL FROM outbox_events")
                for service, db in databases.items()}
    inboxes = {service: db.rows("SELECT event_id, consumer, source FROM processed_events")
               for service, db in databases.items()}
    return find_unapplied_and_gaps(outboxes, inboxes)


# --- the databases --------------------------------------------------------------------

def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _major(version_text):
    match = re.search(r"(\d+)(?:\.(\d+))?", version_text)
    if not match:
        raise BackupError(f"cannot read a PostgreSQL version from {version_text!r}")
    return int(match.group(1))


def _tool_version(tool):
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} not found: install postgresql-client (the major version of the server)")
    out = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"\)\s+(\d+(?:\.\d+)*)", out)  # "pg_dump (PostgreSQL) 15.20 (Debian ...)"
    return match.group(1) if match else out.strip()


class Database:
    """One service's database, through its DB-API driver (sqlite3 or psycopg2):
    ``rows(sql)``, ``execute(sql, params)``, row counts per table."""

    def __init__(self, service, url):
        self.service = service
        self.url = url
        parsed = make_url(url)
        self.engine = parsed.get_backend_name()
        if self.engine not in ("sqlite", "postgresql"):
            raise BackupError(f"{service.upper()}_DB_URL: only sqlite and postgresql are supported, got {self.engine}")
        self.parsed = parsed
        self.connection = None

    # connection ------------------------------------------------------------
    @property
    def path(self):
        return Path(self.parsed.database)

    def libpq(self):
        """(conninfo without password, environment with PGPASSWORD) for libpq tools."""
        parts = {"host": self.parsed.host or "127.0.0.1", "port": self.parsed.port or 5432,
                 "user": self.parsed.username, "dbname": self.parsed.database}
        conninfo = " ".join(f"{key}={value}" for key, value in parts.items() if value)
        env = dict(os.environ)
        if self.parsed.password:
            env["PGPASSWORD"] = self.parsed.password
        return conninfo, env

    def connect(self):
        if self.engine == "sqlite":
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.connection = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        else:
            import psycopg2
            conninfo, _ = self.libpq()
            try:
                self.connection = psycopg2.connect(conninfo, password=self.parsed.password or None)
            except psycopg2.OperationalError as exc:
                raise BackupError(f"{self.service}: cannot connect to its database ({self.service.upper()}_DB_URL, "
                                  f"{conninfo}): {str(exc).strip()}") from exc
        return self

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def rows(self, sql, params=()):
        cursor = self.connection.cursor()
        try:
            cursor.execute(*self._statement(sql, params))
            return cursor.fetchall()
        finally:
            cursor.close()

    def _statement(self, sql, params):
        if self.engine == "sqlite":
            return sql, params
        return (sql.replace("?", "%s"), params) if params else (sql,)  # psycopg2 formats only with params

    def execute(self, sql, params=()):
        cursor = self.connection.cursor()
        try:
            cursor.execute(*self._statement(sql, params))
            return cursor.rowcount
        finally:
            cursor.close()

    def commit(self):
        if self.engine == "postgresql":
            self.connection.commit()

    # what it holds ---------------------------------------------------------
    def tables(self):
        if self.engine == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        else:
            sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        return [row[0] for row in self.rows(sql)]

    def counts(self):
        return {table: self.rows(f'SELECT count(*) FROM "{table}"')[0][0] for table in self.tables()}

    def revision(self):
        if "alembic_version" not in self.tables():
            return None
        return ",".join(sorted(row[0] for row in self.rows("SELECT version_num FROM alembic_version"))) or None

    def server_version(self):
        return None if self.engine == "sqlite" else self.rows("SHOW server_version")[0][0]

    # backup ----------------------------------------------------------------
    def pin(self):
        """Take this database's snapshot now; returns the PostgreSQL snapshot id."""
        if self.engine == "sqlite":
            self.execute("BEGIN")
            self.rows("SELECT count(*) FROM sqlite_master")  # the read transaction starts here
            return None
        import psycopg2.extensions
        self.connection.rollback()  # set_session needs no transaction open
        self.connection.set_session(isolation_level=psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ,
                                    readonly=True)
        return self.rows("SELECT pg_export_snapshot()")[0][0]

    def release(self):
        if self.engine == "sqlite":
            self.execute("ROLLBACK")
        else:
            self.connection.rollback()

    def dump(self, folder, snapshot):
        if self.engine == "sqlite":
            target = folder / f"{self.service}.sqlite"
            copy = sqlite3.connect(target)
            try:
                self.connection.backup(copy)  # reads in the pinned read transaction
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            finally:
                copy.close()
            return target
        target = folder / f"{self.service}.dump"
        conninfo, env = self.libpq()
        done = subprocess.run(["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={target}",
                               f"--dbname={conninfo}"], env=env, capture_output=True, text=True)
        if done.returncode:
            raise BackupError(f"pg_dump of {self.service} failed: {done.stderr.strip()}")
        return target

    # restore ---------------------------------------------------------------
    def exists(self):
        return self.engine == "postgresql" or self.path.exists()

    def clear(self):
        """Drop every table (the caller checked that losing their rows is wanted)."""
        if self.engine == "sqlite":
            self.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            return self.connect()
        for table in self.tables():
            self.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')
        for (sequence,) in self.rows("SELECT sequence_name FROM information_schema.sequences "
                                     "WHERE sequence_schema = 'public'"):
            self.execute(f'DROP SEQUENCE IF EXISTS "{sequence}" CASCADE')
        self.commit()
        return self

    def load(self, file):
        if self.engine == "sqlite":
            source = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
            try:
                source.backup(self.connection)
            finally:
                source.close()
            self.execute("PRAGMA journal_mode=WAL")  # as the services open it
            return
        conninfo, env = self.libpq()
        done = subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                               "--single-transaction", f"--dbname={conninfo}", str(file)],
                              env=env, capture_output=True, text=True)
        if done.returncode:
            raise BackupError(f"pg_restore of {self.service} failed: {done.stderr.strip()}")

    def other_sessions(self):
        """Other connections to this PostgreSQL database: a component that is running
        somewhere (another host, a container) shows up here."""
        if self.engine == "sqlite":
            return []
        return [f"{name or 'a client'} from {address or 'a local socket'}" for name, address in self.rows(
            "SELECT application_name, host(client_addr) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() ORDER BY 1, 2")]


def databases(config=None, order=DUMP_ORDER):
    return {service: Database(service, cfg.database_url(service, config)) for service in order}


def _close_all(dbs):
    for db in dbs.values():
        db.close()


# --- backup ---------------------------------------------------------------------------

def _check_pg_dump(dbs):
    servers = {service: db.server_version() for service, db in dbs.items() if db.engine == "postgresql"}
    if not servers:
        return None
    tool = _tool_version("pg_dump")
    for service, server in servers.items():
        if _major(tool) < _major(server):
            raise BackupError(
                f"pg_dump {tool} cannot dump the {service} database on PostgreSQL {server}: install "
                f"postgresql-client-{_major(server)} and put its pg_dump first on PATH (or run the backup "
                "in the postgres image of that version)")
    return tool


def _pin_all(dbs):
    """Pin every database, in order, until the pinned snapshots show no gap."""
    for attempt in range(1, PIN_ATTEMPTS + 1):
        snapshots, pinned_at, first = {}, {}, time.monotonic()
        for service, db in dbs.items():
            snapshots[service] = db.pin()
            pinned_at[service] = dt.datetime.now(dt.timezone.utc).isoformat()
        pinned_at["window_ms"] = round((time.monotonic() - first) * 1000, 1)  # from the first pin to the last
        found = _read_bus_tables(dbs)
        if not found["gaps"] or attempt == PIN_ATTEMPTS:
            return snapshots, pinned_at, found, attempt
        log.warning("pinned snapshots show %d gap(s); pinning again", len(found["gaps"]))
        for db in dbs.values():
            db.release()


def backup(out_dir, config=None, now=None):
    """Write an archive folder under ``out_dir``; returns its path."""
    now = now or dt.datetime.now(dt.timezone.utc)
    archive = Path(out_dir) / f"gridgov-backup-{now:%Y%m%dT%H%M%S%fZ}"
    dbs = databases(config)
    for service, db in dbs.items():
        if not db.exists():
            raise BackupError(f"{service}: no database at {db.path} ({service.upper()}_DB_URL or DATA_DIR)")
    archive.mkdir(parents=True)
    try:
        for db in dbs.values():  # connect all first: the pins then follow each other closely
            db.connect()
        for service, db in dbs.items():
            if "outbox_events" not in db.tables():
                raise BackupError(f"{service}: its database has no tables yet (never started?): nothing to back up")
        pg_dump_version = _check_pg_dump(dbs)
        snapshots, pinned_at, found, attempts = _pin_all(dbs)
        services = {}
        for service, db in dbs.items():
            services[service] = {"engine": db.engine, "pinned_at": pinned_at[service],
                                 "alembic_revision": db.revision(), "server_version": db.server_version(),
                                 "tables": db.counts()}
        for service, db in dbs.items():
            file = db.dump(archive, snapshots[service])
            services[service].update(file=file.name, bytes=file.stat().st_size, sha256=_sha256(file))
    except BaseException:
        _close_all(dbs)
        shutil.rmtree(archive, ignore_errors=True)
        raise
    _close_all(dbs)
    manifest = {
        "format": FORMAT,
        "created_at": now.isoformat(),
        "gridgov_version": _package_version(),
        "pg_dump_version": pg_dump_version,
        "dump_order": list(dbs),
        "producer_pinned_before_consumer": [f"{p}.{e} -> {c}" for p, e, c in AT_RISK],
        "pin_attempts": attempts,
        "pin_window_ms": pinned_at["window_ms"],
        "events": {"to_rearm_on_restore": {k: len(v) for k, v in found["unapplied"].items()},
                   "pending": found["pending"],
                   "gaps": [list(gap) for gap in found["gaps"]]},
        "services": services,
    }
    (archive / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if found["gaps"]:
        log.warning("backup %s holds %d gap(s) after %d attempts: see 'events.gaps' in its manifest",
                    archive, len(found["gaps"]), attempts)
    return archive


def _package_version():
    try:
        from importlib.metadata import version
        return version("gridgov")
    except Exception:
        return None


# --- verify ---------------------------------------------------------------------------

def read_manifest(archive):
    path = Path(archive) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{archive}: no {MANIFEST}: not a gridgov backup")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise BackupError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: format must be {FORMAT!r}")
    services = manifest.get("services")
    if not isinstance(services, dict) or sorted(services) != sorted(SERVICES):
        raise BackupError(f"{path}: services must be exactly {', '.join(SERVICES)}")
    for service, entry in services.items():
        for key in ("engine", "file", "sha256", "bytes", "tables", "alembic_revision"):
            if not isinstance(entry, dict) or key not in entry:
                raise BackupError(f"{path}: services.{service}.{key} is missing")
        if Path(entry["file"]).name != entry["file"]:
            raise BackupError(f"{path}: services.{service}.file must be a plain file name")
    return manifest


def verify_archive(archive, manifest_sha256=None):
    """The manifest, once every file matches its size and checksum; else BackupError
    naming every file that does not."""
    archive = Path(archive)
    if manifest_sha256 and _sha256(archive / MANIFEST) != manifest_sha256.lower():
        raise BackupError(f"{archive / MANIFEST}: its sha256 is not the {manifest_sha256} given")
    manifest = read_manifest(archive)
    problems = []
    for service, entry in sorted(manifest["services"].items()):
        file = archive / entry["file"]
        if not file.is_file():
            problems.append(f"{entry['file']}: missing")
        elif file.stat().st_size != entry["bytes"]:
            problems.append(f"{entry['file']}: {file.stat().st_size} bytes, the manifest says {entry['bytes']}")
        elif _sha256(file) != entry["sha256"]:
            problems.append(f"{entry['file']}: checksum does not match the manifest (corrupted or altered)")
    if problems:
        raise BackupError(f"{archive} failed verification: " + "; ".join(problems))
    return manifest


def compare_counts(manifest, config=None):
    """Differences between the manifest's rows per table and the databases' now."""
    problems = []
    dbs = databases(config)
    try:
        for service, db in dbs.items():
            if not db.exists():
                problems.append(f"{service}: no database")
                continue
            live = db.connect().counts()
            for table, count in sorted(manifest["services"][service]["tables"].items()):
                if table not in live:
                    problems.append(f"{service}.{table}: missing")
                elif live[table] != count and table != "alembic_version":
                    problems.append(f"{service}.{table}: {live[table]} rows, the backup had {count}")
    finally:
        _close_all(dbs)
    return problems


def live_gaps(config=None):
    dbs = databases(config)
    try:
        for db in dbs.values():
            db.connect()
        return _read_bus_tables(dbs)["gaps"]
    finally:
        _close_all(dbs)


# --- restore --------------------------------------------------------------------------

def running_components(config=None, timeout=1.0):
    """Components whose /healthz answers on their configured port on this host."""
    found = []
    for component in cfg.DEFAULT_PORTS:
        port = cfg.http_port(component, config)
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=timeout)
        except requests.RequestException:
            continue
        found.append(f"{component} (port {port})")
    return found


def _code_revisions(service):
    """Every revision this release knows for ``service``, and its head."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    alembic_cfg = Config()
    alembic_cfg.set_main_option("script_location", str(ROOT / "services" / service / "migrations"))
    script = ScriptDirectory.from_config(alembic_cfg)
    return {revision.revision for revision in script.walk_revisions()}, script.get_current_head()


def rearm(dbs, unapplied, batch=500):
    """Mark ``unapplied`` ({producer: [event_id]}) pending again; returns how many."""
    total = 0
    for producer, event_ids in unapplied.items():
        db = dbs[producer]
        for start in range(0, len(event_ids), batch):
            chunk = event_ids[start:start + batch]
            marks = ", ".join("?" for _ in chunk)
            total += db.execute(f"UPDATE outbox_events SET published_at = NULL, last_error = ? "
                                f"WHERE event_id IN ({marks})", (REARMED_NOTE, *chunk))
        db.commit()
    return total


def purge_event_queues(config=None):
    """Empty the contract's event queues: what they hold belongs to the databases the
    restore replaced (re-armed events are sent again). Returns (purged, problem)."""
    from kombu import Connection
    from amqp.exceptions import NotFound
    purged = 0
    try:
        with Connection(cfg.amqp_uri(config), connect_timeout=5) as connection:
            connection.ensure_connection(max_retries=1)
            for (producer, event_type), consumers in sorted(SUBSCRIPTIONS.items()):
                for consumer in consumers:
                    channel = connection.channel()
                    try:
                        purged += channel.queue_purge(queue_name(producer, event_type, consumer)) or 0
                    except NotFound:
                        pass  # never declared on this broker: nothing to empty (its channel is closed)
                    else:
                        channel.close()
    except Exception as exc:  # the databases are restored; the operator can purge by hand
        return purged, f"could not purge the evt-* queues on the broker ({type(exc).__name__}: {exc})"
    return purged, None


def restore(archive, config=None, force=False, force_running=False, purge_queues=True, report=print):
    manifest = verify_archive(archive)
    archive = Path(archive)
    dbs = databases(config)
    refusals = []
    if not force_running:
        running = running_components(config)
        if running:
            refusals.append("components are running: " + ", ".join(running) + " (stop them, or --force-running)")
    try:
        holding, tools = {}, {}
        for service, db in dbs.items():
            wanted = manifest["services"][service]["engine"]
            if db.engine != wanted:
                raise BackupError(f"{service}: the backup holds a {wanted} database but {service.upper()}_DB_URL "
                                  f"names a {db.engine} one; restore into the same kind")
            known, _head = _code_revisions(service)
            revision = manifest["services"][service]["alembic_revision"]
            if revision and not set(revision.split(",")) <= known:
                raise BackupError(f"{service}: the backup's schema revision {revision} is unknown to this release "
                                  "(made by a newer one?): restore with that release")
            if not db.exists():
                continue
            db.connect()
            rows = {table: n for table, n in db.counts().items() if n and table != "alembic_version"}
            if rows:
                holding[service] = rows
            sessions = [] if force_running else db.other_sessions()
            if sessions:
                refusals.append(f"the {service} database has {len(sessions)} other connection(s), a component "
                                f"running elsewhere? ({', '.join(sorted(set(sessions)))})")
        if holding and not force:
            refusals.append("the stack holds data: " + "; ".join(
                f"{service} database ({sum(rows.values())} rows in {len(rows)} tables)"
                for service, rows in holding.items()) + " (restore into empty databases, or --force to replace it)")
        if refusals:
            raise BackupError("restore refused: " + "; ".join(refusals))
        if any(db.engine == "postgresql" for db in dbs.values()):
            tool = _tool_version("pg_restore")
            made_by = manifest.get("pg_dump_version") or "0"
            if _major(tool) < _major(made_by):
                raise BackupError(f"pg_restore {tool} cannot read a dump made by pg_dump {made_by}: install "
                                  f"postgresql-client-{_major(made_by)}")
        for service, db in dbs.items():
            if db.connection is None:
                db.connect()
            db.clear()
            db.load(archive / manifest["services"][service]["file"])
            report(f"{service}: restored {sum(manifest['services'][service]['tables'].values())} rows")
        found = _read_bus_tables(dbs)
        count = rearm(dbs, found["unapplied"])
        report(f"events re-armed (their relay sends them again; inboxes drop repeats): {count}")
        if found["gaps"]:
            report(f"WARNING: {len(found['gaps'])} event(s) applied by a consumer are missing from their "
                   "producer's outbox (see docs/operations/backup.md, 'Gaps'): "
                   + ", ".join(f"{c} applied {s} event {e}" for c, s, e in found["gaps"][:10]))
    finally:
        _close_all(dbs)
    problems = compare_counts(manifest, config)
    if problems:
        raise BackupError("restored databases do not match the manifest: " + "; ".join(problems))
    _migrate_forward(manifest, config, report)
    if purge_queues:
        purged, problem = purge_event_queues(config)
        report(f"WARNING: {problem}; purge them before starting" if problem else
               f"event queues emptied of {purged} message(s) from before the restore")
    return found


def _migrate_forward(manifest, config, report):
    from common.db import make_engine
    from common.migrations import upgrade
    for service in SERVICES:
        _known, head = _code_revisions(service)
        if manifest["services"][service]["alembic_revision"] == head:
            continue
        engine = make_engine(cfg.database_url(service, config))
        try:
            upgrade(engine, ROOT / "services" / service / "migrations", lock_name=service)
        finally:
            engine.dispose()
        report(f"{service}: migrated forward to {head}")


# --- command line ---------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m common.backup", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    made = commands.add_parser("backup", help="write an archive of all four databases")
    made.add_argument("--out", default=cfg.env("BACKUP_DIR", "backups"),
                      help="folder the archive is written under (BACKUP_DIR, default backups)")
    back = commands.add_parser("restore", help="restore an archive into the configured databases")
    back.add_argument("archive")
    back.add_argument("--force", action="store_true", help="replace databases that hold data")
    back.add_argument("--force-running", action="store_true", help="restore although components answer")
    back.add_argument("--keep-queues", action="store_true", help="do not empty the evt-* queues on the broker")
    check = commands.add_parser("verify", help="check an archive's checksums and manifest")
    check.add_argument("archive")
    check.add_argument("--databases", action="store_true",
                       help="also compare the configured databases' rows per table with the manifest "
                            "(right after a restore, before the stack starts) and look for gaps")
    check.add_argument("--manifest-sha256", help="the manifest's sha256 as printed by backup, kept elsewhere")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        if args.command == "backup":
            started = time.monotonic()
            archive = backup(args.out)
            manifest = read_manifest(archive)
            rows = sum(sum(entry["tables"].values()) for entry in manifest["services"].values())
            print(f"backup written: {archive} ({rows} rows, {time.monotonic() - started:.1f} s)")
            print(f"manifest sha256: {_sha256(archive / MANIFEST)} (keep it apart to detect a replaced manifest)")
        elif args.command == "restore":
            restore(args.archive, force=args.force, force_running=args.force_running,
                    purge_queues=not args.keep_queues)
            print(f"restored {args.archive}; start the components: they send the re-armed events")
        else:
            manifest = verify_archive(args.archive, args.manifest_sha256)
            problems = compare_counts(manifest) if args.databases else []
            if args.databases:
                problems += [f"gap: {c} applied {s} event {e}, missing from the {s} outbox"
                             for c, s, e in live_gaps()]
            if problems:
                raise BackupError("the databases do not match the backup: " + "; ".join(problems))
            print(f"{args.archive}: checksums and manifest ok" + (", databases match" if args.databases else ""))
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
