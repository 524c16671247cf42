"""The monitoring files checked with the real tools: promtool on Prometheus' config,
its rules and their unit tests (deploy/prometheus/tests), amtool on Alertmanager's
rendered configuration, and the broker's queue policy against the bus contract.
A missing tool skips its test with the reason (.ci/run installs them)."""
import re
import shutil
import subprocess

import pytest
import yaml

from common import alertmanager_config, queue_policy
from common.contract import SUBSCRIPTIONS, queue_name
from common.launcher import ROOT

PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
ALERT_TESTS = PROMETHEUS_DIR / "tests" / "alerts_test.yml"


def tool(name):
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (apt-get install prometheus prometheus-alertmanager)")
    return path


def run(*command):
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def alert_names():
    groups = yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text(encoding="utf-8"))["groups"]
    return [rule["alert"] for group in groups for rule in group["rules"] if "alert" in rule]


# ------------------------------------------------------------------ Prometheus

def test_promtool_checks_the_config():
    run(tool("promtool"), "check", "config", str(PROMETHEUS_DIR / "prometheus.yml"))


def test_promtool_checks_the_rules():
    output = run(tool("promtool"), "check", "rules", str(PROMETHEUS_DIR / "alerts.yml"))
    assert f"{len(alert_names())} rules found" in output


def test_promtool_unit_tests_of_the_alerts_pass():
    run(tool("promtool"), "test", "rules", str(ALERT_TESTS))


def test_every_alert_has_a_case_in_which_it_fires():
    cases = yaml.safe_load(ALERT_TESTS.read_text(encoding="utf-8"))
    firing = {case["alertname"] for test in cases["tests"] for case in test.get("alert_rule_test", [])
              if case.get("exp_alerts")}
    names = alert_names()
    assert len(names) == len(set(names)), "an alert name is used twice"
    assert set(names) - firing == set(), "alerts without a firing test case"
    assert firing <= set(names), "test cases for alerts that do not exist"


def test_alerts_reach_alertmanager():
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text(encoding="utf-8"))
    targets = [t for am in config["alerting"]["alertmanagers"] for s in am["static_configs"] for t in s["targets"]]
    assert targets == ["alertmanager:9093"]


# ---------------------------------------------------------------- Alertmanager

def test_the_committed_example_is_the_rendered_one():
    assert alertmanager_config.EXAMPLE_FILE.read_text(encoding="utf-8") == alertmanager_config.example_text(), \
        "run: python -m common.alertmanager_config --example"


def test_amtool_accepts_the_rendered_configs(tmp_path):
    amtool = tool("amtool")
    webhook_only = tmp_path / "webhook.yml"
    webhook_only.write_text(alertmanager_config.dump(alertmanager_config.render(
        {"ALERT_WEBHOOK_URL": "https://alerts.example/hook"})), encoding="utf-8")
    for path in (alertmanager_config.EXAMPLE_FILE, webhook_only):
        assert "SUCCESS" in run(amtool, "check-config", str(path))


def test_webhook_and_email_receive_every_alert():
    config = alertmanager_config.render(alertmanager_config.EXAMPLE_ENV)
    (receiver,) = config["receivers"]
    assert config["route"]["receiver"] == receiver["name"]
    assert receiver["webhook_configs"][0]["url"] == alertmanager_config.EXAMPLE_ENV["ALERT_WEBHOOK_URL"]
    assert receiver["email_configs"][0]["to"] == "ops@district.example, oncall@district.example"
    assert config["global"]["smtp_smarthost"] == "mail.district.example:587"
    webhook_only = alertmanager_config.render({"ALERT_WEBHOOK_URL": "http://relay:8060/"})
    assert "email_configs" not in webhook_only["receivers"][0] and "global" not in webhook_only


@pytest.mark.parametrize("env, named", [
    ({}, "ALERT_WEBHOOK_URL"),
    ({"ALERT_WEBHOOK_URL": "  "}, "ALERT_WEBHOOK_URL"),
    ({"ALERT_WEBHOOK_URL": "relay:8060"}, "ALERT_WEBHOOK_URL"),
    ({"ALERT_EMAIL_TO": "ops@district.example"}, "SMTP_SMARTHOST"),
    ({"ALERT_EMAIL_TO": "ops@district.example", "SMTP_SMARTHOST": "mail:25"}, "SMTP_FROM"),
])
def test_a_config_that_reaches_nobody_is_refused_naming_the_variable(env, named):
    with pytest.raises(alertmanager_config.ConfigError, match=named):
        alertmanager_config.render(env)


# ------------------------------------------------------------- queue policy

def test_the_policy_bounds_every_event_queue_of_the_contract_and_dead_letters_them():
    definitions = queue_policy.load_definitions()
    (policy,) = [p for p in definitions["policies"] if p["name"] == queue_policy.EVENT_QUEUE_POLICY]
    pattern = re.compile(policy["pattern"])
    queues = [queue_name(source, event, consumer) for (source, event), consumers in SUBSCRIPTIONS.items()
              for consumer in consumers]
    assert all(pattern.search(queue) for queue in queues)
    assert not pattern.search(queue_policy.DEAD_LETTER_QUEUE) and not pattern.search("rpc-tickets")
    assert policy["apply-to"] == "queues"
    exchange = policy["definition"]["dead-letter-exchange"]
    assert {"name": exchange, "type": "fanout"}.items() <= definitions["exchanges"][0].items()
    assert [(b["source"], b["destination"]) for b in definitions["bindings"]] == [
        (exchange, queue_policy.DEAD_LETTER_QUEUE)]
    assert [q["name"] for q in definitions["queues"]] == [queue_policy.DEAD_LETTER_QUEUE]
    assert all(q["durable"] for q in definitions["queues"])


def test_a_consumer_down_for_a_long_weekend_loses_nothing():
    """The numbers docs/operations/monitoring.md justifies: 14 days (a National Day
    week with its weekends), a million events per queue."""
    limits = queue_policy.event_queue_policy()
    assert limits["message-ttl"] >= 9 * 24 * 3600 * 1000
    assert limits["max-length"] >= 16 * 10_000  # 16 days of a large district's busiest queue


def test_the_management_api_is_found_from_the_amqp_uri(monkeypatch):
    monkeypatch.delenv("RABBITMQ_MANAGEMENT_URL", raising=False)
    assert queue_policy.management_api("amqp://gridgov:s%40cret@rabbitmq:5672/") == (
        "http://rabbitmq:15672", ("gridgov", "s@cret"))
    assert queue_policy.vhost_of("amqp://u:p@h:5672/") == "/"
    assert queue_policy.vhost_of("amqp://u:p@h:5672/gridgov-test-1") == "gridgov-test-1"
    monkeypatch.setenv("RABBITMQ_MANAGEMENT_URL", "https://mq.internal:443/")
    assert queue_policy.management_api("amqp://u:p@h/")[0] == "https://mq.internal:443"
