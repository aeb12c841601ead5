"""The generator page, the library, a ticket's page and exports, as a browser would use them."""

import csv
import io
import json

import pytest
from django.urls import reverse

from tests.builders import DESCRIPTION, funded_user, request_ticket, set_price, ticket_form
from tickets import services
from tickets.models import Ticket
from tokens.models import Hold

from .fake_openrouter import ticket_json

pytestmark = pytest.mark.django_db

NEW = reverse("tickets:new")


def run_all():
    for ticket in Ticket.objects.filter(status="queued"):
        services.run_ticket_generation(ticket_id=ticket.pk)


def make_ticket(user, **content) -> Ticket:
    ticket = request_ticket(user.token_account, owner=user)
    services.run_ticket_generation(ticket_id=ticket.pk)
    ticket.refresh_from_db()
    if content:
        Ticket.objects.filter(pk=ticket.pk).update(**content)
        ticket.refresh_from_db()
    return ticket


@pytest.fixture
def signed_in(client, offline):
    user = funded_user(5)
    client.force_login(user)
    client.user = user
    return client


def test_generator_page_shows_cost_counter_and_hints(signed_in):
    response = signed_in.get(NEW)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Generate · <span data-cost-label>1 token</span>" in html
    assert 'id="description-counter"' in html
    assert "Say who needs it and why" in html
    assert "js/tickets-generator.js" in html
    for label in ("Bug", "Feature", "Task", "Story", "Standard · 1 token", "Advanced · 3 tokens"):
        assert label in html
    assert "<script>" not in html


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"description": ""}, "Describe the work in a few sentences."),
        ({"description": "x" * 19}, "at least 20 characters"),
        ({"description": "x" * 4001}, "under 4,000 characters (you wrote 4,001)"),
        ({"description": " \n\t " * 10}, "Describe the work in a few sentences."),
        ({"ticket_type": "saga"}, "Choose bug, feature, task, story or epic."),
        ({"quality": "premium"}, "Choose Standard or Advanced."),
        ({"quality": "advanced"}, "Advanced needs the AI service"),
        ({"nonce": "not-a-uuid"}, "This form has expired"),
    ],
)
def test_bad_input_rerenders_the_form_and_reserves_nothing(signed_in, overrides, message):
    response = signed_in.post(NEW, ticket_form(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Ticket.objects.exists()
    assert not Hold.objects.exists()


def test_description_of_exactly_4000_characters_with_crlf_is_accepted(signed_in):
    text = ("a" * 100 + "\r\n") * 39 + "a" * 61  # 4,000 as typed, 4,039 as sent
    response = signed_in.post(NEW, ticket_form(description=text, clarified="on"))
    assert response.status_code == 302
    assert len(Ticket.objects.get().description) == 4000


def test_plain_post_redirects_to_the_ticket_page(signed_in):
    response = signed_in.post(NEW, ticket_form())
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:detail", args=[ticket.public_id])
    assert ticket.status == "queued" and ticket.owner == signed_in.user
    run_all()
    page = signed_in.get(response["Location"]).content.decode()
    assert "Copy as Markdown" in page and "Offline generator" in page


def test_htmx_post_swaps_in_a_polling_progress_card(signed_in):
    response = signed_in.post(NEW, ticket_form(), HTTP_HX_REQUEST="true")
    ticket = Ticket.objects.get()
    html = response.content.decode()
    assert response.status_code == 200
    assert "tokens-changed" in response["HX-Trigger"]
    # The running ticket gets its own entry in the browser's history.
    assert response["HX-Push-Url"] == f"/tickets/{ticket.public_id}/"
    assert response["HX-Reswap"] == "innerHTML show:#ticket-status:top"
    assert f'hx-get="/tickets/{ticket.public_id}/status/?standalone=1"' in html
    assert "data-elapsed" in html
    status_url = reverse("tickets:status", args=[ticket.public_id]) + "?standalone=1"
    polled = signed_in.get(status_url, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-ticket-status="queued"' in polled
    run_all()
    done = signed_in.get(status_url, HTTP_HX_REQUEST="true")
    assert "data-ticket-card" in done.content.decode()
    assert "tokens-changed" in done["HX-Trigger"]
    assert "HX-Refresh" not in done
    # The finished card shows from its top, and its title takes the focus.
    assert done["HX-Reswap"] == f"outerHTML show:#ticket-{ticket.public_id}:top"
    assert f'id="ticket-{ticket.public_id}-title" tabindex="-1" autofocus' in done.content.decode()
    on_page = signed_in.get(reverse("tickets:status", args=[ticket.public_id]),
                            HTTP_HX_REQUEST="true")
    assert on_page["HX-Refresh"] == "true"


def test_double_submit_creates_one_ticket_and_one_hold(signed_in):
    data = ticket_form()
    first = signed_in.post(NEW, data)
    second = signed_in.post(NEW, data)
    assert first["Location"] == second["Location"]
    assert Ticket.objects.count() == 1
    assert Hold.objects.count() == 1


def test_script_in_the_description_is_rendered_escaped(signed_in):
    evil = '<script>alert("x")</script> please build a login page for customers <img src=x>'
    signed_in.post(NEW, ticket_form(description=evil))
    run_all()
    ticket = Ticket.objects.get()
    assert ticket.status == "succeeded"
    html = signed_in.get(reverse("tickets:detail", args=[ticket.public_id])).content.decode()
    assert '<script>alert("x")' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "<img src=x>" not in html


def test_advanced_asks_for_confirmation_first(client, fake_openrouter):
    user = funded_user(5)
    client.force_login(user)
    data = ticket_form(quality="advanced")
    response = client.post(NEW, data, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "Confirm the cost" in html and "<strong>3 tokens</strong>" in html
    assert not Ticket.objects.exists()
    back = client.post(NEW, {**data, "back": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert "data-generator-form" in back and DESCRIPTION in back
    confirmed = client.post(NEW, {**data, "confirmed": "on"})
    assert confirmed.status_code == 302
    assert Ticket.objects.get().cost == 3


def test_the_last_token_needs_confirmation(client, offline):
    user = funded_user(1)
    client.force_login(user)
    html = client.post(NEW, ticket_form()).content.decode()
    assert "This uses your last token" in html
    assert not Ticket.objects.exists()


def test_user_without_tokens_is_invited_to_buy(client, offline):
    user = funded_user(0)
    client.force_login(user)
    html = client.post(NEW, ticket_form()).content.decode()
    assert "Not enough tokens" in html
    assert 'href="/pricing/"' in html
    assert not Ticket.objects.exists()


def test_visitor_spends_free_tokens_then_is_invited_to_sign_up(client, offline):
    for remaining in (2, 1, 0):
        # The same description each time: past the duplicate warning (test_duplicates.py).
        data = ticket_form(duplicate_ok="on")
        response = client.post(NEW, data)
        if response.status_code == 200:  # the last token asks for confirmation
            assert "This uses your last token" in response.content.decode()
            response = client.post(NEW, {**data, "confirmed": "on"})
        assert response.status_code == 302
        run_all()
        ticket = Ticket.objects.latest("id")
        assert ticket.visitor is not None and ticket.owner is None
        ticket.token_account.refresh_from_db()
        assert ticket.token_account.available == remaining
    html = client.post(NEW, ticket_form()).content.decode()
    assert "Sign up for 6 free tokens" in html
    assert Ticket.objects.count() == 3
    library = client.get(reverse("tickets:list")).content.decode()
    assert library.count("data-ticket-row") == 3


def ticket_routes(public_id: str) -> list[tuple[str, str]]:
    """Every route that names a ticket, with the method it answers."""
    return [
        ("get", reverse("tickets:detail", args=[public_id])),
        ("get", reverse("tickets:status", args=[public_id])),
        ("get", reverse("tickets:edit", args=[public_id])),
        ("post", reverse("tickets:edit", args=[public_id])),
        ("get", reverse("tickets:delete", args=[public_id])),
        ("post", reverse("tickets:delete", args=[public_id])),
        ("post", reverse("tickets:rate", args=[public_id])),
        ("get", reverse("tickets:export", args=[public_id, "md"])),
        ("get", reverse("tickets:export", args=[public_id, "pdf"])),
        ("get", reverse("tickets:export_many") + f"?format=csv&ids={public_id}"),
        ("get", NEW + f"?from={public_id}"),
    ]


def test_another_users_ticket_is_404_everywhere(client, offline):
    owner = funded_user(5)
    ticket = make_ticket(owner)
    client.force_login(funded_user(5))
    for method, url in ticket_routes(ticket.public_id):
        response = getattr(client, method)(url, {"helpful": "yes"} if method == "post" else None)
        assert response.status_code == 404, url
    assert Ticket.objects.filter(pk=ticket.pk, rating__isnull=True).exists()


def test_database_ids_name_no_ticket_even_for_its_owner(signed_in):
    """The old `/tickets/<number>/` URLs are gone: nothing public linked to them, and a
    number that works would tell how many tickets exist."""
    ticket = make_ticket(signed_in.user)
    for path in (f"/tickets/{ticket.pk}/", f"/tickets/{ticket.pk}/status/",
                 f"/tickets/{ticket.pk}/edit/", f"/tickets/{ticket.pk}/export/md/",
                 NEW + f"?from={ticket.pk}"):
        assert signed_in.get(path).status_code == 404, path
    assert signed_in.post(f"/tickets/{ticket.pk}/delete/").status_code == 404
    export = signed_in.get(reverse("tickets:export_many"), {"format": "md", "ids": ticket.pk})
    assert export.status_code == 400
    assert Ticket.objects.filter(pk=ticket.pk).exists()


def test_every_route_names_the_ticket_by_its_public_id(signed_in):
    ticket = make_ticket(signed_in.user)
    for method, url in ticket_routes(ticket.public_id):
        assert ticket.public_id in url
        if method == "get":
            assert signed_in.get(url).status_code == 200, url
    detail = signed_in.get(reverse("tickets:detail", args=[ticket.public_id])).content.decode()
    library = signed_in.get(reverse("tickets:list")).content.decode()
    for html in (detail, library):
        assert ticket.public_id in html
        assert f"/tickets/{ticket.pk}/" not in html and f"#{ticket.pk}" not in html
    assert library.count(f'href="/tickets/{ticket.public_id}/"') == 1


def test_a_visitor_cannot_see_a_users_ticket_and_vice_versa(client, offline):
    ticket = make_ticket(funded_user(5))
    assert client.get(reverse("tickets:detail", args=[ticket.public_id])).status_code == 404
    client.post(NEW, ticket_form())
    visitor_ticket = Ticket.objects.get(visitor__isnull=False)
    assert client.get(reverse("tickets:detail", args=[visitor_ticket.public_id])).status_code == 200
    client.cookies.clear()
    assert client.get(reverse("tickets:detail", args=[visitor_ticket.public_id])).status_code == 404


def test_library_search_filters_pagination_and_empty_state(signed_in):
    user = signed_in.user
    empty = signed_in.get(reverse("tickets:list")).content.decode()
    assert "data-empty-library" in empty and "Generate your first ticket" in empty
    user.token_account.refresh_from_db()
    from tokens.services import grant_tokens

    grant_tokens(account=user.token_account, amount=30, kind="promo", idempotency_key="t:more")
    for number in range(23):
        make_ticket(user, title=f"Ticket number {number}",
                    ticket_type="bug" if number == 5 else "story")
    page1 = signed_in.get(reverse("tickets:list")).content.decode()
    assert page1.count("data-ticket-row") == 20
    assert "Ticket number 22" in page1 and "Page 1 of 2" in page1
    page2 = signed_in.get(reverse("tickets:list"), {"page": 2}).content.decode()
    assert page2.count("data-ticket-row") == 3
    found = signed_in.get(reverse("tickets:list"), {"q": "number 7"}).content.decode()
    assert found.count("data-ticket-row") == 1
    bugs = signed_in.get(reverse("tickets:list"), {"type": "bug"}).content.decode()
    assert bugs.count("data-ticket-row") == 1 and "Ticket number 5" in bugs
    future = signed_in.get(reverse("tickets:list"), {"created_from": "2999-01-01"})
    assert "No tickets match" in future.content.decode()
    bad = signed_in.get(reverse("tickets:list"), {"created_from": "yesterday", "page": "x"})
    assert bad.status_code == 200


def test_edit_validates_against_the_schema(signed_in):
    ticket = make_ticket(signed_in.user)
    url = reverse("tickets:edit", args=[ticket.public_id])
    form = signed_in.get(url).content.decode()
    assert "Given " in form
    data = {
        "title": "Export invoices as PDF",
        "summary": "Accountants need PDFs.",
        "user_story": "As an accountant, I want PDFs so that I can file them",
        "acceptance_criteria": "Given an invoice\nWhen I export it\nThen I get a PDF\n\n"
                               "Given no invoices, when I export, then I see a message",
        "priority": "high",
        "labels": "Billing, export",
        "story_points": "5",
        "technical_notes": "",
    }
    assert signed_in.post(url, data).status_code == 302
    ticket.refresh_from_db()
    assert ticket.title == "Export invoices as PDF"
    # Written by the user in the editor: theirs, not the generator's assumption.
    assert ticket.acceptance_criteria[1] == {
        "given": "no invoices", "when": "I export", "then": "I see a message", "origin": "user"}
    assert ticket.labels == ["billing", "export"] and ticket.story_points == 5
    assert ticket.edited_at is not None
    bad = signed_in.post(url, {**data, "title": "t" * 121, "user_story": "PDFs please",
                               "acceptance_criteria": "Given only this"})
    html = bad.content.decode()
    assert bad.status_code == 200
    assert "at most 120 characters" in html
    assert "User story must read" in html
    assert "When must be a non-empty string" in html or "when must be" in html.lower()
    ticket.refresh_from_db()
    assert ticket.title == "Export invoices as PDF"


def test_delete_asks_then_deletes(signed_in):
    ticket = make_ticket(signed_in.user)
    url = reverse("tickets:delete", args=[ticket.public_id])
    assert "Delete this ticket?" in signed_in.get(url).content.decode()
    assert signed_in.post(url)["Location"] == reverse("tickets:list")
    assert not Ticket.objects.filter(pk=ticket.pk).exists()


def test_a_generating_ticket_cannot_be_deleted(signed_in):
    signed_in.post(NEW, ticket_form())
    ticket = Ticket.objects.get()
    signed_in.post(reverse("tickets:delete", args=[ticket.public_id]))
    assert Ticket.objects.filter(pk=ticket.pk).exists()


def test_rating_with_comment(signed_in):
    ticket = make_ticket(signed_in.user)
    url = reverse("tickets:rate", args=[ticket.public_id])
    response = signed_in.post(url, {"helpful": "no", "comment": "Too vague"},
                              HTTP_HX_REQUEST="true")
    assert "Thanks for the feedback" in response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.rating, ticket.rating_comment) == (-1, "Too vague")
    signed_in.post(url, {"helpful": "yes"})
    ticket.refresh_from_db()
    assert ticket.rating == 1
    assert signed_in.post(url, {"helpful": "maybe"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.rating == 1


def test_regenerate_prefills_the_generator_and_links_the_new_ticket(signed_in):
    ticket = make_ticket(signed_in.user)
    html = signed_in.get(NEW + f"?from={ticket.public_id}").content.decode()
    assert DESCRIPTION in html and "new, paid generation" in html
    assert f'name="regenerated_from" value="{ticket.public_id}"' in html
    signed_in.post(NEW + f"?from={ticket.public_id}",
                   ticket_form(regenerated_from=ticket.public_id))
    assert Ticket.objects.get(regenerated_from=ticket).status == "queued"


def test_exports_single_and_many(signed_in):
    user = signed_in.user
    first = make_ticket(user)
    bug = {**ticket_json("bug"), "title": "=HYPERLINK(evil)", "ticket_type": "bug"}
    bug.pop("type")
    second = make_ticket(user, **bug)
    md = signed_in.get(reverse("tickets:export", args=[first.public_id, "md"]))
    assert md["Content-Disposition"] == f'attachment; filename="ticket-{first.public_id}.md"'
    assert md.content.decode().startswith(f"# {first.title}")
    data = json.loads(
        signed_in.get(reverse("tickets:export", args=[first.public_id, "json"])).content
    )
    assert data["tickets"][0]["acceptance_criteria"] == first.acceptance_criteria
    pdf = signed_in.get(reverse("tickets:export", args=[first.public_id, "pdf"]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    many = signed_in.get(reverse("tickets:export_many"),
                         {"format": "csv", "ids": [first.public_id, second.public_id]})
    rows = list(csv.reader(io.StringIO(many.content.decode())))
    assert rows[0] == ["Issue ID", "Parent", "Summary", "Issue Type", "Priority", "Labels",
                       "Description", "Story Points", "MyBA ID", "MyBA quality score"]
    by_summary = {row[2]: row for row in rows[1:]}
    assert by_summary["'=HYPERLINK(evil)"][3:6] == ["Bug", "Medium", "billing export"]
    assert "h3. Steps to reproduce" in by_summary["'=HYPERLINK(evil)"][6]
    assert by_summary[first.title][3] == "Story"
    assert by_summary[first.title][8] == first.public_id
    assert [row[:2] for row in rows[1:]] == [["1", ""], ["2", ""]]
    all_md = signed_in.get(reverse("tickets:export_many"), {"format": "md"}).content.decode()
    assert all_md.count("\n---\n") == 1
    assert signed_in.get(reverse("tickets:export_many"), {"format": "exe"}).status_code == 400
    assert signed_in.get(reverse("tickets:export_many"),
                         {"format": "md", "ids": "abc"}).status_code == 400
    unknown = signed_in.get(reverse("tickets:export_many"), {"format": "md", "ids": "0" * 10})
    assert unknown.status_code == 404
    assert signed_in.get(
        reverse("tickets:export", args=[first.public_id, "exe"])
    ).status_code == 404
    pdf_many = signed_in.get(reverse("tickets:export_many"), {"format": "pdf"})
    assert pdf_many.content.startswith(b"%PDF")


def test_a_quality_without_a_price_is_refused_and_reserves_nothing(signed_in):
    set_price("ticket.standard", active=False)
    response = signed_in.post(NEW, ticket_form())
    assert response.status_code == 200
    assert "This quality is not available right now." in response.content.decode()
    assert not Ticket.objects.exists() and not Hold.objects.exists()


def test_a_resent_form_shows_its_ticket_even_after_the_last_token_went(client, offline):
    user = funded_user(1)
    client.force_login(user)
    data = ticket_form(confirmed="on")
    first = client.post(NEW, data)
    again = client.post(NEW, data)  # the balance is 0 now: the ticket, not "Not enough"
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert Ticket.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_submit_is_one_transaction_of_few_statements(signed_in, django_assert_max_num_queries):
    """The submit's own statements (issue #22): the user, the balance the page shows, then one
    transaction — lock the account and look for a resent form's ticket in one statement,
    the ticket, its hold (the ledger's two statements, not captured here), the hold's link.
    Before them the duplicate check (issue 16) reads in a transaction of its own, writing
    nothing: its settings with the description's words, then the candidates."""
    signed_in.post(NEW, ticket_form())  # the session and the price table are warm
    with django_assert_max_num_queries(11) as captured:
        response = signed_in.post(NEW, ticket_form(), HTTP_HX_REQUEST="true")
    assert "ticket-status" in response.content.decode()
    sql = [query["sql"] for query in captured.captured_queries]
    assert sql.count("BEGIN") == 2 and not any("SAVEPOINT" in statement for statement in sql)
    check = sql[sql.index("BEGIN") + 1:sql.index("COMMIT")]
    assert len(check) == 2 and all(statement.lstrip().startswith("SELECT") for statement in check)
    assert Hold.objects.filter(status="pending").count() == 2


def test_the_library_row_follows_every_change_it_shows(signed_in):
    """Rows are cached by what they show: a change made any way (even a queryset update that
    leaves `updated_at` alone) is on the next load."""
    ticket = make_ticket(signed_in.user, title="Export invoices as CSV")
    first = signed_in.get(reverse("tickets:list")).content.decode()
    assert "Export invoices as CSV" in first and "Ready" in first
    Ticket.objects.filter(pk=ticket.pk).update(title="Export invoices as PDF", status="failed",
                                               quality_score=40)
    again = signed_in.get(reverse("tickets:list")).content.decode()
    assert "Export invoices as PDF" in again and "Export invoices as CSV" not in again
    assert "Failed" in again and "Quality 40 · needs work" in again
