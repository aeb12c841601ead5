"""Fixtures for the github fake (real HTTP on 127.0.0.1)."""
