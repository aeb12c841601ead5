"""The users page (search, sort, pages, fixed queries), the other pages, CSV exports."""

import csv
import io

import pytest

from tests.builders import funded_user
from tests.factories import UserFactory
from tickets.models import GenerationAttempt
from tokens.models import LedgerAuditRun
from tokens.tasks import ledger_audit_task


def csv_rows(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def customers(db):
    return [
        funded_user(100, spent=1, email="rich@example.com"),
        funded_user(50, spent=40, email="spender@example.com"),
        funded_user(5, email="idle@example.com"),
    ]


def emails_in(response) -> list[str]:
    return [u.email for u in response.context["page"]]


@pytest.mark.django_db
def test_users_search_and_sort(staff_client, customers):
    assert emails_in(staff_client.get("/dashboard/users/?q=SPEND")) == ["spender@example.com"]
    by_balance = emails_in(staff_client.get("/dashboard/users/?sort=balance"))
    assert by_balance[:3] == ["rich@example.com", "spender@example.com", "idle@example.com"]
    by_spend = emails_in(staff_client.get("/dashboard/users/?sort=spend"))
    assert by_spend[:2] == ["spender@example.com", "rich@example.com"]
    by_activity = emails_in(staff_client.get("/dashboard/users/?sort=activity"))
    assert by_activity[0] == "idle@example.com"  # the newest ledger entry
    assert staff_client.get("/dashboard/users/?sort=nonsense").status_code == 200


@pytest.mark.django_db
def test_a_search_with_a_nul_byte_is_refused_with_a_message(staff_client, customers):
    response = staff_client.get("/dashboard/users/", {"q": "rich\x00"})
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()
    assert len(emails_in(response)) == 4  # the search is dropped: everyone, staff included


@pytest.mark.django_db
def test_users_page_queries_do_not_grow_with_users(staff_client, customers,
                                                    django_assert_max_num_queries):
    with django_assert_max_num_queries(15) as few:
        staff_client.get("/dashboard/users/?sort=spend")
    for n in range(30):
        funded_user(3, spent=1, email=f"more{n}@example.com")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = staff_client.get("/dashboard/users/?sort=spend")
    assert len(response.context["page"]) == 34  # 33 customers and the staff member
    assert response.context["page"][0].spend == 40


@pytest.mark.django_db
def test_users_are_paginated(staff_client):
    for n in range(55):
        UserFactory(email=f"page{n:02d}@example.com")
    first = staff_client.get("/dashboard/users/?q=page")
    assert len(first.context["page"]) == 50 and "Page 1 of 2" in first.content.decode()
    second = staff_client.get("/dashboard/users/?q=page&page=2")
    assert len(second.context["page"]) == 5


@pytest.mark.django_db
def test_user_detail_shows_balance_lots_and_filtered_ledger(staff_client, customers):
    spender = customers[1]
    page = staff_client.get(f"/dashboard/users/{spender.pk}/")
    body = page.content.decode()
    assert 'id="balance">10<' in body and 'id="available">10<' in body
    assert "10 / 50" in body  # the welcome lot, mostly spent
    only_spends = staff_client.get(f"/dashboard/users/{spender.pk}/?ledger_kind=spend")
    assert [e.kind for e in only_spends.context["entries"]] == ["spend"]
    assert staff_client.get("/dashboard/users/999999/").status_code == 404


@pytest.mark.django_db
def test_csv_exports(staff_client, customers):
    users = csv_rows(staff_client.get("/dashboard/users/?q=example.com&sort=balance&format=csv"))
    assert users[0][:2] == ["id", "email"]
    assert [row[1] for row in users[1:4]] == [
        "rich@example.com", "spender@example.com", "idle@example.com"
    ]
    ledger = csv_rows(staff_client.get(f"/dashboard/users/{customers[1].pk}/?format=csv"))
    assert {row[2] for row in ledger[1:]} == {"welcome", "spend"}
    GenerationAttempt.objects.create(
        provider="openrouter", model_name="m", quality="standard", outcome="failed",
        error_code="timeout", latency_ms=30000,
    )
    failures = csv_rows(staff_client.get("/dashboard/generations/?format=csv"))
    assert failures[1][3:5] == ["openrouter", "m"] and "timeout" in failures[1]
    for path in ("/dashboard/webhooks/", "/dashboard/health/", "/dashboard/audit/",
                 "/dashboard/funnel/"):
        assert len(csv_rows(staff_client.get(f"{path}?format=csv"))) >= 1, path


@pytest.mark.django_db
def test_csv_cells_cannot_become_spreadsheet_formulas(staff_client):
    UserFactory(email="=cmd@example.com")
    rows = csv_rows(staff_client.get("/dashboard/users/?q=cmd&format=csv"))
    assert rows[1][1] == "'=cmd@example.com"


@pytest.mark.django_db
def test_generations_page_shows_success_rate_by_model(staff_client):
    for outcome in ("success", "success", "success", "failed"):
        GenerationAttempt.objects.create(
            provider="openrouter", model_name="gpt", quality="standard", outcome=outcome,
            latency_ms=1000,
        )
    body = staff_client.get("/dashboard/generations/").content.decode()
    assert "75.0%" in body


@pytest.mark.django_db
def test_nightly_audit_is_stored_and_shown(staff_client, customers):
    assert "No audit has run yet" in staff_client.get("/dashboard/health/").content.decode()
    assert ledger_audit_task.apply().get() is True
    run = LedgerAuditRun.objects.get()
    assert run.ok and run.accounts_checked >= 3 and run.mismatches == []
    body = staff_client.get("/dashboard/health/").content.decode()
    assert "accounts" in body and "No audit has run yet" not in body


def test_beat_runs_the_audit_nightly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["tokens-nightly-audit"]
    assert entry["task"] == "tokens.tasks.ledger_audit_task"
    assert entry["schedule"].hour == {3}
