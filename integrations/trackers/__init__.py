"""Tracker clients by kind (one module per tracker, over `requests`)."""

from integrations.trackers.base import (
    Destination,
    Draft,
    Grant,
    PreviewRow,
    Remote,
    Tracker,
    TrackerError,
)

__all__ = ["Destination", "Draft", "Grant", "PreviewRow", "Remote", "Tracker", "TrackerError",
           "tracker_class"]


def tracker_class(kind: str) -> type[Tracker]:
    """The client class for a connection kind."""
    from integrations.trackers import github, gitlab, jira

    return {"github": github.GitHubTracker, "gitlab": gitlab.GitLabTracker,
            "jira": jira.JiraTracker}[kind]
