"""Jira Cloud: the client (client.py), Atlassian Document Format (adf.py), the field mapping
read from create metadata (mapping.py) and Atlassian OAuth 2.0 3LO (oauth.py)."""

from integrations.trackers.jira.client import JiraTracker

__all__ = ["JiraTracker"]
