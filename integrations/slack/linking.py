"""Linking a Slack user to a MyBA account, once.

An unknown Slack user is sent a link carrying a signed token (Django signing, 15 minutes)
that names their Slack team and user and a fresh nonce. Signed in to MyBA, they confirm it
and choose who pays for their Slack tickets: themselves, or a team where they may generate.
The nonce is claimed in the same transaction that makes the link, so a token links once.
"""

import uuid
from dataclasses import dataclass

from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.teams.models import Organization
from integrations.slack.models import SlackLink, SlackLinkClaim
from integrations.slack.selectors import payable_teams

TOKEN_SALT = "integrations.slack.link"  # noqa: S105 (a namespace, not a secret)
TOKEN_MAX_AGE = 15 * 60


class LinkRefused(Exception):
    """The token is bad, expired or used, or the Slack user is already linked."""


@dataclass(frozen=True)
class Invite:
    team_id: str
    user_id: str
    nonce: uuid.UUID
    user_name: str = ""
    team_domain: str = ""

    @property
    def who(self) -> str:
        """"@pat in acme.slack.com" (or the ids when Slack did not say)."""
        name = f"@{self.user_name}" if self.user_name else self.user_id
        team = f"{self.team_domain}.slack.com" if self.team_domain else self.team_id
        return f"{name} in {team}"


def make_link_token(*, team_id: str, user_id: str, user_name: str = "",
                    team_domain: str = "") -> str:
    return signing.dumps({"t": team_id, "u": user_id, "n": uuid.uuid4().hex,
                          "un": user_name[:100], "td": team_domain[:100]},
                         salt=TOKEN_SALT, compress=True)


def read_link_token(token: str) -> Invite:
    """The invitation in `token`; raises LinkRefused when it is forged, older than 15
    minutes, or already used."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
        invite = Invite(team_id=str(data["t"]), user_id=str(data["u"]),
                        nonce=uuid.UUID(data["n"]), user_name=str(data.get("un", "")),
                        team_domain=str(data.get("td", "")))
    except signing.SignatureExpired:
        raise LinkRefused(_("This link has expired (links work for 15 minutes). Run /myba in "
                            "Slack again for a new one.")) from None
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise LinkRefused(_("This link is not valid. Run /myba in Slack again for a new "
                            "one.")) from None
    if SlackLinkClaim.objects.filter(nonce=invite.nonce).exists():
        raise LinkRefused(_("This link was already used. Run /myba in Slack again if you "
                            "need a new one."))
    return invite


def link_slack_user(*, user, invite: Invite, organization: Organization | None) -> SlackLink:
    """Link the Slack user of `invite` to `user`, paid by `organization` (None: their own
    account).

    Writes (one transaction): the token's claim and the SlackLink. Raises PermissionDenied
    when `user` may not spend `organization`'s pool, LinkRefused when the token was used
    meanwhile or this Slack user is already linked (to anyone): nothing is written then."""
    if organization is not None and organization not in payable_teams(user):
        raise PermissionDenied(_("You cannot spend this team's tokens."))
    try:
        with transaction.atomic():
            SlackLinkClaim.objects.create(nonce=invite.nonce)
            return SlackLink.objects.create(
                slack_team_id=invite.team_id, slack_user_id=invite.user_id,
                slack_user_name=invite.user_name, slack_team_domain=invite.team_domain,
                user=user, organization=organization)
    except IntegrityError:
        if SlackLinkClaim.objects.filter(nonce=invite.nonce).exists():
            raise LinkRefused(_("This link was already used.")) from None
        raise LinkRefused(_("This Slack account is already linked to a MyBA account. Unlink "
                            "it there first.")) from None


def unlink_slack_user(*, link: SlackLink) -> None:
    """Remove the link: that Slack user's next command asks to link again. Tickets already
    made stay where they are."""
    SlackLink.objects.filter(pk=link.pk).delete()

