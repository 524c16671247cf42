"""A real Prometheus (Debian's package) scrapes the running test stack: the five
components, the local RabbitMQ's plugin (the stack's vhost, per queue) and a
postgres exporter on the stack's tickets database, with the committed alert rules
loaded. Every target is up and the series the dashboards and alerts lean on are
there. The scrape jobs are the committed prometheus.yml's, pointed at this machine."""
import copy
import os
import shutil
import subprocess
import time
from urllib.parse import unquote, urlparse

import pytest
import requests
import yaml

from common.launcher import ROOT
from stack import free_port

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
POSTGRES_EXPORTER = "/usr/bin/prometheus-postgres-exporter"
PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
RABBITMQ_PROMETHEUS = "127.0.0.1:15692"
KEY_SERIES = (
    'gridgov_entrypoint_calls_total{job="gateway"}',
    'gridgov_outbox_pending_events{job="tickets"}',
    "gridgov_tickets_open",
    'rabbitmq_detailed_queue_messages{job="rabbitmq-queues",queue=~"evt-.*"}',
    'rabbitmq_detailed_queue_consumers{job="rabbitmq-queues",queue=~"evt-.*"}',
    "rabbitmq_queues",
    'pg_up{job="postgres"}',
)


def wait_for(probe, seconds, what):
    deadline = time.monotonic() + seconds
    while True:
        result = probe()
        if result or time.monotonic() > deadline:
            assert result, f"{what} within {seconds}s"
            return result
        time.sleep(0.3)


def answers(url):
    try:
        return requests.get(url, timeout=2).ok
    except requests.RequestException:
        return False


def scrape_config(stack, exporter_port, vhost):
    """The committed jobs with the compose host names replaced by this machine's ports."""
    committed = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text(encoding="utf-8"))
    targets = {name: f"127.0.0.1:{process.port}" for name, process in stack.processes.items()}
    targets.update({"rabbitmq": RABBITMQ_PROMETHEUS, "rabbitmq-queues": RABBITMQ_PROMETHEUS,
                    "postgres": f"127.0.0.1:{exporter_port}"})
    jobs = []
    for job in copy.deepcopy(committed["scrape_configs"]):
        job["static_configs"] = [{"targets": [targets[job["job_name"]]]}]
        if job["job_name"] == "rabbitmq-queues":
            job["params"] = dict(job.get("params", {}), vhost=[vhost])  # the stack's queues only
        jobs.append(job)
    assert {job["job_name"] for job in jobs} == set(targets)
    return {"global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(PROMETHEUS_DIR / "alerts.yml")], "scrape_configs": jobs}


@pytest.fixture
def postgres_exporter(stack):
    """The Debian postgres exporter on the stack's tickets database."""
    if not os.path.exists(POSTGRES_EXPORTER):
        pytest.skip("prometheus-postgres-exporter is not installed (apt-get install prometheus-postgres-exporter)")
    url = stack.env.get("TICKETS_DB_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("the stack runs on SQLite: no PostgreSQL to export")
    dsn = "postgresql://" + url.split("://", 1)[1]
    dsn += ("&" if "?" in dsn else "?") + "sslmode=disable"
    port = free_port()
    process = subprocess.Popen([POSTGRES_EXPORTER, f"--web.listen-address=127.0.0.1:{port}"],
                               env={**os.environ, "DATA_SOURCE_NAME": dsn},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    yield port
    process.terminate()
    process.wait(5)


@pytest.fixture
def prometheus(stack, postgres_exporter, tmp_path):
    if not os.path.exists(PROMETHEUS):
        pytest.skip("prometheus is not installed (apt-get install prometheus)")
    if not answers(f"http://{RABBITMQ_PROMETHEUS}/metrics"):
        pytest.skip(f"no RabbitMQ Prometheus plugin on {RABBITMQ_PROMETHEUS}: rabbitmq-plugins enable rabbitmq_prometheus")
    vhost = unquote(urlparse(stack.env["AMQP_URI"]).path[1:]) or "/"
    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump(scrape_config(stack, postgres_exporter, vhost)), encoding="utf-8")
    port = free_port()
    log = open(tmp_path / "prometheus.log", "wb")
    process = subprocess.Popen([PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
                                f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: answers(f"{url}/-/ready"), 15, "Prometheus ready")
        yield url
    finally:
        process.terminate()
        process.wait(10)
        log.close()


def test_prometheus_finds_every_target_up_and_the_key_series(prometheus):
    def targets_up():
        active = requests.get(f"{prometheus}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
        health = {target["labels"]["job"]: target["health"] for target in active}
        return health if health and set(health.values()) == {"up"} else None

    health = wait_for(targets_up, 15, "every target up")
    assert set(health) == {"gateway", "grid", "people", "tickets", "scoring", "rabbitmq", "rabbitmq-queues",
                           "postgres"}

    def present(series):
        response = requests.get(f"{prometheus}/api/v1/query", params={"query": series}, timeout=5).json()
        return response["data"]["result"]

    for series in KEY_SERIES:
        wait_for(lambda: present(series), 5, f"{series} present")
    assert present('pg_up{job="postgres"}')[0]["value"][1] == "1"

    groups = requests.get(f"{prometheus}/api/v1/rules", timeout=5).json()["data"]["groups"]
    loaded = [rule for group in groups for rule in group["rules"] if rule["type"] == "alerting"]
    committed = yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text(encoding="utf-8"))["groups"]
    assert len(loaded) == sum(len(group["rules"]) for group in committed)
    assert all(rule["health"] == "ok" for rule in loaded), [r for r in loaded if r["health"] != "ok"]
