"""Seed the local demo site (`make run`). Safe to run on every start: each seeder is
idempotent. Later features add their demo data by appending a seeder to SEEDERS."""

import secrets

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

# Dotted paths of callables `seed(command) -> None`, run in order.
SEEDERS = [
    "accounts.management.commands.seed_demo.seed_staff",
    "admin_dashboard.demo.seed_dashboard_demo",
    "accounts.teams.demo.seed_team_demo",
]

DEMO_STAFF_EMAIL = "staff@myba.local"


def demo_staff_password() -> str:
    """Generated once per checkout and kept in DATA_DIR, so it is stable across runs."""
    path = settings.DATA_DIR / "demo-staff-password"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(12))
        path.chmod(0o600)
    return path.read_text().strip()


def seed_staff(command: BaseCommand) -> None:
    from accounts.services import ensure_demo_staff

    password = demo_staff_password()
    user, created = ensure_demo_staff(email=DEMO_STAFF_EMAIL, password=password)
    command.stdout.write(
        command.style.SUCCESS("Demo staff account " + ("created" if created else "ready"))
    )
    command.stdout.write(f"  email:    {user.email}")
    command.stdout.write(f"  password: {password}")
    if settings.DASHBOARD_REQUIRE_MFA:
        command.stdout.write(
            "  (enable two-factor authentication under Account settings before opening the "
            "staff dashboard or the admin)"
        )
    else:
        command.stdout.write(
            "  staff dashboard: /dashboard/, admin: /admin/ (MFA not required in this run)"
        )


class Command(BaseCommand):
    help = "Create the demo data for the local site (idempotent) and print the demo logins."

    def handle(self, *args, **options):
        for path in SEEDERS:
            import_string(path)(self)
