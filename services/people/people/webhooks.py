"""Webhooks: ticket events pushed to the departments they concern (issue 20), free of
nameko. A department subscribes a URL to some of EVENTS; each event that concerns it
becomes a delivery, written in the same transaction as the event's inbox mark (people
consumes the tickets service's events), and sent by a timer outside any transaction:
the intake path does no HTTP, and a slow receiver holds up nobody's report.

Each delivery is signed: ``X-Gridgov-Signature: t=<unix seconds>,v1=<hex>``, the HMAC-
SHA256 of ``"<t>.<body>"`` under the subscription's secret (shown once, kept encrypted:
signing needs it back). A receiver recomputes it, compares in constant time and refuses
an old ``t`` (replays). A delivery that fails is retried with backoff (``retry_seconds``
doubling), and after ``max_attempts`` it is ``dead``: kept with its log, and replayed on
request. What goes out is the ticket's number, kind, state and clocks, never a
description or anything of the reporter: the department reads the rest with its key.
"""
import dataclasses
import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import secrets
import time
import uuid
from urllib.parse import urlsplit

from sqlalchemy import select

from common import keyset
from common.errors import Forbidden, InvalidInput, NotFound
from people.models import WebhookDelivery, WebhookSubscription
from people.staff import require_department

# event -> (zh, en): the ticket events a department may subscribe to
EVENTS = {
    "ticket_dispatched": ("派单到本部门", "dispatched to the department"),
    "sla_breached": ("本部门时限超时", "a clock of the department ran out"),
    "ticket_reopened": ("已办工单被重新打开", "a ticket the department worked on was reopened"),
}
DEPARTMENT_CLOCKS = ("sign", "contact", "attend")  # tickets.clocks' clocks of a summoned department
STATUSES = ("pending", "delivered", "dead")
SIGNATURE_HEADER = "X-Gridgov-Signature"
# Where nothing outside may be sent: the databases, broker and cache a platform host runs.
INFRASTRUCTURE_PORTS = (5432, 5672, 15672, 6379)
LOOPBACK_NAMES = ("localhost", "localhost.localdomain")


@dataclasses.dataclass(frozen=True)
class DeliveryRules:
    """WEBHOOK_MAX_ATTEMPTS, WEBHOOK_RETRY_SECONDS (doubling), WEBHOOK_TIMEOUT_SECONDS."""
    max_attempts: int = 8
    retry_seconds: float = 30.0
    timeout_seconds: float = 5.0
    max_backoff_seconds: float = 3600.0

    def backoff(self, attempts):
        return dt.timedelta(seconds=min(self.retry_seconds * 2 ** (attempts - 1), self.max_backoff_seconds))


# --- subscribing ---------------------------------------------------------------------------

def _loopback(host):
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url, own_addresses=()):
    """The URL, if a department may be sent to it: http(s), a host, no credentials in
    it, and not the platform itself (``own_addresses``: its (host, port) pairs, such as
    the gateway's, and the databases' and broker's ports on this host); 400 naming
    ``url`` otherwise."""
    def refuse(why):
        return InvalidInput(f"The webhook URL {why}.", code="INVALID_WEBHOOK_URL", details={"field": "url"})
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise refuse("is not a URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise refuse("must be an http:// or https:// address with a host")
    if parts.username or parts.password:
        raise refuse("must not hold a user name or password (the signature proves the sender)")
    host = parts.hostname.lower()
    own = {(h.lower(), int(p)) for h, p in own_addresses}
    if (host, port) in own or (_loopback(host) and (port in INFRASTRUCTURE_PORTS or
                                                    any(_loopback(h) and p == port for h, p in own))):
        raise refuse("points at the platform itself")
    return url


def subscriber_department(actor, given):
    """Whose subscription: a department's own (its account or key), or, for an
    administrator, the one it names."""
    if actor is None or "admin" in actor.roles:
        if not given:
            raise InvalidInput("Name the department_code the subscription is for.", code="VALIDATION_FAILED",
                               details={"fields": {"department_code": ["required for an administrator"]}})
        return given
    if given and given != actor.department:
        raise Forbidden("A department subscribes for itself.", code="OUT_OF_SCOPE",
                        details={"field": "department_code"})
    return actor.department


def subscribe(session, cipher, data, *, department, by, now, own_addresses):
    """(the subscription, its secret: shown once)."""
    require_department(session, department)
    url = check_url(data["url"], own_addresses)
    secret = f"whsec_{secrets.token_urlsafe(32)}"
    row = WebhookSubscription(id=str(uuid.uuid4()), department_code=department, url=url,
                              secret_enc=cipher.encrypt(secret), events=sorted(set(data["events"])), active=True,
                              created_by=by and by.account_id, created_at=now)
    session.add(row)
    return row, secret


def get_subscription(session, subscription_id, actor=None, for_update=False):
    """The subscription, if ``actor`` (None: internal; an administrator: any) may see it;
    another department's is answered as one nobody has."""
    row = session.get(WebhookSubscription, subscription_id, with_for_update=for_update)
    if row is None or not _sees(actor, row.department_code):
        raise NotFound(f"No webhook subscription has the id {subscription_id}.", code="WEBHOOK_NOT_FOUND",
                       details={"subscription_id": subscription_id})
    return row


def _sees(actor, department):
    return actor is None or "admin" in actor.roles or actor.department == department


def deactivate(session, subscription_id, *, actor, now):
    row = get_subscription(session, subscription_id, actor, for_update=True)
    if row.active:
        row.active, row.deactivated_at = False, now
    return row


def subscriptions(session, actor, department=None, after=None, limit=100):
    """Subscriptions newest first, a page at a time (``keyset.Page``)."""
    query = select(WebhookSubscription)
    if actor is not None and "admin" not in actor.roles:
        department = actor.department
    if department:
        query = query.where(WebhookSubscription.department_code == department)
    return keyset.page(session, query, (WebhookSubscription.created_at, WebhookSubscription.id), cursor=after,
                       limit=limit, noun="subscription", descending=True)


def subscription_view(row, secret=None):
    shown = {"id": row.id, "department_code": row.department_code, "url": row.url, "events": list(row.events),
             "active": row.active, "created_at": row.created_at.isoformat(),
             "deactivated_at": row.deactivated_at and row.deactivated_at.isoformat()}
    if secret is not None:
        shown["secret"] = secret
    return shown


# --- from an event to deliveries -------------------------------------------------------------

def concerned(event_type, payload):
    """The departments an event concerns."""
    if event_type == "ticket_dispatched":
        return list(payload.get("departments") or ())
    if event_type == "sla_breached":
        clock = str(payload.get("clock") or "")
        kind, _, rest = clock.partition(":")
        return [rest.split("#", 1)[0]] if kind in DEPARTMENT_CLOCKS and rest else []
    if event_type == "ticket_reopened":
        return list(payload.get("departments") or ())
    return []


TICKET_FIELDS = ("ticket_id", "number", "category", "grade", "status", "level", "grid_code", "reported_at",
                 "resolve_due", "reopen_count")
EXTRA_FIELDS = {"ticket_dispatched": ("departments", "lead_department", "whistle_level", "at"),
                "sla_breached": ("clock", "due", "escalated_to"),
                "ticket_reopened": ("departments", "at")}


def outgoing(envelope):
    """What a delivery sends: the event, and of the ticket what its department reads
    anyway, without a description or anything of the reporter."""
    payload, event_type = envelope["payload"], envelope["event_type"]
    occurred = envelope["occurred_at"]
    return {"event": event_type, "event_id": str(envelope["event_id"]),
            "occurred_at": occurred.isoformat() if isinstance(occurred, dt.datetime) else occurred,
            "ticket": {name: payload.get(name) for name in TICKET_FIELDS},
            **{name: payload.get(name) for name in EXTRA_FIELDS.get(event_type, ())}}


def enqueue(session, envelope, now):
    """A pending delivery per active subscription the event concerns; their number."""
    event_type = envelope["event_type"]
    departments = concerned(event_type, envelope["payload"])
    if not departments:
        return 0
    rows = session.scalars(select(WebhookSubscription).where(
        WebhookSubscription.department_code.in_(departments), WebhookSubscription.active.is_(True))).all()
    body = outgoing(envelope)
    made = 0
    for row in rows:
        if event_type in row.events:
            session.add(WebhookDelivery(id=str(uuid.uuid4()), subscription_id=row.id, event_id=envelope["event_id"],
                                        event_type=event_type, body=body, status="pending", attempts=0,
                                        next_attempt_at=now, created_at=now))
            made += 1
    return made


# --- sending ----------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Job:
    delivery_id: str
    url: str
    secret_enc: str
    event_type: str
    body: dict
    attempt: int


def claim_due(session, now, *, limit, lease):
    """Pending deliveries due now, each leased for ``lease`` (another replica's timer
    skips them meanwhile: the rows are locked while claimed, skipped when locked)."""
    rows = session.execute(
        select(WebhookDelivery, WebhookSubscription.url, WebhookSubscription.secret_enc)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at).limit(limit)
        .with_for_update(of=WebhookDelivery, skip_locked=True)).all()
    jobs = []
    for delivery, url, secret_enc in rows:
        delivery.next_attempt_at = now + lease
        jobs.append(Job(delivery.id, url, secret_enc, delivery.event_type, delivery.body, delivery.attempts + 1))
    return jobs


def signature(secret, timestamp, raw):
    """``t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<raw body>">``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret, header, raw, tolerance=300, now=None):
    """What a receiver does (the README shows it): True if ``header`` signs ``raw``
    under ``secret`` within ``tolerance`` seconds."""
    parts = dict(item.split("=", 1) for item in (header or "").split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, timestamp, raw), f"t={timestamp},v1={parts.get('v1', '')}")


def send(job, secret, post, timeout):
    """(HTTP status or None, an error text or None): one attempt. ``post`` is
    requests.post or a stand-in; redirects are not followed (the URL was checked, its
    redirect target was not)."""
    raw = json.dumps(dict(job.body, delivery_id=job.delivery_id), ensure_ascii=False,
                     separators=(",", ":")).encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": "gridgov-webhooks/1",
               "X-Gridgov-Event": job.event_type, "X-Gridgov-Delivery": job.delivery_id,
               SIGNATURE_HEADER: signature(secret, int(time.time()), raw)}
    try:
        response = post(job.url, data=raw, headers=headers, timeout=timeout, allow_redirects=False)
    except Exception as exc:  # any failure to reach it is the receiver's, retried
        return None, type(exc).__name__
    return response.status_code, None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"


def settle(session, job, status_code, error, *, now, rules):
    """Record one attempt: delivered on a 2xx; else retried after the backoff, or dead
    after the last attempt."""
    delivery = session.get(WebhookDelivery, job.delivery_id, with_for_update=True)
    if delivery is None or delivery.status != "pending":
        return delivery
    delivery.attempts, delivery.last_status_code, delivery.last_attempt_at = job.attempt, status_code, now
    delivery.last_error = error and error[:200]
    if error is None:
        delivery.status, delivery.delivered_at = "delivered", now
    elif job.attempt >= rules.max_attempts:
        delivery.status = "dead"
    else:
        delivery.next_attempt_at = now + rules.backoff(job.attempt)
    return delivery


def replay(session, delivery_id, *, actor, now):
    """A dead (or delivered) delivery sent again, from a fresh count of attempts."""
    delivery = session.get(WebhookDelivery, delivery_id, with_for_update=True)
    subscription = delivery and session.get(WebhookSubscription, delivery.subscription_id)
    if delivery is None or not _sees(actor, subscription.department_code):
        raise NotFound(f"No webhook delivery has the id {delivery_id}.", code="WEBHOOK_DELIVERY_NOT_FOUND",
                       details={"delivery_id": delivery_id})
    if delivery.status != "pending":
        delivery.status, delivery.attempts, delivery.next_attempt_at = "pending", 0, now
        delivery.last_error = None
    return delivery


def deliveries(session, subscription_id, *, actor, status=None, limit=100, after=None):
    """The subscription's deliveries newest first, a page at a time (``keyset.Page``)."""
    get_subscription(session, subscription_id, actor)
    of_this = WebhookDelivery.subscription_id == subscription_id
    query = select(WebhookDelivery).where(of_this)
    if status:
        query = query.where(WebhookDelivery.status == status)
    return keyset.page(session, query, (WebhookDelivery.created_at, WebhookDelivery.id), cursor=after, limit=limit,
                       noun="delivery of this subscription", descending=True, among=(of_this,))


def delivery_view(row):
    return {"id": row.id, "subscription_id": row.subscription_id, "event_id": row.event_id,
            "event_type": row.event_type, "status": row.status, "attempts": row.attempts,
            "last_status_code": row.last_status_code, "last_error": row.last_error,
            "created_at": row.created_at.isoformat(),
            "last_attempt_at": row.last_attempt_at and row.last_attempt_at.isoformat(),
            "next_attempt_at": row.next_attempt_at.isoformat() if row.status == "pending" else None,
            "delivered_at": row.delivered_at and row.delivered_at.isoformat()}

