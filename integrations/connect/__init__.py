"""How each tracker's credentials are obtained (OAuth, app installation, a pasted token):
one module per tracker, each with its `urlpatterns`. Every flow ends by creating the
connection (services.connections.create_connection) and sending the user to choose where
issues go (`integrations:target`)."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Flow:
    kind: str
    label: str
    url: str
    help: object  # a lazily translated str


FLOWS = (
    ("github", "GitHub", "integrations:github_connect",
     _("A repository, through the MyBA GitHub App or a fine-grained personal access token.")),
    ("gitlab", "GitLab", "integrations:gitlab_connect",
     _("A project on gitlab.com or your own GitLab, with OAuth or a project access token.")),
    ("jira", "Jira Cloud", "integrations:jira_connect",
     _("A Jira Cloud project and issue type, through Atlassian's sign-in (OAuth 2.0).")),
)


def available_flows() -> list[Flow]:
    """The trackers a workspace can connect, with where each flow starts."""
    flows = []
    for kind, label, name, help_text in FLOWS:
        try:
            flows.append(Flow(kind, label, reverse(name), help_text))
        except NoReverseMatch:
            continue
    return flows
