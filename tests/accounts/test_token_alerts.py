"""Alerts about a user's tokens (issue 14): low balance once per crossing (banner and one
email, after the commit, through Celery), a runway under a week at most weekly, each
expiring lot once; emails can be turned off, by a link that works signed out."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import BalanceAlert, EmailKind, EmailOptOut
from accounts.notifications.services import (
    alert_short_runways,
    unsubscribe_token,
    warn_expiring_lots,
)
from tests.builders import client_for, funded_user, make_visitor, new_key, spend_days_ago
from tests.helpers import race, sign_in
from tokens.models import TokenAccount
from tokens.services import grant_tokens, spend_tokens

pytestmark = pytest.mark.django_db


def spend(account, tokens=1):
    return spend_tokens(account=account, amount=tokens, idempotency_key=new_key("spend"),
                        feature_key="ticket.standard")


def test_crossing_the_level_alerts_once_with_one_email(
        tasks_inline, django_capture_on_commit_callbacks):
    user = funded_user(4)
    with django_capture_on_commit_callbacks(execute=True):
        spend(user.token_account)  # 3: at the level
    assert not BalanceAlert.objects.exists() and mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        spend(user.token_account)  # 2: crossed
        spend(user.token_account)  # 1: still below
    alert = BalanceAlert.objects.get()
    assert alert.kind == "low_balance" and alert.emailed_at is not None
    assert alert.message == "You have 2 tokens left, fewer than your alert level of 3."
    [email] = mail.outbox
    assert email.to == [user.email] and "running low" in email.subject
    assert alert.message in email.body and "/account/usage/" in email.body
    html, kind = email.alternatives[0]
    assert kind == "text/html" and alert.message in html
    assert email.extra_headers["List-Unsubscribe"].startswith("<http")
    # Back above the level and down again: a new crossing, a new alert.
    with django_capture_on_commit_callbacks(execute=True):
        grant_tokens(account=user.token_account, amount=5, kind="purchase",
                     idempotency_key=new_key("buy"))
        spend(user.token_account, 4)
    assert BalanceAlert.objects.count() == 2 and len(mail.outbox) == 2


def test_a_second_delivery_of_the_email_task_sends_nothing(
        tasks_inline, django_capture_on_commit_callbacks):
    from accounts.tasks import send_alert_email_task

    user = funded_user(3)
    with django_capture_on_commit_callbacks(execute=True):
        spend(user.token_account)
    alert = BalanceAlert.objects.get()
    assert send_alert_email_task(alert.pk) is False
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_racing_spends_alert_exactly_once(tasks_inline):
    user = funded_user(10)
    TokenAccount.objects.filter(pk=user.token_account_id).update(low_balance_threshold=5)
    race(*[lambda: spend(user.token_account) for _ in range(10)])
    assert BalanceAlert.objects.filter(user=user).count() == 1
    assert len(mail.outbox) == 1


def test_visitors_get_no_alerts(django_capture_on_commit_callbacks, tasks_inline):
    visitor = make_visitor()
    with django_capture_on_commit_callbacks(execute=True):
        spend(visitor.token_account, 2)
    assert not BalanceAlert.objects.exists() and mail.outbox == []


def test_turned_off_emails_keep_the_banner(tasks_inline, django_capture_on_commit_callbacks):
    user = funded_user(3)
    client = client_for(user)
    client.post(reverse("accounts:email_preferences"),
                {"kinds": ["runway", "expiry", "security"]})
    assert list(EmailOptOut.objects.values_list("kind", flat=True)) == ["low_balance"]
    with django_capture_on_commit_callbacks(execute=True):
        spend(user.token_account)
    assert BalanceAlert.objects.count() == 1 and mail.outbox == []
    page = client.get(reverse("tickets:new")).content.decode()
    assert 'data-alert-banner="low_balance"' in page
    settings_page = client.get(reverse("accounts:settings")).content.decode()
    assert 'id="email-low_balance">' in settings_page
    assert 'id="email-runway" checked>' in settings_page


def test_the_banner_can_be_dismissed_and_only_by_its_owner(
        tasks_inline, django_capture_on_commit_callbacks):
    user, other = funded_user(3), funded_user(3)
    with django_capture_on_commit_callbacks(execute=True):
        spend(user.token_account)
    alert = BalanceAlert.objects.get()
    client_for(other).post(reverse("accounts:dismiss_alert", args=[alert.pk]))
    alert.refresh_from_db()
    assert alert.dismissed_at is None
    client = client_for(user)
    assert 'data-alert-banner="low_balance"' in client.get(reverse("tickets:list")).content.decode()
    client.post(reverse("accounts:dismiss_alert", args=[alert.pk]), {"next": "/tickets/"})
    assert "data-alert-banner" not in client.get(reverse("tickets:list")).content.decode()


def test_the_unsubscribe_link_works_signed_out_and_only_when_untampered():
    user = funded_user(3)
    url = reverse("accounts:unsubscribe", args=[unsubscribe_token(user, EmailKind.EXPIRY)])
    anonymous = client_for()
    page = anonymous.get(url)
    assert page.status_code == 200 and "Turn off “Tokens about to expire” emails?" in \
        page.content.decode()
    assert not EmailOptOut.objects.exists()  # a link checker that follows it changes nothing
    bad = anonymous.post(url[:-3] + "xyz/")
    assert bad.status_code == 400 and not EmailOptOut.objects.exists()
    done = anonymous.post(url)
    assert "You will no longer get" in done.content.decode()
    assert list(EmailOptOut.objects.values_list("user", "kind")) == [(user.pk, "expiry")]


def test_each_expiring_lot_is_warned_about_once(tasks_inline,
                                                django_capture_on_commit_callbacks):
    user = funded_user(2)
    soon = timezone.now() + timedelta(days=5)
    grant_tokens(account=user.token_account, amount=12, kind="promo",
                 idempotency_key=new_key("promo"), expires_at=soon)
    grant_tokens(account=user.token_account, amount=3, kind="promo",
                 idempotency_key=new_key("later"), expires_at=soon + timedelta(days=30))
    visitor = make_visitor()
    grant_tokens(account=visitor.token_account, amount=4, kind="promo",
                 idempotency_key=new_key("v"), expires_at=soon)
    with django_capture_on_commit_callbacks(execute=True):
        assert warn_expiring_lots() == 1
        assert warn_expiring_lots() == 0  # beat ran twice: nothing more
    alert = BalanceAlert.objects.get()
    assert alert.message.startswith("12 tokens expire on")
    assert len(mail.outbox) == 1 and "expire soon" in mail.outbox[0].subject


def test_a_short_runway_alerts_at_most_weekly(tasks_inline, django_capture_on_commit_callbacks):
    fast = funded_user(60)
    for day in range(10):
        spend_days_ago(fast.token_account, days_ago=day + 0.5, tokens=5)  # 10 left, 5 a day
    slow = funded_user(60)
    for day in range(10):
        spend_days_ago(slow.token_account, days_ago=day + 0.5)  # 50 left, 1 a day
    with django_capture_on_commit_callbacks(execute=True):
        assert alert_short_runways() == 1
        assert alert_short_runways() == 0
    alert = BalanceAlert.objects.get()
    assert alert.user == fast and "run out in about 2 days" in alert.message
    assert len(mail.outbox) == 1
    # A week on, still spending faster than the tokens last: a new week, a new alert.
    assert alert_short_runways(now=timezone.now() + timedelta(days=7)) == 1


def sign_in_from(client, user, *, agent):
    return sign_in(client, user.email, HTTP_USER_AGENT=agent)


FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1")


def test_a_sign_in_from_a_new_browser_is_emailed_once(verified_user, tasks_inline,
                                                      django_capture_on_commit_callbacks):
    laptop, phone = client_for(), client_for()
    with django_capture_on_commit_callbacks(execute=True):
        sign_in_from(laptop, verified_user, agent=FIREFOX)  # the first device: no email
        laptop.post(reverse("account_logout"))
        sign_in_from(laptop, verified_user, agent=FIREFOX)  # the same browser again
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        sign_in_from(phone, verified_user, agent=SAFARI)
    [email] = mail.outbox
    assert email.subject == "New sign-in to your MyBA account"
    assert "Safari on iOS" in email.body and "127.0.0.1" in email.body
    assert "/accounts/sessions/" in email.body
    page = laptop.get(reverse("accounts:settings")).content.decode()
    history = page[page.index("data-sign-ins"):page.index("</table>", page.index("data-sign-ins"))]
    assert history.count("<tr><td>") == 3 and history.count(">New</span>") == 1


def test_security_emails_can_be_turned_off(verified_user, tasks_inline,
                                           django_capture_on_commit_callbacks):
    first = client_for()
    sign_in_from(first, verified_user, agent=FIREFOX)
    first.post(reverse("accounts:email_preferences"), {"kinds": ["low_balance"]})
    with django_capture_on_commit_callbacks(execute=True):
        sign_in_from(client_for(), verified_user, agent=SAFARI)
    assert mail.outbox == []
    assert verified_user.sign_ins.filter(new_device=True).count() == 1
