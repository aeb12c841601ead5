"""The quality check stored with every ticket (issue 13): written by each generation and each
edit, re-scored by `manage.py rescore_tickets`, shown on the card, filtered in the library and
carried by the exports; and the prompt version recorded on every generation."""

import csv
import io
import json
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from pypdf import PdfReader

from tests.builders import (
    GOOD_STORY,
    VAGUE_CRITERIA,
    clauses,
    client_for,
    finished_ticket,
    funded_user,
    generated_ticket,
    make_staff,
    request_ticket,
)
from tickets import services, views
from tickets.exports import ticket_markdown, tickets_pdf
from tickets.forms import criteria_to_text
from tickets.models import GenerationAttempt, Ticket
from tickets.providers import offline as offline_generator
from tickets.providers.prompts import PROMPT_VERSION
from tickets.quality import CHECK_VERSION, Scorecard, check_ticket

pytestmark = pytest.mark.django_db


def expected_report(ticket: Ticket) -> dict:
    return check_ticket(ticket.content(), description=ticket.description,
                        ticket_type=ticket.ticket_type).to_dict()


def rule(ticket: Ticket, key: str) -> dict:
    ticket.refresh_from_db()
    return next(rule for rule in ticket.quality_report["rules"] if rule["key"] == key)


def edit_form(ticket: Ticket, **overrides) -> dict:
    """The edit form as the browser posts it, prefilled from the ticket."""
    return {
        "title": ticket.title, "summary": ticket.summary, "user_story": ticket.user_story,
        "acceptance_criteria": criteria_to_text(ticket.acceptance_criteria),
        "priority": ticket.priority, "labels": ", ".join(ticket.labels),
        "story_points": ticket.story_points or "", "technical_notes": ticket.technical_notes,
        **overrides,
    }


@pytest.fixture
def signed_in(client, offline):
    user = funded_user(10)
    client.force_login(user)
    client.user = user
    return client


# --- written by generations and edits ----------------------------------------------------


def test_a_model_generation_stores_its_scorecard_and_prompt_version(fake_openrouter):
    user = funded_user(5)
    ticket = generated_ticket(user.token_account, owner=user)
    assert ticket.status == "succeeded"
    assert ticket.quality_report == expected_report(ticket)
    assert ticket.quality_report["version"] == CHECK_VERSION
    assert ticket.quality_score == ticket.quality_report["score"]
    assert ticket.scorecard == Scorecard.from_dict(ticket.quality_report)
    assert ticket.prompt_version == PROMPT_VERSION
    attempt = GenerationAttempt.objects.get(ticket=ticket)
    assert (attempt.outcome, attempt.prompt_version) == ("success", PROMPT_VERSION)


def test_an_offline_generation_records_the_offline_generators_version(offline):
    user = funded_user(5)
    ticket = generated_ticket(user.token_account, owner=user)
    assert ticket.generator == "offline"
    assert ticket.quality_report == expected_report(ticket)
    assert ticket.prompt_version == offline_generator.MODEL_NAME
    assert GenerationAttempt.objects.get(ticket=ticket).prompt_version == (
        offline_generator.MODEL_NAME
    )


def test_a_failed_or_running_generation_has_no_score(offline):
    user = funded_user(5)
    queued = request_ticket(user.token_account, owner=user)
    failed = request_ticket(user.token_account, owner=user)
    services.fail_ticket(ticket=failed, code="internal")
    for ticket in (queued, failed):
        ticket.refresh_from_db()
        assert (ticket.quality_report, ticket.quality_score) == (None, None)


def test_an_edit_rescores_the_ticket_and_the_page_shows_the_new_scorecard(signed_in):
    ticket = finished_ticket(signed_in.user, **GOOD_STORY)
    assert rule(ticket, "criteria_count")["passed"]
    before = ticket.quality_score
    url = reverse("tickets:edit", args=[ticket.public_id])

    flawed = criteria_to_text(VAGUE_CRITERIA)
    assert signed_in.post(url, edit_form(ticket, acceptance_criteria=flawed)).status_code == 302
    ticket.refresh_from_db()
    assert clauses(ticket.acceptance_criteria) == VAGUE_CRITERIA
    assert ticket.quality_report == expected_report(ticket)
    assert ticket.quality_score < before
    for key in ("criteria_count", "criteria_observable"):
        assert not rule(ticket, key)["passed"], key
    page = signed_in.get(reverse("tickets:detail", args=[ticket.public_id])).content.decode()
    scorecard = Scorecard.from_dict(ticket.quality_report)
    passing = len(scorecard.results) - len(scorecard.failing)
    assert f'data-score="{ticket.quality_score}"' in page
    assert f"{passing} of {len(scorecard.results)} checks pass" in page
    assert "Needs work" in page
    assert 'data-rule="criteria_count" data-passed="false"' in page
    assert rule(ticket, "criteria_count")["message"] in page

    good = criteria_to_text(GOOD_STORY["acceptance_criteria"])
    signed_in.post(url, edit_form(ticket, acceptance_criteria=good))
    ticket.refresh_from_db()
    assert ticket.quality_score == before
    assert rule(ticket, "criteria_count")["passed"]


def test_a_staff_edit_in_the_admin_rescores_the_ticket(offline):
    ticket = finished_ticket(funded_user(5), **GOOD_STORY)
    staff = client_for(make_staff(is_superuser=True))
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    form = staff.get(url).context["adminform"].form
    data = {name: "" if value is None else value
            for name, value in form.initial.items() if name in form.fields}
    data.update({
        "acceptance_criteria": json.dumps(VAGUE_CRITERIA), "labels": json.dumps(ticket.labels),
        "steps_to_reproduce": "[]", "story_points": ticket.story_points, "rating": "",
        "attempts-TOTAL_FORMS": 0, "attempts-INITIAL_FORMS": 0,
        "versions-TOTAL_FORMS": 0, "versions-INITIAL_FORMS": 0,
        "improvements-TOTAL_FORMS": 0, "improvements-INITIAL_FORMS": 0,
    })
    response = staff.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    ticket.refresh_from_db()
    assert clauses(ticket.acceptance_criteria) == VAGUE_CRITERIA
    assert ticket.quality_report == expected_report(ticket)
    assert not rule(ticket, "criteria_count")["passed"]
    # The staff edit is a version in the ticket's history, like the user's own edits.
    latest = ticket.versions.get(number=ticket.version)
    assert latest.source == "edited" and latest.note == "Edited by staff"
    assert latest.content["acceptance_criteria"] == VAGUE_CRITERIA


def test_an_edit_the_schema_refuses_leaves_the_scorecard_alone(signed_in):
    ticket = finished_ticket(signed_in.user, **GOOD_STORY)
    url = reverse("tickets:edit", args=[ticket.public_id])
    response = signed_in.post(url, edit_form(ticket, title="", acceptance_criteria="Given x"))
    assert response.status_code == 200
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.quality_report, stored.quality_score) == (ticket.quality_report,
                                                             ticket.quality_score)


def test_the_card_shows_a_scorecard_only_once_the_ticket_was_checked(signed_in):
    ticket = finished_ticket(signed_in.user, **GOOD_STORY)
    detail = reverse("tickets:detail", args=[ticket.public_id])
    assert "data-scorecard" in signed_in.get(detail).content.decode()
    Ticket.objects.filter(pk=ticket.pk).update(quality_report=None, quality_score=None)
    assert "data-scorecard" not in signed_in.get(detail).content.decode()
    queued = request_ticket(signed_in.user.token_account, owner=signed_in.user)
    status = signed_in.get(reverse("tickets:status", args=[queued.public_id]))
    assert "data-scorecard" not in status.content.decode()


# --- rescore_tickets -----------------------------------------------------------------------


def rescore(*args) -> str:
    out = StringIO()
    call_command("rescore_tickets", *args, stdout=out)
    return out.getvalue()


def test_rescore_tickets_scores_unchecked_and_outdated_tickets_once(offline):
    user = funded_user(10)
    unchecked = finished_ticket(user, **GOOD_STORY)
    outdated = finished_ticket(user, acceptance_criteria=VAGUE_CRITERIA)
    current = finished_ticket(user)
    failed = request_ticket(user.token_account, owner=user)
    services.fail_ticket(ticket=failed, code="internal")
    Ticket.objects.filter(pk=unchecked.pk).update(quality_report=None, quality_score=None)
    Ticket.objects.filter(pk=outdated.pk).update(
        quality_report={"score": 7, "version": "0", "rules": []}, quality_score=7)
    # A current report is left as stored (a sentinel score shows it was not rewritten).
    Ticket.objects.filter(pk=current.pk).update(quality_score=42)
    stamps = dict(Ticket.objects.values_list("pk", "updated_at"))

    assert "2 tickets scored" in rescore("--batch-size", "1")
    for ticket in (unchecked, outdated):
        ticket.refresh_from_db()
        assert ticket.quality_report == expected_report(ticket)
        assert ticket.quality_score == ticket.quality_report["score"]
    assert Ticket.objects.get(pk=current.pk).quality_score == 42
    assert Ticket.objects.get(pk=failed.pk).quality_report is None
    assert dict(Ticket.objects.values_list("pk", "updated_at")) == stamps

    assert "0 tickets scored" in rescore()
    assert "3 tickets scored" in rescore("--all")
    current.refresh_from_db()
    assert current.quality_score == expected_report(current)["score"]


# --- the library ---------------------------------------------------------------------------


def library(client, **params) -> str:
    return client.get(reverse("tickets:list"), params).content.decode()


def test_the_library_filters_by_quality_and_keeps_the_filter_across_pages(signed_in,
                                                                          monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    user = signed_in.user
    made = [finished_ticket(user, title=f"Ticket number {n}") for n in range(4)]
    Ticket.objects.filter(pk__in=[t.pk for t in made[:3]]).update(quality_score=60)
    Ticket.objects.filter(pk=made[3].pk).update(quality_score=100)
    unchecked = finished_ticket(user, title="Never checked")
    Ticket.objects.filter(pk=unchecked.pk).update(quality_report=None, quality_score=None)

    everything = library(signed_in)
    assert 'name="quality"' in everything and "Passes every check" in everything
    passing = library(signed_in, quality="passing")
    assert passing.count("data-ticket-row") == 1 and "Ticket number 3" in passing
    assert "Quality 100" in passing
    needs_work = library(signed_in, quality="needs_work")
    assert needs_work.count("data-ticket-row") == 2
    assert "Quality 60 · needs work" in needs_work
    assert "quality=needs_work&amp;page=2" in needs_work
    second = library(signed_in, quality="needs_work", page=2)
    assert second.count("data-ticket-row") == 1
    assert "Never checked" not in passing + needs_work + second
    assert "Ticket number 3" not in needs_work + second


def test_each_quality_filter_says_when_nothing_matches(signed_in):
    ticket = finished_ticket(signed_in.user)
    Ticket.objects.filter(pk=ticket.pk).update(quality_score=100)
    nothing = library(signed_in, quality="needs_work")
    assert "Nothing needs work" in nothing and "data-ticket-row" not in nothing
    Ticket.objects.filter(pk=ticket.pk).update(quality_score=55)
    nothing = library(signed_in, quality="passing")
    assert "No ticket here passes every check yet" in nothing
    assert "data-ticket-row" not in nothing


# --- exports -------------------------------------------------------------------------------


def test_the_exports_carry_the_scorecard(signed_in):
    checked = finished_ticket(signed_in.user, acceptance_criteria=VAGUE_CRITERIA)
    unchecked = finished_ticket(signed_in.user)
    Ticket.objects.filter(pk=unchecked.pk).update(quality_report=None, quality_score=None)
    data = json.loads(signed_in.get(reverse("tickets:export_many"), {"format": "json"}).content)
    by_id = {item["id"]: item for item in data["tickets"]}
    assert by_id[checked.public_id]["scorecard"] == checked.quality_report
    assert by_id[checked.public_id]["quality"] == "standard"  # the tier, as before
    assert by_id[unchecked.public_id]["scorecard"] is None
    rows = list(csv.DictReader(io.StringIO(
        signed_in.get(reverse("tickets:export_many"), {"format": "csv"}).content.decode()
    )))
    scores = {row["MyBA ID"]: row["MyBA quality score"] for row in rows}
    assert scores == {checked.public_id: str(checked.quality_score), unchecked.public_id: ""}


def test_the_markdown_and_pdf_name_the_score_and_leave_it_out_when_never_checked(signed_in):
    checked = finished_ticket(signed_in.user, acceptance_criteria=VAGUE_CRITERIA)
    unchecked = finished_ticket(signed_in.user)
    Ticket.objects.filter(pk=unchecked.pk).update(quality_report=None, quality_score=None)
    unchecked.refresh_from_db()
    score = f"{checked.quality_score}/100"
    assert checked.quality_score < 100
    assert f"**Quality check:** {score}" in ticket_markdown(checked)
    assert "Quality check" not in ticket_markdown(unchecked)
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(tickets_pdf(
        [checked, unchecked]))).pages]
    assert f"Quality {score}" in pages[0]
    assert not re.search(r"Quality \d+/100", "".join(pages[1:]))
