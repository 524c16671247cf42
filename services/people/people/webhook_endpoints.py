"""The people service's entrypoints for what ticket events tell others, kept thin
(people.webhooks and people.notifications hold the rules): the events that concern
departments become webhook deliveries, which a timer sends, and those that ask
something of a person become inbox notifications; departments and administrators
manage subscriptions and read the delivery log. A mixin of PeopleService (its db, pii
and config)."""
import logging
from urllib.parse import urlsplit

import eventlet
import requests
from nameko.extensions import DependencyProvider
from nameko.timer import timer

from common import config as cfg
from common.actor import Actor
from common.db import utcnow
from common.inbox import idempotent_handler
from common.rpc import rpc
from common.validation import load
from people import notifications, webhooks
from people.schemas import WebhookInputSchema, WebhookListQuerySchema

log = logging.getLogger(__name__)
webhook_input_schema, webhook_query_schema = WebhookInputSchema(), WebhookListQuerySchema()
POLL_SECONDS = cfg.env_float("WEBHOOK_POLL_SECONDS", 1.0)
BATCH, SENDERS = 50, 10   # deliveries claimed per tick, and sent at once
PLATFORM = ("gateway", "grid", "people", "tickets", "scoring")


class WebhookRules(DependencyProvider):
    """webhooks.DeliveryRules from the environment, and the platform's own addresses
    (its components' ports on this host, PUBLIC_BASE_URL's), which no URL may name."""

    def setup(self):
        config, default = self.container.config, webhooks.DeliveryRules()
        self.rules = webhooks.DeliveryRules(
            max_attempts=cfg.env_int("WEBHOOK_MAX_ATTEMPTS", default.max_attempts, config),
            retry_seconds=cfg.env_float("WEBHOOK_RETRY_SECONDS", default.retry_seconds, config),
            timeout_seconds=cfg.env_float("WEBHOOK_TIMEOUT_SECONDS", default.timeout_seconds, config))
        own = [(host, cfg.http_port(name, config)) for name in PLATFORM for host in ("127.0.0.1", "localhost")]
        public = urlsplit(cfg.env("PUBLIC_BASE_URL", "", config))
        if public.hostname:
            own.append((public.hostname, public.port or (443 if public.scheme == "https" else 80)))
        self.own_addresses = tuple(own)

    def get_dependency(self, worker_ctx):
        return self


def _host_port(host):
    """("host", port) of a Host header (the address the caller reached the gateway at)."""
    parts = urlsplit(f"//{host}")
    return parts.hostname, parts.port or 80


class WebhookEndpoints:
    webhook_rules = WebhookRules()

    # --- events to deliveries and to inboxes ---------------------------------------------
    def _told(self, session, envelope):
        """The departments' webhooks, and the inboxes of those the event asks something of."""
        now = utcnow()
        webhooks.enqueue(session, envelope, now)
        notifications.notify(session, envelope, now)

    @idempotent_handler("tickets", "ticket_reported")
    def handle_ticket_reported(self, session, envelope):
        self._told(session, envelope)

    @idempotent_handler("tickets", "ticket_escalated")
    def handle_ticket_escalated(self, session, envelope):
        self._told(session, envelope)

    @idempotent_handler("tickets", "ticket_dispatched")
    def handle_ticket_dispatched(self, session, envelope):
        self._told(session, envelope)

    @idempotent_handler("tickets", "sla_breached")
    def handle_sla_breached(self, session, envelope):
        self._told(session, envelope)

    @idempotent_handler("tickets", "ticket_reopened")
    def handle_ticket_reopened(self, session, envelope):
        self._told(session, envelope)

    @idempotent_handler("tickets", "sla_warning")
    def handle_sla_warning(self, session, envelope):
        self._told(session, envelope)

    # --- sending -------------------------------------------------------------------------------
    @timer(interval=POLL_SECONDS)
    def deliver_webhooks(self):
        self.deliver_webhooks_now()

    @rpc
    def deliver_webhooks_now(self):
        """Send what is due: claimed in one transaction, sent with none open (a slow
        receiver holds no row and no connection), each attempt recorded in its own."""
        rules = self.webhook_rules.rules
        lease = webhooks.dt.timedelta(seconds=rules.timeout_seconds * 3 + 10)
        with self.db.transaction() as session:
            jobs = webhooks.claim_due(session, utcnow(), limit=BATCH, lease=lease)
        if not jobs:
            return 0

        def attempt(job):
            status, error = webhooks.send(job, self.pii.decrypt(job.secret_enc), requests.post, rules.timeout_seconds)
            with self.db.transaction() as session:
                webhooks.settle(session, job, status, error, now=utcnow(), rules=rules)
            if error:
                log.info("webhook delivery %s attempt %d failed: %s", job.delivery_id, job.attempt, error)

        pool = eventlet.GreenPool(SENDERS)
        for job in jobs:
            pool.spawn_n(attempt, job)
        pool.waitall()
        return len(jobs)

    # --- subscriptions and the log -------------------------------------------------------------
    @rpc
    def subscribe_webhook(self, data, actor, own_host=None):
        """(a subscription with its secret, shown once). ``own_host``: the Host the
        caller reached the gateway at, which the URL may not name either."""
        data = load(webhook_input_schema, data, "webhook")
        actor = Actor.from_wire(actor)
        own = self.webhook_rules.own_addresses + ((_host_port(own_host),) if own_host else ())
        with self.db.transaction() as session:
            department = webhooks.subscriber_department(actor, data.get("department_code"))
            row, secret = webhooks.subscribe(session, self.pii, data, department=department, by=actor, now=utcnow(),
                                             own_addresses=own)
            session.flush()
            return webhooks.subscription_view(row, secret)

    @rpc
    def list_webhooks(self, actor, department_code=None, after=None, limit=100):
        """Subscriptions newest first, a page at a time: ``{"items", "next"}``."""
        query = load(webhook_query_schema, {"department_code": department_code}, "webhook query")
        with self.db.read() as session:
            page = webhooks.subscriptions(session, Actor.from_wire(actor), query["department_code"], after=after,
                                          limit=limit)
            return page.answer([webhooks.subscription_view(row) for row in page.rows])

    @rpc
    def deactivate_webhook(self, subscription_id, actor):
        with self.db.transaction() as session:
            return webhooks.subscription_view(webhooks.deactivate(session, subscription_id,
                                                                  actor=Actor.from_wire(actor), now=utcnow()))

    @rpc
    def webhook_deliveries(self, subscription_id, actor, status=None, after=None, limit=100):
        """The delivery log newest first, a page at a time: ``{"items", "next"}``."""
        query = load(webhook_query_schema, {"status": status}, "delivery query")
        with self.db.read() as session:
            page = webhooks.deliveries(session, subscription_id, actor=Actor.from_wire(actor),
                                       status=query["status"], after=after, limit=limit)
            return page.answer([webhooks.delivery_view(row) for row in page.rows])

    @rpc
    def replay_webhook_delivery(self, delivery_id, actor):
        with self.db.transaction() as session:
            return webhooks.delivery_view(webhooks.replay(session, delivery_id, actor=Actor.from_wire(actor),
                                                          now=utcnow()))
