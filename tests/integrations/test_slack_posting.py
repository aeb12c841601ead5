"""The outbox of Slack messages: a message whose task was lost, or whose worker died while
sending, is found by the sweep and sent; one that keeps failing stops after its last
attempt; a retry waits at least as long as Slack's Retry-After."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.slack import posting
from integrations.slack.models import SlackPost
from integrations.slack.tasks import sweep_slack_posts_task

pytestmark = pytest.mark.django_db


def waiting_post(fake_slack, **fields) -> SlackPost:
    now = timezone.now()
    return SlackPost.objects.create(**{
        "message": {"response_type": "in_channel", "text": "Ticket: Save the cart"},
        "response_url": fake_slack.response_url(), "expires_at": now + timedelta(minutes=29),
        "channel_id": "C0GENERAL", "next_attempt_at": now - timedelta(seconds=1), **fields})


def test_a_post_whose_task_was_lost_is_sent_by_the_sweep(fake_slack, tasks_inline):
    post = waiting_post(fake_slack)
    assert sweep_slack_posts_task() == 1
    post.refresh_from_db()
    assert (post.state, post.attempts) == ("sent", 1)
    assert [m.text for m in fake_slack.messages(post.response_url)] == ["Ticket: Save the cart"]


def test_a_post_whose_worker_died_is_tried_again(fake_slack, tasks_inline):
    post = waiting_post(fake_slack, state="sending", attempts=1)
    sweep_slack_posts_task()
    post.refresh_from_db()
    assert (post.state, post.attempts) == ("sent", 2)


def test_a_claim_that_lapsed_on_the_last_attempt_fails(fake_slack, tasks_inline):
    post = waiting_post(fake_slack, state="sending", attempts=posting.MAX_ATTEMPTS)
    assert sweep_slack_posts_task() == 0
    post.refresh_from_db()
    assert post.state == "failed" and "interrupted" in post.error
    assert fake_slack.messages() == []


def test_a_post_not_yet_due_is_left_alone(fake_slack):
    waiting_post(fake_slack, next_attempt_at=timezone.now() + timedelta(seconds=30))
    assert posting.sweep_posts() == []


def test_retry_after_longer_than_the_usual_delay_is_honoured(fake_slack, settings):
    settings.PUSH_RETRY_DELAYS = [5.0]
    settings.PUSH_RETRY_AFTER_MAX = 3600.0
    fake_slack.fail("POST", "/hooks/", "429", retry_after=120)
    post = waiting_post(fake_slack)
    outcome = posting.send_post(post_id=post.pk)
    post.refresh_from_db()
    assert (outcome.state, outcome.retry_in) == ("pending", 120)
    assert post.next_attempt_at >= timezone.now() + timedelta(seconds=115)


def test_a_post_that_keeps_failing_stops_after_its_last_attempt(fake_slack):
    fake_slack.fail("POST", "/hooks/", "500", times=posting.MAX_ATTEMPTS)
    post = waiting_post(fake_slack)
    for _ in range(posting.MAX_ATTEMPTS):
        SlackPost.objects.filter(pk=post.pk).update(next_attempt_at=timezone.now())
        posting.send_post(post_id=post.pk)
    post.refresh_from_db()
    assert (post.state, post.attempts) == ("failed", posting.MAX_ATTEMPTS)
    assert "HTTP 500" in post.error
