"""AMQP_QUEUE_TYPE=quorum (issue 21 §6), on one node: a platform of its own on a fresh
vhost declares every durable gridgov queue (RPC and events, by consumers and relays
alike) as a quorum queue, its reply queues stay classic and exclusive to their
process, a ticket's events reach scoring;
and a component whose setting differs from the queues the broker has refuses to start,
naming the queue and how to migrate. The dead-letter queue follows the setting too."""
from urllib.parse import quote, unquote

import pytest
import requests
from nameko.containers import ServiceContainer

from common import queue_policy
from common.contract import SUBSCRIPTIONS, queue_name
from common.queues import QueueMismatch
from common.rpc import rpc

COUNTY, X, Y = "320732", 133.60, 43.60          # a county and a spot no other test uses


def broker_queues(infra, vhost):
    answer = requests.get(f"{infra.management_url}/api/queues/{quote(vhost, safe='')}", timeout=10)
    answer.raise_for_status()
    return {queue["name"]: queue for queue in answer.json()}


def tickets_reported(stack, token, grid):
    return stack.call("GET", f"/api/v1/scoring/tickets-reported?root={grid}", token).json()["tickets_reported"]


def test_every_durable_queue_is_quorum_and_events_still_flow(broker, platform_with):
    with platform_with(AMQP_QUEUE_TYPE="quorum") as stack:
        if stack.vhost is None:
            pytest.skip("needs the RabbitMQ management API for a vhost of its own and its queue list")
        token = stack.login()
        grid = stack.square_district(token, COUNTY, "仲裁", X, Y)
        created = stack.call("POST", "/api/v1/tickets", token,
                             {"grid_code": grid, "category": "EP03", "description": "仲裁队列：井盖缺失"})
        assert created.status_code == 201, created.text
        assert stack.waited(lambda: tickets_reported(stack, token, grid) == 1)

        queues = broker_queues(broker, stack.vhost)
        expected = {f"rpc-{service}" for service in ("grid", "people", "tickets", "scoring")} | {
            queue_name(source, event_type, consumer)
            for (source, event_type), consumers in SUBSCRIPTIONS.items() for consumer in consumers}
        assert expected <= set(queues), sorted(expected - set(queues))
        durable = {name: queue["type"] for name, queue in queues.items()
                   if queue["durable"] and not queue["auto_delete"] and not queue["exclusive"]}
        assert set(durable.values()) == {"quorum"}, {name: kind for name, kind in durable.items() if kind != "quorum"}
        replies = {(queue["type"], queue["exclusive"]) for name, queue in queues.items()
                   if name.startswith("rpc.reply-")}
        assert replies == {("classic", True)}, replies  # one process's, redeclared on whichever node it reaches


class Probe:
    name = "probe"

    @rpc
    def ping(self):
        return "pong"


def test_a_queue_of_another_type_stops_the_start_with_a_message_naming_it(amqp_uri):
    first = ServiceContainer(Probe, {"AMQP_URI": amqp_uri})  # declares rpc-probe classic
    first.start()
    first.stop()
    second = ServiceContainer(Probe, {"AMQP_URI": amqp_uri, "AMQP_QUEUE_TYPE": "quorum"})
    with pytest.raises(QueueMismatch) as refused:
        second.start()
    second.kill()
    message = str(refused.value)
    assert "'rpc-probe'" in message and "AMQP_QUEUE_TYPE=quorum" in message and "delete_queue" in message


def test_the_dead_letter_queue_is_quorum_too(broker, amqp_uri, monkeypatch):
    monkeypatch.setenv("AMQP_QUEUE_TYPE", "quorum")
    queue_policy.apply(amqp_uri)
    vhost = amqp_uri.rsplit("/", 1)[1]
    dead_letters = broker_queues(broker, unquote(vhost))[queue_policy.DEAD_LETTER_QUEUE]
    assert dead_letters["type"] == "quorum" and dead_letters["durable"]
