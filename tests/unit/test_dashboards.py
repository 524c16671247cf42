"""The Grafana dashboards (devtools/dashboards.py): the committed JSON is the generated,
every panel's query parses (promtool, each as a recording rule) and reads metrics
that really exist: the platform's from the code's declarations, RabbitMQ's and the
PostgreSQL exporter's from lists captured from the real endpoints, which are compared
with the live endpoints when these answer here."""
import json
import os
import shutil
import socket
import subprocess
import urllib.error

import pytest
import yaml
from test_compose import PROMETHEUS_DIR, exported_sample_names

from devtools import dashboards

EXPORTERS = {"rabbitmq": "rabbitmq_", "postgres": "pg_"}
PROMETHEUS_OWN = {"up"}  # written by Prometheus for every target


@pytest.fixture(scope="module")
def platform_metrics(tmp_path_factory):
    return exported_sample_names(tmp_path_factory.mktemp("metrics"))


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def used_names():
    """Metric names the panels and alert rules read."""
    groups = yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text(encoding="utf-8"))["groups"]
    exprs = [expr for _, _, expr in dashboards.queries()]
    exprs += [rule["expr"] for group in groups for rule in group["rules"]]
    return set().union(*(dashboards.metric_names(expr) for expr in exprs))


def test_the_committed_dashboards_are_the_generated():
    committed = {path.name: path.read_text(encoding="utf-8") for path in dashboards.DASHBOARD_DIR.glob("*.json")}
    assert committed == dashboards.rendered(), "run: python -m devtools.dashboards --write"


def test_there_is_an_overview_a_tickets_one_one_per_component_the_broker_and_the_database():
    uids = {d.uid for d in dashboards.DASHBOARDS}
    expected = {"gridgov-overview", "gridgov-tickets-sla", "gridgov-broker", "gridgov-postgres"}
    assert uids == expected | {f"gridgov-{name}" for name in dashboards.COMPONENTS}
    for dashboard in dashboards.DASHBOARDS:
        model = dashboards.grafana_json(dashboard)
        assert model["panels"] and all(p["targets"] and p["datasource"] == dashboards.DATASOURCE for p in model["panels"])
        assert len({p["id"] for p in model["panels"]}) == len(model["panels"])


def test_the_provisioned_data_source_is_the_one_the_panels_name():
    provisioning = dashboards.ROOT / "deploy" / "grafana" / "provisioning"
    (source,) = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text(encoding="utf-8"))["datasources"]
    assert (source["uid"], source["type"]) == (dashboards.DATASOURCE["uid"], dashboards.DATASOURCE["type"])
    (provider,) = yaml.safe_load((provisioning / "dashboards" / "gridgov.yml").read_text(encoding="utf-8"))["providers"]
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"


def test_every_query_parses(tmp_path):
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    rules = [{"record": f"gridgov:panel_{number}", "expr": expr}
             for number, (_, _, expr) in enumerate(dashboards.queries())]
    path = tmp_path / "panels.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": rules}]}), encoding="utf-8")
    result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_metric_names_are_read_from_promql():
    expr = ('histogram_quantile(0.95, sum by (job, le) (rate(gridgov_entrypoint_duration_seconds_bucket'
            '{kind=~"http|rpc"}[5m]))) / on (job) group_left max(up{job="x"}) > bool 1')
    assert dashboards.metric_names(expr) == {"gridgov_entrypoint_duration_seconds_bucket", "up"}


def test_every_panel_reads_a_metric_someone_exports(platform_metrics):
    known = platform_metrics | PROMETHEUS_OWN | set().union(*(dashboards.exporter_metrics(n) for n in EXPORTERS))
    for uid, title, expr in dashboards.queries():
        names = dashboards.metric_names(expr)
        assert names, f"{uid} / {title}: no metric in {expr}"
        assert names <= known, f"{uid} / {title} reads {sorted(names - known)}, which nobody exports"
    gridgov = {name for name in used_names() if name.startswith("gridgov_")}
    assert gridgov <= platform_metrics


def test_the_captured_rabbitmq_metrics_are_what_the_broker_exports():
    try:
        live = set().union(*(dashboards.scraped_names(url, timeout=3) for url in dashboards.RABBITMQ_ENDPOINTS))
    except (urllib.error.URLError, OSError) as exc:
        pytest.skip(f"no RabbitMQ Prometheus plugin on 127.0.0.1:15692 ({exc}): rabbitmq-plugins enable rabbitmq_prometheus")
    used = {name for name in used_names() if name.startswith("rabbitmq_")}
    assert used <= live, f"used but not exported by this broker: {sorted(used - live)}"
    assert used <= dashboards.exporter_metrics("rabbitmq")


def test_the_captured_postgres_metrics_are_what_the_exporter_exports():
    if not os.path.exists(dashboards.POSTGRES_EXPORTER):
        pytest.skip("prometheus-postgres-exporter is not installed (apt-get install prometheus-postgres-exporter)")
    server = os.environ.get("TEST_PG_URL")
    if not server:
        pytest.skip("TEST_PG_URL is not set: no PostgreSQL to export")
    separator = "&" if "?" in server else "?"
    live = dashboards.capture_postgres(f"{server}{separator}sslmode=disable", port=free_port())
    assert "pg_up" in live
    used = {name for name in used_names() if name.startswith("pg_")}
    assert used <= live, f"used but not exported: {sorted(used - live)}"
    assert used <= dashboards.exporter_metrics("postgres")
