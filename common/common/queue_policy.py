"""The broker's queue policy and dead-letter queue, and the replay of dead letters.

deploy/rabbitmq/definitions.json declares them as data, in RabbitMQ's definitions
format: a policy on every event queue (``evt-<source>-<event>--<service>.<method>``,
nameko's name, common.contract.queue_name) bounding its length and its messages' age,
and the ``gridgov.dead-letters`` exchange and queue that catch what the bound pushes
out. ``apply`` puts them into the vhost of an AMQP URI through the management API
(compose's rabbitmq-policy service, ``make run``, the tests on their own vhost);
``replay`` moves dead letters back to the queue each came from.

    python -m common.queue_policy apply [--wait 60]
    python -m common.queue_policy replay [--limit N]

The numbers and how to use them: docs/operations/monitoring.md.
"""
import argparse
import copy
import json
import sys
import time
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

import requests
from kombu import Connection, Exchange, Producer

from common import config as cfg
from common.queues import typed_arguments

DEFINITIONS_FILE = Path(__file__).resolve().parents[2] / "deploy" / "rabbitmq" / "definitions.json"
DEAD_LETTER_QUEUE = "gridgov.dead-letters"
EVENT_QUEUE_POLICY = "gridgov-event-queues"
MANAGEMENT_PORT = 15672


def load_definitions(path=DEFINITIONS_FILE):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def event_queue_policy(definitions=None):
    """The definition (max-length, message-ttl, ...) of the event queues' policy."""
    definitions = definitions or load_definitions()
    return next(p for p in definitions["policies"] if p["name"] == EVENT_QUEUE_POLICY)["definition"]


def vhost_of(amqp_uri):
    path = urlparse(amqp_uri).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def management_api(amqp_uri, management_url=None):
    """(base URL of the management API, (user, password)) for the broker of ``amqp_uri``:
    RABBITMQ_MANAGEMENT_URL (scheme://host:port) if set, else the AMQP host on 15672,
    with the AMQP URI's credentials."""
    parts = urlparse(amqp_uri)
    base = management_url or cfg.env("RABBITMQ_MANAGEMENT_URL") or f"http://{parts.hostname or '127.0.0.1'}:{MANAGEMENT_PORT}"
    return base.rstrip("/"), (unquote(parts.username or "guest"), unquote(parts.password or "guest"))


def apply(amqp_uri, definitions=None, management_url=None, timeout=5):
    """Declare the dead-letter exchange, queue and binding and set the policies in the
    vhost of ``amqp_uri`` (idempotent). ``definitions`` defaults to the committed file;
    its ``"vhost"`` fields are ignored. Raises requests.RequestException on failure."""
    definitions = definitions or load_definitions()
    base, auth = management_api(amqp_uri, management_url)
    vhost = quote(vhost_of(amqp_uri), safe="")

    def call(method, path, body):
        response = requests.request(method, f"{base}/api/{path}", json=body, auth=auth, timeout=timeout)
        response.raise_for_status()

    for exchange in definitions.get("exchanges", []):
        call("PUT", f"exchanges/{vhost}/{quote(exchange['name'], safe='')}",
             {key: exchange[key] for key in ("type", "durable", "auto_delete", "internal", "arguments")})
    for queue in definitions.get("queues", []):  # of the type AMQP_QUEUE_TYPE asks for (common.queues)
        arguments = typed_arguments(queue["arguments"], queue["durable"] and not queue["auto_delete"])
        call("PUT", f"queues/{vhost}/{quote(queue['name'], safe='')}",
             {"durable": queue["durable"], "auto_delete": queue["auto_delete"], "arguments": arguments})
    for binding in definitions.get("bindings", []):
        kind = {"queue": "q", "exchange": "e"}[binding["destination_type"]]
        call("POST", f"bindings/{vhost}/e/{quote(binding['source'], safe='')}/{kind}/"
                     f"{quote(binding['destination'], safe='')}",
             {"routing_key": binding["routing_key"], "arguments": binding["arguments"]})
    for policy in definitions.get("policies", []):
        call("PUT", f"policies/{vhost}/{quote(policy['name'], safe='')}",
             {key: policy[key] for key in ("pattern", "definition", "priority", "apply-to")})


def with_limits(definitions=None, **limits):
    """A copy of the definitions with the event queue policy's limits replaced (tests:
    ``with_limits(**{"max-length": 3})``)."""
    changed = copy.deepcopy(definitions or load_definitions())
    event_queue_policy(changed).update(limits)
    return changed


def origin_queue(headers):
    """The queue a dead letter was pushed out of (the latest ``x-death`` entry)."""
    deaths = (headers or {}).get("x-death") or []
    return deaths[0].get("queue") if deaths else None


def replay(amqp_uri, limit=None, log=print):
    """Move dead letters back to the queue each came from, oldest first, with publisher
    confirms (a message is removed from the dead-letter queue only once its queue has
    it). A letter whose queue no longer exists stays. Returns {queue: count moved}."""
    moved, kept = {}, 0
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        channel = connection.channel()
        producer = Producer(channel, exchange=Exchange(""))
        checks = connection.channel()
        existing = {}

        def exists(queue):
            nonlocal checks
            if queue not in existing:
                try:
                    checks.queue_declare(queue, passive=True)
                    existing[queue] = True
                except Exception:  # NOT_FOUND closes the channel
                    existing[queue] = False
                    checks = connection.channel()
            return existing[queue]

        unmovable = []
        while limit is None or sum(moved.values()) < limit:
            raw = channel.basic_get(DEAD_LETTER_QUEUE, no_ack=False)
            if raw is None:
                break
            message = channel.message_to_python(raw)
            queue = origin_queue(message.headers)
            if not queue or not exists(queue):
                unmovable.append(message)  # held unacked until the end, so the loop ends
                continue
            producer.publish(message.body, routing_key=queue, headers=message.headers,
                             content_type=message.content_type, content_encoding=message.content_encoding,
                             delivery_mode=2)
            message.ack()
            moved[queue] = moved.get(queue, 0) + 1
        for message in unmovable:
            message.reject(requeue=True)
            kept += 1
    for queue, count in sorted(moved.items()):
        log(f"replayed {count} to {queue}")
    if not moved and not kept:
        log(f"no dead letters in {DEAD_LETTER_QUEUE}")
    if kept:
        log(f"{kept} dead letters left in {DEAD_LETTER_QUEUE}: their queue is gone (or unnamed)")
    return moved


def apply_when_answering(amqp_uri, wait_seconds=0, log=print):
    """apply(), retried until the management API answers or ``wait_seconds`` pass.
    True when applied; False (with a line saying why) otherwise."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            apply(amqp_uri)
            log(f"queue policy {EVENT_QUEUE_POLICY} and {DEAD_LETTER_QUEUE} set on vhost {vhost_of(amqp_uri)!r}")
            return True
        except requests.RequestException as exc:
            if time.monotonic() >= deadline:
                base, _ = management_api(amqp_uri)
                log(f"queue policy not set: the RabbitMQ management API at {base} did not accept it ({exc}).\n"
                    "  Enable it (rabbitmq-plugins enable rabbitmq_management) and run: "
                    "python -m common.queue_policy apply")
                return False
            time.sleep(2)


def main(argv=None):
    parser = argparse.ArgumentParser(description="The broker's event queue policy and dead letters.")
    commands = parser.add_subparsers(dest="command", required=True)
    apply_command = commands.add_parser("apply", help="set the policy and dead-letter queue on AMQP_URI's vhost")
    apply_command.add_argument("--wait", type=float, default=0, help="seconds to wait for the management API")
    replay_command = commands.add_parser("replay", help="move dead letters back to their queues")
    replay_command.add_argument("--limit", type=int, default=None, help="at most this many")
    args = parser.parse_args(argv)
    amqp_uri = cfg.amqp_uri()
    if args.command == "apply":
        return 0 if apply_when_answering(amqp_uri, args.wait) else 1
    replay(amqp_uri, args.limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
