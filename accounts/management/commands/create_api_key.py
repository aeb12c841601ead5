"""Issue an API key from the command line (operators, scripts, the README's quick start)."""

from django.core.management.base import BaseCommand, CommandError

from accounts.apikeys.models import Scope
from accounts.apikeys.services import create_api_key
from accounts.models import User
from accounts.teams.models import Organization
from accounts.teams.roles import can_manage


class Command(BaseCommand):
    help = "Create an API key for a user's own account (or, with --team, a team they manage)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="Command line")
        parser.add_argument("--team", help="The team's slug: the key pays from its pool.")
        parser.add_argument("--scopes", default=",".join(Scope.values),
                            help=f"Comma-separated, from {', '.join(Scope.values)}.")

    def handle(self, *args, email, name, team, scopes, **options):
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {email}.")
        chosen = [scope.strip() for scope in scopes.split(",") if scope.strip()]
        unknown = set(chosen) - set(Scope.values)
        if unknown or not chosen:
            raise CommandError(f"Unknown scopes: {', '.join(sorted(unknown)) or '(none)'}.")
        organization = None
        if team:
            organization = Organization.objects.filter(slug=team).first()
            membership = organization and organization.memberships.filter(user=user).first()
            if membership is None or not can_manage(membership.role):
                raise CommandError(f"{email} does not manage a team called {team}.")
        issued = create_api_key(actor=user, name=name, scopes=chosen, organization=organization)
        self.stdout.write(issued.secret)
