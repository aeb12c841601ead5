"""Ticket events reach a real local receiver, signed, once; failures are retried with
backoff (Retry-After honoured) and given up after the last attempt; resends repeat the event."""

import pytest
from django.urls import reverse

from accounts.webhooks.models import WebhookDelivery
from accounts.webhooks.services import record_ticket_event, send_test_event
from accounts.webhooks.signing import SIGNATURE_HEADER
from tests.builders import client_for, funded_user, request_ticket
from tests.helpers import wait_until
from tests.tickets.fake_openrouter import server_error
from tests.webhooks.conftest import FAST_RETRIES
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def delivery_of(endpoint, status="succeeded"):
    return wait_until(lambda: WebhookDelivery.objects.filter(endpoint=endpoint,
                                                             status=status).first(),
                      message=lambda: f"deliveries: {list(WebhookDelivery.objects.values())}")


def test_a_completed_ticket_sends_one_signed_event(celery_worker, offline, receiver, subscribe):
    user = funded_user(10)
    endpoint = subscribe(user)
    ticket = request_ticket(user.token_account, owner=user)

    delivery = delivery_of(endpoint)
    ticket.refresh_from_db()
    assert ticket.status == "succeeded"
    [request] = receiver.received
    assert request.verified, request.error
    assert request.headers[SIGNATURE_HEADER].startswith("t=")
    event = request.event
    assert event["id"] == delivery.event_id and event["id"].startswith("evt_")
    assert event["type"] == "ticket.completed"
    assert isinstance(event["created"], int)
    data = event["data"]["ticket"]
    assert data["id"] == ticket.public_id and data["status"] == "succeeded"
    assert data["title"] == ticket.title and data["type"] == "story"
    assert data["quality"] == "standard" and data["cost"] == ticket.cost
    assert data["url"].endswith(reverse("tickets:detail", args=[ticket.public_id]))
    assert data["url"].startswith("http")
    assert "error_code" not in data
    assert (delivery.attempts, delivery.last_status_code) == (1, 200)

    # The signal again (a redelivered message): the same delivery, nothing sent twice.
    assert record_ticket_event(ticket=ticket, event="ticket.completed").pk == delivery.pk
    assert WebhookDelivery.objects.count() == 1
    assert len(receiver.received) == 1


def test_a_failed_ticket_sends_one_event_with_its_error(tasks_inline, fake_openrouter,
                                                        receiver, subscribe):
    fake_openrouter.default = server_error()
    user = funded_user(10)
    endpoint = subscribe(user)
    ticket = request_ticket(user.token_account, owner=user)

    ticket.refresh_from_db()
    assert ticket.status == "failed"
    delivery = delivery_of(endpoint)
    [request] = receiver.received
    assert request.verified
    event = request.event
    assert (event["id"], event["type"]) == (delivery.event_id, "ticket.failed")
    data = event["data"]["ticket"]
    assert data["id"] == ticket.public_id and data["status"] == "failed"
    assert data["error_code"] == ticket.error_code and data["error_message"]


def test_only_subscribed_events_and_the_tickets_own_workspace(tasks_inline, offline, receiver,
                                                             subscribe):
    user = funded_user(10)
    subscribe(user, events=["ticket.failed"])
    other = funded_user(10)
    request_ticket(user.token_account, owner=user)  # completed: not subscribed
    request_ticket(other.token_account, owner=other)  # someone else's: no endpoint
    assert Ticket.objects.filter(status="succeeded").count() == 2
    assert WebhookDelivery.objects.count() == 0
    assert receiver.received == []


def test_a_500_is_retried_with_backoff_then_succeeds(celery_worker, receiver, subscribe):
    endpoint = subscribe(funded_user())
    receiver.reply((500, {}))
    delivery = send_test_event(endpoint=endpoint, actor=endpoint.owner)

    delivered = delivery_of(endpoint)
    assert [r.status for r in receiver.received] == [500, 200]
    assert {r.event["id"] for r in receiver.received} == {delivery.event_id}
    assert all(r.verified for r in receiver.received)
    # Signed anew on each attempt.
    assert delivered.attempts == 2 and delivered.last_status_code == 200
    assert delivered.last_error == "" and delivered.delivered_at is not None


def test_a_429_with_retry_after_waits_as_asked(celery_worker, receiver, subscribe):
    endpoint = subscribe(funded_user())
    receiver.reply((429, {"Retry-After": "1"}))
    send_test_event(endpoint=endpoint, actor=endpoint.owner)

    delivery_of(endpoint)
    first, second = receiver.received
    assert first.status == 429 and second.status == 200
    # The backoff alone would have retried after 0.05 s.
    assert second.at - first.at >= 0.95


def test_the_last_failed_attempt_gives_up(tasks_inline, receiver, subscribe):
    endpoint = subscribe(funded_user())
    receiver.default = (500, {})
    send_test_event(endpoint=endpoint, actor=endpoint.owner)

    delivery = delivery_of(endpoint, status="failed")
    assert delivery.attempts == len(FAST_RETRIES) + 1 == len(receiver.received)
    assert delivery.last_status_code == 500 and "HTTP 500" in delivery.last_error
    assert delivery.next_attempt_at is None


def test_an_unreachable_endpoint_is_retried_then_failed(tasks_inline, receiver, subscribe):
    endpoint = subscribe(funded_user())
    receiver.stop()  # nothing listens on its port any more
    send_test_event(endpoint=endpoint, actor=endpoint.owner)
    delivery = delivery_of(endpoint, status="failed")
    assert delivery.last_status_code is None and "connect" in delivery.last_error


def test_resend_sends_the_same_event_again(tasks_inline, receiver, subscribe):
    user = funded_user()
    endpoint = subscribe(user)
    delivery = send_test_event(endpoint=endpoint, actor=user)
    delivery_of(endpoint)

    response = client_for(user).post(reverse("webhooks:resend", args=[delivery.event_id]))
    assert response.status_code == 302
    wait_until(lambda: len(receiver.received) == 2)
    first, second = receiver.received
    assert first.event == second.event and second.event["id"] == delivery.event_id
    assert second.verified
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and delivery.attempts == 1
    assert WebhookDelivery.objects.count() == 1


def test_a_rotated_secret_signs_the_next_attempts(tasks_inline, receiver, subscribe):
    user = funded_user()
    endpoint = subscribe(user)
    old = endpoint.secret
    client_for(user).post(reverse("webhooks:rotate"))
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret.startswith("whsec_")

    send_test_event(endpoint=endpoint, actor=user)
    delivery_of(endpoint, status="failed")  # the receiver still checks with the old secret
    assert not receiver.received[0].verified

    receiver.secret = endpoint.secret
    receiver.received.clear()
    send_test_event(endpoint=endpoint, actor=user)
    wait_until(lambda: receiver.received and receiver.received[0].verified)
