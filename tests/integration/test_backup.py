"""Backup and restore of a running platform (common.backup, through its command line):
restored into empty databases, a new stack finds the same tickets with their trails
intact, the same people (their numbers readable with the PII key kept apart), the same
scores, and gets the event scoring had not applied when the backup was made."""
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

import infra as infrastructure
from idnumbers import fresh_id_number
from common import backup
from common.launcher import start_all
from stack import Stack, stack_env
from ticket_client import Ticket

API = "/api/v1"
COUNTY, X, Y = "320731", 133.30, 43.30  # a county and a spot no other test uses
PASSWORD = "Passw0rd-2026"
PLAN = {"name": {"zh": "备份测试满意度", "en": "backup test satisfaction"}, "subject": "grid", "period": "quarter",
        "parts": [{"key": "satisfaction", "weight": 100, "source": "indicators", "indicators": [
            {"key": "satisfaction", "measure": "satisfaction", "direction": "higher", "normalise": "rate",
             "weight": 100}]}],
        "ranking": {"min_volume": 0, "prior_weight": 0, "commend_top": 1, "remind_bottom": 1},
        "bands": [{"key": "excellent", "min": 90, "zh": "优秀", "en": "excellent"},
                  {"key": "good", "min": 75, "zh": "良好", "en": "good"},
                  {"key": "pass", "min": 60, "zh": "合格", "en": "pass"},
                  {"key": "fail", "min": 0, "zh": "不合格", "en": "fail"}]}


def ok(response, status=(200, 201)):
    assert response.status_code in ((status,) if isinstance(status, int) else status), response.text
    return response.json()


def cli(env, *args):
    """The command line, as an operator runs it; (result, seconds taken)."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "common.backup", *args], env=env, capture_output=True, text=True,
                          timeout=120)
    return done, time.monotonic() - started


def quarter():
    from common.shanghai import shanghai_date
    today = shanghai_date()
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def make_data(stack):
    """A district with a worker and a resident (ID numbers), two tickets rated through
    the loop, a draft assessment scoring them; then a third report scoring misses."""
    admin = stack.login()
    grid = stack.square_district(admin, COUNTY, "备份", X, Y, size=0.01)
    worker = ok(stack.call("POST", f"{API}/staff", admin, {"name": "备份网格员", "id_number": fresh_id_number()}))
    ok(stack.call("POST", f"{API}/staff/{worker['id']}/assignments", admin,
                  {"grid_code": grid, "role": "full_time_worker", "start_date": "2026-01-01"}))
    username = f"bw{uuid.uuid4().hex[:9]}"
    ok(stack.call("POST", f"{API}/accounts", admin, {"username": username, "display_name": "网格员", "password": PASSWORD,
                                                     "roles": ["grid_worker"], "grid_scope": grid,
                                                     "person_id": worker["id"]}))
    worker_token = stack.login(username, PASSWORD)
    place = ok(stack.call("POST", f"{API}/places", admin, {"type": "building", "name": "备份楼",
                                                         "lon": X + 0.005, "lat": Y + 0.005}))
    household = ok(stack.call("POST", f"{API}/households", admin, {"place_code": place["code"]}))
    number = fresh_id_number()
    resident = ok(stack.call("POST", f"{API}/residents", admin, {"name": "备份居民", "id_number": number,
                                                               "household_id": household["id"]}))
    username = f"br{uuid.uuid4().hex[:9]}"
    ok(stack.call("POST", f"{API}/accounts", admin, {"username": username, "display_name": "居民", "password": PASSWORD,
                                                     "roles": ["resident"], "resident_id": resident["id"]}))
    resident_token = stack.login(username, PASSWORD)
    tickets = []
    for satisfaction in (5, 4):
        ticket = Ticket(stack, ok(stack.call("POST", f"{API}/tickets", resident_token, {
            "category": "UM02", "grid_code": grid, "description": "备份测试：楼道堆物"}), 201))
        for action, payload in (("accept", {}), ("handle", {}), ("resolve", {"outcome": "fixed"}),
                                ("feedback", {"note": "已清理"})):
            ticket.act(worker_token, action, **payload)
        ticket.act(resident_token, "rate", satisfaction=satisfaction)
        tickets.append(ticket.id)
    plan = f"bk-{uuid.uuid4().hex[:8]}"
    ok(stack.call("POST", f"{API}/scoring/plans", admin, dict(PLAN, code=plan)), 201)

    def scored():  # both ratings have reached scoring's facts
        draft = stack.call("POST", f"{API}/assessments", admin, {"plan": plan, "period": quarter(), "scope": COUNTY})
        if draft.status_code != 201:
            return None
        results = ok(stack.call("GET", f"{API}/assessments/{draft.json()['id']}/results", admin))["items"]
        return (draft.json()["id"], results) if results and results[0].get("volume") == 2 else None
    assessment, results = stack.waited(scored, timeout=20)
    assert results[0]["score"] == pytest.approx(90)  # ratings 5 and 4: 4.5 of 5

    return {"admin": admin, "grid": grid, "tickets": tickets, "worker": worker["id"], "resident": resident["id"],
            "id_number": number, "assessment": assessment, "resident_token": resident_token}


def report_while_scoring_is_down(stack, data):
    """A third report, which scoring's inbox misses: the restore must send it again."""
    stack.kill("scoring")
    data["tickets"].append(ok(stack.call("POST", f"{API}/tickets", data["resident_token"], {
        "category": "UM02", "grid_code": data["grid"], "description": "备份测试：scoring 停着时上报"}), 201)["id"])
    stack.waited(lambda: stack.db_rows("tickets", "SELECT count(*) AS n FROM outbox_events "
                                                  "WHERE published_at IS NULL")[0]["n"] == 0, timeout=10)


def tickets_seen(stack, admin, data):
    """Each ticket as the platform shows it, with its history."""
    tickets = {}
    for ticket_id in data["tickets"]:
        body = ok(stack.call("GET", f"{API}/tickets/{ticket_id}", admin))
        history = ok(stack.call("GET", f"{API}/tickets/{ticket_id}/history", admin))["items"]
        tickets[ticket_id] = (body["number"], body["status"], body["version"], body.get("satisfaction"),
                              [(h["action"], h["at"]) for h in history])
    return tickets


def seen(stack, admin, data):
    """What the platform shows of the data: people and scores."""
    return {"worker": ok(stack.call("GET", f"{API}/staff/{data['worker']}", admin)),
            "resident": ok(stack.call("GET", f"{API}/residents/{data['resident']}?reveal=true", admin)),
            "results": ok(stack.call("GET", f"{API}/assessments/{data['assessment']}/results", admin))["items"]}


def test_a_backup_restored_into_empty_databases_gives_the_same_platform(broker, tmp_path_factory, platform_on):
    with platform_on(broker, tmp_path_factory, reuse_environment_databases=False) as source:
        data = make_data(source)
        before = seen(source, data["admin"], data)
        report_while_scoring_is_down(source, data)
        tickets_before = tickets_seen(source, data["admin"], data)
        pii_key = source.env.get("PII_KEY") or (Path(source.env["DATA_DIR"]) / "pii.key").read_text().strip()
        made, backup_seconds = cli(source.env, "backup", "--out", str(tmp_path_factory.mktemp("backups")))
        assert made.returncode == 0, made.stderr
        archive = made.stdout.split("backup written: ")[1].split(" (")[0]
        assert not list(Path(archive).glob("*.key"))  # the PII key is not in the backup

        with pytest.raises(backup.BackupError) as refused:  # in this process: a second's start-up saved
            backup.restore(archive, source.env, report=print)
        assert "components are running: gateway" in str(refused.value) and "tickets (port" in str(refused.value)
        assert "the stack holds data: " in str(refused.value) and "tickets database (" in str(refused.value)
        for name in list(source.processes):  # no graceful stop needed: its databases are dropped
            source.kill(name)

    vhost, amqp_uri = infrastructure.create_vhost(broker)
    data_dir = tmp_path_factory.mktemp("restored")
    names = {service: f"gridgov_rs_{service}_{uuid.uuid4().hex[:6]}" for service in infrastructure.SERVICES}
    urls = {service: infrastructure.create_database(broker, name) if broker.postgres else
            f"sqlite:///{data_dir / (service + '.db')}" for service, name in names.items()}
    env = dict(stack_env(amqp_uri, urls, data_dir), PII_KEY=pii_key)  # the key, kept apart, given back
    restored = Stack(env, tmp_path_factory.mktemp("restored-logs"))
    try:
        done, restore_seconds = cli(env, "restore", archive)
        assert done.returncode == 0, done.stderr
        rearmed = int(done.stdout.split("events re-armed (their relay sends them again; inboxes drop repeats): ")[1]
                      .split()[0])
        assert rearmed >= 1  # the report scoring had not applied
        checked, _ = cli(env, "verify", "--databases", archive)
        assert checked.returncode == 0, checked.stdout + checked.stderr

        with pytest.raises(backup.BackupError, match="the stack holds data"):
            backup.restore(archive, env, report=print)
        tampered = Path(tmp_path_factory.mktemp("tampered")) / "archive"
        shutil.copytree(archive, tampered)
        dump = next(path for path in tampered.iterdir() if path.name.startswith("tickets."))
        dump.write_bytes(dump.read_bytes()[:-1] + bytes([dump.read_bytes()[-1] ^ 1]))
        with pytest.raises(backup.BackupError, match="tickets.* checksum does not match"):
            backup.verify_archive(tampered)

        restored.processes = start_all(env, restored.log_dir)  # no demo loader: the data is restored
        admin = restored.login()
        assert tickets_seen(restored, admin, data) == tickets_before
        after = seen(restored, admin, data)
        assert after == before
        assert after["resident"]["id_number"] == data["id_number"]  # readable: the same PII key
        restored.waited(lambda: ok(restored.call(  # the re-armed report reaches scoring
            "GET", f"{API}/scoring/tickets-reported?root={COUNTY}", admin))["tickets_reported"] == 3, timeout=15)
        for ticket_id in data["tickets"]:
            verified = ok(restored.call("GET", f"{API}/tickets/{ticket_id}/verify", admin))
            assert verified["intact"] is True and verified["witness"]["witnessed"] is True, verified
        print(f"backup {backup_seconds:.1f} s, restore {restore_seconds:.1f} s (command line, start-up included)")
    finally:
        for name in list(restored.processes):
            restored.kill(name)
        infrastructure.delete_vhost(broker, vhost)
        if broker.postgres:
            for name in names.values():
                infrastructure.drop_database(broker, name)
