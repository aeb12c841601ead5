from django.db import migrations, models
from django.db.models.functions import Now


def mark_existing_users_welcomed(apps, schema_editor):
    # The welcome is for people who have just signed up: those who were here before it
    # existed know how tokens work.
    apps.get_model("accounts", "User").objects.update(welcomed_at=Now())


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_staff_action"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="welcomed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(mark_existing_users_welcomed, migrations.RunPython.noop),
    ]
