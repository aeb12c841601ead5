"""Hostile query values never answer 5xx: every GET page of the dashboard, billing, tickets and
accounts, swept with NUL bytes, huge and negative numbers, far dates and odd unicode, as
staff, as a signed-in user and anonymously, with DEBUG off (issue 11 §5); and every list of
the Django admin, searched and filtered the same way by a superuser."""

from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.builders import client_for, make_staff
from tests.factories import UserFactory

HUGE = "9" * 30
HOSTILE = [
    "a\x00b",
    "\x01\x1f\x7f",
    HUGE,
    "-1",
    "-" + HUGE,
    "1e309",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2026-02-30",
    "ünï ☃ 💥 \u202e",
    "' OR 1=1 --",
    "x" * 5000,
]

# Every GET page and the query parameters it reads.
PAGES = {
    "/dashboard/": ["range", "from", "to", "format"],
    "/dashboard/funnel/": ["range", "from", "to", "format"],
    "/dashboard/users/": ["q", "sort", "page", "format"],
    "/dashboard/audit/": ["page", "format"],
    "/dashboard/webhooks/": ["status", "range", "from", "to", "format"],
    "/dashboard/generations/": ["range", "from", "to", "format"],
    "/dashboard/health/": ["format"],
    "/pricing/": [],
    "/billing/": ["page"],
    "/billing/success/": ["session_id", "poll"],
    "/billing/cancel/": [],
    "/tickets/": ["q", "type", "created_from", "created_to", "page"],
    "/tickets/new/": ["from"],
    "/tickets/export/": ["format", "ids"],
    "/account/settings/": [],
    "/account/balance/": [],
    "/": [],
}
# Pages whose path carries an id: the user converter takes any digits; a ticket's public id
# is 10 characters (a database id, however long, names no ticket).
ID_PATHS = [
    f"/dashboard/users/{HUGE}/",
    f"/tickets/{HUGE}/",
    "/tickets/0000000000/",
    "/tickets/0000000000/status/",
    "/tickets/0000000000/edit/",
    "/tickets/0000000000/export/md/",
]


def client_as(who: str):
    """A client that answers 500 instead of raising, as a user would see it."""
    user = {"anonymous": lambda: None, "user": UserFactory, "staff": make_staff}[who]()
    return client_for(user, raise_request_exception=False)


def requests():
    for path, names in PAGES.items():
        yield path, {}
        for value in HOSTILE:
            for name in names:
                yield path, {name: value}
            if names:
                yield path, dict.fromkeys(names, value)
            if "range" in names:
                yield path, {"range": "custom", "from": value, "to": value}
                yield path, {"range": "custom", "from": value, "to": "2026-01-01"}
    for path in ID_PATHS:
        yield path, {}


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["staff", "user", "anonymous"])
def test_no_hostile_query_value_answers_5xx(settings, who):
    settings.DEBUG = False
    client = client_as(who)
    failures = []
    for path, params in requests():
        status = client.get(path, params).status_code
        if status >= 500:
            failures.append((status, path, params))
    assert not failures, "\n".join(map(repr, failures))


@pytest.mark.django_db
def test_staff_posts_with_hostile_values_answer_no_5xx(settings):
    settings.DEBUG = False
    client = client_as("staff")
    failures = []
    for value in HOSTILE:
        query = urlencode({"range": "custom", "from": value, "to": value})
        for path, data in [
            (f"/dashboard/refresh/?{query}", {}),
            (f"/dashboard/webhooks/{HUGE}/retry/", {"reason": value}),
            (f"/dashboard/users/{HUGE}/adjust/", {"amount": value, "reason": value}),
            (f"/dashboard/users/{HUGE}/deactivate/", {"reason": value}),
        ]:
            status = client.post(path, data).status_code
            if status >= 500:
                failures.append((status, path, data))
    assert not failures, "\n".join(map(repr, failures))


def admin_lists():
    for model in sorted(admin.site._registry, key=lambda m: m._meta.label):
        yield pytest.param(model._meta.label, id=model._meta.label)


@pytest.mark.django_db
@pytest.mark.parametrize("label", list(admin_lists()))
def test_admin_lists_answer_hostile_searches_and_filters_without_5xx(settings, label):
    settings.DEBUG = False
    model = next(m for m in admin.site._registry if m._meta.label == label)
    client = client_for(make_staff(is_superuser=True), raise_request_exception=False)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    requests = [{"q": value} for value in ["x", "\x00", HUGE, "-1", "0001-01-01", "ünï ☃ 💥"]]
    requests += [{"id__exact": "\x00"}, {"p": HUGE}, {"o": "\x00"}]
    failures = []
    for params in requests:
        status = client.get(url, params).status_code
        if status >= 500:
            failures.append((status, url, params))
    assert not failures, "\n".join(map(repr, failures))
