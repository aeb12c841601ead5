"""Every ticket has a public id now (0005): make it required, unique and well-formed; new
tickets get one when they are created."""

from django.db import migrations, models

import tickets.models


class Migration(migrations.Migration):

    dependencies = [
        ("tickets", "0005_backfill_ticket_public_ids"),
    ]

    operations = [
        migrations.AlterField(
            model_name="ticket",
            name="public_id",
            field=models.CharField(
                default=tickets.models.new_public_id, editable=False, max_length=10
            ),
        ),
        migrations.AddConstraint(
            model_name="ticket",
            constraint=models.UniqueConstraint(
                fields=("public_id",), name="tickets_public_id_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="ticket",
            constraint=models.CheckConstraint(
                condition=models.Q(("public_id__regex", "^[0-9a-hjkmnp-tv-z]{10}$")),
                name="tickets_public_id_format",
            ),
        ),
    ]
