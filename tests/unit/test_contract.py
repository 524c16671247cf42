"""The bus contract's subscriptions (common.contract) are exactly the services'
reliable event handlers: a handler missing from it would lose the events published
before its first start, and a listed one that no service has would fill a queue
nobody reads."""
import importlib

from nameko.events import SERVICE_POOL, EventHandler

from common.contract import SUBSCRIPTIONS, queue_name, subscriptions_of
from common.launcher import COMPONENTS


def reliable_handlers():
    found = {}
    for component in COMPONENTS:
        module, _, class_name = component.service.partition(":")
        service = getattr(importlib.import_module(module), class_name)
        for attribute in dir(service):
            for entrypoint in getattr(getattr(service, attribute), "nameko_entrypoints", ()):
                if isinstance(entrypoint, EventHandler) and entrypoint.reliable_delivery \
                        and entrypoint.handler_type is SERVICE_POOL:
                    found.setdefault((entrypoint.source_service, entrypoint.event_type), set()).add(
                        f"{service.name}.{attribute}")
    return found


def test_the_contract_lists_every_reliable_handler_and_nothing_else():
    assert {key: set(consumers) for key, consumers in SUBSCRIPTIONS.items()} == reliable_handlers()


def test_queue_names_are_nameko_s():
    assert queue_name("tickets", "ticket_reported", "scoring.handle_ticket_reported") == \
        "evt-tickets-ticket_reported--scoring.handle_ticket_reported"
    assert subscriptions_of("people")["person_assigned"] == ("tickets.handle_person_assigned",
                                                           "scoring.handle_person_assigned")
    assert "grid_changed" not in subscriptions_of("grid")  # a broadcast: each replica's own passing queue


def test_the_relay_declares_each_queue_exactly_as_its_consumer_does():
    """Same name, binding, durability, exclusivity and arguments as nameko's own
    declaration when the consumer starts: any difference and the broker refuses the
    later of the two (PRECONDITION_FAILED), stalling a relay or a consumer."""
    from nameko.containers import ServiceContainer
    from nameko.standalone.events import get_event_exchange

    from common.outbox import consumer_queues

    config = {"AMQP_URI": "memory://"}
    nameko_declares = {}
    for component in COMPONENTS:
        module, _, class_name = component.service.partition(":")
        container = ServiceContainer(getattr(importlib.import_module(module), class_name), config)
        for entrypoint in container.entrypoints:
            if isinstance(entrypoint, EventHandler) and entrypoint.reliable_delivery:
                entrypoint.setup()  # computes the queue it declares, without touching a broker
                nameko_declares[entrypoint.queue.name] = entrypoint.queue.as_dict(recurse=True)
    relay_declares = {queue.name: queue.as_dict(recurse=True)
                      for (source, _), _ in SUBSCRIPTIONS.items()
                      for queue in consumer_queues(source, get_event_exchange(source, config),
                                                   subscriptions_of(source))}
    assert relay_declares == nameko_declares
