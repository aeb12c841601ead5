"""Give every existing ticket a public id, a batch at a time (each batch its own transaction,
so a large table is never locked for the whole run)."""

import secrets

from django.db import migrations, transaction

# Frozen copies of tickets.models' alphabet and length: this migration must keep producing
# ids that 0006's check constraint accepts, whatever the model module becomes.
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
LENGTH = 10
BATCH = 1000


def backfill_public_ids(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    tickets = Ticket.objects.using(schema_editor.connection.alias)
    # The unique constraint comes in 0006: until then this set keeps one run from handing out
    # an id twice (existing rows have none yet).
    used: set[str] = set()
    while batch := list(tickets.filter(public_id__isnull=True).only("pk")[:BATCH]):
        for ticket in batch:
            while (public_id := "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))) in used:
                pass
            used.add(public_id)
            ticket.public_id = public_id
        with transaction.atomic(using=schema_editor.connection.alias):
            tickets.bulk_update(batch, ["public_id"])


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("tickets", "0004_ticket_public_id"),
    ]

    operations = [
        migrations.RunPython(backfill_public_ids, migrations.RunPython.noop, elidable=True),
    ]
