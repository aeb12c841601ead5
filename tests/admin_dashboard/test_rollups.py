"""The overview from the daily rollups equals the overview computed from the raw tables, on
random data: tickets, ledger entries and sign-ups spread over four months with many rows a
few seconds either side of local midnight, in UTC and in zones with odd offsets and DST,
before and after beat's compaction, and after late changes to days long past (a ticket
finishing after midnight, rows backdated, a user deleted with their tickets).

Figures are compared exactly (latency percentiles too: same float)."""

import random
import uuid
from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import AnonymousVisitor, User
from accounts.services import get_or_open_user_account
from admin_dashboard import metrics
from admin_dashboard.management.commands.dashboard_rollups import comparable
from admin_dashboard.models import ActiveDay, RollupState, SpenderDay, TicketDay
from admin_dashboard.periods import Period, preset_period
from admin_dashboard.rollups.selectors import rollups_ready
from admin_dashboard.rollups.services import compact_rollups, rebuild_rollups
from tests.builders import backdate_entries
from tests.factories import UserFactory
from tickets.models import Ticket
from tokens.models import LedgerEntry
from tokens.services import grant_tokens, open_account, spend_tokens

DAYS = 120
TYPES = ("bug", "feature", "task", "story")
QUALITIES = ("standard", "advanced")


class RandomData:
    """Random rows, many of them near local midnight, written through the services and
    then moved in time with UPDATEs (as history built up over months would be)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.today = timezone.localdate()
        self.keys = 0

    def key(self) -> str:
        self.keys += 1
        return f"rollup-test:{self.keys}:{uuid.uuid4().hex[:8]}"

    def moment(self) -> datetime:
        """A random moment in the last DAYS local days (today included, possibly later today);
        a third of them within 90 s of a local midnight."""
        day = self.today - timedelta(days=self.rng.randint(0, DAYS))
        midnight = timezone.make_aware(datetime.combine(day, time.min))
        if self.rng.random() < 0.35:
            return midnight + timedelta(seconds=self.rng.uniform(-90, 90))
        return midnight + timedelta(seconds=self.rng.uniform(0, 86_399))

    def users(self, n: int) -> list[User]:
        users = []
        for _ in range(n):
            user = UserFactory()
            User.objects.filter(pk=user.pk).update(date_joined=self.moment())
            users.append(user)
        return users

    def visitors(self, n: int, users) -> list[AnonymousVisitor]:
        """Visitors first seen at random; half merged into a user who may have joined before
        (then not new) or after them."""
        visitors = []
        for _ in range(n):
            visitor = AnonymousVisitor.objects.create(ip_hash=f"rollups-{self.key()}")
            merged = self.rng.choice(users) if self.rng.random() < 0.5 else None
            AnonymousVisitor.objects.filter(pk=visitor.pk).update(
                created_at=self.moment(),
                merged_into=merged,
                merged_at=timezone.now() if merged else None,
            )
            visitors.append(visitor)
        return visitors

    def merge_late(self, visitors, users) -> None:
        for visitor in self.rng.sample(visitors, len(visitors) // 3):
            merged = self.rng.choice(users + [None])
            AnonymousVisitor.objects.filter(pk=visitor.pk).update(
                merged_into=merged, merged_at=timezone.now() if merged else None
            )

    def ledger(self, accounts, n: int) -> None:
        for account in accounts:
            grant_tokens(account=account, amount=1_000, kind="welcome", idempotency_key=self.key())
        for _ in range(n):
            account = self.rng.choice(accounts)
            if self.rng.random() < 0.8:
                entry = spend_tokens(
                    account=account, amount=self.rng.randint(1, 3), idempotency_key=self.key()
                )
            else:
                kind = self.rng.choice(["purchase", "promo", "welcome"])
                entry = grant_tokens(
                    account=account,
                    amount=self.rng.randint(1, 50),
                    kind=kind,
                    idempotency_key=self.key(),
                )
            backdate_entries(LedgerEntry.objects.filter(pk=entry.pk), self.moment())

    def ticket(self, owner) -> Ticket:
        status = self.rng.choice(["queued", "running", "succeeded", "succeeded", "failed"])
        ticket = Ticket.objects.create(
            owner=owner,
            token_account=owner.token_account,
            cost=1,
            nonce=uuid.uuid4(),
            status=status,
            ticket_type=self.rng.choice(TYPES),
            quality=self.rng.choice(QUALITIES),
            description="rollups",
            title="T" if status == "succeeded" else "",
        )
        created = self.moment()
        finished = None
        if status in ("succeeded", "failed") and self.rng.random() < 0.95:
            finished = created + self.latency()
        Ticket.objects.filter(pk=ticket.pk).update(created_at=created, finished_at=finished)
        return ticket

    def latency(self) -> timedelta:
        """Mostly seconds, some minutes, a few identical (ties), to the microsecond."""
        pick = self.rng.random()
        if pick < 0.05:
            return timedelta(seconds=3)
        if pick < 0.15:
            return timedelta(microseconds=self.rng.randint(0, 400_000_000))
        return timedelta(microseconds=self.rng.randint(0, 15_000_000))

    def finish_late(self, tickets) -> None:
        """Tickets still queued or running finish now, on a day the rollups already hold;
        some after midnight of the day they were created."""
        for ticket in tickets:
            ticket.refresh_from_db()
            if ticket.status not in ("queued", "running"):
                continue
            outcome = self.rng.choice(["succeeded", "failed"])
            Ticket.objects.filter(pk=ticket.pk).update(
                status=outcome,
                title="Late" if outcome == "succeeded" else "",
                finished_at=ticket.created_at + self.latency() + timedelta(hours=12),
            )


def periods() -> list[Period]:
    today = timezone.localdate()
    ranges = [preset_period(key) for key in ("today", "7", "30", "90")]
    for first, last in ((10, 3), (DAYS + 5, 60), (45, 45), (1, 1), (366 - 1, 0)):
        ranges.append(Period("custom", today - timedelta(days=first), today - timedelta(days=last)))
    return ranges


def assert_rollups_match_raw() -> None:
    assert rollups_ready()
    for period in periods():
        rolled = comparable(metrics.overview(period, source=metrics.ROLLUPS))
        raw = comparable(metrics.overview(period, source=metrics.RAW))
        assert rolled == raw, period.label
    # The default source is the rollups when they are ready.
    assert comparable(metrics.overview(periods()[2])) == raw_of(periods()[2])


def raw_of(period: Period) -> dict:
    return comparable(metrics.overview(period, source=metrics.RAW))


def build(seed: int) -> tuple[RandomData, list, list, list]:
    rebuild_rollups()
    data = RandomData(seed)
    users = data.users(14)
    accounts = [get_or_open_user_account(user=user) for user in users]
    visitor_accounts = [open_account(label=f"visitor:{n}") for n in range(3)]  # not users
    data.ledger(accounts + visitor_accounts, 260)
    tickets = [data.ticket(data.rng.choice(users)) for _ in range(220)]
    visitors = data.visitors(60, users)
    return data, users, tickets, visitors


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2])
def test_rollups_equal_raw_through_late_changes_and_compaction(seed):
    data, users, tickets, visitors = build(seed)
    assert TicketDay.objects.exists()
    assert_rollups_match_raw()

    assert compact_rollups() > 0
    assert_rollups_match_raw()

    # Late writes to days long past: tickets finish, entries and sign-ups move days, visitors
    # are merged, a user goes with their tickets, new rows land today and months ago.
    data.finish_late(tickets)
    data.merge_late(visitors, users)
    moved = LedgerEntry.objects.filter(kind="spend").order_by("?")[:40]
    for entry in moved:
        backdate_entries(LedgerEntry.objects.filter(pk=entry.pk), data.moment())
    for user in users[:3]:
        User.objects.filter(pk=user.pk).update(date_joined=data.moment())
    Ticket.objects.filter(owner=users[1]).delete()
    users[1].delete()
    data.ledger([users[2].token_account], 30)
    for _ in range(30):
        data.ticket(data.rng.choice(users[2:]))
    data.visitors(10, users[2:])
    assert_rollups_match_raw()

    compact_rollups()
    assert_rollups_match_raw()


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ["America/New_York", "Pacific/Chatham", "Asia/Kolkata"])
def test_rollups_equal_raw_in_other_time_zones(settings, zone):
    settings.TIME_ZONE = zone
    build(seed=hash(zone) % 1000)
    assert RollupState.objects.get().time_zone == zone
    assert_rollups_match_raw()


@pytest.mark.django_db
def test_another_time_zone_reads_raw_until_rebuilt(settings):
    rebuild_rollups()
    settings.TIME_ZONE = "Asia/Tokyo"
    assert not rollups_ready()
    rebuild_rollups()
    assert rollups_ready()


@pytest.mark.django_db
def test_the_spend_day_chain_matches_the_ledger():
    """SpenderDay holds each account's spend days, each pointing at the one before."""
    build(seed=7)
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT account_id, day,
                      coalesce(lag(day) OVER (PARTITION BY account_id ORDER BY day),
                               DATE '0001-01-01')
               FROM (SELECT DISTINCT account_id, (created_at AT TIME ZONE 'UTC')::date AS day
                     FROM tokens_ledgerentry WHERE kind = 'spend') AS days"""
        )
        expected = set(cursor.fetchall())
    assert set(SpenderDay.objects.values_list("account_id", "day", "prev_day")) == expected
    assert ActiveDay.objects.exists()


@pytest.mark.django_db
def test_rollups_off_reads_raw(settings):
    rebuild_rollups()
    settings.DASHBOARD_ROLLUPS = False
    assert not rollups_ready()
