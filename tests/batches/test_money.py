"""Batches and the ledger: previews reserve nothing, confirming checks the whole cost, each
row pays through its own hold, failed / cancelled / short rows cost nothing."""

import json
import re
import uuid

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from tests.builders import funded_user, new_key
from tests.helpers import assert_ledger_healthy, race
from tickets import services as ticket_services
from tickets.batches.parsing import BatchInvalid
from tickets.batches.selectors import batch_cost, batch_progress
from tickets.batches.services import (
    advance_batch,
    cancel_batch,
    confirm_batch,
    create_batch,
    settle_batch_row,
)
from tickets.batches.tasks import advance_batch_task
from tickets.models import Batch, BatchRow, Ticket
from tickets.models.batches import RowStatus
from tickets.signals import ticket_succeeded
from tokens.exceptions import InsufficientTokens
from tokens.models import Hold, LedgerEntry
from tokens.services import spend_tokens

from ..tickets.fake_openrouter import server_error
from .conftest import HEADER, csv_of, describe, make_batch


def ledger_size() -> tuple[int, int]:
    return LedgerEntry.objects.count(), Hold.objects.count()


def statuses(batch) -> list[str]:
    return list(batch.rows.order_by("number").values_list("status", flat=True))


@pytest.mark.django_db
def test_preview_keeps_invalid_rows_and_writes_nothing_to_the_ledger(rich_user):
    before = ledger_size()
    data = (csv_of(2) + b"Too short,story,standard,,,\n"
            + f'"{describe(4)}",feature,standard,,,\n'.encode())
    batch = make_batch(rich_user, data)
    assert statuses(batch) == ["valid", "valid", "invalid", "valid"]
    assert batch.status == "draft"
    assert batch_cost(batch) == 3
    assert ledger_size() == before
    rich_user.token_account.refresh_from_db()
    assert rich_user.token_account.held == 0


@pytest.mark.django_db
def test_a_bad_file_writes_nothing(rich_user):
    with pytest.raises(BatchInvalid):
        make_batch(rich_user, b"title\nnothing useful\n")
    assert not Batch.objects.exists()


@pytest.mark.django_db
def test_confirm_refuses_a_short_balance_and_changes_nothing(
        prices, django_capture_on_commit_callbacks):
    user = funded_user(2)
    batch = make_batch(user, csv_of(3))
    before = ledger_size()
    with django_capture_on_commit_callbacks() as callbacks, \
            pytest.raises(InsufficientTokens) as raised:
        confirm_batch(batch=batch)
    assert (raised.value.needed, raised.value.available) == (3, 2)
    assert callbacks == []
    batch.refresh_from_db()
    assert batch.status == "draft" and batch.confirmed_at is None
    assert statuses(batch) == ["valid"] * 3
    assert ledger_size() == before


@pytest.mark.django_db(transaction=True)
def test_confirming_twice_at_once_starts_once_and_advancers_respect_the_bound(rich_user,
                                                                             settings, offline):
    settings.BATCH_CONCURRENCY = 3
    batch = make_batch(rich_user, csv_of(10))
    first, second = race(lambda: confirm_batch(batch=batch), lambda: confirm_batch(batch=batch))
    assert first.status == second.status == "running"
    assert first.confirmed_at == second.confirmed_at
    assert statuses(batch) == ["pending"] * 10
    assert Hold.objects.count() == 0  # nothing reserved until a row starts

    started = race(*[lambda: advance_batch(batch_id=batch.pk)] * 4)
    assert sum(started) == 3
    assert statuses(batch) == ["started"] * 3 + ["pending"] * 7
    assert Hold.objects.filter(status="pending").count() == 3
    assert advance_batch(batch_id=batch.pk) == 0  # every slot is taken

    # One ticket finishes (its signal settles the row); the next advance fills its slot.
    first_row = batch.rows.get(number=1)
    ticket_services.run_ticket_generation(ticket_id=first_row.ticket_id)
    assert batch.rows.get(number=1).status == "succeeded"
    assert advance_batch(batch_id=batch.pk) == 1
    assert statuses(batch) == ["succeeded"] + ["started"] * 3 + ["pending"] * 6


@pytest.mark.django_db(transaction=True)
def test_500_rows_with_provider_failures_charge_exactly_the_succeeded_rows(
        prices, fake_openrouter, tasks_inline, settings):
    settings.BATCH_MAX_ROWS = 500
    user = funded_user(600)
    failing = set(range(7, 501, 25))  # 20 rows whose every model call fails

    def by_row(body):  # by the row the prompt describes, whatever order calls arrive in
        number = re.search(r"report number (\d+) ", json.dumps(body))
        return server_error(503) if number and int(number[1]) in failing else None

    fake_openrouter.responder = by_row
    batch = make_batch(user, csv_of(500))

    confirm_batch(batch=batch)  # advances inline, row after row, to the end

    batch.refresh_from_db()
    assert batch.status == "finished" and batch.finished_at is not None
    rows = batch.rows.order_by("number")
    failed = {row.number for row in rows if row.status == "failed"}
    assert failed == failing
    assert rows.filter(status="succeeded").count() == 480
    assert all("not charged" in row.message for row in rows.filter(status="failed"))
    user.token_account.refresh_from_db()
    charged = Ticket.objects.filter(batch_row__batch=batch, status="succeeded") \
        .aggregate(total=Sum("cost"))["total"]
    assert charged == 480
    assert (user.token_account.balance, user.token_account.held) == (600 - charged, 0)
    assert not Hold.objects.filter(status="pending").exists()
    assert Hold.objects.filter(status="released").count() == 20
    assert_ledger_healthy()


@pytest.mark.django_db(transaction=True)
def test_rows_that_can_no_longer_reserve_end_not_enough_at_no_cost(prices, offline,
                                                                  celery_app):
    user = funded_user(5)
    account = user.token_account
    batch = make_batch(user, csv_of(5))
    confirm_batch(batch=batch)  # its advance goes to the broker, where no worker listens
    spend_tokens(account=account, amount=3, idempotency_key=new_key("elsewhere"))

    celery_app.conf.task_always_eager = True
    try:
        advance_batch_task(batch.pk)
    finally:
        celery_app.conf.task_always_eager = False

    batch.refresh_from_db()
    assert batch.status == "finished"
    assert statuses(batch) == ["succeeded"] * 2 + ["not_enough"] * 3
    assert "Nothing was charged" in batch.rows.get(number=5).message
    account.refresh_from_db()
    assert (account.balance, account.held) == (0, 0)
    assert_ledger_healthy()


@pytest.mark.django_db(transaction=True)
def test_cancel_stops_pending_rows_and_started_rows_settle(rich_user, offline, settings):
    settings.BATCH_CONCURRENCY = 2
    account = rich_user.token_account
    batch = make_batch(rich_user, csv_of(6))
    confirm_batch(batch=batch)
    advance_batch(batch_id=batch.pk)

    cancelled = cancel_batch(batch=batch)

    assert cancelled.status == "cancelled" and cancelled.finished_at is None
    assert statuses(batch) == ["started"] * 2 + ["cancelled"] * 4
    assert advance_batch(batch_id=batch.pk) == 0
    for row in batch.rows.filter(status="started"):
        ticket_services.run_ticket_generation(ticket_id=row.ticket_id)
    advance_batch(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == "cancelled" and batch.finished_at is not None
    assert statuses(batch) == ["succeeded"] * 2 + ["cancelled"] * 4
    account.refresh_from_db()
    assert (account.balance, account.held) == (998, 0)
    assert_ledger_healthy()


@pytest.mark.django_db
def test_settling_twice_changes_nothing(rich_user, offline, django_capture_on_commit_callbacks):
    batch = make_batch(rich_user, csv_of(1))
    with django_capture_on_commit_callbacks():
        confirm_batch(batch=batch)
        advance_batch(batch_id=batch.pk)
    row = batch.rows.get()
    ticket_services.run_ticket_generation(ticket_id=row.ticket_id)
    assert settle_batch_row(ticket_id=row.ticket_id) is True  # no real commit: no signal
    assert settle_batch_row(ticket_id=row.ticket_id) is False
    assert BatchRow.objects.get(pk=row.pk).status == RowStatus.SUCCEEDED
    assert batch_progress(batch).succeeded == 1


@pytest.mark.django_db
def test_a_team_batch_row_fails_when_its_spender_left_the_team(rich_user, offline):
    from accounts.teams.models import Membership
    from accounts.teams.services import create_organization
    from tokens.services import grant_tokens

    team = create_organization(user=rich_user, name="Acme")
    grant_tokens(account=team.token_account, amount=10, kind="purchase",
                 idempotency_key=new_key("team"))
    member = funded_user(0)
    Membership.objects.create(organization=team, user=member, role="member")
    batch = create_batch(owner=member, organization=team, token_account=team.token_account,
                         spender=f"user:{member.pk}", filename="t.csv",
                         data=(HEADER + f'"{describe(1)}",story,standard,,,\n').encode())
    confirm_batch(batch=batch)
    Membership.objects.filter(organization=team, user=member).delete()
    advance_batch(batch_id=batch.pk)
    row = batch.rows.get()
    assert row.status == "failed" and "no longer spend" in row.message
    batch.refresh_from_db()
    assert batch.status == "finished"


@pytest.mark.django_db
def test_a_ticket_from_the_form_reads_no_batch_row_and_no_slack_request(prices):
    # Every finished ticket is announced; only a batch's or Slack's (both with a name-based
    # nonce) has a row to settle or a request to answer.
    user = funded_user(5)
    ticket = ticket_services.request_ticket_generation(
        account=user.token_account, owner=user, ticket_type="story", quality="standard",
        description=describe(1), nonce=uuid.uuid4())
    with CaptureQueriesContext(connection) as queries:
        ticket_succeeded.send(sender=Ticket, ticket=ticket)
    read = " ".join(query["sql"] for query in queries.captured_queries)
    assert "tickets_batchrow" not in read and "slackrequest" not in read
