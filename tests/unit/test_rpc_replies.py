"""The bounded RPC proxy on the real broker: a call that gave up leaves nothing
behind in the reply listener, and a reply that comes after is dropped quietly."""
import eventlet
import pytest
from nameko.testing.services import entrypoint_hook

from common.errors import Unavailable
from common.rpc import ServiceRpc, rpc

CALLS = 5


class SlowCallee:
    name = "slow_callee"

    @rpc
    def wait(self, seconds):
        eventlet.sleep(seconds)
        return seconds


class Caller:
    name = "rpc_caller"
    slow = ServiceRpc("slow_callee")
    absent = ServiceRpc("absent_callee")  # no service consumes its requests: it never answers

    @rpc
    def ask_slow(self, seconds):
        return self.slow.wait(seconds)

    @rpc
    def ask_absent(self):
        return self.absent.wait(0)


@pytest.fixture
def start(amqp_uri, containers):
    return lambda cls: containers(cls, {"AMQP_URI": amqp_uri, "RPC_TIMEOUT_SECONDS": 0.2})


def pending_replies(container):
    """The reply listener's map of calls waiting for a reply (correlation id -> event)."""
    proxy = next(d for d in container.dependencies if isinstance(d, ServiceRpc))
    return proxy.rpc_reply_listener._reply_events


def unavailable(hook, *args):
    with pytest.raises(Unavailable) as raised:
        hook(*args)
    return raised.value


def test_calls_that_timed_out_leave_no_reply_entry_behind(start):
    caller = start(Caller)
    with entrypoint_hook(caller, "ask_absent") as ask:
        for _ in range(CALLS):
            assert unavailable(ask).code == "SERVICE_UNAVAILABLE"
    assert pending_replies(caller) == {}, "each abandoned call must forget its correlation id"


def test_a_reply_after_the_timeout_is_dropped_quietly(start):
    start(SlowCallee)
    caller = start(Caller)
    with entrypoint_hook(caller, "ask_slow") as ask:
        for _ in range(CALLS):
            assert "did not answer within 0.2 s" in unavailable(ask, 0.6).message
        assert pending_replies(caller) == {}, "forgotten as soon as the caller gave up"
        eventlet.sleep(0.8)  # the late replies have arrived (and been dropped) by now
        assert pending_replies(caller) == {}
        assert ask(0) == 0, "the listener still answers the next call"
    assert pending_replies(caller) == {}
