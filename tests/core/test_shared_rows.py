"""Rows every signed-in page reads (a user's teams for the header, a staff member's second
factor for the staff pages, their alerts and push targets) and rows every generation reads (the
prompt a ticket type gets) are kept in each process under their table's version: a page or
a run reads them without a query, and a change shows from the next request — never a row read
before it, never a change that rolled back (`config.shared_tables`). The changes made by a
plain update, which sends no signal, are tested here one by one."""

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import EmailKind
from accounts.notifications.services import raise_alert
from accounts.teams.models import Membership
from accounts.teams.selectors import list_team_choices
from accounts.teams.services import create_organization, leave_organization
from integrations.services.connections import mark_broken
from referrals.models import Referral
from tests.builders import (
    client_for,
    finished_ticket,
    funded_user,
    generated_ticket,
    make_staff,
    make_verified_user,
)
from tests.helpers import in_thread
from tests.integrations.pushing import REPO, connect_github
from tickets.models.prompts import SHAPE_PLACEHOLDER
from tickets.services import prompts as prompt_services

pytestmark = pytest.mark.django_db(transaction=True)


def get_reading(client, path: str, table: str) -> tuple[str, bool]:
    """The page, and whether answering it queried `table`."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.content.decode(), any(table in q["sql"] for q in queries.captured_queries)


def test_the_header_shows_a_team_from_the_request_after_it_changes():
    user = make_verified_user()
    team = create_organization(user=make_verified_user(), name="Acme Robotics")
    client = client_for(user)
    page, _ = get_reading(client, "/tickets/", "accounts_membership")
    assert "Acme Robotics" not in page
    Membership.objects.create(organization=team, user=user, role="member")

    page, read = get_reading(client, "/tickets/", "accounts_membership")
    assert "Acme Robotics" in page and read  # the change renewed the version
    page, read = get_reading(client, "/tickets/", "accounts_membership")
    assert "Acme Robotics" in page and not read  # then kept

    team.name = "Acme Drones"
    team.save()
    page, _ = get_reading(client, "/tickets/", "accounts_membership")
    assert "Acme Drones" in page and "Acme Robotics" not in page
    leave_organization(user=user, organization=team)
    page, _ = get_reading(client, "/tickets/", "accounts_membership")
    assert "Acme Drones" not in page


def test_a_team_joined_in_another_process_shows_on_the_next_request():
    user, other = make_verified_user(), make_verified_user()
    team = create_organization(user=other, name="Northwind")
    client = client_for(user)
    assert "Northwind" not in get_reading(client, "/tickets/", "accounts_membership")[0]

    thread, done = in_thread(lambda: Membership.objects.create(
        organization=team, user=user, role="member"))
    thread.join()
    assert done, "the membership was not committed"
    assert "Northwind" in get_reading(client, "/tickets/", "accounts_membership")[0]


def test_a_change_rolled_back_is_not_kept():
    user, other = make_verified_user(), make_verified_user()
    team = create_organization(user=other, name="Ghost Team")
    assert list_team_choices(user) == []
    with pytest.raises(RuntimeError), transaction.atomic():
        Membership.objects.create(organization=team, user=user, role="member")
        assert list_team_choices(user) == [(team.slug, "Ghost Team")]  # its own change
        raise RuntimeError("the request failed after reading")
    assert list_team_choices(user) == []


def test_staff_who_remove_their_second_factor_are_sent_to_set_it_up_on_the_next_page():
    staff = make_staff()
    client = client_for(staff)
    get_reading(client, "/dashboard/", "mfa_authenticator")
    _, read = get_reading(client, "/dashboard/", "mfa_authenticator")
    assert not read  # kept: the staff check costs no query

    Authenticator.objects.filter(user=staff).delete()
    response = client.get("/dashboard/")
    assert response.status_code == 302 and response["Location"] == reverse("mfa_index")


def test_an_alert_raised_or_dismissed_shows_from_the_next_page():
    user = make_verified_user()
    client = client_for(user)
    assert "data-alert-banner" not in get_reading(client, "/tickets/", "balancealert")[0]

    alert = raise_alert(user=user, kind=EmailKind.EXPIRY, key="expiry:1",
                        message="12 tokens expire on Friday.")
    page, read = get_reading(client, "/tickets/", "balancealert")
    assert 'data-alert-banner="expiry"' in page and "12 tokens expire" in page and read
    page, read = get_reading(client, "/tickets/", "balancealert")
    assert "12 tokens expire" in page and not read  # kept

    client.post(reverse("accounts:dismiss_alert", args=[alert.pk]), {"next": "/tickets/"})
    assert "data-alert-banner" not in get_reading(client, "/tickets/", "balancealert")[0]


def test_a_connection_that_breaks_leaves_the_send_buttons_on_the_next_page(prices, tasks_inline):
    user = funded_user(tokens=5)
    finished_ticket(user)
    connection = connect_github(user)
    client = client_for(user)
    page, _ = get_reading(client, "/tickets/", "integrations_connection")
    assert "Send selected to:" in page and REPO in page
    assert not get_reading(client, "/tickets/", "integrations_connection")[1]  # kept

    mark_broken(connection=connection, problem="The token was revoked.")
    page, read = get_reading(client, "/tickets/", "integrations_connection")
    assert "Send selected to:" not in page and read


def prompt(label: str):
    return prompt_services.create_prompt_version(
        ticket_type="story", label=label,
        system_prompt=f"You are the {label} writer. Reply with JSON:\n{SHAPE_PLACEHOLDER}",
        instruction=f"{label.upper()}: write one user story.")


def test_a_prompt_made_live_or_an_experiment_stopped_applies_to_the_next_ticket(
        prices, tasks_inline):
    user, staff = funded_user(tokens=20), make_staff()
    v4, v5 = prompt("v4"), prompt("v5")
    assert generated_ticket(user.token_account, owner=user).prompt is None  # the code's

    prompt_services.make_prompt_version_live(version=v4, actor=staff, reason="Better ACs")
    assert generated_ticket(user.token_account, owner=user).prompt == v4

    experiment = prompt_services.start_prompt_experiment(
        control=v4, candidate=v5, candidate_share=50, actor=staff, reason="Try v5")
    assert generated_ticket(user.token_account, owner=user).prompt_experiment == experiment

    prompt_services.stop_prompt_experiment(experiment=experiment, actor=staff, reason="Done")
    after = generated_ticket(user.token_account, owner=user)
    assert (after.prompt, after.prompt_experiment) == (v4, None)


def test_a_referral_made_after_a_users_first_ticket_still_qualifies_on_the_next(
        prices, tasks_inline, settings):
    settings.REFERRAL_QUALIFY_TICKETS = 1
    referrer, referee = funded_user(tokens=0), funded_user(tokens=10)
    EmailAddress.objects.create(user=referee, email=referee.email, verified=True, primary=True)
    generated_ticket(referee.token_account, owner=referee)  # not referred yet: kept as such
    referral = Referral.objects.create(referrer=referrer, referee=referee,
                                       status=Referral.Status.SIGNED_UP)

    generated_ticket(referee.token_account, owner=referee)

    referral.refresh_from_db()
    assert referral.status == Referral.Status.REWARDED
