"""The duplicate warning (issue 16): how well it tells duplicates on the labelled pairs, that
PostgreSQL answers it through its indexes, whose tickets it may show, that it writes and
reserves nothing, the live check under the description and the step before paying."""

import random
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.selectors import visitor_cookie_name
from accounts.teams.models import Membership
from accounts.teams.selectors import WORKSPACE_SESSION_KEY
from accounts.teams.services import create_organization
from bench.duplicates import (
    choose_threshold,
    fallback_scores,
    library_ticket,
    load_pairs,
    precision_recall,
    score_pairs,
)
from tests.builders import funded_user, make_visitor, signed_visitor_cookie, ticket_form
from tests.helpers import assert_ledger_healthy
from tickets.models import Ticket
from tickets.selectors import tickets_of_workspace
from tickets.similarity import DUPLICATE_THRESHOLD, explain, find_similar_tickets
from tokens.models import Hold, LedgerEntry, TokenAccount

pytestmark = pytest.mark.django_db

NEW = reverse("tickets:new")
SIMILAR = reverse("tickets:similar")
TITLE = "Export invoices as CSV"
EXISTING = ("Finance wants to export the invoice list to a CSV file so they can reconcile "
            "payments in Excel at month end.")
PARAPHRASE = ("Accountants need to download all invoices as a CSV spreadsheet so they can "
              "reconcile them in Excel every month.")
UNRELATED = ("Support agents need to filter the orders list by status so they can work "
             "through refunds first.")


def finished(*, title: str = TITLE, description: str = EXISTING, owner=None, visitor=None,
             organization=None) -> Ticket:
    """A finished ticket in a library (its content as a generation would have left it)."""
    account = (organization.token_account if organization is not None
               else owner.token_account if owner is not None else visitor.token_account)
    return Ticket.objects.create(
        owner=owner, visitor=visitor, organization=organization, token_account=account,
        cost=1, nonce=uuid.uuid4(), status="succeeded", ticket_type="story",
        quality="standard", title=title, description=description)


def library(user) -> list[str]:
    found = find_similar_tickets(tickets_of_workspace(user_id=user.pk, organization_id=None),
                                 PARAPHRASE)
    return [ticket.public_id for ticket in found]


# --- The labelled pairs --------------------------------------------------------------------


def test_the_labelled_pairs_are_two_fixed_balanced_halves():
    pairs = load_pairs()
    assert len(pairs) >= 60
    assert len({pair["id"] for pair in pairs}) == len(pairs)
    for half in ("tune", "held_out"):
        labels = [pair["duplicate"] for pair in pairs if pair["split"] == half]
        assert len(labels) >= 30
        assert 0.4 <= sum(labels) / len(labels) <= 0.6
    assert {pair["split"] for pair in pairs} == {"tune", "held_out"}


def test_held_out_precision_and_recall_with_the_real_query():
    """The threshold in the code is the one the tune half chooses, and on the held-out half
    it keeps precision >= 0.9 (measured 1.00) with recall >= 0.4 (measured 0.50: 8 of 16;
    the floor allows one pair to move)."""
    scored = score_pairs(load_pairs())
    tune = [(pair, score) for pair, score in scored if pair["split"] == "tune"]
    held_out = [(pair, score) for pair, score in scored if pair["split"] == "held_out"]
    assert choose_threshold(tune) == pytest.approx(DUPLICATE_THRESHOLD, abs=0.01)
    precision, recall = precision_recall(held_out, DUPLICATE_THRESHOLD)
    assert precision >= 0.9
    assert recall >= 0.4


def test_the_sqlite_fallback_scores_the_pairs_alike():
    """The zero-setup run's Python approximation, at the same threshold (measured on the
    held-out half: precision 1.00, recall 0.81)."""
    held_out = [(pair, score) for pair, score in fallback_scores(load_pairs())
                if pair["split"] == "held_out"]
    precision, recall = precision_recall(held_out, DUPLICATE_THRESHOLD)
    assert precision >= 0.9
    assert recall >= 0.5


# --- PostgreSQL's plan ---------------------------------------------------------------------


def test_the_check_reads_candidates_through_the_trigram_and_full_text_indexes():
    user = funded_user(0)
    rng = random.Random(16)
    rows = []
    for _ in range(3000):
        title, description = library_ticket(rng)
        rows.append(Ticket(owner=user, token_account=user.token_account, cost=1,
                           nonce=uuid.uuid4(), status="succeeded", ticket_type="story",
                           quality="standard", title=title[:120], description=description))
    Ticket.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tickets_ticket")
        # Whether the planner prefers the indexes at 3,000 rows also depends on what earlier
        # tests on this xdist worker left in the table's pages (it chose a sequential scan
        # once in CI): rule that out, so the test says what it is for — the query's shape can
        # be answered from both indexes. bench/duplicates.py measures the speed at 10,000.
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = "\n".join(explain(tickets_of_workspace(user_id=user.pk, organization_id=None),
                             PARAPHRASE, analyze=False))
    assert "Bitmap Index Scan on tickets_description_trgm" in plan, plan
    assert "Bitmap Index Scan on tickets_title_fts" in plan, plan
    assert "Seq Scan" not in plan, plan


# --- Whose tickets -------------------------------------------------------------------------


def test_only_the_library_of_the_current_workspace_is_searched(client, prices):
    me, stranger = funded_user(0), funded_user(0)
    mine = finished(owner=me)
    finished(owner=stranger)  # the same ticket, someone else's
    team = create_organization(user=me, name="Acme")
    other_team = create_organization(user=stranger, name="Globex")
    ours = finished(owner=me, organization=team)
    finished(owner=stranger, organization=other_team)
    finished(owner=me, description=EXISTING, title=TITLE).delete()  # deleted: gone

    assert library(me) == [mine.public_id]
    assert library(stranger) != [mine.public_id]

    client.force_login(me)
    personal = client.get(SIMILAR, {"description": PARAPHRASE}).content.decode()
    assert mine.public_id in personal and ours.public_id not in personal
    session = client.session
    session[WORKSPACE_SESSION_KEY] = team.slug
    session.save()
    in_team = client.get(SIMILAR, {"description": PARAPHRASE}).content.decode()
    assert ours.public_id in in_team and mine.public_id not in in_team

    # A member of the other team, in its workspace, sees only that team's.
    Membership.objects.create(organization=other_team, user=me, role="member")
    session = client.session
    session[WORKSPACE_SESSION_KEY] = other_team.slug
    session.save()
    theirs = client.get(SIMILAR, {"description": PARAPHRASE}).content.decode()
    assert ours.public_id not in theirs and mine.public_id not in theirs
    assert "Looks like" in theirs


def test_a_visitor_searches_only_its_own_tickets(client, offline):
    visitor, other = make_visitor(ip="203.0.113.61"), make_visitor(ip="203.0.113.62")
    finished(visitor=other)
    client.cookies[visitor_cookie_name()] = signed_visitor_cookie(visitor.public_id)
    assert "Looks like" not in client.get(SIMILAR, {"description": PARAPHRASE}).content.decode()
    own = finished(visitor=visitor)
    assert own.public_id in client.get(SIMILAR, {"description": PARAPHRASE}).content.decode()


# --- Nothing written, nothing reserved -----------------------------------------------------


def ledger_state():
    return (Ticket.objects.count(), Hold.objects.count(), LedgerEntry.objects.count(),
            list(TokenAccount.objects.order_by("pk").values_list("balance", "held")))


def test_the_checks_write_nothing_and_reserve_nothing(client, offline):
    user = funded_user(5)
    finished(owner=user)
    client.force_login(user)
    client.get(NEW)  # the session's own first-request writes (allauth's session list)
    before = ledger_state()
    with CaptureQueriesContext(connection) as queries:
        live = client.get(SIMILAR, {"description": PARAPHRASE}, HTTP_HX_REQUEST="true")
        step = client.post(NEW, ticket_form(description=PARAPHRASE), HTTP_HX_REQUEST="true")
    assert "Looks like" in live.content.decode()
    assert "Create a new ticket anyway" in step.content.decode()
    assert ledger_state() == before
    writes = [query["sql"] for query in queries.captured_queries
              if query["sql"].split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []
    assert_ledger_healthy()


# --- The live check ------------------------------------------------------------------------


def test_the_live_check_names_the_ticket_by_its_public_id(client, offline):
    user = funded_user(5)
    ticket = finished(owner=user)
    finished(owner=user, title="Filter orders by status", description=UNRELATED)
    client.force_login(user)
    response = client.get(SIMILAR, {"description": PARAPHRASE}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Looks like" in html and f"“{TITLE}”" in html and "% similar) — open it instead?" in html
    assert f'href="/tickets/{ticket.public_id}/"' in html
    assert f"/tickets/{ticket.pk}/" not in html
    assert "Filter orders by status" not in html
    assert "Not a duplicate: go on" in html
    assert response["X-RateLimit-Limit"]


@pytest.mark.parametrize("description", ["", "Export invoices", "x" * 4001, "\x00" * 30,
                                         UNRELATED])
def test_the_live_check_answers_nothing_for_short_long_or_unrelated_text(client, offline,
                                                                          description):
    user = funded_user(5)
    finished(owner=user)
    client.force_login(user)
    response = client.get(SIMILAR, {"description": description}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.content.decode().strip() == ""


def test_dismissing_the_warning_sets_the_forms_go_on_flag(client, offline):
    response = client.get(SIMILAR, {"dismissed": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Noted: this will be a new ticket." in response
    assert '<input type="hidden" name="duplicate_ok" value="on">' in response


def test_the_live_check_is_rate_limited(client, offline, settings):
    settings.SIMILAR_RATE_LIMIT = 2
    user = funded_user(5)
    finished(owner=user)
    client.force_login(user)
    answers = [client.get(SIMILAR, {"description": PARAPHRASE}) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert answers[2]["Retry-After"]
    # A submit past the limit goes on unwarned (the generator's own limit still applies).
    response = client.post(NEW, ticket_form(description=PARAPHRASE), HTTP_HX_REQUEST="true")
    assert "Create a new ticket anyway" not in response.content.decode()


def test_the_generator_asks_for_the_check_while_typing(client, offline):
    client.force_login(funded_user(5))
    html = client.get(NEW).content.decode()
    assert f'hx-get="{SIMILAR}"' in html
    assert "input changed delay:600ms from:#id_description" in html
    assert 'id="duplicate-warning" aria-live="polite"' in html


# --- The step before paying ----------------------------------------------------------------


def test_a_likely_duplicate_asks_before_anything_is_reserved_then_goes_on(client, offline):
    user = funded_user(5)
    ticket = finished(owner=user)
    client.force_login(user)
    form = ticket_form(description=PARAPHRASE)
    step = client.post(NEW, form, HTTP_HX_REQUEST="true").content.decode()
    assert "Is this already a ticket?" in step
    assert f'href="/tickets/{ticket.public_id}/" data-open-duplicate' in step
    assert 'name="duplicate_ok" value="on"' in step
    assert Ticket.objects.count() == 1

    back = client.post(NEW, {**form, "back": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert "data-generator-form" in back and PARAPHRASE in back
    assert Ticket.objects.count() == 1

    started = client.post(NEW, {**form, "duplicate_ok": "on"}, HTTP_HX_REQUEST="true")
    assert started.status_code == 200
    made = Ticket.objects.exclude(pk=ticket.pk).get()
    assert made.description == PARAPHRASE and made.hold is not None
    assert started["HX-Push-Url"] == f"/tickets/{made.public_id}/"
    # The same form sent again shows its ticket, not a warning about it.
    again = client.post(NEW, form, HTTP_HX_REQUEST="true")
    assert "Is this already a ticket?" not in again.content.decode()
    assert Ticket.objects.count() == 2


def test_no_warning_without_a_likely_duplicate(client, offline):
    user = funded_user(5)
    finished(owner=user, title="Filter orders by status", description=UNRELATED)
    client.force_login(user)
    response = client.post(NEW, ticket_form(description=PARAPHRASE), HTTP_HX_REQUEST="true")
    assert "Is this already a ticket?" not in response.content.decode()
    assert Ticket.objects.count() == 2


def test_regenerating_a_ticket_is_not_a_duplicate_of_it(client, offline):
    user = funded_user(5)
    source = finished(owner=user, description=PARAPHRASE)
    client.force_login(user)
    response = client.post(NEW, ticket_form(description=PARAPHRASE,
                                            regenerated_from=source.public_id),
                           HTTP_HX_REQUEST="true")
    assert "Is this already a ticket?" not in response.content.decode()
    assert Ticket.objects.filter(regenerated_from=source).count() == 1
