"""The usage page (issue 14): balance by source with expiries, the history in words with
keyset pages and filters, charts, the forecast, the alert level, and the exports (CSV, PDF
statement, JSON) — each reading only the signed-in user's own ledger."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.builders import client_for, finished_ticket, funded_user, new_key, spend_days_ago
from tokens.models import EntryKind, LedgerEntry, TokenAccount
from tokens.selectors import find_balance_mismatches
from tokens.selectors.usage import forecast_runway, get_statement
from tokens.services import grant_tokens, reserve_tokens

pytestmark = pytest.mark.django_db

USAGE = reverse("accounts:usage")
CSV = reverse("accounts:usage_csv")


def page_of(client, **params) -> str:
    response = client.get(USAGE, params)
    assert response.status_code == 200
    return response.content.decode()


def history_of(page: str) -> str:
    return page[page.index('id="history"'):]


def csv_of(client, **params) -> list[dict]:
    response = client.get(CSV, params)
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_balance_by_source_with_the_soonest_expiry(offline):
    user = funded_user(6)
    account = user.token_account
    soon = timezone.now() + timedelta(days=10)
    grant_tokens(account=account, amount=4, kind="promo", idempotency_key=new_key("promo"),
                 expires_at=soon, memo="Launch week")
    grant_tokens(account=account, amount=8, kind="promo", idempotency_key=new_key("promo"),
                 expires_at=soon + timedelta(days=20), memo="Later promo")
    ticket = finished_ticket(user)  # 1 token, from the soonest-expiring promotion
    reserve_tokens(account=account, amount=3, idempotency_key=new_key("hold"),
                   reference=ticket.reference, feature_key="ticket.advanced")
    page = page_of(client_for(user))
    assert "<strong data-available>14</strong> tokens available" in page
    assert "<strong>3</strong> reserved for work in progress" in page
    assert f"Ticket “{ticket.title}”" in page
    rows = page[page.index("data-sources"):]
    assert ('<th scope="row">Promotion</th>\n                <td class="num">11</td>' in rows)
    assert f"3 tokens expire on {timezone.localtime(soon):%-d %b %Y}" in rows
    assert "Welcome bonus" in rows and "Never expire" in rows


def test_the_history_says_each_movement_in_words(offline):
    user = funded_user(6)
    ticket = finished_ticket(user)
    page = page_of(client_for(user))
    assert f'<a href="/tickets/{ticket.public_id}/">Ticket “{ticket.title}”</a>' in page
    assert "Standard ticket · from welcome bonus tokens" in page
    assert "−1" in page and "+6" in page and "Welcome bonus" in page


def test_history_pages_by_keyset_at_a_constant_cost(offline):
    user = funded_user(40)
    for day in range(30):
        spend_days_ago(user.token_account, days_ago=day + 0.5)
    client = client_for(user)
    page_of(client)  # the first request of a session also records the session
    with CaptureQueriesContext(connection) as first:
        page = page_of(client)
    assert page.count("data-movement ") == 25 and "data-load-more" in page
    cursor = page.split("cursor=")[1].split("#")[0].split('"')[0]
    with CaptureQueriesContext(connection) as second:
        rest = client.get(USAGE, {"cursor": cursor}, HTTP_HX_REQUEST="true").content.decode()
    # 30 spends and the welcome grant: 25 on the first page, 6 on the next, then no more.
    assert rest.count("data-movement ") == 6 and "data-load-more" not in rest
    grant_tokens(account=user.token_account, amount=300, kind="promo",
                 idempotency_key=new_key("more"))
    for day in range(300):
        spend_days_ago(user.token_account, days_ago=(day % 60) + 0.25)
    with CaptureQueriesContext(connection) as longer:
        page_of(client)
    assert len(longer) == len(first)
    assert len(second) < len(first)  # the next page alone, without charts and balance


def test_filters_by_kind_feature_and_dates(offline):
    user = funded_user(10)
    account = user.token_account
    spend_days_ago(account, days_ago=40)
    spend_days_ago(account, days_ago=2, tokens=3, feature_key="ticket.advanced")
    client = client_for(user)
    spent = history_of(page_of(client, kind="spent"))
    assert spent.count("data-movement ") == 2 and "Welcome bonus" not in spent
    advanced = page_of(client, kind="spent", feature="ticket.advanced")
    assert advanced.count("data-movement ") == 1 and "Advanced ticket" in advanced
    since = (timezone.localdate() - timedelta(days=10)).isoformat()
    recent = history_of(page_of(client, since=since))
    assert recent.count("data-movement ") == 2 and "Advanced ticket" in recent  # and welcome
    granted = history_of(page_of(client, kind="granted"))
    assert granted.count("data-movement ") == 1 and "Welcome bonus" in granted
    # The CSV export takes the same filters.
    assert [row["amount"] for row in csv_of(client, kind="spent")] == ["-3", "-1"]


@pytest.mark.parametrize("params", [
    {"since": "2026-05-02", "until": "2026-05-01"},
    {"kind": "stolen"},
    {"cursor": "not-a-cursor"},
    {"since": "yesterday"},
])
def test_bad_filters_say_what_is_wrong_and_change_nothing(offline, params):
    user = funded_user(3)
    page = page_of(client_for(user), **params)
    assert 'class="alert alert-error"' in page
    assert page.count("data-movement ") == 1  # the unfiltered history
    assert client_for(user).get(CSV, params).status_code == 400


def test_charts_have_their_figures_as_tables(offline):
    user = funded_user(10)
    spend_days_ago(user.token_account, days_ago=1, tokens=2)
    spend_days_ago(user.token_account, days_ago=1, tokens=3, feature_key="ticket.advanced")
    client = client_for(user)
    page = page_of(client)
    assert page.count("<svg") >= 4 and "Tokens spent per day" in page
    features = page[page.index('id="chart-features"'):page.index('id="chart-tiers"')]
    assert '<th scope="row">Advanced ticket</th><td>3</td>' in features
    assert '<th scope="row">Standard ticket</th><td>2</td>' in features
    weekly = page_of(client, bucket="week")
    assert "Tokens spent per week" in weekly and "5 tokens" in weekly
    assert "Tokens spent per month" in page_of(client, bucket="month")
    assert "Tokens spent per day" in page_of(client, bucket="fortnight")  # the default


def test_a_forecast_needs_seven_days_of_history():
    user = funded_user(40)
    account = user.token_account
    for day in range(3):
        spend_days_ago(account, days_ago=day + 0.5, tokens=2)
    assert forecast_runway(account).status == "short"
    assert "Not enough history yet" in page_of(client_for(user))


def test_a_steady_pace_gives_a_tight_range_and_an_irregular_one_a_wide_one():
    steady = funded_user(100).token_account
    for day in range(20):
        spend_days_ago(steady, days_ago=day, tokens=2)
    forecast = forecast_runway(steady)
    assert forecast.status == "enough" and forecast.window_days == 20
    assert forecast.per_day == pytest.approx(2.0)
    assert forecast.days_low == pytest.approx(30) and forecast.days_high == pytest.approx(30)
    irregular = funded_user(100).token_account
    for day, tokens in ((0.5, 10), (5.5, 20), (12.5, 10)):
        spend_days_ago(irregular, days_ago=day, tokens=tokens)
    spend_days_ago(irregular, days_ago=40)  # older history: the window is the full 30 days
    forecast = forecast_runway(irregular)
    assert forecast.window_days == 30 and forecast.per_day == pytest.approx(40 / 30)
    assert forecast.days_low < forecast.days < forecast.days_high
    assert forecast.until_high is None or forecast.until_low < forecast.until_high


def test_purchases_and_grants_do_not_count_as_spending():
    user = funded_user(20)
    account = user.token_account
    for day in range(10):
        spend_days_ago(account, days_ago=day + 0.5)
    before = forecast_runway(account)
    grant_tokens(account=account, amount=50, kind="purchase", idempotency_key=new_key("buy"))
    after = forecast_runway(account)
    assert after.per_day == before.per_day and after.available == before.available + 50


def test_idle_and_empty_accounts_have_no_runway_number():
    idle = funded_user(5)
    assert forecast_runway(idle.token_account).status == "idle"
    assert "You have spent nothing in the last 30 days" in page_of(client_for(idle))
    empty = funded_user(1)
    spend_days_ago(empty.token_account, days_ago=1)
    assert forecast_runway(empty.token_account).status == "empty"


def test_a_statement_reconciles_with_the_ledger(offline):
    user = funded_user(20)
    account = user.token_account
    spend_days_ago(account, days_ago=70, tokens=2)
    spend_days_ago(account, days_ago=35, tokens=3)
    for day in reversed(range(5)):  # oldest first, as the ledger wrote them
        spend_days_ago(account, days_ago=day + 0.2)
    LedgerEntry.objects.filter(account=account, kind=EntryKind.WELCOME).update(
        created_at=timezone.now() - timedelta(days=80))
    months = {timezone.localtime(entry.created_at).date().replace(day=1)
              for entry in LedgerEntry.objects.filter(account=account)}
    closing = 0
    for month in sorted(months):
        statement = get_statement(account, month=month)
        assert statement.reconciles and statement.opening == closing
        closing = statement.closing
    account.refresh_from_db()
    assert closing == account.balance == 20 - 2 - 3 - 5
    assert find_balance_mismatches() == []
    month = max(months)
    response = client_for(user).get(reverse("accounts:usage_statement"),
                                    {"month": month.strftime("%Y-%m")})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    bad = client_for(user).get(reverse("accounts:usage_statement"), {"month": "2026-13"})
    assert bad.status_code == 302


def test_csv_has_stable_columns_iso_dates_and_no_formulas(offline):
    user = funded_user(6)
    ticket = finished_ticket(user)
    rows = csv_of(client_for(user))
    assert list(rows[0]) == ["created_at", "kind", "category", "amount", "balance_after",
                             "feature", "description", "paid_from", "reference_id", "link"]
    spend, welcome = rows
    assert spend["description"] == f"Ticket “{ticket.title}”"
    assert spend["reference_id"] == ticket.public_id
    assert spend["link"] == f"http://testserver/tickets/{ticket.public_id}/"
    assert spend["paid_from"] == "Welcome bonus 1" and spend["amount"] == "-1"
    assert welcome["category"] == "granted" and welcome["created_at"].endswith("+00:00")
    # A feature or a description that a spreadsheet would run as a formula is written as
    # text ('=…), however it got there.
    grant_tokens(account=user.token_account, amount=1, kind="promo",
                 idempotency_key=new_key("promo"), memo='=HYPERLINK("http://evil.example")')
    spend_days_ago(user.token_account, days_ago=0, feature_key="=1+2")
    rows = csv_of(client_for(user))
    assert rows[0]["feature"] == "'=1+2"
    assert rows[1]["description"] == "'=HYPERLINK(\"http://evil.example\")"


def test_the_alert_level_is_the_users_to_set(offline):
    user = funded_user(5)
    client = client_for(user)
    response = client.post(reverse("accounts:usage_alert"), {"threshold": "8"}, follow=True)
    assert "fewer than 8 tokens available" in response.content.decode()
    assert TokenAccount.objects.get(pk=user.token_account_id).low_balance_threshold == 8
    assert "data-low-balance" in page_of(client)
    for bad, says in (("-1", "greater than or equal to 0"), ("many", "Enter a whole number"),
                      ("10001", "less than or equal to 10000")):
        response = client.post(reverse("accounts:usage_alert"), {"threshold": bad},
                               follow=True)
        assert says in response.content.decode()
        assert TokenAccount.objects.get(pk=user.token_account_id).low_balance_threshold == 8
    client.post(reverse("accounts:usage_alert"), {"threshold": "0"})
    assert "data-low-balance" not in page_of(client)


def test_all_of_a_users_data_as_json(offline):
    user = funded_user(6)
    ticket = finished_ticket(user)
    other = funded_user(6)
    finished_ticket(other)
    response = client_for(user).get(reverse("accounts:data_export"))
    data = json.loads(response.content)
    assert data["profile"]["email"] == user.email
    assert [t["id"] for t in data["tickets"]] == [ticket.public_id]
    assert [m["amount"] for m in data["ledger"]] == [-1, 6]
    assert data["purchases"] == [] and data["settings"]["low_balance_threshold"] == 3


def test_only_ones_own_usage(offline):
    user, other = funded_user(6), funded_user(9)
    secret = finished_ticket(other)
    client = client_for(user)
    page = page_of(client)
    assert secret.title not in page and "<strong data-available>6</strong>" in page
    assert all(secret.public_id != row["reference_id"] for row in csv_of(client))
    for url in (USAGE, CSV, reverse("accounts:data_export")):
        assert client_for().get(url).status_code == 302  # signed out: to the sign-in page


def test_staff_see_the_same_usage_on_the_user_page(offline, staff_client):
    user = funded_user(40)
    ticket = finished_ticket(user)
    for day in range(30):
        spend_days_ago(user.token_account, days_ago=day + 0.5)
    url = reverse("admin_dashboard:user_detail", args=[user.pk])
    page = staff_client.get(url).content.decode()
    assert f"Ticket “{ticket.title}”" in page and "Tokens spent per day" in page
    assert page.count("data-movement ") == 25 and "data-threshold-form" not in page
    cursor = page.split(f'{url}?cursor=')[1].split('"')[0].split("#")[0]
    rest = staff_client.get(url, {"cursor": cursor}, HTTP_HX_REQUEST="true").content.decode()
    assert rest.count("data-movement ") == 7  # 32 movements in all
    # The same figures the user sees, from the same selectors.
    own = page_of(client_for(user))
    assert own.count("data-movement ") == 25
    assert client_for(user).get(url).status_code == 404


def test_the_balance_badge_opens_the_usage_page(offline):
    user = funded_user(5)
    page = client_for(user).get(reverse("tickets:new")).content.decode()
    assert f'<a href="{USAGE}" title="Where your tokens went" class="badge' in page
    visitor_page = client_for().get(reverse("tickets:new")).content.decode()
    assert f'href="{USAGE}" title="Where your tokens went"' not in visitor_page
