"""The Django admin's index as staff read it: one section per name, plurals in English."""

import re

import pytest


def admin_index(client) -> tuple[list[str], list[str]]:
    """The section headings and the model names listed on /admin/."""
    html = client.get("/admin/").content.decode()
    sections = re.findall(r'<caption>\s*<a [^>]*class="section"[^>]*>([^<]+)</a>', html)
    models = re.findall(r'<th scope="row"[^>]*>\s*<a [^>]*>([^<]+)</a>', html)
    return sections, models


@pytest.mark.django_db
def test_every_admin_section_has_its_own_heading(superuser_client):
    sections, _ = admin_index(superuser_client)
    assert len(sections) == len(set(sections)), sections
    # allauth's email addresses keep "Accounts"; our users, visitors and staff actions:
    assert "Accounts" in sections and "Users and visitors" in sections


@pytest.mark.django_db
def test_admin_model_names_are_english_plurals(superuser_client):
    _, models = admin_index(superuser_client)
    assert "Webhook retries" in models
    # "retrys", "entrys": a consonant before "ys" is Django's default plural gone wrong.
    assert [name for name in models if re.search(r"[^aeiou]ys$", name)] == []
