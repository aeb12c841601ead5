"""Teams' Celery tasks: invitation and limit-alert emails, and the check for limit crossings
after a member's generation is reserved."""

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.languages import in_language_of
from accounts.teams.models import Invitation, Membership, TeamLimitAlert
from accounts.teams.roles import MANAGERS, Role


def _send(*, subject: str, to: list[str], template: str, context: dict) -> None:
    values = {**context, "site_name": settings.SITE_NAME}
    message = EmailMultiAlternatives(
        subject=subject, to=to, body=render_to_string(f"teams/email/{template}.txt", values))
    message.attach_alternative(render_to_string(f"teams/email/{template}.html", values),
                               "text/html")
    message.send()


@shared_task(name="teams.send_invitation", autoretry_for=(OSError,), retry_backoff=5,
             max_retries=5)
def send_invitation_task(invitation_id: int) -> bool:
    """Email an open invitation its link (an accepted or revoked one gets nothing)."""
    from accounts.teams.services import invitation_token

    invitation = (Invitation.objects.select_related("organization", "invited_by")
                  .filter(pk=invitation_id, accepted_at__isnull=True, revoked_at__isnull=True)
                  .first())
    if invitation is None:
        return False
    link = settings.SITE_URL + reverse("teams:invitation", args=[invitation_token(invitation)])
    with in_language_of(invitation.invited_by):  # the inviter's words, in their language
        _send_invitation(invitation, link)
    return True


def _send_invitation(invitation, link: str) -> None:
    _send(subject=_("Join %(team)s on %(site)s") % {"team": invitation.organization.name,
                                                   "site": settings.SITE_NAME},
          to=[invitation.email], template="invitation",
          context={"invitation": invitation, "link": link,
                   "inviter": invitation.invited_by.email if invitation.invited_by else "",
                   "expires": timezone.localtime(invitation.expires_at)})


@shared_task(name="teams.send_limit_alert", autoretry_for=(OSError,), retry_backoff=5,
             max_retries=5)
def send_team_alert_task(alert_id: int) -> bool:
    """Email one limit crossing to the team's owners and admins, once: `emailed_at` is
    claimed by a conditional update first and given back if the send fails (then retried)."""
    if not TeamLimitAlert.objects.filter(pk=alert_id, emailed_at__isnull=True).update(
            emailed_at=timezone.now()):
        return False
    alert = TeamLimitAlert.objects.select_related("organization").get(pk=alert_id)
    team = alert.organization
    admins = list(Membership.objects.filter(organization=team, role__in=MANAGERS)
                  .values_list("user__email", flat=True))
    if not admins:
        return False
    owner = Membership.objects.filter(organization=team, role=Role.OWNER).select_related(
        "user").first()
    try:
        with in_language_of(owner.user if owner else None):
            _send(subject=_("%(team)s: a token limit is filling up") % {"team": team.name},
                  to=admins, template="limit_alert",
                  context={"alert": alert, "team": team, "team_url": settings.SITE_URL
                           + reverse("teams:detail", args=[team.slug])})
    except OSError:
        TeamLimitAlert.objects.filter(pk=alert_id).update(emailed_at=None)
        raise
    return True


@shared_task(name="teams.check_limits", ignore_result=True)
def check_team_limits_task(organization_id: int, user_id: int) -> None:
    """After a member's generation is reserved: alert the admins of any limit it filled to
    80% or 100%."""
    from accounts.teams.limits import raise_limit_alerts

    raise_limit_alerts(organization_id=organization_id, user_id=user_id)
