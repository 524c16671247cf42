"""Webhooks (issue 20): a department's system subscribes a URL to the ticket events that
concern its department, and reads what was delivered; people keeps and sends them."""
from common.roles import WEBHOOK_OWNERS
from gateway.routing import ACTOR, Call, Path, Query, Route
from gateway.schemas import webhooks as s
from gateway.schemas.base import page_of

TAG = "webhooks"
SUBSCRIPTION = Path("subscription_id")
OWN_SUBSCRIPTIONS = "a department's own subscriptions (another's answers as one nobody has); an administrator's any"


def subscribe(ctx):
    """The Host the caller reached this gateway at is the platform too: no URL may name it."""
    return ctx.rpc("people").subscribe_webhook(data=ctx.body, actor=ctx.actor.to_wire(), own_host=ctx.request.host)


ROUTES = [
    Route("POST", "/webhooks", "subscribe_webhook", "Subscribe a URL to the ticket events of a department",
          WEBHOOK_OWNERS, subscribe, TAG, body=s.NewWebhook, response=s.NewSubscription, status=201,
          description="`events`: some of `ticket_dispatched` (dispatched to the department), `sla_breached` (a "
                      "clock of the department ran out: sign, contact, attend) and `ticket_reopened` (a ticket it "
                      "worked on came back). A department subscribes for itself (its account or its API key); an "
                      "administrator names `department_code`. The `secret` is in this answer alone: each delivery "
                      "is signed with it (`X-Gridgov-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "
                      "\"<t>.<body>\">`). A URL that is not http(s), holds a password, or points at the platform "
                      "itself: 400 `INVALID_WEBHOOK_URL` naming `url`."),
    Route("GET", "/webhooks", "list_webhooks", "Webhook subscriptions (never their secrets)", WEBHOOK_OWNERS,
          Call("people.list_webhooks", actor=ACTOR, department_code=Query("department_code"), after=Query("after"),
               limit=Query("limit")), TAG,
          query=s.WebhookQuery, response=page_of(s.Subscription),
          description=OWN_SUBSCRIPTIONS + ". Newest first; page on with `after` = `next`."),
    Route("POST", "/webhooks/{subscription_id}/deactivate", "deactivate_webhook",
          "Stop a subscription (its log stays)", WEBHOOK_OWNERS,
          Call("people.deactivate_webhook", subscription_id=SUBSCRIPTION, actor=ACTOR), TAG,
          path_schema=s.SubscriptionPath, response=s.Subscription, description=OWN_SUBSCRIPTIONS + "."),
    Route("GET", "/webhooks/{subscription_id}/deliveries", "webhook_deliveries",
          "A subscription's deliveries, newest first: the delivery log", WEBHOOK_OWNERS,
          Call("people.webhook_deliveries", subscription_id=SUBSCRIPTION, actor=ACTOR, status=Query("status"),
               after=Query("after"), limit=Query("limit")), TAG,
          path_schema=s.SubscriptionPath, query=s.DeliveryQuery, response=page_of(s.Delivery),
          description="`pending` (due at `next_attempt_at`), `delivered`, or `dead` after `WEBHOOK_MAX_ATTEMPTS` "
                      "failures (retried `WEBHOOK_RETRY_SECONDS` after the first, doubling), with the last "
                      "attempt's HTTP status or error. Page on with `after` = `next`."),
    Route("POST", "/webhooks/deliveries/{delivery_id}/replay", "replay_webhook_delivery",
          "Send a delivery again (a dead one, after the receiver is fixed)", WEBHOOK_OWNERS,
          Call("people.replay_webhook_delivery", delivery_id=Path("delivery_id"), actor=ACTOR), TAG,
          path_schema=s.DeliveryPath, response=s.Delivery,
          description="From a fresh count of attempts, at once. A pending delivery is left as it is."),
]
