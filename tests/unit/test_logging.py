"""Log lines: the request id on each, LOG_FORMAT=json as one object per line (through
the nameko configs every component starts with, and the command-line tools), and no
personal data or password in what the plumbing writes."""
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert
from sqlalchemy.exc import IntegrityError

from common.logs import JsonFormatter, RequestIdFilter, request_context

ROOT = Path(__file__).resolve().parents[2]
COMPONENTS = ("gateway", "grid", "people", "tickets", "scoring")


def make_record(message, *args, exc_info=None, **extra):
    record = logging.LogRecord("people.residents", logging.WARNING, __file__, 1, message, args, exc_info)
    record.__dict__.update(extra)
    RequestIdFilter().filter(record)
    return record


def test_the_filter_names_the_current_request_or_a_dash():
    assert make_record("x").request_id == "-"
    with request_context("abc-1"):
        assert make_record("x").request_id == "abc-1"
        with request_context("inner"):
            assert make_record("x").request_id == "inner"
        assert make_record("x").request_id == "abc-1"
    assert make_record("x").request_id == "-"


def test_a_json_line_is_one_object_with_the_agreed_fields():
    with request_context("req-9"):
        try:
            raise ValueError("broken")
        except ValueError:
            record = make_record("two\nlines %s", "陈", exc_info=sys.exc_info())
    line = JsonFormatter(component="people").format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["time"].endswith("+00:00") and entry["level"] == "WARNING"
    assert entry["component"] == "people" and entry["logger"] == "people.residents"
    assert entry["message"] == "two\nlines 陈" and entry["request_id"] == "req-9"
    assert "Traceback" in entry["exception"] and "ValueError" in entry["exception"]
    plain = json.loads(JsonFormatter(component="people").format(make_record("no request")))
    assert plain["request_id"] is None and "exception" not in plain


def test_a_json_line_survives_a_lone_surrogate():
    entry = json.loads(JsonFormatter(component="x").format(make_record("bad \ud800")))
    assert entry["message"] == "bad \ud800"
    line = JsonFormatter(component="x").format(make_record("bad \ud800"))
    line.encode("utf-8")  # writable to any UTF-8 stream


def test_access_fields_go_into_the_json_object():
    entry = json.loads(JsonFormatter(component="gateway").format(make_record(
        "GET /x 200", method="GET", path="/x", query="", status=200, duration_ms=1.5)))
    assert {k: entry[k] for k in ("method", "path", "status", "duration_ms")} == {
        "method": "GET", "path": "/x", "status": 200, "duration_ms": 1.5}


SCRIPT = """
import logging, logging.config, sys, yaml
from nameko.cli.main import setup_yaml_parser
from common.logs import request_context
setup_yaml_parser()
with open(sys.argv[1]) as f:
    config = yaml.safe_load(f)
logging.config.dictConfig(config["LOGGING"])
log = logging.getLogger("probe")
with request_context("rid-42"):
    log.info("handled %s", "ok")
    try:
        1 / 0
    except ZeroDivisionError:
        log.exception("failed")
log.info("outside")
try:
    raise KeyError("110105194912310025")
except KeyError as exc:
    logging.getLogger("nameko.containers").exception("error handling worker %s: %s", "<worker>", exc)
"""


@pytest.mark.parametrize("component", COMPONENTS)
def test_every_component_config_logs_json_when_asked(component):
    env = {"PATH": "/usr/bin:/bin", "LOG_FORMAT": "json", "PYTHONWARNINGS": "ignore"}
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(ROOT / "deploy" / "config" / f"{component}.yaml")],
                            env=env, capture_output=True, text=True, timeout=60, check=True)
    entries = [json.loads(line) for line in result.stderr.splitlines()]
    assert [(e["component"], e["logger"], e["message"], e["request_id"]) for e in entries[:3]] == [
        (component, "probe", "handled ok", "rid-42"), (component, "probe", "failed", "rid-42"),
        (component, "probe", "outside", None)]
    assert "ZeroDivisionError" in entries[1]["exception"]
    [worker] = entries[3:]
    assert worker["message"].startswith("<worker> failed: KeyError") and "exception" not in worker
    assert "110105194912310025" not in result.stderr


@pytest.mark.parametrize("component", COMPONENTS)
def test_every_component_config_logs_plain_text_with_the_request_id_by_default(component):
    env = {"PATH": "/usr/bin:/bin", "PYTHONWARNINGS": "ignore"}
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(ROOT / "deploy" / "config" / f"{component}.yaml")],
                            env=env, capture_output=True, text=True, timeout=60, check=True)
    lines = result.stderr.splitlines()
    assert lines[0].endswith(f"INFO {component} probe [rid-42]: handled ok"), lines
    assert any(line.endswith(f"INFO {component} probe [-]: outside") for line in lines), lines
    assert "110105194912310025" not in result.stderr


CLI_SCRIPT = """
import logging
from common.cli import configure_logging
from common.logs import request_context
configure_logging("grid.demo")
with request_context("cli-1"):
    logging.getLogger("grid.demo").info("loaded")
"""


@pytest.mark.parametrize("log_format", ["json", "plain"])
def test_command_line_tools_log_the_same_way(log_format):
    env = {"PATH": "/usr/bin:/bin", "LOG_FORMAT": log_format, "PYTHONWARNINGS": "ignore"}
    result = subprocess.run([sys.executable, "-c", CLI_SCRIPT], env=env, capture_output=True, text=True,
                            timeout=60, check=True)
    line = result.stderr.strip()
    if log_format == "json":
        entry = json.loads(line)
        assert (entry["component"], entry["message"], entry["request_id"]) == ("grid.demo", "loaded", "cli-1")
    else:
        assert line.endswith("INFO grid.demo grid.demo [cli-1]: loaded"), line


def test_a_constraint_failure_names_no_values(scratch_db):
    from common.db import make_engine

    engine = make_engine(scratch_db)
    table = Table("people_probe", MetaData(), Column("id", Integer, primary_key=True), Column("phone", String(20)))
    try:
        table.create(engine)
        with pytest.raises(IntegrityError) as failed:
            with engine.begin() as connection:
                connection.execute(insert(table), [{"id": 1, "phone": "13912345678"},
                                                   {"id": 1, "phone": "13987654321"}])
        assert "13912345678" not in str(failed.value) and "13987654321" not in str(failed.value)
        assert "hidden" in str(failed.value)
    finally:
        table.drop(engine, checkfirst=True)
        engine.dispose()


def test_the_start_banner_prints_no_password(capsys, monkeypatch):
    from common import launcher

    monkeypatch.setenv("ADMIN_PASSWORD", "Secret-Demo-2026")

    class Process:
        url = "http://127.0.0.1:8000"

    launcher.print_banner({name: Process() for name in COMPONENTS})
    out = capsys.readouterr().out
    assert "Secret-Demo-2026" not in out
    assert "ADMIN_PASSWORD" in out
