"""Alerts reach someone: Debian's Alertmanager, with the configuration
common.alertmanager_config renders from ALERT_WEBHOOK_URL, posts an alert it is
sent to that webhook (a receiver this test runs), labels and annotations intact."""
import json
import os
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import requests

from common import alertmanager_config
from stack import free_port

ALERTMANAGER = "/usr/bin/prometheus-alertmanager"


class Receiver(BaseHTTPRequestHandler):
    received = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        Receiver.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    Receiver.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/alerts"
    server.shutdown()


@pytest.fixture
def alertmanager(webhook, tmp_path):
    if not os.path.exists(ALERTMANAGER):
        pytest.skip("prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)")
    config = tmp_path / "alertmanager.yml"
    config.write_text(alertmanager_config.dump(alertmanager_config.render({"ALERT_WEBHOOK_URL": webhook},
                                                                          group_wait="0s")), encoding="utf-8")
    port = free_port()
    log = open(tmp_path / "alertmanager.log", "wb")
    process = subprocess.Popen([ALERTMANAGER, f"--config.file={config}", f"--storage.path={tmp_path / 'data'}",
                                f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                if requests.get(f"{url}/-/ready", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, (tmp_path / "alertmanager.log").read_text()
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(10)
        log.close()


def test_a_firing_alert_reaches_the_webhook(alertmanager):
    alert = {"labels": {"alertname": "GridgovDeadLetters", "severity": "critical", "queue": "gridgov.dead-letters"},
             "annotations": {"summary": "2 events in gridgov.dead-letters (vhost /)"}}
    requests.post(f"{alertmanager}/api/v2/alerts", json=[alert], timeout=5).raise_for_status()
    deadline = time.monotonic() + 10
    while not Receiver.received and time.monotonic() < deadline:
        time.sleep(0.1)
    assert Receiver.received, "the webhook got nothing within 10 s"
    (delivered,) = Receiver.received[0]["alerts"]
    assert delivered["status"] == "firing"
    assert delivered["labels"] == alert["labels"]
    assert delivered["annotations"] == alert["annotations"]
    assert Receiver.received[0]["receiver"] == "operators"
