"""Grafana dashboards declared as data: each panel's title and PromQL, from which
the JSON files Grafana provisions (deploy/grafana/dashboards/*.json) are generated.

    python -m devtools.dashboards --write      # regenerate the JSON files
    python -m devtools.dashboards --capture    # refresh the exporters' metric lists

tests/unit/test_dashboards.py holds the committed JSON equal to the generated, checks
that every query parses (promtool) and names a metric the platform (its code's
declarations), RabbitMQ or PostgreSQL (deploy/grafana/exporter-metrics/*.txt, captured
from the real endpoints with --capture) exports.
"""
import argparse
import json
import re
import subprocess
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD_DIR = ROOT / "deploy" / "grafana" / "dashboards"
EXPORTER_METRICS_DIR = ROOT / "deploy" / "grafana" / "exporter-metrics"
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}  # deploy/grafana/provisioning/datasources

COMPONENTS = ("gateway", "grid", "people", "tickets", "scoring")
COMPONENT_JOBS = "|".join(COMPONENTS)
# The ops endpoints are left out of latency: a failing /healthz waits for its own checks.
SERVED = 'kind=~"http|rpc",entrypoint!~"healthz|prometheus_metrics"'

# Where --capture reads each exporter's metric names on this machine (the local broker's
# plugin with the families prometheus.yml asks for; a postgres exporter it starts).
RABBITMQ_ENDPOINTS = ("http://127.0.0.1:15692/metrics",
                      "http://127.0.0.1:15692/metrics/detailed?family=queue_coarse_metrics&family=queue_consumer_count")
POSTGRES_EXPORTER = "/usr/bin/prometheus-postgres-exporter"


@dataclass(frozen=True)
class Panel:
    title: str
    exprs: tuple  # (expr, legend) pairs
    unit: str = "short"
    kind: str = "timeseries"  # or "stat"
    width: int = 12


def panel(title, *exprs, unit="short", kind="timeseries", width=12):
    """``exprs``: PromQL strings or (expr, legend) pairs."""
    pairs = tuple(e if isinstance(e, tuple) else (e, "") for e in exprs)
    return Panel(title, pairs, unit, kind, width)


@dataclass(frozen=True)
class Dashboard:
    uid: str
    title: str
    panels: tuple = field(default_factory=tuple)


def component_panels(job):
    """What every component's dashboard shows: its health, traffic, errors, latency and events."""
    selector = f'job="{job}"'
    return (
        panel("实例在线 / Instances up", (f"sum(up{{{selector}}})", "up"), kind="stat", width=6),
        panel("错误率 / Error ratio (5m)",
              (f'sum(rate(gridgov_entrypoint_calls_total{{{selector},outcome="error"}}[5m])) '
               f"/ sum(rate(gridgov_entrypoint_calls_total{{{selector}}}[5m]))", "error ratio"),
              unit="percentunit", kind="stat", width=6),
        panel("调用量 / Calls by entrypoint",
              (f"sum by (kind, entrypoint) (rate(gridgov_entrypoint_calls_total{{{selector}}}[5m]))",
               "{{kind}} {{entrypoint}}"), unit="reqps"),
        panel("失败与拒绝 / Errors and rejections",
              (f'sum by (entrypoint, outcome) (rate(gridgov_entrypoint_calls_total{{{selector},outcome!="ok"}}[5m]))',
               "{{entrypoint}} {{outcome}}"), unit="reqps"),
        panel("延迟 p95 / Latency p95 by entrypoint",
              (f"histogram_quantile(0.95, sum by (entrypoint, le) "
               f"(rate(gridgov_entrypoint_duration_seconds_bucket{{{selector},{SERVED}}}[5m])))",
               "{{entrypoint}}"), unit="s"),
        panel("事件消费 / Events consumed",
              (f"sum by (event_type, outcome) (rate(gridgov_events_consumed_total{{{selector}}}[5m]))",
               "{{event_type}} {{outcome}}"), unit="ops"),
        panel("发件箱 / Outbox pending and oldest age",
              (f"max(gridgov_outbox_pending_events{{{selector}}})", "pending"),
              (f"max(gridgov_outbox_oldest_pending_age_seconds{{{selector}}})", "oldest age (s)")),
        panel("事件发布 / Events relayed",
              (f"sum by (event_type) (rate(gridgov_outbox_relayed_total{{{selector}}}[5m]))", "{{event_type}}"),
              (f"sum(rate(gridgov_outbox_publish_failures_total{{{selector}}}[5m]))", "publish failures"), unit="ops"),
        panel("消费队列积压 / Its event queues' depth",
              (f'max by (queue) (rabbitmq_detailed_queue_messages{{queue=~"evt-.*--{job}\\\\..*"}})', "{{queue}}")),
    )


DASHBOARDS = (
    Dashboard("gridgov-overview", "平台总览 / Platform overview", (
        panel("组件在线 / Components up", (f'sum by (job) (up{{job=~"{COMPONENT_JOBS}"}})', "{{job}}"),
              kind="stat", width=12),
        panel("基础设施 / Broker and database up", ('max(up{job="rabbitmq"})', "rabbitmq"), ("max(pg_up)", "postgres"),
              kind="stat", width=12),
        panel("请求量 / Calls per component",
              (f'sum by (job) (rate(gridgov_entrypoint_calls_total{{job=~"{COMPONENT_JOBS}"}}[5m]))', "{{job}}"),
              unit="reqps"),
        panel("错误率 / Error ratio per component",
              ('sum by (job) (rate(gridgov_entrypoint_calls_total{outcome="error"}[5m])) '
               "/ sum by (job) (rate(gridgov_entrypoint_calls_total[5m]))", "{{job}}"), unit="percentunit"),
        panel("延迟 p95 / Latency p95 per component",
              (f"histogram_quantile(0.95, sum by (job, le) (rate(gridgov_entrypoint_duration_seconds_bucket{{{SERVED}}}[5m])))",
               "{{job}}"), unit="s"),
        panel("发件箱待发 / Outbox pending", ("max by (job) (gridgov_outbox_pending_events)", "{{job}}")),
        panel("事件队列积压 / Event queues' depth (total)",
              ('sum(rabbitmq_detailed_queue_messages{queue=~"evt-.*"})', "waiting events")),
        panel("死信 / Dead letters", ('sum(rabbitmq_detailed_queue_messages{queue="gridgov.dead-letters"})',
                                      "dead letters"), kind="stat"),
    )),
    Dashboard("gridgov-tickets-sla", "工单与时限 / Tickets and SLA", (
        panel("在办工单 / Open tickets by state", ("sum by (status) (max without (instance) (gridgov_tickets_open))",
                                                   "{{status}}")),
        panel("在办工单 / Open tickets by level", ("sum by (level) (max without (instance) (gridgov_tickets_open))",
                                                   "{{level}}")),
        panel("超时工单 / Overdue now, by clock", ("max by (clock) (gridgov_tickets_overdue)", "{{clock}}")),
        panel("受理超时 / Past the accept deadline", ('max(gridgov_tickets_overdue{clock="accept"})', "accept"),
              kind="stat", width=6),
        panel("办结超时 / Past the resolve deadline", ('max(gridgov_tickets_overdue{clock="resolve"})', "resolve"),
              kind="stat", width=6),
        panel("上报与办结 / Reported, resolved, closed per hour",
              *((f'sum(increase(gridgov_outbox_relayed_total{{job="tickets",event_type="{event}"}}[1h]))', label)
                for event, label in (("ticket_reported", "reported"), ("ticket_resolved", "resolved"),
                                     ("ticket_closed", "closed")))),
        panel("超时与升级 / SLA breaches and escalations per hour",
              *((f'sum(increase(gridgov_outbox_relayed_total{{job="tickets",event_type="{event}"}}[1h]))', label)
                for event, label in (("sla_breached", "breached"), ("sla_warning", "warned"),
                                     ("ticket_escalated", "escalated")))),
    )),
    *(Dashboard(f"gridgov-{job}", f"组件 / Component: {job}", component_panels(job)) for job in COMPONENTS),
    Dashboard("gridgov-broker", "消息代理 / Broker (RabbitMQ)", (
        panel("队列深度 / Depth per queue", ("max by (queue) (rabbitmq_detailed_queue_messages)", "{{queue}}")),
        panel("未确认 / Unacked per queue", ("max by (queue) (rabbitmq_detailed_queue_messages_unacked)", "{{queue}}")),
        panel("消费者 / Consumers per event queue",
              ('max by (queue) (rabbitmq_detailed_queue_consumers{queue=~"evt-.*"})', "{{queue}}")),
        panel("死信 / Dead letters", ('max(rabbitmq_detailed_queue_messages{queue="gridgov.dead-letters"})', "dead letters"),
              ("sum(rate(rabbitmq_global_messages_dead_lettered_maxlen_total[5m]))", "pushed out by length /s"),
              ("sum(rate(rabbitmq_global_messages_dead_lettered_expired_total[5m]))", "expired /s")),
        panel("消息速率 / Messages in and out",
              ("sum(rate(rabbitmq_global_messages_received_total[5m]))", "received"),
              ("sum(rate(rabbitmq_global_messages_delivered_total[5m]))", "delivered"),
              ("sum(rate(rabbitmq_global_messages_redelivered_total[5m]))", "redelivered"), unit="ops"),
        panel("连接 / Connections and channels", ("sum(rabbitmq_connections)", "connections"),
              ("sum(rabbitmq_channels)", "channels")),
        panel("内存 / Memory", ("sum(rabbitmq_process_resident_memory_bytes)", "used"),
              ("sum(rabbitmq_resident_memory_limit_bytes)", "limit"), unit="bytes"),
        panel("磁盘 / Free disk", ("min(rabbitmq_disk_space_available_bytes)", "free"),
              ("max(rabbitmq_disk_space_available_limit_bytes)", "alarm below"), unit="bytes"),
    )),
    Dashboard("gridgov-postgres", "数据库 / Database (PostgreSQL)", (
        panel("在线 / Up", ("max(pg_up)", "up"), kind="stat", width=6),
        panel("连接占用 / Connections used",
              ("sum(pg_stat_activity_count) / max(pg_settings_max_connections)", "used"),
              unit="percentunit", kind="stat", width=6),
        panel("连接 / Connections per database and state",
              ('sum by (datname, state) (pg_stat_activity_count{datname=~"gridgov.*"})', "{{datname}} {{state}}")),
        panel("事务 / Commits and rollbacks",
              ('sum by (datname) (rate(pg_stat_database_xact_commit{datname=~"gridgov.*"}[5m]))', "{{datname}} commit"),
              ('sum by (datname) (rate(pg_stat_database_xact_rollback{datname=~"gridgov.*"}[5m]))',
               "{{datname}} rollback"), unit="ops"),
        panel("大小 / Database size", ('max by (datname) (pg_database_size_bytes{datname=~"gridgov.*"})', "{{datname}}"),
              unit="bytes"),
        panel("最长事务 / Longest transaction", ("max by (datname) (pg_stat_activity_max_tx_duration)", "{{datname}}"),
              unit="s"),
        panel("锁 / Locks by mode", ('sum by (mode) (pg_locks_count{datname=~"gridgov.*"})', "{{mode}}")),
        panel("死锁 / Deadlocks", ('sum by (datname) (increase(pg_stat_database_deadlocks{datname=~"gridgov.*"}[1h]))',
                                   "{{datname}}")),
    )),
)


def grafana_json(dashboard):
    """The dashboard as Grafana's JSON model (panels laid out left to right, top down)."""
    panels, x, y, row_height = [], 0, 0, 0
    for number, declared in enumerate(dashboard.panels, start=1):
        height = 4 if declared.kind == "stat" else 8
        if x + declared.width > 24:
            x, y, row_height = 0, y + row_height, 0
        targets = [{"refId": chr(ord("A") + i), "datasource": DATASOURCE, "expr": expr, "legendFormat": legend}
                   for i, (expr, legend) in enumerate(declared.exprs)]
        panels.append({
            "id": number, "type": declared.kind, "title": declared.title, "datasource": DATASOURCE,
            "gridPos": {"h": height, "w": declared.width, "x": x, "y": y},
            "targets": targets,
            "fieldConfig": {"defaults": {"unit": declared.unit}, "overrides": []},
            "options": {"legend": {"displayMode": "list", "placement": "bottom"}} if declared.kind == "timeseries"
            else {"reduceOptions": {"calcs": ["lastNotNull"]}},
        })
        x, row_height = x + declared.width, max(row_height, height)
    return {
        "uid": dashboard.uid, "title": dashboard.title, "tags": ["gridgov"], "editable": False,
        "schemaVersion": 39, "version": 1, "refresh": "30s", "timezone": "Asia/Shanghai",
        "time": {"from": "now-6h", "to": "now"}, "panels": panels,
    }


def rendered():
    """{file name: JSON text} of every dashboard."""
    return {f"{d.uid}.json": json.dumps(grafana_json(d), ensure_ascii=False, indent=2) + "\n" for d in DASHBOARDS}


def queries():
    """[(dashboard uid, panel title, expr)] of every panel."""
    return [(d.uid, p.title, expr) for d in DASHBOARDS for p in d.panels for expr, _ in p.exprs]


_LABELS = re.compile(r'\{[^}]*\}')
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_GROUPING = re.compile(r'\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)')
_RANGE = re.compile(r'\[[^\]]*\]')
_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool", "and", "or",
             "unless", "inf", "nan"}


def metric_names(expr):
    """The metric names a PromQL expression reads (identifiers that are not functions,
    keywords, label names or numbers)."""
    stripped = _RANGE.sub("", _GROUPING.sub("", _LABELS.sub("", _STRINGS.sub('""', expr))))
    names = set()
    for match in re.finditer(r"[A-Za-z_:][\w:]*", stripped):
        following = stripped[match.end():].lstrip()
        if following.startswith("(") or match.group().lower() in _KEYWORDS:
            continue
        names.add(match.group())
    return names


def exporter_metrics(name):
    """The metric names committed for an exporter (``rabbitmq``, ``postgres``)."""
    return set((EXPORTER_METRICS_DIR / f"{name}.txt").read_text(encoding="utf-8").split())


def scraped_names(url, timeout=10):
    """Sample names an endpoint exports now."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        text = response.read().decode("utf-8")
    return {re.split(r"[{ ]", line, maxsplit=1)[0] for line in text.splitlines() if line and not line.startswith("#")}


def write_exporter_metrics(name, names):
    EXPORTER_METRICS_DIR.mkdir(parents=True, exist_ok=True)
    (EXPORTER_METRICS_DIR / f"{name}.txt").write_text("\n".join(sorted(names)) + "\n", encoding="utf-8")


def capture_postgres(dsn="postgresql://postgres@127.0.0.1:5432/postgres?sslmode=disable", port=19188):
    """Starts the Debian postgres exporter against ``dsn`` and returns what it exports."""
    import os
    import time

    process = subprocess.Popen([POSTGRES_EXPORTER, f"--web.listen-address=127.0.0.1:{port}"],
                               env={**os.environ, "DATA_SOURCE_NAME": dsn},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                return scraped_names(f"http://127.0.0.1:{port}/metrics")
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(5)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="write deploy/grafana/dashboards/*.json")
    parser.add_argument("--capture", action="store_true",
                        help="refresh deploy/grafana/exporter-metrics/*.txt from this machine's endpoints")
    args = parser.parse_args(argv)
    if args.capture:
        write_exporter_metrics("rabbitmq", set().union(*(scraped_names(url) for url in RABBITMQ_ENDPOINTS)))
        write_exporter_metrics("postgres", capture_postgres())
    if args.write:
        DASHBOARD_DIR.mkdir(parents=True, exist_ok=True)
        for stale in DASHBOARD_DIR.glob("*.json"):
            stale.unlink()
        for name, text in rendered().items():
            (DASHBOARD_DIR / name).write_text(text, encoding="utf-8")
    if not (args.write or args.capture):
        for uid, title, expr in queries():
            print(f"{uid}\t{title}\t{expr}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
