"""Fixtures for the gitlab fake (real HTTP on 127.0.0.1)."""
