"""Fixtures for the jira fake (real HTTP on 127.0.0.1)."""
