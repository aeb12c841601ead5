"""Ledger references in words: each app describes its own prefix.

An entry's `reference` is a short pointer into the app that caused it (`ticket:14`, a Stripe
Checkout Session id `cs_…`, `account:7`). Pages that list movements ask `describe_references`
and never import the owning app: the app registers a describer for its prefix when it starts
(`AppConfig.ready`). A describer takes every reference of its prefix on a page at once and
answers with one query, so a page costs the same number of queries however long it is.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Described:
    """What a reference is, for people: "Ticket 'Export invoices as CSV'" and where it is."""

    text: str
    url: str = ""
    # The owner's short public id, for exports ("7k2m9x4p1q"); never a database id.
    public_id: str = ""


Describer = Callable[[list[str]], dict[str, Described]]

_DESCRIBERS: dict[str, Describer] = {}


def register_describer(prefix: str, describer: Describer) -> None:
    """Describe references starting with `prefix` by `describer` (registering the same prefix
    again replaces it: apps register once, from `ready`)."""
    _DESCRIBERS[prefix] = describer


def describe_references(references: Iterable[str]) -> dict[str, Described]:
    """Each known reference's description; unknown ones are left out (callers fall back to
    the entry's memo). One call per registered prefix that occurs."""
    by_prefix: dict[str, list[str]] = {}
    for reference in set(references):
        prefix = _prefix_of(reference)
        if prefix is not None:
            by_prefix.setdefault(prefix, []).append(reference)
    described: dict[str, Described] = {}
    for prefix, found in by_prefix.items():
        described.update(_DESCRIBERS[prefix](sorted(found)))
    return described


def _prefix_of(reference: str) -> str | None:
    matches = [prefix for prefix in _DESCRIBERS if reference.startswith(prefix)]
    return max(matches, key=len) if matches else None
