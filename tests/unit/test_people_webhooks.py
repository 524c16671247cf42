"""The webhook rules without a broker: which URLs a department may name, which
departments an event concerns, what goes out, the signature and its check, and how an
attempt moves a delivery (retried with doubling backoff, dead after the last, replayed)."""
import datetime as dt
import time
from types import SimpleNamespace

import pytest

from common.errors import InvalidInput
from people import webhooks

OWN = (("127.0.0.1", 8000), ("localhost", 8000), ("wangge.example.gov.cn", 443))


@pytest.mark.parametrize("url", ["https://cgzf.example.gov.cn/hooks", "http://10.20.30.40:8080/in",
                                 "http://127.0.0.1:9100/receiver"])
def test_a_department_may_name_its_own_systems_intranet_ones_too(url):
    assert webhooks.check_url(url, OWN) == url


@pytest.mark.parametrize("url", ["ftp://example.org/x", "file:///etc/passwd", "https://", "http://u:p@example.org/",
                                 "http://127.0.0.1:8000/api/v1/healthz", "http://localhost:8000/",
                                 "https://wangge.example.gov.cn/hook", "http://127.0.0.1:5432/",
                                 "http://[::1]:5672/", "http://example.org:99999/"])
def test_a_url_that_is_no_web_address_or_the_platform_itself_is_refused(url):
    with pytest.raises(InvalidInput) as refused:
        webhooks.check_url(url, OWN)
    assert refused.value.details == {"field": "url"}


@pytest.mark.parametrize("event_type, payload, departments", [
    ("ticket_dispatched", {"departments": ["water", "power"]}, ["water", "power"]),
    ("sla_breached", {"clock": "sign:water"}, ["water"]),
    ("sla_breached", {"clock": "attend:water#2"}, ["water"]),
    ("sla_breached", {"clock": "resolve"}, []),          # the ticket's own clock: no department's
    ("ticket_reopened", {"departments": ["water"]}, ["water"]),
    ("ticket_accepted", {"departments": ["water"]}, []),
])
def test_an_event_concerns_the_departments_it_names(event_type, payload, departments):
    assert webhooks.concerned(event_type, payload) == departments


def test_what_goes_out_is_the_tickets_state_never_its_words_or_its_reporter():
    envelope = {"event_type": "ticket_dispatched", "event_id": "e1",
                "occurred_at": dt.datetime(2026, 12, 6, tzinfo=dt.timezone.utc),
                "payload": {"ticket_id": "t1", "number": "20261206-00001", "description_sig": "x",
                            "reporter_person_id": "p1", "departments": ["water"], "lead_department": "water"}}
    body = webhooks.outgoing(envelope)
    assert body["ticket"]["number"] == "20261206-00001" and body["occurred_at"] == "2026-12-06T00:00:00+00:00"
    assert "reporter_person_id" not in str(body) and "description" not in str(body)


def test_a_signature_verifies_for_its_body_and_secret_only_and_not_when_old():
    raw, now = b'{"event":"ticket_dispatched"}', int(time.time())
    header = webhooks.signature("whsec_a", now, raw)
    assert webhooks.verify("whsec_a", header, raw)
    assert not webhooks.verify("whsec_b", header, raw)
    assert not webhooks.verify("whsec_a", header, raw + b" ")
    assert not webhooks.verify("whsec_a", webhooks.signature("whsec_a", now - 3600, raw), raw)
    assert not webhooks.verify("whsec_a", "garbage", raw)


def test_backoff_doubles_up_to_its_ceiling():
    rules = webhooks.DeliveryRules(retry_seconds=30, max_backoff_seconds=100)
    assert [rules.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 100, 100]


class FakeSession:
    def __init__(self, delivery):
        self.delivery = delivery

    def get(self, model, key, with_for_update=False):
        return self.delivery


def pending(attempts=0):
    return SimpleNamespace(status="pending", attempts=attempts, next_attempt_at=None, last_status_code=None,
                           last_attempt_at=None, last_error=None, delivered_at=None)


def job(attempt):
    return webhooks.Job("d1", "http://x", "enc", "ticket_dispatched", {}, attempt)


NOW = dt.datetime(2026, 12, 6, 8, tzinfo=dt.timezone.utc)
RULES = webhooks.DeliveryRules(max_attempts=3, retry_seconds=10)


def test_an_attempt_delivers_retries_or_gives_up():
    delivered = webhooks.settle(FakeSession(pending()), job(1), 204, None, now=NOW, rules=RULES)
    assert (delivered.status, delivered.delivered_at, delivered.attempts) == ("delivered", NOW, 1)
    retried = webhooks.settle(FakeSession(pending(1)), job(2), 500, "HTTP 500", now=NOW, rules=RULES)
    assert (retried.status, retried.next_attempt_at) == ("pending", NOW + dt.timedelta(seconds=20))
    dead = webhooks.settle(FakeSession(pending(2)), job(3), None, "ConnectionError", now=NOW, rules=RULES)
    assert (dead.status, dead.last_error, dead.attempts) == ("dead", "ConnectionError", 3)


def test_sending_reports_a_receiver_that_cannot_be_reached_as_its_failure():
    def unreachable(*args, **kwargs):
        raise ConnectionRefusedError()
    assert webhooks.send(job(1), "whsec_a", unreachable, 1) == (None, "ConnectionRefusedError")
    sent = {}

    def post(url, data, headers, timeout, allow_redirects):
        sent.update(headers=headers, data=data, allow_redirects=allow_redirects)
        return SimpleNamespace(status_code=302)
    assert webhooks.send(job(1), "whsec_a", post, 1) == (302, "HTTP 302")   # a redirect is not followed
    assert sent["allow_redirects"] is False
    assert webhooks.verify("whsec_a", sent["headers"][webhooks.SIGNATURE_HEADER], sent["data"])
