"""Backup and restore on SQLite: the pin order from the contract, which events a
restore re-arms, the refusals, and a tampered archive."""
import itertools
import json
import sqlite3

import pytest

from common import backup
from common.cli import open_database
from common.config import DEFAULT_PORTS, SERVICES_WITH_DATABASE
from common.contract import SUBSCRIPTIONS
from common.db import utcnow
from common.inbox import claim_event
from common.outbox import add_event
from stack import free_port

TICKETS_CONSUMERS = SUBSCRIPTIONS[("tickets", "ticket_reported")]


def test_the_pin_order_puts_scoring_first_and_names_the_subscriptions_at_risk():
    assert sorted(backup.DUMP_ORDER) == sorted(SERVICES_WITH_DATABASE)
    place = {service: index for index, service in enumerate(backup.DUMP_ORDER)}
    assert backup.AT_RISK and all(place[p] < place[c.split(".")[0]] for p, _, c in backup.AT_RISK)
    # No other order leaves fewer subscriptions whose producer is pinned first.
    assert len(backup.AT_RISK) == min(len(backup._risky_subscriptions(order)) for order in
                                      itertools.permutations(SERVICES_WITH_DATABASE))
    assert backup.DUMP_ORDER[-1] == "tickets"  # the busiest producer is pinned last
    assert {p for p, _, _ in backup.AT_RISK} == {"grid", "people"}  # grid changes and postings only
    assert not any(c.startswith("scoring.") for _, _, c in backup.AT_RISK)  # it consumes and produces nothing


def test_unapplied_events_are_those_a_subscriber_lacks_and_gaps_those_a_producer_lacks():
    outboxes = {"tickets": [("e-all", "ticket_reported", True), ("e-some", "ticket_reported", True),
                            ("e-pending", "ticket_resolved", False), ("e-nobody", "ticket_noticed", True)],
                "grid": [("g-1", "grid_split", True)]}
    applied_by_all = [("e-all", consumer, "tickets") for consumer in TICKETS_CONSUMERS]
    inboxes = {"scoring": applied_by_all[:1] + [("e-some", "scoring.handle_ticket_reported", "tickets")],
               "grid": applied_by_all[1:2], "people": applied_by_all[2:] + [("g-lost", "people.handle_grid_split", "grid")],
               "tickets": [("g-1", "tickets.handle_grid_split", "grid")]}
    found = backup.find_unapplied_and_gaps(outboxes, inboxes)
    assert found["unapplied"] == {"tickets": ["e-some"], "grid": ["g-1"]}  # people has not applied g-1
    assert found["pending"] == {"tickets": 1}
    assert found["gaps"] == [("people.handle_grid_split", "grid", "g-lost")]


def _settings(folder):
    """A DATA_DIR of SQLite files, and ports where nothing answers. The files are
    named outright: CI's environment names PostgreSQL databases, which would win."""
    config = {"DATA_DIR": str(folder)}
    config.update({f"{s.upper()}_DB_URL": f"sqlite:///{folder / (s + '.db')}" for s in SERVICES_WITH_DATABASE})
    config.update({f"{name.upper()}_PORT": str(free_port()) for name in DEFAULT_PORTS})
    return config


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """Four migrated SQLite databases: tickets reported two events; scoring, grid and
    people applied the first, only scoring the second."""
    folder = tmp_path_factory.mktemp("source")
    config = _settings(folder)
    root = backup.ROOT
    handles = {s: open_database(s, root / "services" / s / "migrations", config) for s in SERVICES_WITH_DATABASE}
    with handles["tickets"].transaction() as session:
        first = add_event(session, "tickets", "ticket_reported", {"n": 1})
        second = add_event(session, "tickets", "ticket_reported", {"n": 2})
        add_event(session, "tickets", "ticket_resolved", {"n": 3})
    published = backup.Database("tickets", f"sqlite:///{folder / 'tickets.db'}").connect()
    published.execute("UPDATE outbox_events SET published_at = ? WHERE event_type = 'ticket_reported'",
                      (utcnow().isoformat(sep=" "),))
    published.close()
    for consumer in TICKETS_CONSUMERS:
        service = consumer.split(".")[0]
        with handles[service].transaction() as session:
            claim_event(session, first, consumer)
            if service == "scoring":
                claim_event(session, second, consumer)
    for handle in handles.values():
        handle.engine.dispose()
    return config, first["event_id"], second["event_id"]


def _outbox(folder):
    with sqlite3.connect(folder / "tickets.db") as connection:
        return {row[0]: (row[1], row[2]) for row in
                connection.execute("SELECT event_id, published_at IS NOT NULL, last_error FROM outbox_events")}


def test_restore_rearms_what_a_consumer_lacks_and_refuses_data_unless_forced(source, tmp_path):
    config, first, second = source
    archive = backup.backup(tmp_path / "archives", config)
    manifest = backup.verify_archive(archive)
    assert manifest["dump_order"] == list(backup.DUMP_ORDER) and manifest["pin_attempts"] == 1
    assert manifest["events"] == {"to_rearm_on_restore": {"tickets": 1}, "pending": {"tickets": 1}, "gaps": []}
    assert manifest["services"]["tickets"]["tables"]["outbox_events"] == 3
    assert manifest["services"]["scoring"]["tables"]["processed_events"] == 2
    assert all(entry["alembic_revision"] for entry in manifest["services"].values())
    assert not list(archive.glob("*.key"))  # the PII key stays out of the backup

    target = _settings(tmp_path / "target")
    lines = []
    backup.restore(archive, target, purge_queues=False, report=lines.append)
    outbox = _outbox(tmp_path / "target")
    assert outbox[first] == (1, None)  # every subscriber had it
    assert outbox[second] == (0, backup.REARMED_NOTE)  # grid and people had not: sent again
    assert "events re-armed (their relay sends them again; inboxes drop repeats): 1" in lines
    assert backup.compare_counts(manifest, target) == []
    assert backup.live_gaps(target) == []

    with pytest.raises(backup.BackupError, match=r"holds data: .*scoring database \(2 rows in 1 tables\)"):
        backup.restore(archive, target, purge_queues=False, report=lines.append)
    backup.restore(archive, target, force=True, purge_queues=False, report=lines.append)
    assert _outbox(tmp_path / "target")[second] == (0, backup.REARMED_NOTE)


def test_a_tampered_archive_or_manifest_is_refused(source, tmp_path):
    config, _, _ = source
    archive = backup.backup(tmp_path / "archives", config)
    manifest_sha = backup._sha256(archive / backup.MANIFEST)
    backup.verify_archive(archive, manifest_sha)

    dump = archive / "tickets.sqlite"
    connection = sqlite3.connect(dump)
    connection.execute("UPDATE outbox_events SET payload = '{\"n\": 9}'")
    connection.commit()
    connection.close()
    with pytest.raises(backup.BackupError, match="tickets.sqlite: .*(checksum|bytes)"):
        backup.verify_archive(archive)
    with pytest.raises(backup.BackupError, match="failed verification"):
        backup.restore(archive, _settings(tmp_path / "target"), purge_queues=False, report=print)

    manifest = json.loads((archive / backup.MANIFEST).read_text())
    manifest["services"]["tickets"]["sha256"] = backup._sha256(dump)
    manifest["services"]["tickets"]["bytes"] = dump.stat().st_size
    (archive / backup.MANIFEST).write_text(json.dumps(manifest))
    backup.verify_archive(archive)  # a consistent rewrite passes the checksums alone ...
    with pytest.raises(backup.BackupError, match="sha256 is not"):
        backup.verify_archive(archive, manifest_sha)  # ... not the manifest's sha256 kept apart


def test_a_restore_names_running_components(source, tmp_path):
    from http.server import BaseHTTPRequestHandler, HTTPServer
    import threading
    config, _, _ = source
    archive = backup.backup(tmp_path / "archives", config)
    server = HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    target = dict(_settings(tmp_path / "target"), TICKETS_PORT=str(server.server_address[1]))
    try:
        with pytest.raises(backup.BackupError, match=rf"running: tickets \(port {server.server_address[1]}\)"):
            backup.restore(archive, target, purge_queues=False, report=print)
    finally:
        server.shutdown()
    assert not (tmp_path / "target" / "tickets.db").exists()


def test_a_pg_dump_older_than_the_server_is_refused_with_what_to_install(monkeypatch):
    class Server17:
        engine = "postgresql"

        def server_version(self):
            return "17.2 (Debian 17.2-1)"

    monkeypatch.setattr(backup, "_tool_version", lambda tool: "15.20")
    with pytest.raises(backup.BackupError, match=r"pg_dump 15.20 cannot dump the tickets database on PostgreSQL "
                                                 r"17.2 .*install postgresql-client-17"):
        backup._check_pg_dump({"tickets": Server17()})
    assert backup._major("15.20 (Debian 15.20-0+deb12u1)") == 15
