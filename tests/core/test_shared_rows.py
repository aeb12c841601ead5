"""Rows every signed-in page reads (a user's teams for the header, a staff member's second
factor for the staff pages) are kept in each process under their table's version: a page
reads them without a query, and a change shows from the next request — never a row read
before it, never a change that rolled back (`config.shared_tables.SharedRows`)."""

import pytest
from allauth.mfa.models import Authenticator
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.teams.models import Membership
from accounts.teams.selectors import list_team_choices
from accounts.teams.services import create_organization, leave_organization
from tests.builders import client_for, make_staff, make_verified_user
from tests.helpers import in_thread

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
