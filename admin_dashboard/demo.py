"""Demo data for `make run`, so the staff dashboard shows something real on a fresh clone.

A few users, visitors, tickets, generation attempts, purchases and subscriptions spread over
the last 30 days. Token movements go through the ledger's services (their rows are dated today: the
ledger is append-only and its dates are the truth). Idempotent: a second run adds nothing.
"""

import random
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import AnonymousVisitor, User
from accounts.services import get_or_open_user_account
from billing.models import (
    PlanSubscription,
    Purchase,
    SubscriptionInvoice,
    SubscriptionPlan,
    TokenPack,
)
from tickets.kinds import kind_values
from tickets.models import GenerationAttempt, Ticket
from tokens.services import grant_tokens, open_account, spend_tokens

DEMO_USERS = 8
DEMO_VISITORS = 6  # tried the generator and left without signing up
DEMO_DOMAIN = "demo.myba.local"


def _backdate(model, pk, **fields) -> None:
    model.objects.filter(pk=pk).update(**fields)


def _seed_user(n: int, rng: random.Random, now, pack: TokenPack | None) -> None:
    joined = now - timedelta(days=rng.randint(0, 29), hours=rng.randint(0, 23))
    user = User.objects.create_user(email=f"customer{n}@{DEMO_DOMAIN}", password=None)
    _backdate(User, user.pk, date_joined=joined, last_login=joined)
    account = get_or_open_user_account(user=user)
    grant_tokens(account=account, amount=6, kind="welcome",
                 idempotency_key=f"demo:user:{n}:welcome")
    visitor = AnonymousVisitor.objects.create(ip_hash=f"demo-{n}", merged_into=user,
                                              merged_at=joined)
    # Most customers tried the generator as a visitor first; every fourth signed up straight
    # away (sign-up then makes their visitor row, after the account), as the funnel expects.
    tried_first = n % 4 != 0
    first_seen = joined - timedelta(minutes=20) if tried_first else joined + timedelta(seconds=1)
    _backdate(AnonymousVisitor, visitor.pk, created_at=first_seen)
    if pack is not None and n % 3 == 0:
        paid_at = joined + timedelta(days=1)
        lot = grant_tokens(account=account, amount=pack.tokens, kind="purchase", source="paid",
                           idempotency_key=f"demo:user:{n}:purchase",
                           reference=f"demo:purchase:{n}")
        Purchase.objects.create(
            user=user, token_account=account, pack=pack, tokens=pack.tokens,
            amount_subtotal=pack.price_cents, amount_total=pack.price_cents,
            currency=pack.currency, status=Purchase.Status.PAID, test_mode=True,
            lot_entry=lot, paid_at=paid_at if paid_at < now else now,
        )
    for t in range(rng.randint(1, 4)):
        as_visitor = tried_first and t == 0
        created = joined + timedelta(hours=rng.randint(1, 60))
        created = joined - timedelta(minutes=10) if as_visitor else created
        created = min(created, now - timedelta(minutes=5))
        failed = rng.random() < 0.2
        quality = rng.choice(["standard", "advanced"])
        ticket = Ticket.objects.create(
            owner=user, visitor=visitor if as_visitor else None, token_account=account,
            cost=1, nonce=uuid.uuid4(),
            status="failed" if failed else "succeeded",
            ticket_type=rng.choice(kind_values()), quality=quality,
            description="Demo: users want to export their invoices as PDF.",
            title="" if failed else f"Demo ticket {n}.{t}",
            error_code="provider_error" if failed else "",
            generator="offline", model_name="offline",
        )
        latency = rng.randint(800, 9000)
        _backdate(Ticket, ticket.pk, created_at=created, started_at=created,
                  finished_at=created + timedelta(milliseconds=latency))
        attempt = GenerationAttempt.objects.create(
            ticket=ticket, provider="offline", model_name="offline", quality=quality,
            outcome="failed" if failed else "success",
            error_code="provider_error" if failed else "", latency_ms=latency,
        )
        _backdate(GenerationAttempt, attempt.pk, created_at=created)
        if not failed:
            spend_tokens(account=account, amount=1, idempotency_key=f"demo:ticket:{ticket.pk}",
                         reference=ticket.reference)


def _seed_visitor(n: int, rng: random.Random, now) -> None:
    """A visitor who spent a free token on one ticket and never signed up."""
    first_seen = now - timedelta(days=rng.randint(0, 29), hours=rng.randint(0, 23))
    account = open_account(label=f"visitor:demo-{n}")
    grant_tokens(account=account, amount=3, kind="visitor_grant",
                 idempotency_key=f"demo:visitor:{n}:grant")
    visitor = AnonymousVisitor.objects.create(ip_hash=f"demo-visitor-{n}", token_account=account,
                                              granted_at=first_seen)
    _backdate(AnonymousVisitor, visitor.pk, created_at=first_seen)
    created = first_seen + timedelta(minutes=1)
    ticket = Ticket.objects.create(
        visitor=visitor, token_account=account, cost=1, nonce=uuid.uuid4(), status="succeeded",
        ticket_type=rng.choice(kind_values()), quality="standard",
        description="Demo: users want to export their invoices as PDF.",
        title=f"Demo visitor ticket {n}", generator="offline", model_name="offline",
    )
    _backdate(Ticket, ticket.pk, created_at=created, started_at=created,
              finished_at=created + timedelta(seconds=2))
    spend_tokens(account=account, amount=1, idempotency_key=f"demo:ticket:{ticket.pk}",
                 reference=ticket.reference)


# (plan slug, status, started days ago, trial days, paid periods, ended days ago, cancelling)
DEMO_SUBSCRIPTIONS = [
    ("basic-monthly", "active", 50, 0, 2, None, False),
    ("basic-yearly", "active", 120, 0, 1, None, False),
    ("pro-monthly", "past_due", 40, 0, 1, None, False),
    ("basic-monthly", "trialing", 2, 7, 0, None, False),
    ("pro-monthly", "active", 20, 7, 1, None, True),
    ("basic-monthly", "canceled", 16, 7, 0, 9, False),
    ("pro-monthly", "canceled", 75, 0, 2, 12, False),
]


def _seed_subscription(n: int, row: tuple, now) -> None:
    """One local test-mode subscription of customer `n` and its paid invoices (no allowance
    lots: the demo's subscribers do not sign in)."""
    slug, status, started, trial_days, paid, ended, cancelling = row
    plan = SubscriptionPlan.objects.filter(slug=slug).first()
    user = User.objects.filter(email=f"customer{n}@{DEMO_DOMAIN}").first()
    if plan is None or user is None:
        return
    start = now - timedelta(days=started)
    trial_end = start + timedelta(days=trial_days) if trial_days else None
    first_paid = trial_end or start
    subscription = PlanSubscription.objects.create(
        token_account=user.token_account, user=user, plan=plan, status=status,
        stripe_subscription_id=f"sub_demo_{n}", test_mode=True, started_at=start,
        trial_end=trial_end, current_period_start=start, cancel_at_period_end=cancelling,
        cancel_reason="Switching to a team plan" if cancelling else "",
        current_period_end=first_paid + timedelta(days=30 * max(paid, 1)),
        ended_at=now - timedelta(days=ended) if ended else None,
        canceled_at=now - timedelta(days=ended) if ended else None)
    for month in range(paid):
        period_start = first_paid + timedelta(days=30 * month)
        SubscriptionInvoice.objects.create(
            subscription=subscription, plan=plan, kind=SubscriptionInvoice.Kind.PERIOD,
            stripe_invoice_id=f"in_demo_{n}_{month}", period_start=period_start,
            period_end=period_start + timedelta(days=30 * plan.months),
            amount_paid=plan.price_cents, currency=plan.currency, paid_at=period_start)


def _seed_subscriptions(now) -> None:
    """The demo customers' subscriptions, once (also into a demo made before they existed)."""
    if PlanSubscription.objects.filter(stripe_subscription_id__startswith="sub_demo_").exists():
        return
    for n, row in enumerate(DEMO_SUBSCRIPTIONS, start=1):
        _seed_subscription(n, row, now)


def seed_dashboard_demo(command) -> None:
    """Seeder for `seed_demo` (local demo only: DEBUG on)."""
    if not settings.DEBUG:
        return
    now = timezone.now()
    if User.objects.filter(email__endswith=f"@{DEMO_DOMAIN}").exists():
        with transaction.atomic():
            _seed_subscriptions(now)
        command.stdout.write("Dashboard demo data ready")
        return
    rng = random.Random(7)
    pack = TokenPack.objects.filter(active=True).order_by("sort_order").first()
    with transaction.atomic():
        for n in range(1, DEMO_USERS + 1):
            _seed_user(n, rng, now, pack)
        for n in range(1, DEMO_VISITORS + 1):
            _seed_visitor(n, rng, now)
        _seed_subscriptions(now)
    command.stdout.write(
        command.style.SUCCESS(f"Dashboard demo data created ({DEMO_USERS} customers)")
    )
