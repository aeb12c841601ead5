"""Slack's endpoints (signed by Slack, CSRF-exempt) and the linking pages (signed-in users).

Slack waits 3 seconds for an answer: the command answers at once (the generation runs in
Celery). Interactions (the shortcut, buttons) are acknowledged with an empty 200 and answered
through their `response_url` (Slack ignores their response body).
"""

import json

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from integrations.slack import linking, messages, selectors
from integrations.slack.posting import queue_post
from integrations.slack.services import (
    RESPONSE_URL_TTL,
    Asked,
    request_slack_push,
    start_slack_ticket,
)
from integrations.slack.verify import slack_request

SHORTCUT_CALLBACK = "turn_into_ticket"
PUSH_ACTIONS = {"push_github": "github", "push_gitlab": "gitlab", "push_jira": "jira"}


def _bad_request(message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": "bad_request", "message": message}}, status=400)


def _link_or_prompt(asked: Asked):
    """The asker's link, or (None, the message that sends them to link their account)."""
    link = selectors.find_link(team_id=asked.team_id, user_id=asked.user_id)
    if link is not None:
        return link, None
    token = linking.make_link_token(team_id=asked.team_id, user_id=asked.user_id,
                                    user_name=asked.user_name, team_domain=asked.team_domain)
    return None, messages.link_prompt(messages.site_url("integrations:slack_link", token))


@slack_request
def command(request):
    """`/myba <description>`: usage help, the link to link the account, or the ticket
    queued (its result is posted when it is ready)."""
    data = request.POST
    if data.get("ssl_check"):  # Slack checking our certificate: nothing to do
        return HttpResponse(status=200)
    asked = Asked(team_id=data.get("team_id", ""), user_id=data.get("user_id", ""),
                  channel_id=data.get("channel_id", ""),
                  response_url=data.get("response_url", ""),
                  trigger_id=data.get("trigger_id", ""), user_name=data.get("user_name", ""),
                  team_domain=data.get("team_domain", ""))
    if not asked.team_id or not asked.user_id:
        return _bad_request("team_id and user_id are required.")
    text = data.get("text", "").strip()
    if not text or text.lower() == "help":
        return JsonResponse(messages.usage())
    link, prompt = _link_or_prompt(asked)
    if prompt is not None:
        return JsonResponse(prompt)
    return JsonResponse(start_slack_ticket(link=link, text=text, asked=asked))


@slack_request
def interactivity(request):
    """The "Turn into ticket" message shortcut and the push buttons of a posted ticket."""
    try:
        payload = json.loads(request.POST.get("payload", ""))
        team_id = payload["team"]["id"]
        user_id = payload["user"]["id"]
    except (ValueError, KeyError, TypeError):
        return _bad_request("A JSON `payload` with team and user is required.")
    kind = payload.get("type")
    asked = Asked(team_id=team_id, user_id=user_id,
                  channel_id=(payload.get("channel") or {}).get("id", ""),
                  response_url=payload.get("response_url", ""),
                  trigger_id=payload.get("trigger_id", ""),
                  user_name=str(payload["user"].get("username", "")),
                  team_domain=str(payload["team"].get("domain", "")))
    if kind == "message_action" and payload.get("callback_id") == SHORTCUT_CALLBACK:
        text = (payload.get("message") or {}).get("text", "").strip()
        answer = _shortcut(asked, text)
    elif kind == "block_actions":
        answer = _button(asked, payload.get("actions") or [])
    else:
        return HttpResponse(status=200)  # nothing of ours (e.g. the "View in MyBA" link)
    if answer is not None and asked.response_url:
        queue_post(message=answer, response_url=asked.response_url,
                   expires_at=timezone.now() + RESPONSE_URL_TTL)
    return HttpResponse(status=200)


def _shortcut(asked: Asked, text: str) -> dict:
    if not text:
        return messages.ephemeral("This message has no text to turn into a ticket.")
    link, prompt = _link_or_prompt(asked)
    return prompt or start_slack_ticket(link=link, text=text, asked=asked)


def _button(asked: Asked, actions: list) -> dict | None:
    action = actions[0] if actions and isinstance(actions[0], dict) else {}
    kind = PUSH_ACTIONS.get(action.get("action_id", ""))
    if kind is None:
        return None
    link, prompt = _link_or_prompt(asked)
    return prompt or request_slack_push(link=link, public_id=str(action.get("value", "")),
                                        kind=kind, asked=asked)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def link_account(request, token: str):
    """Confirm linking the Slack user named in `token` to the signed-in account, choosing
    who pays for their Slack tickets."""
    teams = selectors.payable_teams(request.user)
    context = {"token": token, "teams": teams, "error": "", "choice": "personal"}
    try:
        invite = linking.read_link_token(token)
    except linking.LinkRefused as error:
        context["error"] = str(error)
        return render(request, "integrations/slack_link.html", context, status=400)
    context["invite"] = invite
    if selectors.find_link(team_id=invite.team_id, user_id=invite.user_id) is not None:
        context["error"] = _("This Slack account is already linked to a MyBA account. Unlink "
                             "it there first.")
        return render(request, "integrations/slack_link.html", context, status=400)
    if request.method == "GET":
        return render(request, "integrations/slack_link.html", context)
    choice = request.POST.get("pays", "")
    context["choice"] = choice
    organization = next((t for t in teams if str(t.pk) == choice), None)
    if choice != "personal" and organization is None:
        context["form_error"] = _("Choose who pays for the tickets you make from Slack.")
        return render(request, "integrations/slack_link.html", context, status=400)
    try:
        linking.link_slack_user(user=request.user, invite=invite, organization=organization)
    except (linking.LinkRefused, PermissionDenied) as error:
        context["error"] = str(error)
        return render(request, "integrations/slack_link.html", context, status=400)
    flash.success(request, _("Slack is linked. Go back to Slack and run /myba again."))
    return redirect("integrations:slack_settings")


@never_cache
@login_required
def slack_settings(request):
    """The person's Slack links (the same card the account settings page includes)."""
    return render(request, "integrations/slack_settings.html",
                  {"slack_links": selectors.list_links(user=request.user)})


@login_required
@require_POST
def unlink(request, pk: int):
    link = selectors.get_link_for(user=request.user, pk=pk)
    linking.unlink_slack_user(link=link)
    flash.success(request, _("Slack is unlinked: the next /myba there asks to link again."))
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return redirect(back)
    return redirect("integrations:slack_settings")
