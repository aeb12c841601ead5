"""The daily bonus: once per calendar day in the user's own time zone, a streak, lots that
expire, refusals in plain words, two tabs at once, and the staff's uptake figures."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.services import get_or_open_user_account
from bonuses import selectors
from bonuses.models import DailyBonusClaim
from bonuses.services import BonusRefused, claim_daily_bonus
from tests.builders import make_verified_user
from tests.factories import UserFactory
from tests.helpers import assert_ledger_healthy, race, user_balance
from tokens.models import Lot
from tokens.services import expire_lots

CLAIM = reverse("bonuses:claim")
PAGE = reverse("bonuses:bonus")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def member(db):
    user = make_verified_user()
    get_or_open_user_account(user=user)
    return user


def test_a_claim_grants_a_lot_that_expires_after_a_week(member):
    claim = claim_daily_bonus(user=member, now=at("2026-12-01T09:00"))
    assert (claim.tokens, claim.streak, claim.day.isoformat()) == (2, 1, "2026-12-01")
    lot = Lot.objects.get(entry=claim.lot_entry)
    assert claim.lot_entry.kind == "daily_bonus"
    assert claim.lot_entry.idempotency_key == f"daily:{member.pk}:2026-12-01"
    assert lot.expires_at == at("2026-12-08T09:00")
    assert user_balance(member) == 2
    expire_lots(now=at("2026-12-08T09:01"))
    assert user_balance(member) == 0
    assert_ledger_healthy()


def test_once_a_day_and_the_streak_counts_consecutive_days(member):
    claim_daily_bonus(user=member, now=at("2026-12-01T09:00"))
    with pytest.raises(BonusRefused, match="already claimed today"):
        claim_daily_bonus(user=member, now=at("2026-12-01T23:59"))
    assert claim_daily_bonus(user=member, now=at("2026-12-02T00:01")).streak == 2
    assert claim_daily_bonus(user=member, now=at("2026-12-03T12:00")).streak == 3
    # A missed day starts again at 1.
    assert claim_daily_bonus(user=member, now=at("2026-12-05T12:00")).streak == 1
    assert DailyBonusClaim.objects.filter(user=member).count() == 4
    assert user_balance(member) == 8


@pytest.mark.parametrize(("zone", "first", "second", "days"), [
    # 07:30 and 08:30 UTC are either side of midnight in Los Angeles (UTC-8)...
    ("America/Los_Angeles", "2026-12-02T07:30", "2026-12-02T08:30", ["2026-12-01", "2026-12-02"]),
    # ...and of midnight in Tokyo (UTC+9) at 14:30 and 15:30 UTC.
    ("Asia/Tokyo", "2026-12-01T14:30", "2026-12-01T15:30", ["2026-12-01", "2026-12-02"]),
])
def test_the_day_is_the_users_own(member, zone, first, second, days):
    member.time_zone = zone
    member.save()
    claim_daily_bonus(user=member, now=at(first))
    claim_daily_bonus(user=member, now=at(second))
    assert [c.day.isoformat() for c in DailyBonusClaim.objects.order_by("day")] == days
    # In UTC both moments are one day: the second would have been refused.
    assert at(first).date() == at(second).date()


def test_moving_the_time_zone_back_cannot_claim_a_day_twice(member):
    member.time_zone = "Asia/Tokyo"
    member.save()
    claim_daily_bonus(user=member, now=at("2026-12-01T16:00"))  # Dec 2 in Tokyo
    member.time_zone = "America/Los_Angeles"  # where it is still Dec 1
    member.save()
    with pytest.raises(BonusRefused):
        claim_daily_bonus(user=member, now=at("2026-12-01T16:05"))
    assert user_balance(member) == 2


def test_refusals_say_why_and_grant_nothing(member, settings):
    unverified = UserFactory()
    with pytest.raises(BonusRefused, match="Verify your email"):
        claim_daily_bonus(user=unverified)
    member.growth_flagged_at = timezone.now()
    member.save()
    with pytest.raises(BonusRefused, match="not available on this account"):
        claim_daily_bonus(user=member)
    member.growth_flagged_at = None
    settings.DAILY_BONUS_ENABLED = False
    with pytest.raises(BonusRefused, match="turned off"):
        claim_daily_bonus(user=member)
    assert DailyBonusClaim.objects.count() == 0 and user_balance(member) == 0


@pytest.mark.django_db(transaction=True)
def test_two_tabs_claiming_at_once_get_one_bonus():
    user = make_verified_user()
    get_or_open_user_account(user=user)
    now = timezone.now()
    results = race(*[lambda: claim_daily_bonus(user=user, now=now)] * 4, errors_ok=True)
    assert sum(isinstance(r, DailyBonusClaim) for r in results) == 1
    assert all(isinstance(r, (DailyBonusClaim, BonusRefused)) for r in results), results
    assert user_balance(user) == 2
    assert_ledger_healthy()


def test_the_page_claims_and_then_says_when_the_next_opens(client, member):
    client.force_login(member)
    page = client.get(PAGE).content.decode()
    assert "Claim 2 tokens" in page
    response = client.post(CLAIM, {"next": PAGE}, follow=True)
    html = response.content.decode()
    assert "+2 tokens. Day 1 in a row!" in html and "The next bonus opens at" in html
    assert "1 day in a row" in html and "Claim 2 tokens" not in html
    # Again the same day: told so, nothing more.
    again = client.post(CLAIM, {"next": PAGE}, follow=True).content.decode()
    assert "already claimed today" in again and user_balance(member) == 2


def test_htmx_swaps_the_card_and_refreshes_the_balance(client, member):
    client.force_login(member)
    response = client.post(CLAIM, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "tokens-changed" in response["HX-Trigger"]
    assert 'id="daily-bonus"' in response.content.decode()
    refused = client.post(CLAIM, HTTP_HX_REQUEST="true")
    assert "HX-Trigger" not in refused and "already claimed" in refused.content.decode()


def test_the_generator_shows_the_card_only_while_there_is_a_bonus_to_claim(client, member):
    client.force_login(member)
    assert "data-daily-bonus" in client.get("/tickets/new/").content.decode()
    claim_daily_bonus(user=member)
    assert "data-daily-bonus" not in client.get("/tickets/new/").content.decode()


def test_an_unverified_user_is_told_how_to_get_the_bonus(client, db):
    user = UserFactory()
    client.force_login(user)
    assert "Verify your email address" in client.get(PAGE).content.decode()
    assert client.post(CLAIM).status_code == 302 and DailyBonusClaim.objects.count() == 0


def test_the_page_needs_a_sign_in(client, db):
    assert client.get(PAGE).status_code == 302
    assert client.post(CLAIM).status_code == 302


def test_the_time_zone_setting_validates_and_saves(client, member):
    client.force_login(member)
    bad = client.post(reverse("accounts:time_zone"), {"time_zone": "Mars/Olympus"})
    assert bad.status_code == 400 and "choose one from the list" in bad.content.decode()
    member.refresh_from_db()
    assert member.time_zone == "UTC"
    client.post(reverse("accounts:time_zone"), {"time_zone": "Europe/Paris"})
    member.refresh_from_db()
    assert member.time_zone == "Europe/Paris"


def test_staff_figures_count_the_claims(member):
    other = make_verified_user()
    start = at("2026-12-01T00:00")
    for day in range(4):
        claim_daily_bonus(user=member, now=start + timedelta(days=day, hours=10))
    claim_daily_bonus(user=other, now=start + timedelta(days=1, hours=10))
    claim_daily_bonus(user=other, now=start + timedelta(days=20))  # outside the range
    stats = selectors.daily_bonus_stats(start=start, end=start + timedelta(days=7))
    # Four claims by one (reaching a streak of 4), one by the other.
    assert stats == {"claims": 5, "users": 2, "tokens": 10, "retained": 1}
