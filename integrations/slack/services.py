"""What Slack asks of MyBA: a ticket from a description, a push from a button, and the
answers posted back when they finish.

Generation goes through `tickets.services.request_ticket_generation`, the service the web
generator and the API use: the linked user's own account or their team's pool pays, with the
member's limits checked in the hold's transaction. Pushing goes through the push service.
Answers leave through the Slack outbox (`posting.queue_post`) after commit.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.services import get_or_open_user_account
from accounts.teams.limits import describe_limit_reached, limits_for_spender
from integrations.models import Connection, Kind, Push
from integrations.selectors import connections_for_ticket, list_connections, may_push
from integrations.services.pushing import PushRefused, request_pushes
from integrations.slack import messages
from integrations.slack.models import SlackLink, SlackPost, SlackRequest
from integrations.slack.posting import queue_post
from tickets import services as ticket_services
from tickets.forms import GenerateForm
from tickets.kinds import get_kind, kind_values
from tickets.models import Status, Ticket, is_public_id
from tickets.models.splits import MAX_CHILDREN
from tokens.exceptions import AccountClosed, InsufficientTokens, LimitReached, UnknownPrice

NONCE_NAMESPACE = uuid.UUID("5b0e7a62-0d7e-4f57-9a53-3c1f0e4d2a91")
# Slack keeps a response_url for 30 minutes (and 5 posts).
RESPONSE_URL_TTL = timedelta(minutes=30)
# "/myba bug: the cart empties" asks for a bug; no prefix: a story.
KIND_PREFIX = re.compile(r"^\s*([a-z]+)\s*:\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Asked:
    """What Slack sent with a command, a shortcut or a click."""

    team_id: str
    user_id: str
    channel_id: str
    response_url: str
    trigger_id: str = ""
    user_name: str = ""
    team_domain: str = ""


def split_kind(text: str) -> tuple[str, str]:
    """("bug", "the cart empties") from "bug: the cart empties"; a story otherwise."""
    match = KIND_PREFIX.match(text)
    if match and match.group(1).lower() in kind_values():
        return match.group(1).lower(), text[match.end():].strip()
    return "story", text.strip()


def start_slack_ticket(*, link: SlackLink, text: str, asked: Asked) -> dict:
    """Queue a ticket for `text` paid as `link` says, and return the message to show at once.

    Writes (one transaction) what `request_ticket_generation` writes — the queued ticket and
    its hold, or nothing when the pool is short, a limit is reached or the user may no longer
    spend it — and the SlackRequest its result is posted to. The nonce comes from Slack's
    trigger id: the same command received twice makes one ticket."""
    ticket_type, description = split_kind(text)
    # Name-based even without a trigger id (then from a random name): every Slack ticket's
    # nonce is derived, which is what lets answer_ticket skip everyone else's.
    nonce = uuid.uuid5(NONCE_NAMESPACE, f"{asked.team_id}:{asked.trigger_id or uuid.uuid4()}")
    form = GenerateForm({"description": description, "ticket_type": ticket_type,
                         "quality": "standard", "product_area": "", "tech_stack": "",
                         "nonce": str(nonce)})
    if not form.is_valid():
        problems = " ".join(m for errors in form.errors.values() for m in errors)
        return messages.ephemeral(f"{problems} Nothing was charged.")
    user, team = link.user, link.organization
    if not user.is_active:
        return messages.ephemeral("Your MyBA account is no longer active.")
    epic = get_kind(ticket_type).epic
    pool = f"{team.name}'s pool" if team else "your account"
    try:
        if team is not None:
            account = team.token_account
            limits = limits_for_spender(spender=f"user:{user.pk}", organization=team,
                                        now=timezone.now())
        else:
            account, limits = get_or_open_user_account(user=user), ()
        with transaction.atomic():
            ticket = ticket_services.request_ticket_generation(
                account=account, owner=user, organization=team, limits=limits,
                ticket_type=ticket_type, quality="standard", description=description,
                nonce=nonce, max_children=MAX_CHILDREN if epic else None)
            SlackRequest.objects.get_or_create(
                ticket=ticket, push=None,
                defaults={"link": link, "channel_id": asked.channel_id,
                          "response_url": asked.response_url,
                          "expires_at": timezone.now() + RESPONSE_URL_TTL})
    except InsufficientTokens as error:
        return messages.not_enough(cost=error.needed, available=error.available, pool=pool)
    except LimitReached as error:
        return messages.ephemeral(describe_limit_reached(
            error.limit, used=error.used, needed=error.needed) + " Nothing was charged.")
    except PermissionDenied as error:
        return messages.ephemeral(f"{error} Link Slack to another workspace in MyBA's "
                                  "settings.")
    except AccountClosed:
        return messages.ephemeral(f"{pool.capitalize()} is closed: it cannot pay for tickets.")
    except UnknownPrice:
        return messages.ephemeral("Tickets cannot be made right now (no price is set). Try "
                                  "again later.")
    except ticket_services.IdempotencyConflict:
        return messages.ephemeral("This command was already received with another "
                                  "description.")
    return messages.writing()


def push_kinds(ticket: Ticket) -> list[str]:
    """The trackers the ticket's workspace has a working connection to, in a fixed order."""
    usable = set(connections_for_ticket(ticket).filter(health=Connection.Health.OK)
                 .values_list("kind", flat=True))
    return [kind for kind in Kind.values if kind in usable]


def answer_ticket(*, ticket: Ticket) -> SlackPost | None:
    """Post a finished ticket (or its failure) where it was asked for, once.

    Writes: the SlackRequest's `answered_at` (the conditional update that wins posts) and
    the SlackPost, sent after commit. Nothing when the ticket was not asked from Slack."""
    # Most tickets were not asked from Slack: no read for a random nonce, no transaction for
    # the rest.
    if not ticket.nonce_is_derived:
        return None
    asked = SlackRequest.objects.filter(ticket=ticket, push__isnull=True,
                                        answered_at__isnull=True).first()
    if asked is None:
        return None
    with transaction.atomic():
        if not SlackRequest.objects.filter(
                pk=asked.pk, answered_at__isnull=True).update(answered_at=timezone.now()):
            return None
        message = (messages.ticket_result(ticket, push_kinds=push_kinds(ticket))
                   if ticket.status == Status.SUCCEEDED else messages.ticket_failed(ticket))
        return queue_post(message=message, response_url=asked.response_url,
                          expires_at=asked.expires_at, channel_id=asked.channel_id)


def request_slack_push(*, link: SlackLink, public_id: str, kind: str, asked: Asked) -> dict:
    """Push a ticket the linked user may push (their own, or their team's where their role
    may generate) with the first working connection of `kind` of the ticket's workspace;
    return the message to show at once.

    Writes what `request_pushes` writes (the Push, its task after commit) and the
    SlackRequest its outcome is posted to. Anyone else's ticket is answered as not found;
    nothing is written then."""
    user = link.user
    ticket = (Ticket.objects.filter(public_id=public_id.lower()).first()
              if is_public_id(public_id.lower()) else None)
    if ticket is None or not may_push(user, ticket):
        return messages.ephemeral("This ticket is not in your MyBA workspace.")
    workspace = ({"organization": ticket.organization} if ticket.organization_id
                 else {"owner": user})
    connection = (list_connections(**workspace).filter(kind=kind, health=Connection.Health.OK)
                  .order_by("pk").first())
    if connection is None:
        url = messages.site_url("integrations:connections")
        return messages.ephemeral(f"There is no working {dict(Kind.choices).get(kind, kind)} "
                                  f"connection in your workspace: <{url}|set one up>.")
    try:
        with transaction.atomic():
            push = next(p for p in request_pushes(user=user, tickets=[ticket],
                                                  connection=connection)
                        if p.ticket_id == ticket.pk)
            if push.state == Push.State.DONE:
                # Already sent (pushing never makes a second issue): say where it is.
                push.ticket, push.connection = ticket, connection
                return messages.push_result(push)
            SlackRequest.objects.create(
                link=link, ticket=ticket, push=push, channel_id=asked.channel_id,
                response_url=asked.response_url,
                expires_at=timezone.now() + RESPONSE_URL_TTL)
    except PushRefused as error:
        return messages.ephemeral(error.message)
    return messages.pushing(connection)


def answer_push(*, push: Push) -> list[SlackPost]:
    """Post a finished push's outcome to each Slack click that asked for it, once each.

    Writes the SlackRequests' `answered_at` (conditional updates) and a SlackPost each."""
    posts = []
    with transaction.atomic():
        for asked in SlackRequest.objects.filter(push=push, answered_at__isnull=True):
            if SlackRequest.objects.filter(pk=asked.pk, answered_at__isnull=True).update(
                    answered_at=timezone.now()):
                posts.append(queue_post(message=messages.push_result(push),
                                        response_url=asked.response_url,
                                        expires_at=asked.expires_at,
                                        channel_id=asked.channel_id))
    return posts
