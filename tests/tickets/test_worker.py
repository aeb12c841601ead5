"""Generation through the real Redis broker and an in-process Celery worker."""

import pytest
from django.urls import reverse

from tests.builders import funded_user, ticket_form
from tests.helpers import assert_charged_once, assert_not_charged, wait_until
from tickets.models import Ticket

from .fake_openrouter import PRIMARY, rate_limited, server_error, success

pytestmark = [pytest.mark.django_db(transaction=True)]


def wait_until_finished(ticket_id: int) -> Ticket:
    """The worker thread writes the result to the database: nothing else to await."""

    def finished():
        ticket = Ticket.objects.get(pk=ticket_id)
        return None if ticket.is_active else ticket

    return wait_until(finished, 20, message=lambda: f"ticket {ticket_id} still running")


def test_submit_is_generated_by_the_worker_and_charged_once(
    client, celery_worker, fake_openrouter
):
    fake_openrouter.queue(PRIMARY, rate_limited("1"), success("feature"))
    user = funded_user(5)
    client.force_login(user)
    response = client.post(reverse("tickets:new"), ticket_form(ticket_type="feature"),
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    ticket = wait_until_finished(Ticket.objects.get(owner=user).pk)
    assert ticket.status == "succeeded"
    assert ticket.ticket_type == "feature" and ticket.user_story.startswith("As a")
    assert_charged_once(ticket, user.token_account, 5)
    card = client.get(reverse("tickets:status", args=[ticket.public_id]) + "?standalone=1",
                      HTTP_HX_REQUEST="true").content.decode()
    assert "Let customers export invoices as PDF" in card


def test_failure_in_the_worker_releases_the_tokens(client, celery_worker, fake_openrouter):
    fake_openrouter.default = server_error(502)
    user = funded_user(2)
    client.force_login(user)
    response = client.post(reverse("tickets:new"), ticket_form())
    assert response.status_code == 302, response.content.decode()[-3000:]
    ticket = wait_until_finished(Ticket.objects.get(owner=user).pk)
    assert ticket.status == "failed"
    assert_not_charged(ticket, user.token_account, 2)
    page = client.get(reverse("tickets:detail", args=[ticket.public_id])).content.decode()
    assert "you were not charged" in page and "Try again" in page
