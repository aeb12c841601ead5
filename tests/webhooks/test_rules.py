"""Who may manage a webhook, what a URL may be, the secret at rest, signatures, the sweep."""

import subprocess
import sys
import time
from datetime import timedelta

import pytest
import requests
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.teams.models import TeamEvent
from accounts.teams.selectors import WORKSPACE_SESSION_KEY
from accounts.webhooks import services
from accounts.webhooks.models import WebhookDelivery, WebhookEndpoint
from accounts.webhooks.sending import max_attempts, sweep_deliveries
from accounts.webhooks.signing import SignatureError, sign, verify_signature
from tests.builders import client_for, funded_user
from tests.helpers import wait_until

PAGE = reverse("webhooks:page")
EVENTS = ["ticket.completed", "ticket.failed"]


def in_team(user, team):
    client = client_for(user)
    session = client.session
    session[WORKSPACE_SESSION_KEY] = team.slug
    session.save()
    return client


def raw_secret_column(endpoint) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM accounts_webhookendpoint WHERE id = %s",
                       [endpoint.pk])
        return cursor.fetchone()[0]


# --- signatures ----------------------------------------------------------------------------


def test_a_signature_checks_out_and_any_tampering_is_detected():
    secret, body = "whsec_test", b'{"id":"evt_1","type":"ping"}'
    header = sign(secret, body)
    assert verify_signature(secret, header, body) == int(header[2:header.index(",")])
    assert verify_signature(secret, header, body.decode())  # a str body is the same bytes
    with pytest.raises(SignatureError):
        verify_signature(secret, header, body.replace(b"ping", b"pong"))
    with pytest.raises(SignatureError):
        verify_signature("whsec_other", header, body)
    with pytest.raises(SignatureError):
        verify_signature(secret, header.replace("t=", "t=1"), body)  # another timestamp
    with pytest.raises(SignatureError):
        verify_signature(secret, "", body)
    with pytest.raises(SignatureError):
        verify_signature(secret, "t=abc,v1=00", body)
    old = sign(secret, body, timestamp=int(time.time()) - 301)
    with pytest.raises(SignatureError, match="tolerance"):
        verify_signature(secret, old, body)
    assert verify_signature(secret, old, body, tolerance=600)


@pytest.mark.django_db(transaction=True)
def test_the_receiver_refuses_a_forged_request(receiver):
    receiver.secret = "whsec_real"
    body = b'{"id":"evt_forged","type":"ticket.completed"}'
    response = requests.post(receiver.url, data=body, timeout=5,
                             headers={"MyBA-Signature": sign("whsec_guessed", body)})
    assert response.status_code == 400
    assert not receiver.received[0].verified


# --- who may manage it ---------------------------------------------------------------------


def test_another_user_cannot_see_or_resend_your_deliveries(db, settings):
    settings.WEBHOOKS_ALLOW_HTTP_LOCALHOST = True
    alice, bob = funded_user(), funded_user()
    endpoint = services.save_webhook_endpoint(owner=alice, url="https://alice.example/hook",
                                              events=EVENTS, actor=alice)
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event_id="evt_alice",
                                              event_type="ping", payload={}, status="failed")
    page = client_for(alice).get(PAGE).content.decode()
    assert "evt_alice" in page and "alice.example" in page

    bob_client = client_for(bob)
    page = bob_client.get(PAGE).content.decode()
    assert "evt_alice" not in page and "alice.example" not in page
    assert bob_client.post(reverse("webhooks:resend", args=["evt_alice"])).status_code == 404
    for name in ("reveal", "rotate", "test", "delete"):
        assert bob_client.post(reverse(f"webhooks:{name}")).status_code == 404
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    with pytest.raises(PermissionDenied):
        services.rotate_webhook_secret(endpoint=endpoint, actor=bob)
    assert client_for().get(PAGE).status_code == 302  # signed out: to the sign-in page


@pytest.mark.parametrize("role", ["viewer", "member"])
def test_team_viewers_and_members_cannot_manage_the_team_endpoint(db, team, owner, add_member,
                                                                  role):
    endpoint = services.save_webhook_endpoint(organization=team, url="https://acme.example/h",
                                              events=EVENTS, actor=owner)
    WebhookDelivery.objects.create(endpoint=endpoint, event_id="evt_team", event_type="ping",
                                   payload={}, status="failed")
    user = add_member(role)
    client = in_team(user, team)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"url": "https://evil.example/h", "events": EVENTS}).status_code == 403
    assert client.post(reverse("webhooks:reveal")).status_code == 403
    assert client.post(reverse("webhooks:resend", args=["evt_team"])).status_code == 403
    assert client.post(reverse("webhooks:delete")).status_code == 403
    with pytest.raises(PermissionDenied):
        services.save_webhook_endpoint(organization=team, url="https://evil.example/h",
                                       events=EVENTS, actor=user)
    endpoint.refresh_from_db()
    assert endpoint.url == "https://acme.example/h"
    # Their personal page is their own, not the team's.
    personal = client_for(user).get(PAGE)
    assert personal.status_code == 200 and "acme.example" not in personal.content.decode()


def test_a_team_admin_manages_the_endpoint_and_the_audit_log_says_so(db, team, add_member):
    admin = add_member("admin")
    client = in_team(admin, team)
    response = client.post(PAGE, {"url": "https://acme.example/hooks", "events": EVENTS,
                                  "active": "on"})
    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get(organization=team)
    assert endpoint.owner is None and endpoint.events == EVENTS and endpoint.active
    page = client.post(reverse("webhooks:reveal")).content.decode()
    assert endpoint.secret in page and "Acme" in page
    assert client.post(reverse("webhooks:rotate")).status_code == 302
    assert client.post(reverse("webhooks:delete")).status_code == 302
    assert not WebhookEndpoint.objects.exists()
    actions = list(TeamEvent.objects.filter(organization=team, actor=admin)
                   .order_by("id").values_list("action", "subject"))
    assert actions == [("webhook_set", "https://acme.example/hooks"),
                       ("webhook_rotated", "https://acme.example/hooks"),
                       ("webhook_deleted", "https://acme.example/hooks")]


def test_one_endpoint_per_workspace_saving_again_replaces_it(db):
    user = funded_user()
    first = services.save_webhook_endpoint(owner=user, url="https://a.example/h", events=EVENTS,
                                           actor=user)
    second = services.save_webhook_endpoint(owner=user, url="https://b.example/h",
                                            events=["ticket.failed"], actor=user, active=False)
    assert first.pk == second.pk and second.secret == first.secret
    assert WebhookEndpoint.objects.get().url == "https://b.example/h"


# --- what a URL may be ---------------------------------------------------------------------


@pytest.mark.parametrize(("url", "allowed"), [
    ("https://hooks.example.com/myba", True),
    ("http://hooks.example.com/myba", False),
    ("ftp://hooks.example.com/myba", False),
    ("not a url", False),
    ("https://10.0.0.5/hook", False),
    ("https://169.254.169.254/latest", False),
    ("https://127.0.0.1/hook", False),
    ("http://127.0.0.1:8080/hook", False),
    ("http://localhost/hook", False),
])
def test_webhook_urls_must_be_https_to_a_public_host(db, settings, url, allowed):
    settings.DEBUG = False
    settings.WEBHOOKS_ALLOW_HTTP_LOCALHOST = False
    user = funded_user()
    if allowed:
        services.save_webhook_endpoint(owner=user, url=url, events=EVENTS, actor=user)
    else:
        with pytest.raises(services.WebhookError):
            services.save_webhook_endpoint(owner=user, url=url, events=EVENTS, actor=user)


def test_localhost_over_http_is_allowed_for_development(db, settings):
    settings.WEBHOOKS_ALLOW_HTTP_LOCALHOST = True
    user = funded_user()
    endpoint = services.save_webhook_endpoint(owner=user, url="http://127.0.0.1:9/h",
                                              events=EVENTS, actor=user)
    assert endpoint.url == "http://127.0.0.1:9/h"


def test_the_form_shows_what_is_wrong(db):
    user = funded_user()
    response = client_for(user).post(PAGE, {"url": "http://hooks.example.com/x", "events": []})
    assert response.status_code == 400
    page = response.content.decode()
    assert "must start with https://" in page and "Choose at least one event" in page
    assert not WebhookEndpoint.objects.exists()


# --- the secret at rest --------------------------------------------------------------------


def test_the_signing_secret_is_not_stored_in_plain_text(db):
    user = funded_user()
    endpoint = services.save_webhook_endpoint(owner=user, url="https://a.example/h",
                                              events=EVENTS, actor=user)
    assert endpoint.secret.startswith("whsec_") and len(endpoint.secret) > 40
    raw = raw_secret_column(endpoint)
    assert endpoint.secret not in raw and "whsec_" not in raw
    assert WebhookEndpoint.objects.get().secret == endpoint.secret
    assert client_for(user).get(PAGE).content.decode().count(endpoint.secret) == 0


def test_rotate_encryption_re_encrypts_under_the_new_key(db, settings):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [old_key]
    user = funded_user()
    endpoint = services.save_webhook_endpoint(owner=user, url="https://a.example/h",
                                              events=EVENTS, actor=user)
    before = raw_secret_column(endpoint)

    settings.ENCRYPTION_KEYS = [new_key, old_key]
    assert WebhookEndpoint.objects.get().secret == endpoint.secret  # both keys read
    call_command("rotate_encryption", stdout=open("/dev/null", "w"))  # noqa: SIM115
    after = raw_secret_column(endpoint)
    assert after != before

    settings.ENCRYPTION_KEYS = [new_key]  # the old key dropped
    assert WebhookEndpoint.objects.get().secret == endpoint.secret
    settings.ENCRYPTION_KEYS = [old_key]
    with pytest.raises(ImproperlyConfigured, match="MYBA_ENCRYPTION_KEYS"):
        WebhookEndpoint.objects.get()


@pytest.mark.parametrize(("keys", "message"), [
    ("", "MYBA_ENCRYPTION_KEYS is not set"),
    ("not-a-key", "key 1 is not a Fernet key"),
])
def test_production_refuses_to_start_without_a_valid_encryption_key(settings, keys, message):
    env = {"DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "0", "SECRET_KEY": "x" * 50,
           "MYBA_ENCRYPTION_KEYS": keys, "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", "import config.settings"], env=env,
                            capture_output=True, text=True, timeout=60, check=False,
                            cwd=settings.BASE_DIR)
    assert result.returncode != 0 and message in result.stderr


# --- the sweep -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_sweep_recovers_lapsed_claims_and_finds_due_deliveries(tasks_inline, receiver,
                                                                   subscribe):
    endpoint = subscribe(funded_user())
    now = timezone.now()
    past = now - timedelta(seconds=5)

    def make(event_id, **fields):
        return WebhookDelivery.objects.create(endpoint=endpoint, event_id=event_id,
                                              event_type="ping", payload={"id": event_id},
                                              **fields)

    lapsed = make("evt_lapsed", status="delivering", attempts=1, next_attempt_at=past)
    last = make("evt_last", status="delivering", attempts=max_attempts(), next_attempt_at=past)
    due = make("evt_due", status="pending", attempts=2, next_attempt_at=past)
    later = make("evt_later", status="pending", attempts=1,
                 next_attempt_at=now + timedelta(hours=1))
    claimed = make("evt_claimed", status="delivering", attempts=1,
                   next_attempt_at=now + timedelta(seconds=60))

    assert set(sweep_deliveries(now=now)) == {lapsed.pk, due.pk}
    statuses = dict(WebhookDelivery.objects.values_list("event_id", "status"))
    assert statuses == {"evt_lapsed": "pending", "evt_last": "failed", "evt_due": "pending",
                        "evt_later": "pending", "evt_claimed": "delivering"}
    assert "interrupted" in WebhookDelivery.objects.get(pk=last.pk).last_error

    from accounts.webhooks.tasks import sweep_deliveries_task

    assert sweep_deliveries_task() == 2
    wait_until(lambda: {r.event["id"] for r in receiver.received} == {"evt_lapsed", "evt_due"})
    assert later.pk and claimed.pk
