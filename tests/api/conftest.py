"""The public API: a funded user, keys issued through the service, and a client that speaks
to /api/v1 with a bearer key."""

import pytest
from django.test import Client

from accounts.apikeys.models import Scope
from accounts.apikeys.services import create_api_key
from tests.builders import funded_user

ALL_SCOPES = list(Scope.values)


class ApiClient:
    """Django's test client, sending `Authorization: Bearer <key>` and JSON bodies."""

    def __init__(self, key: str | None, committing=None, **client_options):
        self.key = key
        self.client = Client(**client_options)
        self.committing = committing  # run each request's after-commit work (and tasks)

    def _headers(self, headers):
        base = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        return base | (headers or {})

    def _send(self, method, path, *args, headers=None, **kwargs):
        send = getattr(self.client, method)
        if self.committing is None:
            return send(f"/api/v1{path}", *args, headers=self._headers(headers), **kwargs)
        with self.committing():
            return send(f"/api/v1{path}", *args, headers=self._headers(headers), **kwargs)

    def get(self, path, headers=None, **params):
        return self._send("get", path, params, headers=headers)

    def post(self, path, body=None, headers=None):
        return self._send("post", path, body or {}, content_type="application/json",
                          headers=headers)

    def patch(self, path, body=None, headers=None):
        return self._send("patch", path, body or {}, content_type="application/json",
                          headers=headers)

    def delete(self, path, headers=None):
        return self._send("delete", path, headers=headers)


@pytest.fixture
def api_user(db, prices):
    return funded_user(20, email="api@example.com")


@pytest.fixture
def issue_key(api_user):
    """issue_key(scopes=all, user=api_user, **options) -> the secret of a new key."""
    def issue(scopes=None, *, user=None, **options) -> str:
        user = user or api_user
        return create_api_key(actor=user, name="CI", scopes=scopes or ALL_SCOPES,
                              **options).secret

    return issue


@pytest.fixture
def api(issue_key, committing):
    """A client with a key holding every scope on `api_user`'s own account; what a request
    sends after its commit (the generation) runs inline before the answer is read."""
    return ApiClient(issue_key(), committing)


def error_of(response) -> dict:
    """The error contract's body, checked to be one."""
    body = response.json()
    assert set(body) == {"error"} and {"code", "message", "details"} <= set(body["error"])
    return body["error"]
