"""The Slack app's Celery task: one attempt at a message, and its retry."""

from celery import shared_task

from integrations.slack import posting

# A broker countdown longer than the Redis visibility timeout (300 s) risks a redelivery;
# a longer Retry-After is cut to this (a response_url lasts 30 minutes: waiting longer would
# mostly lose it).
LONGEST_COUNTDOWN = 240.0


@shared_task(name="integrations.slack.send_post", ignore_result=True, soft_time_limit=60,
             time_limit=70)
def send_slack_post_task(post_id: int) -> str:
    """Send the post; schedule its retry when Slack asked to wait or could not be reached."""
    outcome = posting.send_post(post_id=post_id)
    if outcome.retry_in is not None:
        send_slack_post_task.apply_async((post_id,),
                                         countdown=min(outcome.retry_in, LONGEST_COUNTDOWN))
    return outcome.state
