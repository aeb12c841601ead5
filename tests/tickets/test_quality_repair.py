"""The prompts ask for what the quality check enforces, and a model's reply that is valid but
fails a hard quality rule gets one repair round (issue 13, section 6), against the fake
OpenAI-compatible server: the better ticket is stored, every attempt logs the prompt
version, and quality alone never fails a generation."""

import pytest

from tests.builders import GOOD_STORY, VAGUE_CRITERIA, clauses, funded_user, generated_ticket
from tests.helpers import assert_charged_once
from tickets.models import GenerationAttempt
from tickets.providers import GenerationRequest
from tickets.providers.prompts import PROMPT_VERSION, build_messages
from tickets.quality import HARD_RULES, check_ticket

from .fake_openrouter import FALLBACK, PRIMARY, malformed, server_error, success, ticket_json

pytestmark = pytest.mark.django_db

# Valid against the schema, but one vague criterion: fails `criteria_count`, a hard rule.
FLAWED = {**GOOD_STORY, "acceptance_criteria": VAGUE_CRITERIA}
# Worse still: the title is too short for `title_length` as well.
WORSE = {**FLAWED, "title": "PDF"}


def attempts(ticket):
    return list(GenerationAttempt.objects.filter(ticket=ticket).order_by("id").values_list(
        "model_name", "outcome", "error_code", "prompt_version"))


def generate(fake_openrouter, *replies):
    fake_openrouter.queue(PRIMARY, *replies)
    user = funded_user(5)
    return generated_ticket(user.token_account, owner=user), user.token_account


def scorecard_of(reply: dict, ticket):
    """The quality check of a model reply (`FLAWED`, ...) for this ticket's request."""
    return check_ticket(ticket_json(ticket.ticket_type, **reply),
                        description=ticket.description, ticket_type=ticket.ticket_type)


def hard_failures(reply: dict, ticket) -> set[str]:
    return {rule.key for rule in scorecard_of(reply, ticket).failing} & HARD_RULES


def test_the_system_prompt_asks_for_what_the_check_enforces():
    request = GenerationRequest(description="Let team admins export invoices as CSV",
                                ticket_type="feature", quality="standard")
    system = " ".join(build_messages(request)[0]["content"].split())
    for asked in ("two to seven", "exactly one action or event", "a tester can observe",
                  "not \"a user\"", "Exactly one \"so that\"", "5 to 90 characters",
                  "numbers with their units", "never copy the description verbatim",
                  "expected_behaviour and actual_behaviour say different things"):
        assert asked in system, asked


def test_a_flawed_reply_is_repaired_and_the_repaired_ticket_is_stored(fake_openrouter):
    ticket, account = generate(fake_openrouter, success(**FLAWED), success(**GOOD_STORY))
    assert hard_failures(FLAWED, ticket) == {"criteria_count"}
    assert hard_failures(GOOD_STORY, ticket) == set()
    assert ticket.status == "succeeded"
    assert clauses(ticket.acceptance_criteria) == GOOD_STORY["acceptance_criteria"]
    assert ticket.prompt_version == PROMPT_VERSION
    assert attempts(ticket) == [
        (PRIMARY, "invalid", "quality", PROMPT_VERSION),
        (PRIMARY, "success", "", PROMPT_VERSION),
    ]
    assert ticket.quality_report["score"] > scorecard_of(FLAWED, ticket).score
    # The repair request is the same conversation, with the flawed reply and why it failed.
    first, repair = (request["body"]["messages"] for request in fake_openrouter.requests)
    assert repair[: len(first)] == first
    assert repair[-2]["role"] == "assistant" and "it works correctly" in repair[-2]["content"]
    failing = {rule.key: rule for rule in scorecard_of(FLAWED, ticket).failing}
    assert failing["criteria_count"].message in repair[-1]["content"]
    assert_charged_once(ticket, account, 5)


def test_a_repair_that_is_worse_keeps_the_first_reply(fake_openrouter):
    ticket, account = generate(fake_openrouter, success(**FLAWED), success(**WORSE))
    assert hard_failures(WORSE, ticket) == {"criteria_count", "title_length"}
    assert ticket.status == "succeeded"
    assert ticket.title == FLAWED["title"]
    assert clauses(ticket.acceptance_criteria) == VAGUE_CRITERIA
    assert attempts(ticket) == [
        (PRIMARY, "success", "", PROMPT_VERSION),
        (PRIMARY, "invalid", "quality", PROMPT_VERSION),
    ]
    assert fake_openrouter.models_called() == [PRIMARY, PRIMARY]
    assert_charged_once(ticket, account, 5)


def test_a_repair_that_is_no_ticket_keeps_the_first_reply(fake_openrouter):
    ticket, account = generate(fake_openrouter, success(**FLAWED), malformed())
    assert ticket.status == "succeeded"
    assert clauses(ticket.acceptance_criteria) == VAGUE_CRITERIA
    assert [row[1:3] for row in attempts(ticket)] == [("invalid", "invalid_json"),
                                                      ("success", "")]
    assert FALLBACK not in fake_openrouter.models_called()
    assert_charged_once(ticket, account, 5)


def test_a_repair_the_model_cannot_answer_keeps_the_first_reply(fake_openrouter):
    ticket, account = generate(fake_openrouter, success(**FLAWED), server_error(400))
    assert ticket.status == "succeeded"
    assert clauses(ticket.acceptance_criteria) == VAGUE_CRITERIA
    assert [row[1] for row in attempts(ticket)] == ["failed", "success"]
    assert_charged_once(ticket, account, 5)


def test_a_reply_passing_the_hard_rules_is_not_repaired(fake_openrouter):
    ticket, _ = generate(fake_openrouter, success(**GOOD_STORY))
    assert fake_openrouter.models_called() == [PRIMARY]
    assert attempts(ticket) == [(PRIMARY, "success", "", PROMPT_VERSION)]


def test_one_repair_round_per_model_even_after_invalid_json(fake_openrouter):
    """Invalid JSON used the model's repair round: a valid but flawed answer is kept."""
    ticket, _ = generate(fake_openrouter, malformed(), success(**FLAWED))
    assert ticket.status == "succeeded"
    assert clauses(ticket.acceptance_criteria) == VAGUE_CRITERIA
    assert fake_openrouter.models_called() == [PRIMARY, PRIMARY]
    assert [row[1:3] for row in attempts(ticket)] == [("invalid", "invalid_json"),
                                                      ("success", "")]
