"""Atlassian OAuth 2.0 (3LO): the consent URL, the code and refresh-token exchanges, and the
sites (cloud ids) a grant reaches.

Access tokens live an hour. Refresh tokens rotate: every refresh answers a new one and the
old one stops working, so the caller must store the new one before anything else uses it
(integrations.services.credentials does, single-flight).
"""

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.utils import timezone

from integrations.trackers.base import Grant, TrackerError, call, timeout

SCOPES = "read:jira-work write:jira-work offline_access read:jira-user"


@dataclass(frozen=True)
class Site:
    """A Jira Cloud site the grant reaches."""

    cloud_id: str
    url: str
    name: str


def configured() -> bool:
    return bool(settings.ATLASSIAN_CLIENT_ID and settings.ATLASSIAN_CLIENT_SECRET)


def authorize_url(*, state: str, redirect_uri: str) -> str:
    query = urlencode({
        "audience": "api.atlassian.com",
        "client_id": settings.ATLASSIAN_CLIENT_ID,
        "scope": SCOPES,
        "redirect_uri": redirect_uri,
        "state": state,
        "response_type": "code",
        "prompt": "consent",
    })
    return f"{settings.ATLASSIAN_AUTH_URL}/authorize?{query}"


def _token(session: requests.Session, body: dict, *, what: str, fix: str) -> Grant:
    """POST the token endpoint. A refused grant (Atlassian answers 403 or 400 with
    `invalid_grant`) is an "auth" error: only a new consent helps."""
    url = f"{settings.ATLASSIAN_AUTH_URL}/oauth/token"
    payload = {"client_id": settings.ATLASSIAN_CLIENT_ID,
               "client_secret": settings.ATLASSIAN_CLIENT_SECRET, **body}
    try:
        response = session.post(url, json=payload, timeout=timeout())
    except requests.Timeout:
        raise TrackerError("retry", f"No answer from Atlassian while {what}.") from None
    except requests.RequestException as exc:
        raise TrackerError("retry", f"Could not reach Atlassian while {what} "
                           f"({type(exc).__name__}).") from None
    if response.status_code in (400, 401, 403):
        try:
            error = response.json().get("error", "")
        except (ValueError, AttributeError):
            error = ""
        raise TrackerError("auth", f"Atlassian refused {what} ({error or response.status_code})"
                           f": {fix}", status=response.status_code)
    if response.status_code >= 300:
        raise TrackerError("retry", f"Atlassian answered HTTP {response.status_code} while "
                           f"{what}.", status=response.status_code)
    data = response.json()
    if not data.get("access_token"):
        raise TrackerError("retry", f"Atlassian sent no access token while {what}.")
    expires_in = data.get("expires_in")
    return Grant(access_token=data["access_token"],
                 expires_at=(timezone.now() + timedelta(seconds=int(expires_in))
                             if expires_in else None),
                 refresh_token=data.get("refresh_token", ""))


def exchange_code(session: requests.Session, *, code: str, redirect_uri: str) -> Grant:
    return _token(session, {"grant_type": "authorization_code", "code": code,
                            "redirect_uri": redirect_uri}, what="accepting the authorization",
                  fix="the sign-in expired or was already used. Start again.")


def refresh_grant(session: requests.Session, *, refresh_token: str) -> Grant:
    if not refresh_token:
        raise TrackerError("auth", "This Jira connection has no refresh token: reconnect Jira "
                           "on the Connections page.")
    return _token(session, {"grant_type": "refresh_token", "refresh_token": refresh_token},
                  what="refreshing the Jira token",
                  fix="the access was revoked (or unused for 90 days). Reconnect Jira on the "
                      "Connections page.")


def accessible_sites(session: requests.Session, *, access_token: str) -> list[Site]:
    """The Jira sites the grant reaches (a grant may also reach Confluence-only sites: those
    lack the Jira scopes and are left out)."""
    response = call(session, "GET", f"{settings.ATLASSIAN_API_URL}/oauth/token/"
                    "accessible-resources", what="listing your Jira sites",
                    headers={"Authorization": f"Bearer {access_token}",
                             "Accept": "application/json"})
    sites = []
    for resource in response.json() or []:
        scopes = resource.get("scopes") or []
        if scopes and not any(scope.endswith(":jira-work") for scope in scopes):
            continue
        if resource.get("id") and resource.get("url"):
            sites.append(Site(cloud_id=resource["id"], url=resource["url"].rstrip("/"),
                              name=resource.get("name") or resource["url"]))
    return sites
