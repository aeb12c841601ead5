"""Celery tasks for billing: retries of failed Stripe webhook processing, automatic top-up."""

import stripe
from celery import shared_task

from billing import services
from billing.services import auto_top_up
from billing.services.subscriptions import allowances, sync


@shared_task(ignore_result=True, soft_time_limit=240, time_limit=300)
def retry_failed_webhooks_task() -> int:
    """Beat, every minute: the deliveries whose backoff has elapsed."""
    return services.retry_failed_webhooks()


@shared_task(ignore_result=True, soft_time_limit=120, time_limit=150)
def retry_webhook_task(*, trigger_id: int, actor_id: int | None = None, reason: str = "") -> str:
    """A staff member's retry of one delivery (queued by `queue_webhook_retry`)."""
    return services.retry_webhook(trigger_id=trigger_id, actor_id=actor_id, reason=reason)


@shared_task(ignore_result=True, soft_time_limit=60, time_limit=90)
def start_auto_top_up_task(account_id: int) -> None:
    """The account crossed its low-balance level: claim an automatic top-up if one is due."""
    auto_top_up.start_auto_top_up(account_id=account_id)


# Stripe's network errors are retried with the same idempotency key: one charge.
@shared_task(ignore_result=True, soft_time_limit=60, time_limit=90,
             autoretry_for=(stripe.APIConnectionError, stripe.RateLimitError),
             retry_backoff=5, max_retries=5)
def charge_auto_top_up_task(purchase_id: int) -> None:
    """Charge the automatic top-up that `start_auto_top_up` claimed."""
    auto_top_up.charge_auto_top_up(purchase_id=purchase_id)


@shared_task(ignore_result=True, soft_time_limit=60, time_limit=90,
             autoretry_for=(stripe.APIConnectionError, stripe.RateLimitError),
             retry_backoff=5, max_retries=5)
def save_card_from_setup_task(session: dict) -> None:
    """Keep the card of a completed setup-mode Checkout Session (Stripe is asked for it)."""
    auto_top_up.save_card_from_setup(session=session)


@shared_task(ignore_result=True, soft_time_limit=60, time_limit=90,
             autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def send_auto_top_up_failed_email_task(user_id: int) -> None:
    """The user's automatic top-up failed and turned itself off: email them, once."""
    auto_top_up.send_auto_top_up_failed_email(user_id=user_id)


@shared_task(ignore_result=True, soft_time_limit=60, time_limit=90,
             autoretry_for=(stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError),
             retry_backoff=10, max_retries=8)
def settle_duplicate_subscription_task(subscription_id: int) -> None:
    """A second subscription slipped through: cancel and refund it at Stripe, tell its owner."""
    sync.settle_duplicate_subscription(subscription_id=subscription_id)


@shared_task(ignore_result=True, soft_time_limit=60, time_limit=90,
             autoretry_for=(stripe.APIConnectionError, stripe.RateLimitError),
             retry_backoff=5, max_retries=5)
def expire_subscription_checkouts_task(account_id: int) -> None:
    """The account has a plan now: its other open subscription checkouts are closed."""
    sync.expire_subscription_checkouts(account_id=account_id)


@shared_task(ignore_result=True, soft_time_limit=60, time_limit=90,
             autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def send_subscription_email_task(subscription_id: int, reason: str) -> None:
    """Tell a subscriber about a failed renewal, the end of their plan or a duplicate."""
    sync.send_subscription_email(subscription_id=subscription_id, reason=reason)


@shared_task(ignore_result=True, soft_time_limit=240, time_limit=300)
def grant_due_allowances_task() -> int:
    """Beat, hourly: yearly plans' months 2–12 as they begin."""
    return allowances.grant_due_allowances()


@shared_task(ignore_result=True, soft_time_limit=60, time_limit=90,
             autoretry_for=(stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError),
             retry_backoff=10, max_retries=8)
def end_subscriptions_of_closed_account_task(account_id: int) -> None:
    """The owner deleted their account: their plan stops now."""
    sync.end_subscriptions_of_closed_account(account_id=account_id)
