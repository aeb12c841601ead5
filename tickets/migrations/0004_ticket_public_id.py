"""Tickets get a public id (issue 12): added empty here, filled in by 0005, required by 0006.

Three steps so that the backfill of a large table runs in batches outside one long
transaction, and the NOT NULL and unique constraints come only once every row has an id.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("tickets", "0003_run_lease_and_dispatch"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="public_id",
            field=models.CharField(editable=False, max_length=10, null=True),
        ),
    ]
