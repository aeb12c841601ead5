"""Clarify first (issue 13, section 2): free multiple-choice questions when a description lacks
what a good ticket needs, asked before anything is reserved; the answers go into the
generation, each criterion records where it came from, and assumptions are marked. With a
model, one uncharged call words the questions (the fake OpenAI-compatible server) and any
failure skips them."""

import json

import pytest
from django.urls import reverse

from tests.builders import client_for, funded_user, ticket_form
from tests.helpers import balance_of
from tickets.clarifying import OTHER, read_answers
from tickets.models import GenerationAttempt, Ticket
from tickets.providers.offline.answers import fold_answers
from tickets.providers.offline.generator import generate_offline
from tickets.providers.prompts import GenerationRequest
from tickets.quality.clarify import (
    PLATFORM,
    ROLE,
    attribute_criteria,
    criterion_origin,
    find_questions,
)
from tokens.models import Hold

from .fake_openrouter import PRIMARY, Reply, server_error, slow

pytestmark = pytest.mark.django_db

NEW = reverse("tickets:new")
VAGUE = "dark mode for the app"
# The acceptance inputs that say enough: no question for any of them.
DETAILED = [
    ("bug", "Users on iOS Safari can't upload profile pictures larger than 2MB, the spinner "
            "never stops and no error is shown"),
    ("feature", "Let team admins export the monthly invoice list as CSV so finance can "
                "reconcile payments"),
    ("task", "Upgrade the payments service from Python 3.9 to 3.12 and fix deprecations"),
    ("story", "As a warehouse picker I want to scan a shelf barcode to see what to pick next "
              "so that I walk less"),
]


# --- which questions -----------------------------------------------------------------------


@pytest.mark.parametrize(("ticket_type", "description"), DETAILED)
def test_a_description_that_says_enough_gets_no_questions(ticket_type, description):
    assert find_questions(description, ticket_type) == []


@pytest.mark.parametrize(("ticket_type", "keys"), [
    ("story", ["role", "benefit", "platform"]),
    ("feature", ["role", "benefit", "platform"]),
    ("bug", ["expected", "platform"]),
    ("task", ["scope"]),
])
def test_a_vague_description_gets_at_most_three_questions_for_its_kind(ticket_type, keys):
    questions = find_questions(VAGUE, ticket_type)
    assert [question.key for question in questions] == keys
    assert all(len(question.options) >= 3 for question in questions)


@pytest.mark.parametrize(("ticket_type", "description", "asked"), [
    # Names the role and why: nothing to ask, however short.
    ("story", "Team admins export invoices as CSV so finance can reconcile", []),
    # Says why with a second infinitive ("… to answer faster"): nothing to ask.
    ("story", "Support agents need to search conversations by customer email to answer "
              "faster.", []),
    # A place is not a purpose: why is still asked.
    ("story", "Team admins move tickets to another board", ["benefit"]),
    # Names no role: who is it for, and (with no purpose given) why.
    ("feature", "Add a Slack integration that posts a message to a chosen channel when a "
                "deployment fails.", ["role", "benefit"]),
    # A bug that says what goes wrong needs no expected behaviour; one that names its
    # platform is not asked where.
    ("bug", "login broken on Android 14", []),
    ("bug", "The invoice total on the PDF is different from the total on the invoice "
            "page", ["expected"]),
    # Says neither what goes wrong nor where: both are asked.
    ("bug", "The invoice total on the PDF", ["expected", "platform"]),
])
def test_each_gap_is_asked_about_only_when_it_is_open(ticket_type, description, asked):
    assert [question.key for question in find_questions(description, ticket_type)] == asked


def answered(**answers: str) -> list[dict]:
    return [{"key": key, "question": "", "answer": answer} for key, answer in answers.items()]


@pytest.mark.parametrize(("kind", "description", "answers", "read_as"), [
    # A story's role, benefit and platform become its story sentence.
    ("story", VAGUE, answered(role="Team admins", benefit="Save time on a frequent task",
                              platform="The web app"),
     "As a team admin, I want dark mode for the app in the web app so that I can save time "
     "on a frequent task."),
    # A benefit of one's own that is not an action, and no role answered: the purpose of what
    # the description asks (a role it names is read from it).
    ("story", VAGUE, answered(benefit="Less eye strain", platform="Both web and mobile"),
     "Dark mode for the app on both web and mobile so that they get less eye strain."),
    ("story", "drivers see the route", answered(benefit="Save time on a frequent task"),
     "Drivers see the route so that they can save time on a frequent task."),
    # A bug's expected behaviour is what "should" happen; its platform, where it happens.
    ("bug", "The invoice total on the PDF",
     answered(expected="Show a clear error message", platform="The iOS and Android apps"),
     "The invoice total on the PDF. It should show a clear error message. It happens in the "
     "iOS and Android apps."),
    ("bug", "The invoice total on the PDF", answered(expected="the total matches the invoice"),
     "The invoice total on the PDF. It should be fixed so that the total matches the "
     "invoice."),
    # A task's scope is a check of done of its own.
    ("task", "Refactor billing", answered(scope="It is covered by automated tests"),
     "Refactor billing. It is covered by automated tests."),
    ("story", VAGUE, [], VAGUE),
])
def test_answers_are_written_into_the_description_as_the_offline_reading_expects(
        kind, description, answers, read_as):
    folded = fold_answers(description, story=kind in ("story", "feature"), bug=kind == "bug",
                          clarifications=answers)
    assert folded == read_as


def offline_ticket(description: str, kind: str, answers: list[dict]) -> dict:
    return generate_offline(GenerationRequest(description=description, ticket_type=kind,
                                              quality="standard", clarifications=tuple(answers)))


def test_the_offline_generator_writes_the_answers_into_the_ticket():
    story = offline_ticket(VAGUE, "story", answered(
        role="Night-shift nurses", benefit="Read charts at night", platform="The web app"))
    assert story["user_story"].startswith("As a night-shift nurse, I want dark mode")
    assert story["user_story"].endswith("so that I can read charts at night")
    assert "in the web app" in story["user_story"]
    assert all(c["given"].startswith("a night-shift nurse")
               for c in story["acceptance_criteria"])
    # The title names what the user wrote, not the answers.
    assert story["title"] == "Add dark mode to the app"

    bug = offline_ticket("The invoice total on the PDF", "bug",
                         answered(expected="Show a clear error message"))
    assert bug["expected_behaviour"] == "The app shows a clear error message."
    assert "shows a clear error message" in bug["acceptance_criteria"][0]["then"]


def test_a_criterion_comes_from_the_description_an_answer_or_is_an_assumption():
    answers = [{"key": "platform", "question": "", "answer": "The iOS and Android apps"}]
    origin = lambda then: criterion_origin(  # noqa: E731
        {"given": "a customer", "when": "they open it", "then": then},
        description="Customers can switch the app to dark mode", clarifications=answers)
    assert origin("the app shows dark mode on every screen") == "description"
    assert origin("dark mode also applies on Android") == "answer"
    assert origin("the choice is saved for the next sign-in") == "assumption"
    # A generator that says where a criterion comes from is believed; a made-up origin is not.
    given = [{"given": "g", "when": "w", "then": "t", "origin": "answer"},
             {"given": "g", "when": "w", "then": "the session expires", "origin": "magic"}]
    assert [c["origin"] for c in attribute_criteria(
        given, description="x", clarifications=[])] == ["answer", "assumption"]


def test_a_free_answer_must_be_written_and_a_choice_must_be_offered():
    questions = find_questions(VAGUE, "story")
    sheet = read_answers(questions, {"answer_role": OTHER, "other_role": "  ",
                                     "answer_benefit": "Make coffee",
                                     "answer_platform": OTHER, "other_platform": "x" * 201})
    assert sheet.errors == {"role": "Write your answer, or pick one of the options.",
                            "benefit": "Pick one of the options, or write your own.",
                            "platform": "Keep your answer under 200 characters."}
    sheet = read_answers(questions, {"answer_role": OTHER, "other_role": " Night  nurses ",
                                     "answer_platform": "The web app"})
    assert sheet.errors == {}
    assert sheet.clarifications == [
        {"key": "role", "question": ROLE.text, "answer": "Night nurses"},
        {"key": "platform", "question": PLATFORM.text, "answer": "The web app"}]


# --- the generator's questions step --------------------------------------------------------


def questions_step(client, **form):
    response = client.post(NEW, ticket_form(description=VAGUE, **form), HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200 and "A few quick questions first" in page
    return response, page


def signed_questions(page: str) -> str:
    marker = 'name="questions" value="'
    start = page.index(marker) + len(marker)
    return page[start:page.index('"', start)]


def test_the_questions_step_reserves_nothing_not_even_a_visitor(client, offline):
    _, page = questions_step(client)
    assert "Who is this for?" in page and "Skip — generate anyway" in page
    assert not Ticket.objects.exists() and not Hold.objects.exists()
    from accounts.models import AnonymousVisitor
    assert not AnonymousVisitor.objects.exists()


def test_questions_are_asked_in_the_readers_language_and_stored_as_asked(
        offline, tasks_inline, django_capture_on_commit_callbacks):
    user = funded_user(5)
    client = client_for(user)
    form = ticket_form(description=VAGUE, ticket_type="story")
    response = client.post(NEW, form, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="es")
    page = response.content.decode()
    assert "¿Para quién es?" in page and "Administradores de equipo" in page
    assert "Who is this for?" not in page and "La aplicación web" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(NEW, {**form, "questions": signed_questions(page),
                          "answer_platform": "La aplicación web"}, HTTP_ACCEPT_LANGUAGE="es")
    assert Ticket.objects.get().clarifications == [
        {"key": "platform", "question": "¿Dónde se aplica?", "answer": "La aplicación web"}]


def test_answers_go_into_the_ticket_and_its_criteria(offline, tasks_inline,
                                                     django_capture_on_commit_callbacks):
    user = funded_user(5)
    client = client_for(user)
    form = ticket_form(description=VAGUE, ticket_type="story")
    _, page = questions_step(client, nonce=form["nonce"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(NEW, {**form, "questions": signed_questions(page),
                                     "answer_role": OTHER, "other_role": "Night nurses",
                                     "answer_platform": "The iOS and Android apps"})
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.clarifications == [
        {"key": "role", "question": "Who is this for?", "answer": "Night nurses"},
        {"key": "platform", "question": "Where does this apply?",
         "answer": "The iOS and Android apps"}]
    assert ticket.status == "succeeded" and ticket.quality_score == 100
    assert ticket.user_story.startswith("As a night nurse, I want")
    assert all(criterion["given"].startswith("a night nurse")
               for criterion in ticket.acceptance_criteria)
    # The offline generator gives no origins: each is judged on the criterion's outcome.
    origins = [criterion["origin"] for criterion in ticket.acceptance_criteria]
    assert origins == [criterion_origin(criterion, description=VAGUE,
                                        clarifications=ticket.clarifications)
                       for criterion in ticket.acceptance_criteria]
    assert "assumption" in origins and "description" in origins
    assert balance_of(user.token_account) == 4
    page = client.get(reverse("tickets:detail", args=[ticket.public_id])).content.decode()
    assert "Clarified before generating" in page and "Night nurses" in page
    assert page.count("data-assumption>") == origins.count("assumption")
    assert page.count("data-from-answer>") == origins.count("answer")
    assert "data-assumptions-legend" in page


def test_skip_generates_from_the_description_alone(offline, tasks_inline,
                                                   django_capture_on_commit_callbacks):
    client = client_for(funded_user(5))
    form = ticket_form(description=VAGUE)
    _, page = questions_step(client, nonce=form["nonce"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(NEW, {**form, "questions": signed_questions(page), "skip": "1",
                          "answer_role": "Customers"})
    ticket = Ticket.objects.get()
    assert ticket.clarifications == [] and ticket.status == "succeeded"


def test_a_wrong_answer_shows_the_questions_again_and_reserves_nothing(offline):
    client = client_for(funded_user(5))
    form = ticket_form(description=VAGUE)
    _, page = questions_step(client, nonce=form["nonce"])
    response = client.post(NEW, {**form, "questions": signed_questions(page),
                                 "answer_role": OTHER, "other_role": ""},
                           HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert "Write your answer, or pick one of the options." in page
    assert 'aria-describedby="question-role-error"' in page
    assert not Ticket.objects.exists() and not Hold.objects.exists()


def test_tampered_answers_are_refused(offline):
    client = client_for(funded_user(5))
    response = client.post(NEW, ticket_form(description=VAGUE, clarified="on",
                                            clarifications="forged"))
    assert "This form has expired" in response.content.decode()
    assert not Ticket.objects.exists()


def test_the_answers_survive_the_last_token_confirmation(offline, tasks_inline,
                                                         django_capture_on_commit_callbacks):
    user = funded_user(1)
    client = client_for(user)
    form = ticket_form(description=VAGUE)
    _, page = questions_step(client, nonce=form["nonce"])
    response = client.post(NEW, {**form, "questions": signed_questions(page),
                                 "answer_role": "Team admins"}, HTTP_HX_REQUEST="true")
    confirm = response.content.decode()
    assert "Confirm the cost" in confirm and not Ticket.objects.exists()
    marker = 'name="clarifications" value="'
    start = confirm.index(marker) + len(marker)
    signed = confirm[start:confirm.index('"', start)]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(NEW, {**form, "confirmed": "on", "clarified": "on",
                          "clarifications": signed})
    assert Ticket.objects.get().clarifications[0]["answer"] == "Team admins"


def test_regenerating_keeps_the_answers_and_asks_nothing(offline, tasks_inline,
                                                         django_capture_on_commit_callbacks):
    client = client_for(funded_user(5))
    form = ticket_form(description=VAGUE)
    _, page = questions_step(client, nonce=form["nonce"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(NEW, {**form, "questions": signed_questions(page),
                          "answer_role": "Team admins"})
    first = Ticket.objects.get()
    regenerate = client.get(NEW, {"from": first.public_id}).context["form"]
    data = {name: regenerate[name].value() for name in regenerate.fields}
    data["nonce"] = str(regenerate["nonce"].value())
    data["regenerated_from"] = first.public_id
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(NEW, {key: value for key, value in data.items()
                                     if value not in (None, False)})
    assert response.status_code == 302
    second = Ticket.objects.exclude(pk=first.pk).get()
    assert second.clarifications == first.clarifications


# --- with a model --------------------------------------------------------------------------


def worded(questions: list[dict]) -> Reply:
    return Reply(content=json.dumps({"questions": questions}))


def test_a_model_words_the_questions_in_one_uncharged_call(fake_openrouter):
    fake_openrouter.queue(PRIMARY, worded([
        {"key": "role", "text": "Who will switch the app to dark mode?",
         "options": ["Night-shift nurses", "Patients", "Ward admins"]},
        {"key": "platform", "text": "On which devices?", "options": ["iPad", "Desktop"]},
    ]))
    user = funded_user(5)
    _, page = questions_step(client_for(user))
    assert "Who will switch the app to dark mode?" in page and "Night-shift nurses" in page
    assert "On which devices?" in page
    assert fake_openrouter.models_called() == [PRIMARY]
    attempt = GenerationAttempt.objects.get()
    assert (attempt.ticket, attempt.outcome, attempt.prompt_version) == (
        None, "success", "clarify-v2")
    assert balance_of(user.token_account) == 5 and not Hold.objects.exists()


def test_the_model_is_asked_to_word_the_questions_in_the_readers_language(fake_openrouter):
    fake_openrouter.queue(PRIMARY, worded([
        {"key": "role", "text": "¿Quién activará el modo oscuro?",
         "options": ["Enfermeras de noche", "Pacientes"]}]))
    response = client_for(funded_user(5)).post(
        NEW, ticket_form(description=VAGUE), HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="de")
    assert "¿Quién activará el modo oscuro?" in response.content.decode()
    prompt = json.dumps(fake_openrouter.requests[-1]["body"]["messages"], ensure_ascii=False)
    assert "Write the questions and options in German" in prompt
    assert "Für wen ist das?" in prompt  # the questions to reword, already in German


@pytest.mark.parametrize("reply", [server_error(), Reply(content="not json at all"),
                                   slow(seconds=1.0)], ids=["error", "invalid", "timeout"])
def test_a_failed_wording_call_skips_the_questions(fake_openrouter, tasks_inline,
                                                   django_capture_on_commit_callbacks, reply):
    fake_openrouter.queue(PRIMARY, reply)
    client = client_for(funded_user(5))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(NEW, ticket_form(description=VAGUE))
    assert response.status_code == 302  # straight to the ticket
    ticket = Ticket.objects.get()
    assert ticket.status == "succeeded" and ticket.clarifications == []
    assert GenerationAttempt.objects.filter(ticket=None).get().outcome in ("failed", "invalid")
