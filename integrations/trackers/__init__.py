"""Tracker clients by kind (one module per tracker, over `requests`)."""

from importlib import import_module

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


CLASSES = {"github": "GitHubTracker", "gitlab": "GitLabTracker", "jira": "JiraTracker"}


def tracker_class(kind: str) -> type[Tracker]:
    """The client class for a connection kind (its module is imported when first needed)."""
    return getattr(import_module(f"integrations.trackers.{kind}"), CLASSES[kind])
