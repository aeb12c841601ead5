"""Connecting jira (filled in by the jira client's work)."""

urlpatterns = []
