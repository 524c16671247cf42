"""The bus contract's subscriptions: which service method consumes which event.

Every reliable consumer (``@idempotent_handler``) is listed here by its producer
and event type; ``tests/unit/test_contract.py`` checks the list against the
services' handlers, so it cannot drift from the code. Nothing here imports a
service: these are names, as in the README's event table.

The producer's outbox declares these durable queues (named and bound exactly as
nameko's ``@event_handler`` declares them) before its first publish on a
connection. An event published before its consumer has ever started, as on a
first start of the platform or when a consumer is rolled out after its producer,
waits in the consumer's queue instead of reaching no queue and being dropped.
"""

SUBSCRIPTIONS = {
    ("grid", "grid_split"): ("tickets.handle_grid_split", "people.handle_grid_split"),
    ("grid", "grid_merged"): ("tickets.handle_grid_merged", "people.handle_grid_merged"),
    # Scoring keeps facts of posts, households, patrols and visits (scoring.feed).
    ("people", "person_assigned"): ("tickets.handle_person_assigned", "scoring.handle_person_assigned"),
    ("people", "person_left"): ("tickets.handle_person_left", "scoring.handle_person_left"),
    ("people", "household_registered"): ("grid.handle_household_registered", "scoring.handle_household_registered"),
    ("people", "household_moved"): ("grid.handle_household_moved", "scoring.handle_household_moved"),
    # Scoring counts a household's residents from the household it carries (its new version).
    ("people", "resident_registered"): ("grid.handle_resident_registered", "scoring.handle_resident_registered"),
    ("people", "patrol_logged"): ("scoring.handle_patrol_logged",),
    ("people", "visit_logged"): ("scoring.handle_visit_logged",),
    # Scoring's sentiment index: each record's snapshot, recorded and after each follow-up.
    ("people", "sentiment_recorded"): ("scoring.handle_sentiment_recorded",),
    ("people", "sentiment_followed_up"): ("scoring.handle_sentiment_followed_up",),
    # Scoring's facts of a party member's service (issue 19 §4): hours, wishes, service days.
    ("people", "party_service_logged"): ("scoring.handle_party_service_logged",),
    ("people", "wish_confirmed"): ("scoring.handle_wish_confirmed",),
    ("people", "service_day_held"): ("scoring.handle_service_day_held",),
    ("people", "service_day_attended"): ("scoring.handle_service_day_attended",),
    ("tickets", "ticket_reported"): ("scoring.handle_ticket_reported", "grid.handle_ticket_reported",
                                     "people.handle_ticket_reported"),
    ("tickets", "ticket_rehomed"): ("scoring.handle_ticket_rehomed", "grid.handle_ticket_rehomed"),
    # Scoring keeps each ticket's snapshot (its fact) from every ticket event, and witnesses
    # its trail head (trail_seq, trail_head) from all of them but sla_breached.
    ("tickets", "ticket_accepted"): ("scoring.handle_ticket_accepted",),
    ("tickets", "ticket_escalated"): ("scoring.handle_ticket_escalated", "people.handle_ticket_escalated"),
    # People pushes the events that concern a department to its webhooks (people.webhooks),
    # and puts what an event asks of someone in their inbox (people.notifications).
    ("tickets", "ticket_dispatched"): ("scoring.handle_ticket_dispatched", "people.handle_ticket_dispatched"),
    ("tickets", "ticket_resolved"): ("scoring.handle_ticket_resolved",),
    ("tickets", "ticket_rated"): ("scoring.handle_ticket_rated",),
    ("tickets", "ticket_reopened"): ("scoring.handle_ticket_reopened", "people.handle_ticket_reopened"),
    ("tickets", "ticket_closed"): ("scoring.handle_ticket_closed",),
    ("tickets", "ticket_trail_extended"): ("scoring.handle_ticket_trail_extended",),
    ("tickets", "sla_breached"): ("scoring.handle_sla_breached", "people.handle_sla_breached"),
    ("tickets", "sla_warning"): ("people.handle_sla_warning",),
}


def queue_name(source, event_type, consumer):
    """nameko's name for a service-pool handler's queue (``consumer``: "service.method")."""
    return f"evt-{source}-{event_type}--{consumer}"


def subscriptions_of(source):
    """{event_type: (consumer, ...)} of the events ``source`` publishes."""
    return {event_type: consumers for (producer, event_type), consumers in SUBSCRIPTIONS.items()
            if producer == source}
