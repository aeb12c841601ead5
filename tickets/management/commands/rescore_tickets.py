"""`manage.py rescore_tickets`: store the quality check on finished tickets that lack it.

Scores the tickets made before the check existed and those scored by another version of the
rules (`tickets.quality.CHECK_VERSION`): run it after deploying a change to the rules. In
batches, each batch's tickets locked while scored; idempotent (a second run finds nothing).
"""

from django.core.management.base import BaseCommand, CommandParser

from tickets.quality import CHECK_VERSION
from tickets.services import rescore_tickets
from tickets.services.scoring import RESCORE_BATCH


class Command(BaseCommand):
    help = (
        "Store the quality scorecard on finished tickets never checked or checked by another "
        "version of the rules (--all: every finished ticket)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", dest="everything",
                            help="Score every finished ticket again, whatever its version.")
        parser.add_argument("--batch-size", type=int, default=RESCORE_BATCH,
                            help=f"Tickets per transaction (default {RESCORE_BATCH}).")

    def handle(self, *args, everything: bool, batch_size: int, **options):
        written = rescore_tickets(everything=everything, batch_size=max(1, batch_size))
        self.stdout.write(self.style.SUCCESS(
            f"rescore_tickets: {written} ticket{'s' if written != 1 else ''} scored "
            f"(check version {CHECK_VERSION})."
        ))
