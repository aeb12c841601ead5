"""The ticket-kind registry: every kind is complete, and a new kind is one entry.

`spike` below is registered for one test at a time, with its card partial in a temporary
template directory, and nothing else in the code is touched: the forms, the schema, the
prompt, the offline generator, the chain, the exports and the card handle it. What one entry
cannot do is the database: `Ticket.ticket_type`'s choices and its CHECK constraint are read
from the registry when the model is defined, so a real new kind also needs the migration
`makemigrations` writes (`test_the_registry_matches_the_migrations` fails until it exists).
"""

import copy
import csv
import io
import json
import re
import uuid

import pytest
from django.core.management import call_command
from django.template.loader import get_template, render_to_string
from django.utils import timezone

from tickets import kinds
from tickets.exports import ticket_markdown, tickets_jira_csv, tickets_json, tickets_pdf
from tickets.forms import GenerateForm, LibraryFilterForm, TicketEditForm
from tickets.kinds import KIND_FIELDS, OfflineRules, TicketKind
from tickets.models import CONTENT_FIELDS, Ticket, TicketType
from tickets.providers import GenerationRequest, TicketSchemaError, generate, validate_ticket
from tickets.providers.offline import generate_offline
from tickets.providers.prompts import build_messages

from .fake_openrouter import success, ticket_json

# The issue types a new Jira Cloud project has; the CSV importer maps these without setup.
JIRA_DEFAULT_ISSUE_TYPES = {"Bug", "Story", "Task", "Epic", "Subtask"}
DESCRIPTION = (
    "When I open the invoices page and click Export the app crashes with an error. It should "
    "download a PDF. As an accountant I want the export to work so that I can file invoices."
)

SPIKE = TicketKind(
    value="spike",
    label="Spike",
    # A combination no built-in kind has: both kind-specific field groups.
    user_story=True,
    reproduction=True,
    instruction="Write a SPIKE: a time-boxed investigation. SPIKE-INSTRUCTION-MARKER.",
    jira_issue_type="Task",
    card_template="tickets/partials/kinds/spike.html",
    example="Find out whether the search service can answer in under 200 ms at 10x today's load.",
    offline=OfflineRules(criteria="done", title_prefix="Investigate: ", min_story_points=3),
)


@pytest.fixture
def spike(monkeypatch, settings, tmp_path):
    """The `spike` kind registered, with its card partial, for one test."""
    partial = tmp_path / SPIKE.card_template
    partial.parent.mkdir(parents=True)
    partial.write_text('<section data-spike-card>{{ ticket.user_story }}</section>')
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], tmp_path]
    settings.TEMPLATES = templates
    monkeypatch.setitem(kinds.KINDS, SPIKE.value, SPIKE)
    return SPIKE


def spike_json(**overrides) -> dict:
    """A valid spike as a model would return it: a user story and a bug report both."""
    return {**ticket_json("bug"), "type": "spike",
            "user_story": "As an accountant, I want exports so that I can file them",
            **overrides}


def spike_ticket(**fields) -> Ticket:
    """An unsaved finished spike (the database's constraint does not know it: see above)."""
    content = validate_ticket(spike_json(), ticket_type="spike")
    content.pop("type")
    return Ticket(pk=7, ticket_type="spike", quality="standard", status="succeeded",
                  description=DESCRIPTION, created_at=timezone.now(), **content, **fields)


# --- Every registered kind is complete and consistent --------------------------------------


@pytest.mark.parametrize("kind", kinds.KINDS.values(), ids=lambda kind: kind.value)
def test_each_kind_is_complete(kind):
    assert re.fullmatch(r"[a-z][a-z_]{0,15}", kind.value)  # fits Ticket.ticket_type
    assert kind.label and kind.instruction
    assert kind.jira_issue_type in JIRA_DEFAULT_ISSUE_TYPES
    assert kind.offline.criteria in ("fix", "outcome", "done")
    assert kind.offline.min_story_points >= 1
    assert set(kind.fields) <= set(KIND_FIELDS) <= set(CONTENT_FIELDS)
    get_template(kind.card_template)
    # The model's choices say the same as the registry.
    assert TicketType(kind.value).label == kind.label


@pytest.mark.parametrize("kind", kinds.KINDS.values(), ids=lambda kind: kind.value)
def test_each_kind_is_written_offline_and_validated_by_its_own_rules(kind):
    request = GenerationRequest(description=DESCRIPTION, ticket_type=kind.value,
                                quality="standard")
    content = generate_offline(request)
    assert content["type"] == kind.value
    for name in KIND_FIELDS:
        assert bool(content[name]) == (name in kind.fields), name
    assert content["story_points"] >= kind.offline.min_story_points
    assert content["title"].startswith(kind.offline.title_prefix)
    assert kind.instruction in build_messages(request)[1]["content"]


def test_the_model_reads_its_choices_and_constraint_from_the_registry():
    assert TicketType.choices == kinds.kind_choices()
    constraint = next(c for c in Ticket._meta.constraints if c.name == "tickets_type_valid")
    assert constraint.condition.children == [("ticket_type__in", kinds.kind_values())]


@pytest.mark.django_db
def test_the_registry_matches_the_migrations():
    """Same values and labels as the migrations: adding a kind means adding its migration."""
    call_command("makemigrations", "tickets", check=True, dry_run=True, verbosity=0)


def test_an_unknown_kind_is_refused_everywhere():
    with pytest.raises(kinds.UnknownKind):
        kinds.get_kind("spike")
    with pytest.raises(TicketSchemaError,
                       match="type must be one of bug, feature, task, story, epic"):
        validate_ticket(spike_json(), ticket_type="spike")
    form = GenerateForm({"ticket_type": "spike"})
    assert form.errors["ticket_type"] == ["Choose bug, feature, task, story or epic."]


# --- A new kind is one entry (plus its card partial) ----------------------------------------


def test_a_new_kind_is_offered_by_the_forms(spike):
    form = GenerateForm({"description": DESCRIPTION, "ticket_type": "spike",
                         "quality": "standard", "nonce": str(uuid.uuid4())})
    assert form.is_valid(), form.errors
    assert 'value="spike"' in str(form["ticket_type"]) and "Spike" in str(form["ticket_type"])
    refused = GenerateForm({"ticket_type": "saga"})
    assert refused.errors["ticket_type"] == ["Choose bug, feature, task, story, epic or spike."]
    assert ("spike", "Spike") in LibraryFilterForm().fields["type"].choices


def test_a_new_kind_is_edited_with_its_own_fields(spike):
    ticket = spike_ticket()
    form = TicketEditForm(ticket=ticket)
    assert {"user_story", "steps_to_reproduce", "expected_behaviour",
            "actual_behaviour"} <= set(form.fields)
    data = {**form.initial, "story_points": "3", "user_story": "Fix it",
            "steps_to_reproduce": ""}
    bad = TicketEditForm(data, ticket=ticket)
    assert not bad.is_valid()
    assert set(bad.errors) == {"user_story", "steps_to_reproduce"}


def test_a_new_kind_is_validated_by_the_schema(spike):
    content = validate_ticket(spike_json(), ticket_type="spike")
    assert content["type"] == "spike"
    assert content["user_story"].startswith("As an accountant")
    assert content["steps_to_reproduce"] == ["Open an invoice", "Click Download PDF"]
    with pytest.raises(TicketSchemaError) as excinfo:
        validate_ticket(spike_json(user_story="", steps_to_reproduce=[]), ticket_type="spike")
    assert "user_story must read" in str(excinfo.value)
    assert "steps_to_reproduce must list at least one step for a spike" in str(excinfo.value)


def test_a_new_kind_gets_its_prompt(spike):
    request = GenerationRequest(description=DESCRIPTION, ticket_type="spike", quality="standard")
    system, user = build_messages(request)
    assert '"type": "bug | feature | task | story | epic | spike"' in system["content"]
    assert "(feature, story, spike only; else empty)" in system["content"]
    assert "SPIKE-INSTRUCTION-MARKER" in user["content"]


def test_a_new_kind_is_written_by_the_offline_generator(spike, settings):
    settings.OPENROUTER_API_KEY = ""
    request = GenerationRequest(description=DESCRIPTION, ticket_type="spike", quality="standard")
    result = generate(request, record_attempt=lambda record: None)
    content = result.content
    assert result.provider == "offline"
    assert content == generate_offline(request)
    assert content["title"].startswith("Investigate: ")
    assert content["user_story"].startswith("As a")
    assert content["steps_to_reproduce"] and content["actual_behaviour"]
    assert content["story_points"] >= 3
    assert len(content["acceptance_criteria"]) >= 2


@pytest.mark.django_db
def test_a_new_kind_comes_from_a_model(spike, fake_openrouter):
    fake_openrouter.default = success("bug", **spike_json())
    request = GenerationRequest(description=DESCRIPTION, ticket_type="spike", quality="standard")
    result = generate(request, record_attempt=lambda record: None)
    assert (result.provider, result.content["type"]) == ("openrouter", "spike")
    sent = fake_openrouter.requests[0]["body"]["messages"][1]["content"]
    assert "SPIKE-INSTRUCTION-MARKER" in sent


def test_a_new_kind_is_exported_and_shown(spike):
    ticket = spike_ticket()
    markdown = ticket_markdown(ticket)
    assert "**Type:** Spike" in markdown
    assert "## User story" in markdown and "## Steps to reproduce" in markdown
    rows = list(csv.reader(io.StringIO(tickets_jira_csv([ticket]))))
    assert rows[1][3] == "Task" and "h3. Actual behavior" in rows[1][6]
    assert json.loads(tickets_json([ticket]))["tickets"][0]["type"] == "spike"
    assert tickets_pdf([ticket]).startswith(b"%PDF")
    card = render_to_string("tickets/partials/ticket_card.html",
                            {"ticket": ticket, "kind": spike})
    assert f"{ticket.public_id} · Spike · Standard" in card
    assert "<section data-spike-card>As an accountant" in card
