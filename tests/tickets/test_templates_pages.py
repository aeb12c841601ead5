"""Template pages, the generator's choice and the API's: each workspace sees and uses only
the built-ins and its own templates; team roles decide who changes them."""

import pytest
from django.urls import reverse

from accounts.apikeys.services import create_api_key
from accounts.teams.services import create_organization
from tests.api.conftest import ALL_SCOPES, ApiClient, error_of
from tests.builders import DESCRIPTION, client_for, funded_user, ticket_form
from tests.teams.conftest import fund_team
from tests.tickets.templating import save_template, template_settings
from tickets.models import Ticket, TicketTemplate
from tickets.quality.clarify import find_questions
from tokens.models import Hold

pytestmark = pytest.mark.django_db

LIST = reverse("tickets:templates")
NEW = reverse("tickets:template_new")


def in_workspace(user, team):
    client = client_for(user)
    assert client.post(reverse("teams:switch"), {"workspace": team.slug}).status_code == 302
    return client


def form_data(**overrides) -> dict:
    """The template editor as a browser posts it."""
    return {"name": "Checkout bugs", "ticket_type": "bug",
            "sections": ["labels", "technical_notes"], "labels": "Payments, mobile, payments",
            "priority_scheme": "p_levels", "criteria_style": "checklist",
            "ready_checks": ["reproduction", "min_criteria"], "ready_min_criteria": "3",
            "ready_other": "Reproduced on the latest release\n\n- Severity agreed",
            "house_rules": "Quote error messages exactly.", **overrides}


@pytest.fixture
def person(prices):
    return funded_user(20, email="me@example.com")


@pytest.fixture
def stranger(prices):
    return funded_user(20, email="stranger@example.com")


def test_the_empty_list_offers_the_builtins_and_a_new_template(person):
    html = client_for(person).get(LIST).content.decode()
    assert "data-empty-templates" in html and "No templates yet" in html
    for name in ("Scrum story", "Bug report", "Tech task", "Spike"):
        assert name in html
    assert f'href="{NEW}"' in html


def test_a_template_is_created_from_the_form_with_its_settings_normalised(person):
    client = client_for(person)
    assert "Label vocabulary" in client.get(NEW).content.decode()
    response = client.post(NEW, form_data())
    template = TicketTemplate.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:template_detail", args=[template.public_id])
    assert (template.owner, template.organization) == (person, None)
    assert template.labels == ["payments", "mobile"]
    assert template.ready == [{"check": "reproduction"}, {"check": "min_criteria", "n": 3},
                              {"text": "Reproduced on the latest release"},
                              {"text": "Severity agreed"}]
    page = client.get(response["Location"]).content.decode()
    assert "Quote error messages exactly." in page and "P0 · P1 · P2 · P3" in page
    assert "Severity agreed <span class=\"muted small\">(to confirm by the team)" in page


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"name": "  "}, "name", "Give the template a name"),
    ({"labels": "x" * 41}, "labels", "is too long for a label: at most 40 characters."),
    ({"labels": ",".join(f"l{n}" for n in range(31))}, "labels",
     "Keep the vocabulary to 30 labels (you listed 31)."),
    ({"ready_min_criteria": ""}, "ready_min_criteria", "Say how many acceptance criteria"),
    ({"priority_scheme": "fibonacci"}, "priority_scheme", "Select a valid choice."),
    ({"house_rules": "x" * 2001}, "house_rules", "at most 2000 characters"),
])
def test_bad_input_re_renders_with_a_message_and_writes_nothing(person, overrides, field,
                                                               message):
    response = client_for(person).post(NEW, form_data(**overrides))
    assert response.status_code == 400
    html = response.content.decode()
    assert "nothing was saved" in html and message in html
    assert not TicketTemplate.objects.exists()


def test_a_name_is_once_per_workspace_whatever_its_case(person, stranger):
    save_template(person, name="Checkout bugs")
    save_template(stranger, name="Checkout bugs")  # another workspace may
    response = client_for(person).post(NEW, form_data(name="CHECKOUT BUGS"))
    assert response.status_code == 400
    assert "already has a template with this name" in response.content.decode()
    assert TicketTemplate.objects.count() == 2


def test_editing_and_deleting_ones_own_template(person):
    template = save_template(person)
    client = client_for(person)
    edit = reverse("tickets:template_edit", args=[template.public_id])
    assert 'value="Our stories"' in client.get(edit).content.decode()
    assert client.post(edit, form_data(name="Renamed")).status_code == 302
    template.refresh_from_db()
    assert template.name == "Renamed" and template.ticket_type == "bug"
    delete = reverse("tickets:template_delete", args=[template.public_id])
    assert "keep the settings they were made with" in client.get(delete).content.decode()
    assert client.post(delete).status_code == 302
    assert not TicketTemplate.objects.exists()


def test_a_builtin_is_read_only_and_copied_into_ones_own(person):
    client = client_for(person)
    assert client.get(reverse("tickets:template_edit", args=["bug-report"])).status_code == 404
    assert client.post(reverse("tickets:template_delete", args=["bug-report"])).status_code == 404
    for _ in range(2):
        response = client.post(reverse("tickets:template_copy", args=["bug-report"]))
        assert response.status_code == 302
    names = sorted(TicketTemplate.objects.values_list("name", flat=True))
    assert names == ["Bug report (copy 2)", "Bug report (copy)"]
    copy = TicketTemplate.objects.get(name="Bug report (copy)")
    assert copy.owner == person and copy.priority_scheme == "p_levels"
    assert copy.criteria_style == "checklist" and "payments" in copy.labels


def test_another_persons_templates_are_never_listed_shown_or_changed(person, stranger):
    theirs = save_template(stranger, name="Stranger's secret template")
    client = client_for(person)
    assert "Stranger's secret template" not in client.get(LIST).content.decode()
    assert "Stranger" not in client.get(reverse("tickets:new")).content.decode()
    for name, method in (("template_detail", "get"), ("template_edit", "get"),
                         ("template_edit", "post"), ("template_copy", "post"),
                         ("template_delete", "post")):
        response = getattr(client, method)(reverse(f"tickets:{name}",
                                                   args=[theirs.public_id]), form_data())
        assert response.status_code == 404, name
    theirs.refresh_from_db()
    assert theirs.name == "Stranger's secret template"
    assert TicketTemplate.objects.count() == 1


def test_the_generator_refuses_another_persons_template_and_reserves_nothing(person, stranger,
                                                                             offline):
    theirs = save_template(stranger, name="Stranger's", ticket_type="story")
    response = client_for(person).post(reverse("tickets:new"),
                                       ticket_form(template=theirs.public_id, clarified="1"))
    html = response.content.decode()
    assert "That template is not available in this workspace" in html
    assert not Ticket.objects.exists() and not Hold.objects.exists()


def test_the_generator_uses_ones_own_template_and_checks_its_type(person, offline,
                                                                  committing):
    mine = save_template(person, ticket_type="story", priority_scheme="moscow")
    client = client_for(person)
    html = client.get(reverse("tickets:new")).content.decode()
    assert f'<option value="{mine.public_id}" data-kind="story">Our stories · Story' in html
    assert '<option value="bug-report" data-kind="bug">Bug report · Bug</option>' in html

    wrong = client.post(reverse("tickets:new"),
                        ticket_form(template="bug-report", ticket_type="story", clarified="1"))
    assert "The “Bug report” template is for bug tickets: choose Bug" in wrong.content.decode()
    assert not Ticket.objects.exists()

    with committing():
        response = client.post(reverse("tickets:new"),
                               ticket_form(template=mine.public_id, clarified="1"))
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.template == mine and ticket.template_snapshot["name"] == "Our stories"
    assert ticket.status == "succeeded"
    page = client.get(reverse("tickets:detail", args=[ticket.public_id])).content.decode()
    assert "Template: Our stories" in page and f"{ticket.priority_label} priority" in page


def test_the_template_is_part_of_the_requests_fingerprint(person, offline):
    client = client_for(person)
    form = ticket_form(clarified="1")
    assert client.post(reverse("tickets:new"), form).status_code == 302
    again = client.post(reverse("tickets:new"), form | {"template": "scrum-story"})
    assert "already sent with a different description" in again.content.decode()
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize(("role", "edits", "uses"), [
    ("owner", True, True), ("admin", True, True), ("member", False, True),
    ("viewer", False, False),
])
def test_team_templates_by_role(role, edits, uses, prices, offline):
    owner = funded_user(5, email="owner@example.com")
    team = create_organization(user=owner, name="Acme")
    fund_team(team, 50)
    shared = save_template(owner, team=team, name="Acme stories")
    user = owner
    if role != "owner":
        from accounts.teams.models import Membership

        user = funded_user(5, email=f"{role}@example.com")
        Membership.objects.create(organization=team, user=user, role=role)
    client = in_workspace(user, team)

    listing = client.get(LIST).content.decode()
    assert "Acme stories" in listing and "Acme’s templates" in listing
    assert ("data-read-only" in listing) is not edits
    assert client.get(reverse("tickets:template_detail", args=[shared.public_id])).status_code \
        == 200
    edit = reverse("tickets:template_edit", args=[shared.public_id])
    expected = 302 if edits else 403
    assert client.post(edit, form_data(name="Acme bugs")).status_code == expected
    assert client.post(NEW, form_data(name="Another")).status_code == expected
    assert client.post(reverse("tickets:template_copy", args=["spike"])).status_code == expected
    created = TicketTemplate.objects.filter(organization=team)
    assert created.count() == (3 if edits else 1)
    assert not TicketTemplate.objects.filter(owner__isnull=False).exists()

    template_id = TicketTemplate.objects.filter(organization=team).first().public_id
    response = client.post(reverse("tickets:new"), ticket_form(
        template=template_id, clarified="1",
        ticket_type=TicketTemplate.objects.get(public_id=template_id).ticket_type))
    made = Ticket.objects.filter(organization=team, template__public_id=template_id)
    assert made.exists() is uses, response.content.decode()[:300]


def test_another_teams_template_is_refused_on_the_generator(person, offline):
    other_owner = funded_user(5, email="other@example.com")
    other_team = create_organization(user=other_owner, name="Other")
    theirs = save_template(other_owner, team=other_team, name="Other's")
    my_team = create_organization(user=person, name="Mine")
    fund_team(my_team, 20)
    client = in_workspace(person, my_team)
    assert "Other's" not in client.get(reverse("tickets:new")).content.decode()
    response = client.post(reverse("tickets:new"),
                           ticket_form(template=theirs.public_id, clarified="1"))
    assert "That template is not available in this workspace" in response.content.decode()
    assert not Ticket.objects.exists()
    # Nor does the person's own personal template count in the team's workspace.
    personal = save_template(person, name="Personal")
    response = client.post(reverse("tickets:new"),
                           ticket_form(template=personal.public_id, clarified="1"))
    assert "That template is not available in this workspace" in response.content.decode()


@pytest.fixture
def api(person, committing):
    secret = create_api_key(actor=person, name="CI", scopes=ALL_SCOPES).secret
    return ApiClient(secret, committing)


def test_the_api_creates_with_a_template_and_refuses_anyone_elses(api, person, stranger,
                                                                 offline):
    created = api.post("/tickets", {"description": DESCRIPTION, "template": "bug-report"})
    assert created.status_code == 202, created.content
    body = created.json()
    assert body["type"] == "bug" and body["template"] == "bug-report"
    ticket = api.get(f"/tickets/{body['id']}").json()
    assert ticket["story_points"] is None and ticket["template"] == "bug-report"
    assert all(c["given"] == "" for c in ticket["acceptance_criteria"])

    theirs = save_template(stranger)
    missing = api.post("/tickets", {"description": DESCRIPTION, "template": theirs.public_id})
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "template_not_found"
    mismatch = api.post("/tickets", {"description": DESCRIPTION, "type": "story",
                                     "template": "bug-report"})
    assert mismatch.status_code == 422
    assert error_of(mismatch)["code"] == "template_type_mismatch"
    assert Ticket.objects.count() == 1

    mine = save_template(person, **template_settings(name="API stories"))
    ok = api.post("/tickets", {"description": DESCRIPTION, "template": mine.public_id})
    assert ok.status_code == 202 and ok.json()["template"] == mine.public_id


def test_the_chosen_template_is_carried_through_the_questions_step(person, offline):
    vague = "Add a dark mode to the app for our users please."
    assert find_questions(vague, "story")  # this description gets questions first
    response = client_for(person).post(reverse("tickets:new"), ticket_form(
        description=vague, template="scrum-story"))
    html = response.content.decode()
    assert "data-questions" in html and not Ticket.objects.exists()
    assert '<input type="hidden" name="template" value="scrum-story">' in html
