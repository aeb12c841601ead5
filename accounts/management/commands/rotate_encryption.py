"""Re-encrypt every stored secret under the first key of MYBA_ENCRYPTION_KEYS.

Rotation: put the new key first in MYBA_ENCRYPTION_KEYS (the old ones after it) and restart,
run this command, then drop the old keys and restart again. Every `EncryptedTextField` of
every model is read (decrypted with whichever key encrypted it) and written back (encrypted
with the first key); running it twice is harmless.
"""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from config.encryption import EncryptedTextField

BATCH = 200


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field under the first key of MYBA_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        total = 0
        for model in apps.get_models():
            for field in model._meta.concrete_fields:
                if isinstance(field, EncryptedTextField):
                    count = self._rotate(model, field.attname)
                    total += count
                    self.stdout.write(f"{model._meta.label}.{field.name}: {count} re-encrypted")
        self.stdout.write(self.style.SUCCESS(f"{total} value(s) re-encrypted."))

    @staticmethod
    def _rotate(model, attname: str) -> int:
        """Rewrite the column in batches of rows locked while they are rewritten, so a change
        saved meanwhile is either rewritten too or written after (never overwritten)."""
        count, last_pk = 0, 0
        while True:
            with transaction.atomic():
                rows = list(model.objects.select_for_update().filter(pk__gt=last_pk)
                            .exclude(**{attname: ""}).order_by("pk")
                            .values_list("pk", attname)[:BATCH])
                for pk, plaintext in rows:
                    model.objects.filter(pk=pk).update(**{attname: plaintext})
            if not rows:
                return count
            count += len(rows)
            last_pk = rows[-1][0]
