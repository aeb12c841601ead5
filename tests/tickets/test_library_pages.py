"""The library's pages: each page counted by its own query, and any page number a person can
type lands on a real page."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.builders import finished_ticket, funded_user
from tickets import views

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(client, offline, monkeypatch):
    """A signed-in client whose library holds five tickets, two to a page (three pages)."""
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    user = funded_user(10)
    for number in range(5):
        finished_ticket(user, title=f"Ticket number {number}")
    client.force_login(user)
    return client


def shown(client, page=None) -> tuple[list[str], str]:
    html = client.get("/tickets/", {"page": page} if page is not None else {}).content.decode()
    titles = list(dict.fromkeys(re.findall(r"Ticket number (\d)", html)))
    where = re.search(r"Page (\d+) of (\d+)", html)
    return titles, where.group(0) if where else ""


def test_each_page_shows_its_tickets_newest_first_and_where_it_stands(library):
    assert shown(library) == (["4", "3"], "Page 1 of 3")
    assert shown(library, 2) == (["2", "1"], "Page 2 of 3")
    assert shown(library, 3) == (["0"], "Page 3 of 3")


@pytest.mark.parametrize("typed, expected", [
    ("abc", (["4", "3"], "Page 1 of 3")),
    ("2.5", (["4", "3"], "Page 1 of 3")),
    ("", (["4", "3"], "Page 1 of 3")),
    ("0", (["0"], "Page 3 of 3")),
    ("-1", (["0"], "Page 3 of 3")),
    ("4", (["0"], "Page 3 of 3")),
    ("99999999999999999999999", (["0"], "Page 3 of 3")),
])
def test_a_page_number_out_of_range_or_not_a_number_lands_on_a_real_page(library, typed,
                                                                        expected):
    assert shown(library, typed) == expected


def test_a_page_is_read_and_counted_by_one_query(library):
    # Rendering a row for the first time reads nothing more either (its priority's wording
    # comes from the template snapshot, read with the row).
    with CaptureQueriesContext(connection) as queries:
        assert shown(library, 2)[1] == "Page 2 of 3"

    ticket_reads = [query["sql"] for query in queries.captured_queries
                    if 'FROM "tickets_ticket"' in query["sql"]]
    assert len(ticket_reads) == 1 and "OVER ()" in ticket_reads[0]


def test_an_empty_library_invites_a_first_ticket(client, offline):
    client.force_login(funded_user(10))

    html = client.get("/tickets/", {"page": "2"}).content.decode()

    assert "No tickets yet" in html and "Page 1" not in html
