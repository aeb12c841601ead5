"""Which language a page is in (the person's setting, else the browser's, else English), the
footer's switcher and the settings page's Language card, and the language tickets are
written in."""

import pytest
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from tests.builders import funded_user, request_ticket, ticket_form
from tickets import services
from tickets.models import Ticket

from ..tickets.fake_openrouter import PRIMARY

pytestmark = pytest.mark.django_db

SWITCH = reverse("accounts:switch_language")
LANGUAGES = reverse("accounts:languages")


def page_language(response) -> str:
    assert response.status_code == 200
    return response["Content-Language"]


def test_english_without_a_preference(client):
    response = client.get("/")
    assert page_language(response) == "en"
    assert '<html lang="en" dir="ltr"' in response.content.decode()


@pytest.mark.parametrize(("header", "language"), [
    ("es-ES,es;q=0.9,en;q=0.5", "es"),
    ("fr-CA", "fr"),
    ("de", "de"),
    ("pt-BR,it;q=0.8", "en"),  # nothing we offer: English
])
def test_the_browsers_language(client, header, language):
    response = client.get("/pricing/", HTTP_ACCEPT_LANGUAGE=header)
    assert page_language(response) == language
    assert "Accept-Language" in response["Vary"]


def test_arabic_pages_are_right_to_left(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="ar")
    assert page_language(response) == "ar"
    assert '<html lang="ar" dir="rtl"' in response.content.decode()


def test_a_visitor_switches_in_the_footer_and_keeps_it(client):
    response = client.get("/pricing/")
    assert 'action="/language/"' in response.content.decode()
    response = client.post(SWITCH, {"language": "de", "next": "/pricing/"},
                           HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 302 and response["Location"] == "/pricing/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    # The choice beats the browser's language from then on.
    assert page_language(client.get("/pricing/", HTTP_ACCEPT_LANGUAGE="es")) == "de"


def test_the_switcher_refuses_an_unknown_language_and_an_outside_next(client):
    response = client.post(SWITCH, {"language": "xx", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert settings.LANGUAGE_COOKIE_NAME not in client.cookies


def test_a_signed_in_persons_setting_follows_them_to_any_browser(client):
    user = funded_user(1)
    client.force_login(user)
    client.post(SWITCH, {"language": "fr", "next": "/tickets/"})
    user.refresh_from_db()
    assert user.language == "fr"
    # Another browser (no cookie) asking for Spanish still gets French.
    other = client.__class__()
    other.force_login(user)
    assert page_language(other.get("/account/settings/", HTTP_ACCEPT_LANGUAGE="es")) == "fr"


def test_settings_saves_both_languages(client):
    user = funded_user(1)
    client.force_login(user)
    page = client.get("/account/settings/").content.decode()
    assert 'name="ticket_language"' in page and 'name="language"' in page
    response = client.post(LANGUAGES, {"language": "es", "ticket_language": "ja"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.language, user.ticket_language) == ("es", "ja")
    assert page_language(client.get("/account/settings/")) == "es"
    # Back to automatic: the browser decides again.
    client.post(LANGUAGES, {"language": "", "ticket_language": ""})
    user.refresh_from_db()
    assert (user.language, user.ticket_language) == ("", "")
    assert page_language(client.get("/account/settings/", HTTP_ACCEPT_LANGUAGE="de")) == "de"


def test_settings_refuses_unknown_languages_and_changes_nothing(client):
    user = funded_user(1)
    User.objects.filter(pk=user.pk).update(language="de", ticket_language="fr")
    client.force_login(user)
    response = client.post(LANGUAGES, {"language": "klingon", "ticket_language": "fr"})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    user.refresh_from_db()
    assert (user.language, user.ticket_language) == ("de", "fr")


def test_a_tickets_language_is_the_setting_else_the_interface(rf, prices):
    user = funded_user(3)
    assert request_ticket(user.token_account, owner=user).language == "en"
    User.objects.filter(pk=user.pk).update(language="de")
    user.refresh_from_db()
    assert request_ticket(user.token_account, owner=user).language == "de"
    User.objects.filter(pk=user.pk).update(ticket_language="ja")
    user.refresh_from_db()
    assert request_ticket(user.token_account, owner=user).language == "ja"


def test_the_generator_submits_in_the_browsers_language(client, offline):
    user = funded_user(3)
    client.force_login(user)
    response = client.post(reverse("tickets:new"), ticket_form(), HTTP_ACCEPT_LANGUAGE="fr",
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert Ticket.objects.get(owner=user).language == "fr"


def test_the_model_is_asked_for_the_tickets_language(fake_openrouter):
    user = funded_user(3)
    User.objects.filter(pk=user.pk).update(ticket_language="es")
    user.refresh_from_db()
    ticket = request_ticket(user.token_account, owner=user)
    services.run_ticket_generation(ticket_id=ticket.pk)
    request = next(r for r in fake_openrouter.requests if r["body"]["model"] == PRIMARY)
    prompt = request["body"]["messages"][-1]["content"]
    assert "Write every field's text in Spanish" in prompt
    ticket.refresh_from_db()
    assert ticket.status == "succeeded" and ticket.written_language == "es"


def test_english_prompts_do_not_mention_a_language(fake_openrouter):
    user = funded_user(3)
    ticket = request_ticket(user.token_account, owner=user)
    services.run_ticket_generation(ticket_id=ticket.pk)
    prompt = fake_openrouter.requests[0]["body"]["messages"][-1]["content"]
    assert "Write every field's text" not in prompt


def test_the_offline_generator_writes_english_and_says_so(client, offline):
    user = funded_user(3)
    User.objects.filter(pk=user.pk).update(ticket_language="de")
    user.refresh_from_db()
    ticket = request_ticket(user.token_account, owner=user)
    services.run_ticket_generation(ticket_id=ticket.pk)
    ticket.refresh_from_db()
    assert (ticket.language, ticket.generator, ticket.written_language) == ("de", "offline", "en")
    client.force_login(user)
    page = client.get(reverse("tickets:detail", args=[ticket.public_id])).content.decode()
    assert "data-language-note" in page
    assert "Deutsch" in page


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "You are member."), ("es", "Eres miembro."), ("de", "Sie sind Mitglied.")])
def test_a_label_inside_a_sentence_keeps_the_capital_german_nouns_need(language, expected):
    page = Template("{% load i18n language_tags %}{% blocktranslate trimmed with role=label"
                    "|in_sentence %}You are {{ role }}.{% endblocktranslate %}")
    with translation.override(language):
        label = {"en": "Member", "es": "Miembro", "de": "Mitglied"}[language]
        assert page.render(Context({"label": label})) == expected
