"""The rollups' triggers and latency index (SQL in admin_dashboard.rollups.sql), then the
backfill: the rollups built from the rows already there. PostgreSQL only: on SQLite (the
zero-setup run) the overview reads the raw tables."""

from django.db import migrations

from admin_dashboard.rollups.sql import CREATE, DROP


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from admin_dashboard.rollups.services import rebuild_rollups

    with schema_editor.connection.cursor() as cursor:
        cursor.execute(CREATE)
    rebuild_rollups()


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(DROP)
        cursor.execute("DELETE FROM admin_dashboard_rollupstate")


class Migration(migrations.Migration):
    dependencies = [
        ("admin_dashboard", "0001_rollups"),
        ("accounts", "0006_alerts_emails_and_sign_ins"),
        ("tickets", "0009_versions_and_improvements"),
        ("tokens", "0008_entry_history_covers_usage"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
