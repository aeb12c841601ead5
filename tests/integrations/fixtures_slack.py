"""Fixtures for the slack fake (real HTTP on 127.0.0.1)."""
