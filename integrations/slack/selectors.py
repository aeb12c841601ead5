"""Reads of the Slack app: links by Slack user or by MyBA user, and the teams that can pay."""

from django.http import Http404

from accounts.teams.models import Membership, Organization
from accounts.teams.roles import can_generate
from integrations.slack.models import SlackLink


def find_link(*, team_id: str, user_id: str) -> SlackLink | None:
    """The link of a Slack user (their workspace's team id and their user id), if any."""
    return (SlackLink.objects.select_related("user", "organization__token_account")
            .filter(slack_team_id=team_id, slack_user_id=user_id).first())


def list_links(*, user) -> list[SlackLink]:
    """`user`'s Slack links (the settings card), newest first."""
    return list(SlackLink.objects.filter(user=user).select_related("organization"))


def get_link_for(*, user, pk: int) -> SlackLink:
    """One of `user`'s links (404 for anyone else's)."""
    link = SlackLink.objects.filter(user=user, pk=pk).first()
    if link is None:
        raise Http404("No such Slack link.")
    return link


def payable_teams(user) -> list[Organization]:
    """The teams whose pool `user` may spend (their role may generate)."""
    return [m.organization for m in Membership.objects.filter(user=user)
            .select_related("organization").order_by("organization__name")
            if can_generate(m.role)]
