"""API keys: shown once, stored as a hash, refused when revoked, expired, out of scope or
from an address outside their allow-list; managed on /account/api-keys/ and by staff."""

import hashlib
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts.apikeys.models import ApiKey, ApiKeyEvent
from accounts.apikeys.services import create_api_key, revoke_api_key
from accounts.services import close_user_account
from tests.api.conftest import ALL_SCOPES, ApiClient, error_of
from tests.builders import client_for, make_verified_user


def test_only_the_hash_is_stored(api_user):
    issued = create_api_key(actor=api_user, name="CI", scopes=ALL_SCOPES)
    assert issued.secret.startswith(f"myba_live_{issued.key.prefix}_")
    stored = ApiKey.objects.values().get(pk=issued.key.pk)
    assert issued.secret not in str(stored)
    assert stored["secret_hash"] == hashlib.sha256(issued.secret.encode()).hexdigest()


@pytest.mark.parametrize("header", [None, "Bearer nope", "Bearer myba_live_abcdefgh_wrong",
                                    "Token myba_live_x"])
def test_a_missing_or_wrong_key_is_a_401(api, header):
    headers = {"Authorization": header} if header else {}
    response = api.client.get("/api/v1/balance", headers=headers)
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_api_key"


def test_a_wrong_secret_with_a_real_prefix_is_refused(api):
    forged = api.key[:-4] + "AAAA"
    assert ApiClient(forged).get("/balance").status_code == 401


def test_revoking_takes_effect_at_once_even_with_the_key_cached(api, api_user):
    assert api.get("/balance").status_code == 200  # now in the cache
    key = ApiKey.objects.get()
    with api.committing():
        assert revoke_api_key(key=key, actor=api_user)
    response = api.get("/balance")
    assert response.status_code == 401 and error_of(response)["code"] == "api_key_revoked"
    assert not revoke_api_key(key=key, actor=api_user)  # once
    assert list(key.events.values_list("action", flat=True)) == ["revoked", "created"]


def test_an_expired_key_is_refused(issue_key):
    api = ApiClient(issue_key(expires_at=timezone.now() - timedelta(seconds=1)))
    response = api.get("/balance")
    assert response.status_code == 401 and error_of(response)["code"] == "api_key_expired"


def test_scopes_are_enforced(issue_key):
    reader = ApiClient(issue_key(scopes=["tickets:read"]))
    assert reader.get("/tickets").status_code == 200
    for response in (reader.post("/tickets", {"description": "x" * 40}),
                     reader.get("/balance")):
        assert response.status_code == 403
        assert error_of(response)["code"] == "insufficient_scope"


def test_the_ip_allow_list(issue_key):
    key = issue_key(allowed_ips=["10.0.0.0/8"])
    inside = ApiClient(key, REMOTE_ADDR="10.1.2.3")
    outside = ApiClient(key, REMOTE_ADDR="203.0.113.9")
    assert inside.get("/balance").status_code == 200
    response = outside.get("/balance")
    assert response.status_code == 403 and error_of(response)["code"] == "ip_not_allowed"


def test_last_use_is_written_at_most_once_a_minute(api, django_assert_num_queries):
    api.get("/balance")
    key = ApiKey.objects.get()
    assert key.last_used_at is not None and key.last_used_ip == "127.0.0.1"
    ApiKey.objects.update(last_used_at=None)
    api.get("/balance")
    assert ApiKey.objects.get().last_used_at is None  # noted a moment ago: no write
    cache.clear()
    api.get("/balance")
    assert ApiKey.objects.get().last_used_at is not None


def test_closing_the_account_revokes_its_keys(api, api_user):
    assert api.get("/balance").status_code == 200
    with api.committing():
        close_user_account(user=api_user)
    assert error_of(api.get("/balance"))["code"] == "api_key_revoked"


def test_the_page_shows_a_new_key_once_and_revokes(api_user):
    client = client_for(api_user)
    assert b"No API keys yet" in client.get("/account/api-keys/").content
    response = client.post("/account/api-keys/", {
        "name": "Bug filer", "scopes": ["tickets:write", "tickets:read"], "expires_in": "30",
        "daily_budget": "5", "allowed_ips": "10.0.0.0/8\n192.168.1.7"})
    assert response.status_code == 302
    shown = client.get("/account/api-keys/")
    secret = shown.context["issued"]["secret"]
    assert secret.encode() in shown.content
    key = ApiKey.objects.get()
    assert key.daily_budget == 5 and key.allowed_ips == ["10.0.0.0/8", "192.168.1.7/32"]
    assert key.expires_at > timezone.now() + timedelta(days=29)
    again = client.get("/account/api-keys/")
    assert secret.encode() not in again.content and b"Bug filer" in again.content
    client.post(f"/account/api-keys/{key.pk}/revoke/")
    assert ApiKey.objects.get().revoked_at is not None


@pytest.mark.parametrize(("form", "message"), [
    ({"name": "", "scopes": ["tickets:read"]}, b"Give the key a name"),
    ({"name": "x"}, b"Choose at least one"),
    ({"name": "x", "scopes": ["tickets:read"], "allowed_ips": "not-an-ip"}, b"not an IP"),
    ({"name": "x", "scopes": ["tickets:read"], "daily_budget": "-1"}, b"greater than or equal"),
])
def test_bad_key_forms_rerender_and_write_nothing(api_user, form, message):
    response = client_for(api_user).post("/account/api-keys/", form)
    assert response.status_code == 400 and message in response.content
    assert not ApiKey.objects.exists()


def test_someone_elses_key_cannot_be_revoked(api_user, issue_key):
    issue_key()
    key = ApiKey.objects.get()
    other = client_for(make_verified_user(email="other@example.com"))
    assert other.post(f"/account/api-keys/{key.pk}/revoke/").status_code == 404
    assert ApiKey.objects.get().revoked_at is None


def test_staff_revoke_any_key_from_the_admin(superuser_client, issue_key):
    issue_key()
    key = ApiKey.objects.get()
    response = superuser_client.post("/admin/accounts/apikey/", {
        "action": "revoke", "_selected_action": [key.pk]}, follow=True)
    assert b"Revoked 1 key" in response.content
    assert ApiKeyEvent.objects.filter(key=key, action="revoked_by_staff").exists()
