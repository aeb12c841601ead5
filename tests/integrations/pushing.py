"""Builders for the push tests: a GitHub fake with a repository, connections to it, and
finished tickets to send (copies of one generated ticket, so a hundred cost no generations)."""

import uuid

from integrations.fakes.github import FakeGitHub
from integrations.models import Connection
from integrations.services.connections import choose_target, create_connection
from tickets.models import Ticket, new_public_id

REPO = "acme/shop"
TOKEN = "github_pat_push_tests"


def start_github(settings, *, hold_seconds: float = 1.0) -> FakeGitHub:
    """A GitHub fake with `acme/shop` open to TOKEN; calls time out after 0.4 s and retries
    come at once (a "timeout_after" fault holds the answer for `hold_seconds`)."""
    fake = FakeGitHub(hold_seconds=hold_seconds).start()
    fake.add_repo(REPO)
    fake.add_token(TOKEN, REPO)
    settings.GITHUB_API_URL = fake.url
    settings.INTEGRATIONS_TIMEOUT_SECONDS = 0.4
    settings.PUSH_RETRY_DELAYS = [0.0] * 7
    return fake


def connect_github(user, *, organization=None, token: str = TOKEN) -> Connection:
    """A working GitHub connection of `user`'s personal workspace (or the team's)."""
    connection = create_connection(
        owner=user, organization=organization, created_by=user, kind="github",
        auth="token", base_url="https://api.github.com", access_token=token, account_ref=REPO)
    return choose_target(connection=connection, target={"repo": REPO}, label=REPO)


def copies(ticket: Ticket, count: int) -> list[Ticket]:
    """`count` more finished tickets like `ticket` (same owner and content, new ids)."""
    made = []
    for _ in range(count):
        copy = Ticket.objects.get(pk=ticket.pk)
        copy.pk, copy.public_id, copy.nonce = None, new_public_id(), uuid.uuid4()
        copy.hold = None  # the original paid; a copy needs no hold of its own
        copy.save()
        made.append(copy)
    return made


def issues_by_marker(fake: FakeGitHub) -> dict[str, int]:
    """How many issues in the fake's repository carry each ticket marker."""
    counts: dict[str, int] = {}
    for issue in fake.issues(REPO):
        body = issue.get("body") or ""
        start = body.find("<!-- myba:")
        if start >= 0:
            marker = body[start + len("<!-- myba:"):].split(" -->")[0].strip()
            counts[marker] = counts.get(marker, 0) + 1
    return counts
