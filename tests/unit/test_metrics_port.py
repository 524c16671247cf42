"""METRICS_PORT: /metrics on an internal port only, 404 on the public one (common.ops),
for a service's OpsEndpoints and for the gateway, whose route table declares its own
/metrics. Containers run in this process on the in-memory transport."""
import pytest
import requests

from common.ops import OpsEndpoints
from gateway.service import GatewayService
from stack import free_port


class Probe(OpsEndpoints):
    name = "metrics_probe"


def start(containers, service, metrics_port=None):
    port = free_port()
    # The gateway's revocation poll calls people, absent here: its wait is cut short.
    config = {"WEB_SERVER_ADDRESS": f"127.0.0.1:{port}", "AMQP_URI": "memory://", "RPC_TIMEOUT_SECONDS": 0.1}
    if metrics_port is not None:
        config["METRICS_PORT"] = metrics_port
    containers(service, config)
    return f"http://127.0.0.1:{port}"


def get(url):
    return requests.get(url, timeout=10, headers={"Connection": "close"})


@pytest.mark.parametrize("service", [Probe, GatewayService], ids=["ops_endpoints", "gateway"])
def test_metrics_only_on_the_metrics_port_when_set(containers, service):
    metrics_port = free_port()
    public = start(containers, service, metrics_port)

    hidden = get(f"{public}/metrics")
    assert hidden.status_code == 404
    assert hidden.json()["error"] == "ROUTE_NOT_FOUND"
    assert "gridgov_" not in hidden.text

    served = get(f"http://127.0.0.1:{metrics_port}/metrics")
    assert served.status_code == 200
    assert served.headers["Content-Type"].startswith("text/plain")
    assert "gridgov_entrypoint_calls_total" in served.text  # the public 404 above was counted here
    assert get(f"http://127.0.0.1:{metrics_port}/healthz").status_code == 404  # metrics, nothing else
    assert get(f"http://127.0.0.1:{metrics_port}/api/v1/openapi.json").status_code == 404


def test_metrics_on_the_public_port_when_unset(containers):
    public = start(containers, Probe)
    served = get(f"{public}/metrics")
    assert served.status_code == 200 and "# HELP gridgov_" in served.text
