from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0003_webhook_retry_lease'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='webhookretry',
            options={'verbose_name_plural': 'webhook retries'},
        ),
    ]
