"""Tickets are named by a short, unguessable public id, never by their database id (issue 12):
its shape, the database's guarantees, and the migration that gave existing tickets one."""

import csv
import importlib
import io
import re
from collections import Counter

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from tests.builders import funded_user, request_ticket
from tickets.models import (
    PUBLIC_ID_ALPHABET,
    PUBLIC_ID_LENGTH,
    PUBLIC_ID_REGEX,
    GenerationAttempt,
    Ticket,
    is_public_id,
    new_public_id,
)

BACKFILL = importlib.import_module("tickets.migrations.0005_backfill_ticket_public_ids")


def test_public_ids_are_short_url_safe_and_unambiguous():
    assert PUBLIC_ID_LENGTH == 10
    # Crockford's base32: digits and lower-case letters without i, l, o, u.
    assert PUBLIC_ID_ALPHABET == "0123456789abcdefghjkmnpqrstvwxyz"
    assert not set("ilou") & set(PUBLIC_ID_ALPHABET)
    for _ in range(200):
        public_id = new_public_id()
        assert re.fullmatch(r"[0-9a-z]{10}", public_id) and is_public_id(public_id)
    for bad in ("", "abc", "a" * 11, "ABCDEFGHJK", "abcdefghil", "12345678o9", "a\x00bcdefghj"):
        assert not is_public_id(bad), bad


def test_public_ids_cannot_be_guessed():
    """50 random bits from `secrets`: no order, no pattern, every symbol used."""
    assert len(PUBLIC_ID_ALPHABET) ** PUBLIC_ID_LENGTH >= 2**50
    ids = [new_public_id() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    assert ids != sorted(ids)
    symbols = Counter("".join(ids))
    assert set(symbols) == set(PUBLIC_ID_ALPHABET)
    # 50,000 symbols over 32: each about 1,560 times; a skewed generator would show here.
    assert min(symbols.values()) > 1300 and max(symbols.values()) < 1850


@pytest.mark.django_db
def test_every_new_ticket_gets_its_own_public_id(prices):
    user = funded_user(5)
    tickets = [request_ticket(user.token_account, owner=user) for _ in range(3)]
    ids = [Ticket.objects.get(pk=ticket.pk).public_id for ticket in tickets]
    assert all(is_public_id(public_id) for public_id in ids)
    assert len(set(ids)) == 3


@pytest.mark.django_db
def test_the_database_refuses_a_duplicate_or_malformed_public_id(prices):
    user = funded_user(5)
    first, second = (request_ticket(user.token_account, owner=user) for _ in range(2))
    for value in (first.public_id, "NOT-AN-ID!", "", "abcdefghil"):
        with pytest.raises(IntegrityError), transaction.atomic():
            Ticket.objects.filter(pk=second.pk).update(public_id=value)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.filter(pk=second.pk).update(public_id=None)


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_existing_tickets_unique_public_ids_in_batches(
    offline, monkeypatch
):
    """Tickets made before public ids existed (the column empty, as after 0004) all get a
    distinct, well-formed id from 0005's backfill, a batch at a time, and 0006 then makes the
    column required and unique."""
    user = funded_user(10)
    tickets = [request_ticket(user.token_account, owner=user) for _ in range(7)]
    executor = MigrationExecutor(connection)
    # Every app's latest state, not only tickets': going back to 0004 also unapplies what
    # depends on tickets (integrations), which must come back for the tests after this one.
    latest = executor.loader.graph.leaf_nodes()
    before = [("tickets", "0004_ticket_public_id")]
    executor.migrate(before)
    try:
        old_ticket = executor.loader.project_state(before).apps.get_model("tickets", "Ticket")
        old_ticket.objects.update(public_id=None)
        assert not old_ticket.objects.exclude(public_id=None).exists()
        monkeypatch.setattr(BACKFILL, "BATCH", 3)  # 7 tickets: batches of 3, 3 and 1
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    finally:
        executor = MigrationExecutor(connection)
        if executor.migration_plan(latest):
            executor.migrate(latest)
    ids = dict(Ticket.objects.values_list("pk", "public_id"))
    assert set(ids) == {ticket.pk for ticket in tickets}
    assert all(re.fullmatch(PUBLIC_ID_REGEX, public_id) for public_id in ids.values())
    assert len(set(ids.values())) == len(ids)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.filter(pk=tickets[1].pk).update(public_id=ids[tickets[0].pk])


@pytest.mark.django_db
def test_staff_pages_name_tickets_by_public_id(staff_client, prices):
    user = funded_user(5)
    ticket = request_ticket(user.token_account, owner=user)
    GenerationAttempt.objects.create(
        ticket=ticket, provider="openrouter", model_name="m", quality="standard",
        outcome="failed", error_code="timeout", latency_ms=30000,
    )
    generations = staff_client.get("/dashboard/generations/").content.decode()
    assert f'<td class="ticket-key">{ticket.public_id}</td>' in generations
    rows = list(csv.reader(io.StringIO(
        staff_client.get("/dashboard/generations/?format=csv").getvalue().decode()
    )))
    assert dict(zip(rows[0], rows[1], strict=True))["ticket"] == ticket.public_id
    detail = staff_client.get(f"/dashboard/users/{user.pk}/").content.decode()
    assert f'<span class="ticket-key">{ticket.public_id}</span>' in detail
