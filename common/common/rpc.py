"""RPC conventions: an ``@rpc`` that sends typed errors any caller can rebuild, and
a bounded RPC proxy that answers :class:`Unavailable` instead of waiting for ever.

nameko 2.x's in-service ``RpcProxy`` has no timeout: a call to a stopped service
waits on its durable queue indefinitely. Here each request also carries a message
TTL equal to the timeout, so a request nobody answered in time is dropped by the
broker instead of being executed later, after its caller has given up.

Requests and replies are transient and unconfirmed (nameko persists and confirms
both by default). A lost request or reply ends as that timeout, a 503, whatever the
broker promised; so writing RPC messages to the broker's disk and waiting for its
confirm of each bought nothing and cost a round trip and broker CPU per hop. Events
keep both: the outbox publishes them persistent and confirmed.
"""
import logging
import time
from urllib.parse import urlsplit

import eventlet
import eventlet.green.socket
from kombu.exceptions import OperationalError
from nameko.amqp.publish import Publisher
from nameko.constants import (AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, DEFAULT_SERIALIZER, LOGIN_METHOD_CONFIG_KEY,
                              NON_PERSISTENT, SERIALIZER_CONFIG_KEY)
from nameko.exceptions import UnknownService
from nameko.rpc import (MethodProxy, ReplyListener, Responder, Rpc as NamekoRpc, RpcConsumer, RpcProxy,
                        get_rpc_exchange)

import common.acks  # noqa: F401  (a lost connection's ack does not kill the container)
from common import config as cfg
from common.errors import AppError, Unavailable, to_wire
from common.queues import CheckedQueueConsumer, typed

log = logging.getLogger(__name__)

# Context headers on every request: the seconds its caller waits, and when (wall clock,
# epoch seconds) it sent the request. A callee calling on bounds its own calls to end
# REPLY_MARGIN_SECONDS before its caller stops waiting, and commits nothing after that.
CALLER_WAITS = "caller_waits_seconds"
CALLER_SENT_AT = "caller_sent_at"
REPLY_MARGIN_SECONDS = 0.5
MIN_TIMEOUT_SECONDS = 0.05


def _number(value):
    return None if isinstance(value, bool) or not isinstance(value, (int, float)) else float(value)


def caller_waits_left(context_data, now=None):
    """The seconds the caller still waits at ``now`` (wall clock; the worker's start),
    or None when it sent no wait. The time the request spent queued is taken off: a
    request redelivered to a restarted service, or one that waited behind others, was
    otherwise given its whole wait again, and committed after its caller had answered
    503 (issue 21's chaos run). Clamped to [0, wait], so a callee whose clock runs
    behind the caller's loses nothing; one ahead by s cuts every wait by s (keep the
    hosts on NTP)."""
    waits = _number(context_data.get(CALLER_WAITS))
    if waits is None:
        return None
    sent_at = _number(context_data.get(CALLER_SENT_AT))
    if sent_at is None:
        return waits
    queued = (time.time() if now is None else now) - sent_at
    return waits - min(max(queued, 0.0), waits)


def caller_deadline(worker_ctx, started, margin, now=None):
    """The ``time.monotonic()`` after which an RPC worker's caller no longer waits for
    its answer, less ``margin``; None for any other worker (an event, a timer, a
    request over HTTP: nobody waits with a deadline) or a caller that sent none.
    ``started``/``now``: the worker's start, monotonic and wall clock."""
    if not isinstance(worker_ctx.entrypoint, NamekoRpc):
        return None
    left = caller_waits_left(worker_ctx.context_data, now)
    return None if left is None else started + left - margin


class TransientPublisher(Publisher):
    """RPC requests and replies: not persisted, not confirmed (see the module's doc)."""

    use_confirms = False
    delivery_mode = NON_PERSISTENT

    def publish(self, payload, **kwargs):
        # An unroutable request is told only through a confirm; the timeout answers instead.
        kwargs["mandatory"] = False
        super().publish(payload, **kwargs)


class _TransientResponder(Responder):
    publisher_cls = TransientPublisher


class _RpcConsumer(RpcConsumer):
    """nameko's, replying through a transient publisher; its queue of the type
    AMQP_QUEUE_TYPE asks for (common.queues)."""

    queue_consumer = CheckedQueueConsumer()

    def setup(self):
        super().setup()
        typed(self.queue, self.container.config)

    def handle_result(self, message, result, exc_info):
        config = self.container.config
        responder = _TransientResponder(
            config[AMQP_URI_CONFIG_KEY], get_rpc_exchange(config), config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER),
            message, ssl=config.get(AMQP_SSL_CONFIG_KEY), login_method=config.get(LOGIN_METHOD_CONFIG_KEY))
        try:
            result, exc_info = responder.send_response(result, exc_info)
        except (OperationalError, OSError) as exc:
            # The broker went away: raised here, nameko would kill the whole container
            # (the chaos test saw it). The caller's wait ends in its 503.
            log.warning("rpc reply to %s not sent: the broker cannot be reached (%s)",
                        message.properties.get("reply_to"), exc)
        self.queue_consumer.ack_message(message)
        return result, exc_info


class _ReplyListener(ReplyListener):
    """nameko's, which forgets a call only when its reply arrives: a call that gave
    up (timeout, broker error) would keep its entry for ever, and an outage of the
    called service would grow the map by one entry per call. Here the caller
    forgets it; a reply that comes later finds no entry and is dropped (nameko
    logs it at debug level)."""

    queue_consumer = CheckedQueueConsumer()  # the one the service's RPC consumer uses: one connection

    def setup(self):
        """The reply queue exclusive to this process's connection (nameko declares it
        durable): a durable classic queue lives on one node of a cluster, and while that
        node is down no other node can declare it again (NOT_FOUND), so the process got
        no reply until that node was back. An exclusive one goes with its connection
        and is declared afresh on whichever node the process reconnects to; a reply
        lost with it ends as its caller's timeout, as any lost reply does."""
        super().setup()
        self.queue.durable, self.queue.exclusive, self.queue.auto_delete = False, True, True

    def forget(self, correlation_id):
        self._reply_events.pop(correlation_id, None)


class _CallReplies:
    """The reply listener as one call sees it: remembers the correlation id the
    call registered, so the call can forget it."""

    def __init__(self, listener):
        self._listener = listener
        self._correlation_ids = []

    @property
    def routing_key(self):
        return self._listener.routing_key

    def get_reply_event(self, correlation_id):
        self._correlation_ids.append(correlation_id)
        return self._listener.get_reply_event(correlation_id)

    def forget(self):
        while self._correlation_ids:
            self._listener.forget(self._correlation_ids.pop())


class _BoundedMethodProxy(MethodProxy):
    """A transient request that tells the callee how long its caller waits."""

    publisher_cls = TransientPublisher

    def __init__(self, worker_ctx, service_name, method_name, reply_listener, timeout, **options):
        super().__init__(worker_ctx, service_name, method_name, _CallReplies(reply_listener), expiration=timeout,
                         **options)
        self.timeout = timeout

    def get_message_headers(self, worker_ctx):
        headers = super().get_message_headers(worker_ctx)
        headers[self._get_header_name(CALLER_WAITS)] = self.timeout
        headers[self._get_header_name(CALLER_SENT_AT)] = time.time()
        return headers


class Rpc(NamekoRpc):
    rpc_consumer = _RpcConsumer()

    def __init__(self, expected_exceptions=AppError, **kwargs):
        super().__init__(expected_exceptions=expected_exceptions, **kwargs)

    def handle_result(self, message, worker_ctx, result, exc_info):
        if exc_info is not None and isinstance(exc_info[1], AppError):
            wire = to_wire(exc_info[1])
            exc_info = (type(wire), wire, exc_info[2])
        return super().handle_result(message, worker_ctx, result, exc_info)


rpc = Rpc.decorator


class ServiceRpc(RpcProxy):
    """``ServiceRpc("grid")`` gives ``self.grid.get_grid(code)`` bounded by
    ``RPC_TIMEOUT_SECONDS``; ``timeouts={"import_grids": 300}`` gives a slow method
    its own bound."""

    rpc_reply_listener = _ReplyListener()

    def __init__(self, target_service, timeouts=None, **options):
        super().__init__(target_service, **options)
        self.timeouts = timeouts or {}

    def setup(self):
        super().setup()
        self.broker = BrokerProbe(cfg.amqp_uri(self.container.config))

    def get_dependency(self, worker_ctx):
        return BoundedServiceProxy(self, worker_ctx, cfg.rpc_timeout(self.container.config))


class BrokerProbe:
    """Whether the broker takes connections now: a call that got no answer is a service's
    fault only if the broker is up (while RabbitMQ is stopped, kombu retries the publish
    until the call's time runs out, which looked like every service being down). A TCP
    connect, cached for a second so an outage costs one probe a second, not one a call.
    A cluster's ``amqp://a;amqp://b`` (kombu's failover) is up while any node is."""

    TIMEOUT, CACHE_SECONDS = 0.3, 1.0

    def __init__(self, amqp_uri):
        self.addresses = [broker_address(uri) for uri in amqp_uri.split(";") if uri.strip()]
        self._checked, self._up = 0.0, True

    def up(self):
        now = time.monotonic()
        if now - self._checked >= self.CACHE_SECONDS:
            self._up = any(self._answers(address) for address in self.addresses)
            self._checked = now
        return self._up

    def _answers(self, address):
        try:
            eventlet.green.socket.create_connection(address, timeout=self.TIMEOUT).close()
            return True
        except OSError:
            return False


def broker_address(amqp_uri):
    parts = urlsplit(amqp_uri.strip())
    return parts.hostname or "localhost", parts.port or 5672


class BoundedServiceProxy:
    def __init__(self, provider, worker_ctx, default_timeout):
        self._provider = provider
        self._worker_ctx = worker_ctx
        self._default_timeout = default_timeout
        self._started = time.monotonic()  # the worker's start: what its own caller still waits is counted from it
        self._waits_left = caller_waits_left(worker_ctx.context_data)

    def __getattr__(self, method_name):
        provider = self._provider

        def call(*args, **kwargs):
            timeout = self._bound(provider.timeouts.get(method_name, self._default_timeout))
            method = _BoundedMethodProxy(self._worker_ctx, provider.target_service, method_name,
                                         provider.rpc_reply_listener, timeout, **provider.options)
            return call_with_timeout(method, provider.target_service, timeout, *args, broker=provider.broker,
                                     **kwargs)
        call.__name__ = method_name
        return call

    def _bound(self, timeout):
        """``timeout``, cut to end before this worker's own caller stops waiting, so the
        503 that names the service that did not answer reaches that caller in time."""
        if self._waits_left is None:
            return timeout
        left = self._started + self._waits_left - REPLY_MARGIN_SECONDS - time.monotonic()
        return max(MIN_TIMEOUT_SECONDS, min(timeout, left))


def call_with_timeout(method_proxy, service_name, timeout, *args, broker=None, **kwargs):
    """``broker``: a BrokerProbe, asked when no answer came in time, so that a broker
    outage is reported as one (BROKER_UNAVAILABLE) and not as the service's."""
    try:
        with eventlet.Timeout(timeout) as bound:
            reply = method_proxy.call_async(*args, **kwargs)
            return reply.result()
    except eventlet.Timeout as exc:
        if exc is not bound:
            raise
        log.warning("rpc %s.%s: no answer within %.1fs", service_name, method_proxy.method_name, timeout)
        if broker is not None and not broker.up():
            raise _broker_down(service_name) from None
        raise _unavailable(service_name, f"did not answer within {round(timeout, 1):g} s")
    except UnknownService:
        raise _unavailable(service_name, "is not running")
    except (OperationalError, ConnectionError, OSError) as exc:
        log.warning("rpc %s: broker error %s", service_name, exc)
        raise _broker_down(service_name) from None
    finally:  # answered, timed out or failed: nothing is left waiting for this call's reply
        method_proxy.reply_listener.forget()


def _broker_down(service_name):
    return Unavailable("The message broker cannot be reached; please retry shortly.", code="BROKER_UNAVAILABLE",
                       details={"service": service_name})


def _unavailable(service_name, reason):
    return Unavailable(
        f"The {service_name} service {reason}; please retry shortly.",
        code="SERVICE_UNAVAILABLE",
        details={"service": service_name},
    )
