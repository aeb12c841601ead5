"""`manage.py ledger_audit`, the price table, the beat schedule and the ledger admin."""

import importlib
from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from tests.builders import funded_account, new_key, set_price
from tokens import tasks
from tokens.exceptions import UnknownPrice
from tokens.models import Hold, HoldStatus, LedgerAuditRun, LedgerEntry, Lot, Price
from tokens.selectors import find_balance_mismatches, get_balance, get_price
from tokens.services import capture_hold, grant_tokens, open_account, reserve_tokens

pytestmark = pytest.mark.django_db


def run_audit() -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("ledger_audit", stdout=out, stderr=err)
    except SystemExit as exit_:
        return exit_.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def busy_account(db):
    account = funded_account(8)
    capture_hold(hold=reserve_tokens(account=account, amount=3, idempotency_key=new_key()))
    reserve_tokens(account=account, amount=2, idempotency_key=new_key())
    return account


def test_audit_passes_on_a_healthy_ledger(busy_account):
    code, out, err = run_audit()
    assert code == 0, err
    assert "ledger_audit: OK" in out
    assert "no mismatches" in out
    stored = LedgerAuditRun.objects.get()  # a run by hand is shown on the dashboard too
    assert stored.ok and stored.mismatches == []
    assert f"{stored.accounts_checked} accounts" in out


def test_audit_fails_after_a_balance_is_corrupted_by_sql(busy_account):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tokens_tokenaccount SET balance = balance + 100 WHERE id = %s",
            [busy_account.pk],
        )
    code, _, err = run_audit()
    assert code == 1
    assert f"account #{busy_account.pk}: balance vs entries is 105, the ledger says 5" in err
    assert "balance vs lot remainders" in err
    stored = LedgerAuditRun.objects.get()
    assert not stored.ok
    assert f"account #{busy_account.pk}: balance vs entries is 105, the ledger says 5" in (
        "\n".join(stored.mismatches)
    )


def test_audit_reports_held_and_lot_drift(busy_account):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE tokens_tokenaccount SET held = 0 WHERE id = %s", [busy_account.pk])
        cursor.execute(
            "UPDATE tokens_lot SET remaining = amount WHERE account_id = %s", [busy_account.pk]
        )
    checks = {mismatch.check for mismatch in find_balance_mismatches()}
    assert "held vs pending holds" in checks
    assert any(check.startswith("lot ") for check in checks)
    assert run_audit()[0] == 1


@pytest.fixture
def seeded_prices(db):
    """The price rows the data migration seeds (a transactional test elsewhere may have
    flushed them from a reused test database); the seeding is idempotent."""
    migration = importlib.import_module("tokens.migrations.0002_seed_prices")
    migration.seed_prices(apps, schema_editor=None)


def test_prices_are_seeded_and_inactive_or_unknown_prices_raise(seeded_prices):
    assert (get_price("ticket.standard").tokens, get_price("ticket.advanced").tokens) == (1, 3)
    set_price("ticket.advanced", active=False)
    with pytest.raises(UnknownPrice):
        get_price("ticket.advanced")
    with pytest.raises(UnknownPrice):
        get_price("ticket.nonexistent")


def test_beat_runs_the_sweepers_and_the_tasks_call_them():
    schedule = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert schedule["tokens.tasks.release_expired_holds_task"] == 60.0
    assert schedule["tokens.tasks.expire_lots_task"] == 3600.0
    account = funded_account(4)
    hold = reserve_tokens(
        account=account, amount=2, idempotency_key=new_key(), ttl=timedelta(seconds=-1)
    )
    grant_tokens(
        account=account,
        amount=3,
        kind="promo",
        idempotency_key=new_key(),
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert tasks.release_expired_holds_task.apply().get() == 1
    assert Hold.objects.get(pk=hold.pk).status == HoldStatus.EXPIRED
    assert tasks.expire_lots_task.apply().get() == 1
    assert get_balance(account) == (4, 0, 4)


# --- admin (as a superuser with MFA, as the admin requires of staff) -------------------------


@pytest.mark.parametrize(
    "model", ["tokenaccount", "ledgerentry", "lot", "hold", "price"], ids=lambda m: m
)
def test_admin_lists_and_searches_everything(superuser_client, busy_account, seeded_prices, model):
    url = reverse(f"admin:tokens_{model}_changelist")
    assert superuser_client.get(url).status_code == 200
    query = "ticket" if model == "price" else str(busy_account.pk)
    response = superuser_client.get(url, {"q": query})
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1


@pytest.mark.parametrize("model", [LedgerEntry, Lot, Hold], ids=lambda m: m.__name__)
def test_ledger_rows_are_read_only_in_admin(superuser_client, busy_account, model):
    name = model._meta.model_name
    row = model.objects.filter(account=busy_account).first()
    assert superuser_client.get(reverse(f"admin:tokens_{name}_add")).status_code == 403
    delete = superuser_client.post(
        reverse(f"admin:tokens_{name}_delete", args=[row.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    detail = superuser_client.get(reverse(f"admin:tokens_{name}_change", args=[row.pk]))
    assert detail.status_code == 200  # viewable ...
    assert b'name="_save"' not in detail.content
    before = {f.name: getattr(row, f.attname) for f in model._meta.concrete_fields}
    superuser_client.post(reverse(f"admin:tokens_{name}_change", args=[row.pk]), {"amount": 999})
    row.refresh_from_db()
    assert {f.name: getattr(row, f.attname) for f in model._meta.concrete_fields} == before


def test_account_figures_are_not_editable_in_admin(superuser_client, busy_account):
    url = reverse("admin:tokens_tokenaccount_change", args=[busy_account.pk])
    response = superuser_client.post(url, {"label": "renamed", "balance": 999, "held": 0})
    assert response.status_code == 302
    busy_account.refresh_from_db()
    assert (busy_account.label, busy_account.balance, busy_account.held) == ("renamed", 5, 2)
    assert superuser_client.get(reverse("admin:tokens_tokenaccount_add")).status_code == 403


def test_prices_are_editable_in_admin(superuser_client, seeded_prices):
    price = Price.objects.get(feature_key="ticket.advanced")
    url = reverse("admin:tokens_price_change", args=[price.pk])
    response = superuser_client.post(
        url,
        {"feature_key": "ticket.advanced", "tokens": 4, "label": "Advanced ticket", "active": "on"},
    )
    assert response.status_code == 302
    assert get_price("ticket.advanced").tokens == 4
    add = superuser_client.post(
        reverse("admin:tokens_price_add"),
        {"feature_key": "export.pdf", "tokens": 2, "label": "PDF export", "active": "on"},
    )
    assert add.status_code == 302
    assert get_price("export.pdf").tokens == 2


def test_open_account_shows_in_admin_search_by_label(superuser_client):
    account = open_account(label="visitor:abc123")
    response = superuser_client.get(
        reverse("admin:tokens_tokenaccount_changelist"), {"q": "abc123"}
    )
    assert [row.pk for row in response.context["cl"].result_list] == [account.pk]


def test_account_page_links_to_its_entries_lots_and_holds(superuser_client, busy_account):
    page = superuser_client.get(reverse("admin:tokens_tokenaccount_change", args=[busy_account.pk]))
    for model, count in (("ledgerentry", 2), ("lot", 1), ("hold", 2)):
        url = f"{reverse(f'admin:tokens_{model}_changelist')}?account__id__exact={busy_account.pk}"
        assert url.encode() in page.content.replace(b"&amp;", b"&")
        response = superuser_client.get(url)
        assert response.status_code == 200
        assert response.context["cl"].result_count == count
