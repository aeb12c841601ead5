"""The Slack app's Celery tasks: one attempt at a message (and its retry), and the sweep."""

from celery import shared_task

from integrations.slack import posting

# Retries further ahead than this wait for the sweep instead of a broker countdown: the Redis
# broker redelivers a message it has held longer than its visibility timeout (300 s).
LONGEST_COUNTDOWN = 240.0


@shared_task(name="integrations.slack.send_post", ignore_result=True, soft_time_limit=60,
             time_limit=70)
def send_slack_post_task(post_id: int) -> str:
    """Send the post; schedule its retry when Slack asked to wait or could not be reached."""
    outcome = posting.send_post(post_id=post_id)
    if outcome.retry_in is not None and outcome.retry_in <= LONGEST_COUNTDOWN:
        send_slack_post_task.apply_async((post_id,), countdown=outcome.retry_in)
    return outcome.state


@shared_task(name="integrations.slack.sweep_posts", ignore_result=True)
def sweep_slack_posts_task() -> int:
    """Enqueue the posts that are due (lost tasks, long retries, lapsed claims)."""
    due = posting.sweep_posts()
    for post_id in due:
        send_slack_post_task.delay(post_id)
    return len(due)
