"""Prompt versions as data (issue 16): the live version's words are what the model receives,
a version a generation used is frozen (model layer, service, database, admin), each ticket's
A/B arm is decided once from its public id, and the split matches the experiment's share."""

import math

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import StaffAction
from tests.builders import funded_user, generated_ticket, request_ticket
from tests.tickets.fake_openrouter import PRIMARY
from tickets.models import PromptExperiment, PromptVersion, PromptVersionFrozen, Ticket
from tickets.models.prompts import SHAPE_PLACEHOLDER
from tickets.providers.prompts import PROMPT_VERSION, SYSTEM_PROMPT, system_message
from tickets.providers.schema import json_shape
from tickets.services import prompts as prompt_services

pytestmark = pytest.mark.django_db

SYSTEM = "You are the v4 ticket writer. Reply with JSON with these keys:\n{shape}\nBe brief."
INSTRUCTION = "V4 INSTRUCTION: write one user story."


def version(label="v4", *, ticket_type="story", system=SYSTEM, instruction=INSTRUCTION,
            live=False) -> PromptVersion:
    made = prompt_services.create_prompt_version(
        ticket_type=ticket_type, label=label, system_prompt=system,
        instruction=f"{instruction} ({label})")
    if live:
        PromptVersion.objects.filter(pk=made.pk).update(live=True)
        made.refresh_from_db()
    return made


def sent_messages(fake, index=0) -> list[dict]:
    return fake.requests[index]["body"]["messages"]


def test_the_live_versions_words_are_what_the_model_receives(fake_openrouter):
    live = version(live=True)
    version("v5")  # not live: never sent
    user = funded_user(tokens=5)

    ticket = generated_ticket(user.token_account, owner=user)

    system, prompt = sent_messages(fake_openrouter)[:2]
    assert system["content"] == SYSTEM.replace(SHAPE_PLACEHOLDER, json_shape())
    assert prompt["content"].startswith(f"{INSTRUCTION} (v4)\n")
    assert (ticket.prompt, ticket.prompt_experiment, ticket.prompt_version) == (live, None, "v4")
    assert list(ticket.attempts.values_list("model_name", "prompt_version")) == [(PRIMARY, "v4")]
    live.refresh_from_db()
    assert live.is_frozen


def test_without_a_live_version_the_code_prompt_is_sent(fake_openrouter):
    version("v4", ticket_type="bug", live=True)  # another type's version changes nothing
    user = funded_user(tokens=5)

    ticket = generated_ticket(user.token_account, owner=user)

    assert sent_messages(fake_openrouter)[0]["content"] == system_message(SYSTEM_PROMPT)
    assert (ticket.prompt, ticket.prompt_version) == (None, PROMPT_VERSION)


def test_the_offline_generator_keeps_its_own_label(offline):
    live = version(live=True)
    user = funded_user(tokens=5)

    ticket = generated_ticket(user.token_account, owner=user)

    # Assigned the live version (the record of the arm), produced by rules that read no prompt.
    assert ticket.prompt == live
    assert ticket.generator == "offline" and ticket.prompt_version == ticket.model_name


def test_a_used_version_is_frozen_in_the_model_the_service_and_the_database(fake_openrouter):
    used = version(live=True)
    user = funded_user(tokens=5)
    generated_ticket(user.token_account, owner=user)
    used.refresh_from_db()

    used.system_prompt = SYSTEM + " Changed."
    with pytest.raises(PromptVersionFrozen):
        used.save()
    with pytest.raises(PromptVersionFrozen):
        prompt_services.edit_prompt_version(
            version=used, label="v4", system_prompt=SYSTEM, instruction="Something else",
            notes="")
    with pytest.raises(IntegrityError), transaction.atomic():
        PromptVersion.objects.filter(pk=used.pk).update(instruction="Past every check")
    # Notes are not part of what was sent.
    prompt_services.edit_prompt_version(version=used, label="v4", system_prompt=SYSTEM,
                                        instruction=f"{INSTRUCTION} (v4)", notes="Worked well")
    used.refresh_from_db()
    assert (used.system_prompt, used.instruction, used.notes) == (
        SYSTEM, f"{INSTRUCTION} (v4)", "Worked well")


def test_an_unused_version_can_be_edited_and_a_prompt_must_keep_its_shape():
    draft = version()
    prompt_services.edit_prompt_version(version=draft, label="v4b", system_prompt=SYSTEM,
                                        instruction="Better words", notes="")
    draft.refresh_from_db()
    assert (draft.label, draft.instruction) == ("v4b", "Better words")

    with pytest.raises(ValidationError, match="placeholder"):
        prompt_services.create_prompt_version(ticket_type="story", label="v9",
                                              system_prompt="No shape here", instruction="x")
    assert not PromptVersion.objects.filter(label="v9").exists()


def test_only_one_version_is_live_per_type(staff):
    first, second = version("v4", live=True), version("v5")
    prompt_services.make_prompt_version_live(version=second, actor=staff, reason="Try v5")
    assert list(PromptVersion.objects.filter(live=True)) == [second]
    first.refresh_from_db()
    assert not first.live
    with pytest.raises(IntegrityError), transaction.atomic():
        PromptVersion.objects.filter(pk=first.pk).update(live=True)
    assert StaffAction.objects.get().action == prompt_services.ACTION_LIVE


def test_the_split_matches_the_share_over_many_assignments():
    # 20,000 hash assignments at 20%: the binomial sd is 57; 4 sd is 228 (1.1 points).
    for share in (20, 50):
        assignments = 20_000
        hits = sum(prompt_services.in_candidate_arm(
            public_id=f"{index:010d}", experiment_id=7, share=share)
            for index in range(assignments))
        sd = math.sqrt(assignments * share / 100 * (1 - share / 100))
        assert abs(hits - assignments * share / 100) < 4 * sd, (share, hits)


def test_real_generations_split_by_the_share_and_each_arm_sends_its_own_words(
        fake_openrouter, staff):
    control, candidate = version("v4"), version("v5")
    experiment = prompt_services.start_prompt_experiment(
        control=control, candidate=candidate, candidate_share=30, actor=staff,
        reason="Does v5 write better stories?")
    user = funded_user(tokens=200)
    generations = 120

    tickets = [generated_ticket(user.token_account, owner=user) for _ in range(generations)]

    arms = [ticket.prompt for ticket in tickets]
    assert {ticket.prompt_experiment for ticket in tickets} == {experiment}
    sd = math.sqrt(generations * 0.3 * 0.7)  # 5.0
    assert abs(arms.count(candidate) - generations * 0.3) < 4 * sd
    # Each ticket got its arm's words, and its attempts record its arm's label.
    for index, ticket in enumerate(tickets):
        assert sent_messages(fake_openrouter, index)[1]["content"].startswith(
            ticket.prompt.instruction)
        assert set(ticket.attempts.values_list("prompt_version", flat=True)) == {
            ticket.prompt.label}
        assert ticket.prompt == (candidate if prompt_services.in_candidate_arm(
            public_id=ticket.public_id, experiment_id=experiment.pk, share=30) else control)
    action = StaffAction.objects.get(action=prompt_services.ACTION_START)
    assert action.actor == staff and action.details["candidate"] == "v5"


def test_a_ticket_keeps_its_arm_on_a_retried_run(offline, staff):
    control, candidate = version("v4"), version("v5")
    experiment = prompt_services.start_prompt_experiment(
        control=control, candidate=candidate, candidate_share=50, actor=staff, reason="A/B")
    user = funded_user(tokens=5)
    ticket = request_ticket(user.token_account, owner=user)

    first = prompt_services.assign_prompt(ticket=ticket)
    # The run died; meanwhile the experiment stopped and another version went live.
    prompt_services.stop_prompt_experiment(experiment=experiment, actor=staff, reason="Done")
    prompt_services.make_prompt_version_live(version=version("v6"), actor=staff, reason="v6")
    again = prompt_services.assign_prompt(ticket=Ticket.objects.get(pk=ticket.pk))

    assert again == first
    ticket.refresh_from_db()
    assert (ticket.prompt.label, ticket.prompt_experiment) == (first.label, experiment)
    assert prompt_services.in_candidate_arm(
        public_id=ticket.public_id, experiment_id=experiment.pk, share=50) == (
        first.label == "v5")


def test_one_experiment_runs_per_type(staff):
    control, candidate, third = version("v4"), version("v5"), version("v6")
    prompt_services.start_prompt_experiment(control=control, candidate=candidate,
                                            candidate_share=10, actor=staff, reason="first")
    with pytest.raises(ValidationError, match="already runs"):
        prompt_services.start_prompt_experiment(control=control, candidate=third,
                                                candidate_share=10, actor=staff,
                                                reason="second")
    with pytest.raises(ValidationError, match="same ticket type"):
        prompt_services.start_prompt_experiment(
            control=version("v4", ticket_type="bug"), candidate=third, candidate_share=10,
            actor=staff, reason="mixed")
    assert PromptExperiment.objects.count() == 1


def test_the_admin_shows_a_used_version_read_only_and_refuses_an_edit(
        superuser_client, fake_openrouter):
    used = version(live=True)
    user = funded_user(tokens=5)
    generated_ticket(user.token_account, owner=user)
    url = reverse("admin:tickets_promptversion_change", args=[used.pk])

    page = superuser_client.get(url).content.decode()
    assert 'name="system_prompt"' not in page and 'name="instruction"' not in page
    assert 'name="notes"' in page

    superuser_client.post(url, {"ticket_type": "story", "label": "v4",
                                "system_prompt": "Edited {shape}", "instruction": "Edited",
                                "notes": "tried"})
    used.refresh_from_db()
    assert (used.system_prompt, used.instruction) == (SYSTEM, f"{INSTRUCTION} (v4)")


def test_the_admin_copies_a_version_as_a_new_one_and_starts_an_experiment(
        superuser_client, superuser):
    used = version()
    PromptVersion.objects.filter(pk=used.pk).update(used_at="2026-01-01T00:00Z")

    superuser_client.post(reverse("admin:tickets_promptversion_changelist"), {
        "action": "copy_as_new_version", "_selected_action": [used.pk]})
    copy = PromptVersion.objects.get(copied_from=used)
    assert (copy.label, copy.system_prompt, copy.instruction, copy.is_frozen) == (
        "v5", used.system_prompt, used.instruction, False)

    response = superuser_client.post(reverse("admin:tickets_promptexperiment_add"), {
        "control": used.pk, "candidate": copy.pk, "candidate_share": 25,
        "reason": "Shorter criteria?"})
    assert response.status_code == 302
    experiment = PromptExperiment.objects.get()
    assert (experiment.ticket_type, experiment.candidate_share, experiment.started_by) == (
        "story", 25, superuser)
    superuser_client.post(reverse("admin:tickets_promptexperiment_changelist"), {
        "action": "stop_experiments", "_selected_action": [experiment.pk]})
    experiment.refresh_from_db()
    assert not experiment.is_running
    assert set(StaffAction.objects.values_list("action", flat=True)) == {
        prompt_services.ACTION_START, prompt_services.ACTION_STOP}
