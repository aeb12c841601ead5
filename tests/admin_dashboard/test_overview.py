"""The overview's figures against a small hand-built data set, and its fixed query count."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AnonymousVisitor, User
from accounts.services import get_or_open_user_account, on_user_signed_in, on_user_signed_up
from admin_dashboard.metrics import overview
from admin_dashboard.periods import Period, preset_period
from billing.models import Purchase, TokenPack
from tests.builders import make_request, make_visitor, request_ticket
from tests.factories import UserFactory
from tickets.models import Ticket
from tokens.services import grant_tokens, spend_tokens

DAYS_AGO_10 = timedelta(days=10)


def _backdate(model, pk, **fields):
    model.objects.filter(pk=pk).update(**fields)


def make_ticket(user, *, status, ticket_type="bug", quality="standard", latency_s=None,
                created_at=None, visitor=None):
    account = get_or_open_user_account(user=user) if user else visitor.token_account
    ticket = Ticket.objects.create(
        owner=user, visitor=visitor, token_account=account, cost=1, nonce=uuid.uuid4(),
        status=status, ticket_type=ticket_type, quality=quality, description="d",
        title="T" if status == "succeeded" else "",
    )
    # Half an hour ago, but never yesterday: "today" must count it whenever the suite runs.
    now = timezone.now()
    created = created_at or max(now - timedelta(minutes=30),
                                timezone.localtime(now).replace(hour=0, minute=0, second=0,
                                                                microsecond=0))
    finished = created + timedelta(seconds=latency_s) if latency_s is not None else None
    _backdate(Ticket, ticket.pk, created_at=created, finished_at=finished)
    return ticket


def make_purchase(user, *, cents, refunded=0, paid_at=None, key):
    pack, _ = TokenPack.objects.get_or_create(
        slug="starter", defaults={"name": "Starter", "tokens": 10, "price_cents": 500}
    )
    account = get_or_open_user_account(user=user)
    lot = grant_tokens(account=account, amount=10, kind="purchase", source="paid",
                       idempotency_key=key)
    status = Purchase.Status.PARTIALLY_REFUNDED if refunded else Purchase.Status.PAID
    return Purchase.objects.create(
        user=user, token_account=account, pack=pack, tokens=10, amount_subtotal=cents,
        amount_total=cents, currency="usd", status=status, lot_entry=lot,
        paid_at=paid_at or timezone.now(), amount_refunded=refunded,
        refunded_at=timezone.now() if refunded else None,
    )


@pytest.fixture
def dataset(staff):
    now = timezone.now()
    alice, bob = UserFactory(), UserFactory()
    old = UserFactory()
    _backdate(User, old.pk, date_joined=now - DAYS_AGO_10)
    # Tokens: alice gets 10 welcome and spends 4; bob gets 6 welcome; old got 6 ten days ago.
    alice_account = get_or_open_user_account(user=alice)
    grant_tokens(account=alice_account, amount=10, kind="welcome", idempotency_key="t:a:w")
    spend_tokens(account=alice_account, amount=4, idempotency_key="t:a:s")
    grant_tokens(account=get_or_open_user_account(user=bob), amount=6, kind="welcome",
                 idempotency_key="t:b:w")
    old_welcome = grant_tokens(account=get_or_open_user_account(user=old), amount=6,
                               kind="welcome", idempotency_key="t:o:w")
    from tokens.models import LedgerEntry
    _backdate(LedgerEntry, old_welcome.pk, created_at=now - DAYS_AGO_10)
    # Visitors: two new, one ten days ago.
    AnonymousVisitor.objects.create(ip_hash="a")
    AnonymousVisitor.objects.create(ip_hash="b")
    stale = AnonymousVisitor.objects.create(ip_hash="c")
    _backdate(AnonymousVisitor, stale.pk, created_at=now - DAYS_AGO_10)
    # Tickets: 3 succeeded (1, 2, 10 s), 1 failed; 1 succeeded ten days ago.
    make_ticket(alice, status="succeeded", latency_s=1)
    make_ticket(alice, status="succeeded", latency_s=2, ticket_type="feature")
    make_ticket(bob, status="succeeded", latency_s=10, quality="advanced")
    make_ticket(bob, status="failed")
    make_ticket(old, status="succeeded", latency_s=5, created_at=now - DAYS_AGO_10)
    # Money: alice paid $5 and $20 (of which $5 refunded); old paid $5 ten days ago.
    make_purchase(alice, cents=500, key="p:1")
    make_purchase(alice, cents=2000, refunded=500, key="p:2")
    make_purchase(old, cents=500, paid_at=now - DAYS_AGO_10, key="p:3")
    return {"alice": alice, "bob": bob, "old": old}


def week() -> Period:
    today = timezone.localdate()
    return Period("7", today - timedelta(days=6), today)


def figures_of(data) -> dict:
    return {f.label: (f.current, f.previous) for f in data["figures"]}


@pytest.mark.django_db
def test_overview_figures_match_the_hand_built_data(dataset):
    data = overview(week())
    figures = figures_of(data)
    assert figures["Sign-ups"] == (3, 1)  # staff, alice, bob | old
    assert figures["Active users"] == (1, 0)  # only alice spent
    assert figures["New visitors"] == (2, 1)
    assert figures["Tickets"] == (4, 1)
    assert figures["Tickets ready"] == (3, 1)
    assert figures["Tickets failed"] == (1, 0)
    assert figures["Median latency"] == (pytest.approx(2000), pytest.approx(5000))
    assert figures["p95 latency"][0] == pytest.approx(9200)  # 2 s + 0.9 * 8 s
    assert figures["Purchases"] == (2, 1)
    assert figures["Gross revenue"] == (2500, 500)
    assert figures["Refunded"] == (500, 0)
    assert figures["Net revenue"] == (2000, 500)
    shown = {f.label: f.shown for f in data["figures"]}
    assert (shown["Gross revenue"], shown["Median latency"]) == ("$25.00", "2.0 s")
    kinds = {f.label: (f.current, f.previous) for f in data["token_rows"]}
    assert kinds["Welcome bonus"] == (16, 6)
    assert kinds["Spend"] == (-4, 0)
    assert kinds["Purchase"] == (30, 0)  # all three credits were written today
    by_type = {(r["ticket_type"], r["quality"]): r["total"] for r in data["by_type"]}
    assert by_type == {("bug", "standard"): 2, ("feature", "standard"): 1, ("bug", "advanced"): 1}
    assert sum(row["gross"] for row in data["revenue_days"]) == 2500
    assert [f.change for f in data["figures"] if f.label == "Sign-ups"] == [200.0]


@pytest.mark.django_db
def test_funnel_follows_the_visitor_cohort(staff_client, dataset):
    alice = dataset["alice"]
    converted = AnonymousVisitor.objects.get(ip_hash="a")
    # First seen an hour before alice's account existed: she tried it, then signed up.
    AnonymousVisitor.objects.filter(pk=converted.pk).update(
        merged_into=alice, merged_at=timezone.now(),
        created_at=alice.date_joined - timedelta(hours=1),
    )
    from tokens.services import open_account

    AnonymousVisitor.objects.filter(pk=converted.pk).update(token_account=open_account())
    converted.refresh_from_db()
    make_ticket(None, status="succeeded", latency_s=1, visitor=converted)
    page = staff_client.get("/dashboard/funnel/?range=7")
    counts = [step["count"] for step in page.context["steps"]]
    assert counts == [2, 1, 1, 1, 1]  # visitors, generated, signed up, purchased, repeat


def funnel_of(client, query="range=7") -> list[tuple[str, int, float | None]]:
    page = client.get(f"/dashboard/funnel/?{query}")
    assert page.status_code == 200
    return [(s["label"], s["count"], s["of_previous"]) for s in page.context["steps"]]


def try_generator(ip: str) -> AnonymousVisitor:
    """A visitor's first costed action: free tokens from `ip`'s network, one ticket."""
    visitor = make_visitor(ip=ip)
    request_ticket(visitor.token_account, visitor=visitor)
    return visitor


@pytest.mark.django_db
def test_funnel_steps_nest_when_sign_ups_outnumber_people_who_tried_it(staff_client, prices):
    """Sign-up makes a visitor row for every new account, after the account, and signing in
    merges a visitor into an old one. The funnel once counted both as visitors who signed up:
    this data read "Signed up 6" under "Generated a ticket 3" (200% of the step before)."""
    for n in range(4):
        on_user_signed_up(user=UserFactory(), request=make_request(ip=f"198.51.100.{n}"))
    tried = try_generator("203.0.113.10")
    customer = UserFactory()
    on_user_signed_up(user=customer, request=make_request(visitor=tried))
    make_purchase(customer, cents=500, key="funnel:1")
    make_purchase(customer, cents=2000, key="funnel:2")
    try_generator("203.0.113.11")  # tried it and left
    # An existing customer generating while signed out, then signing in: not a new customer.
    returning = UserFactory()
    on_user_signed_in(user=returning, request=make_request(visitor=try_generator("203.0.113.12")))

    assert funnel_of(staff_client) == [
        ("New visitors", 2, None),
        ("Generated a ticket", 2, 100.0),
        ("Then signed up", 1, 50.0),
        ("Then bought tokens", 1, 100.0),
        ("Then bought again", 1, 100.0),
    ]
    # The overview's "New visitors" are the same people as the funnel's.
    assert figures_of(overview(week()))["New visitors"] == (2, 0)
    page = staff_client.get("/dashboard/funnel/?range=7").content.decode()
    # The sign-ups outside the funnel are counted beside it, not as a step.
    assert "whether or not they tried the generator first: <strong>7</strong>" in page


@pytest.mark.django_db
def test_funnel_page_queries_do_not_grow_with_visitors(staff_client, prices,
                                                       django_assert_max_num_queries):
    with django_assert_max_num_queries(20) as few:
        assert staff_client.get("/dashboard/funnel/?range=30").status_code == 200
    for n in range(15):
        visitor = try_generator(f"203.0.113.{20 + n}")
        customer = UserFactory()
        on_user_signed_up(user=customer, request=make_request(visitor=visitor))
        make_purchase(customer, cents=500, key=f"funnel:more:{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert staff_client.get("/dashboard/funnel/?range=30").status_code == 200


@pytest.mark.django_db
def test_overview_page_uses_a_fixed_number_of_queries(
    staff_client, dataset, django_assert_max_num_queries
):
    with django_assert_max_num_queries(25) as small:
        assert staff_client.get("/dashboard/?range=30").status_code == 200
    for n in range(20):
        user = UserFactory()
        make_ticket(user, status="succeeded", latency_s=n)
        make_purchase(user, cents=500, key=f"p:more:{n}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = staff_client.get("/dashboard/?range=30")
    assert page.status_code == 200
    assert b"<svg" in page.content and b"<polyline" in page.content and b"<rect" in page.content


@pytest.mark.django_db
def test_custom_range_is_validated(staff_client):
    bad = staff_client.get("/dashboard/?range=custom&from=2026-05-10&to=2026-05-01")
    assert bad.status_code == 200
    assert b"The start date must be on or before the end date." in bad.content
    good = staff_client.get("/dashboard/?range=custom&from=2026-01-01&to=2026-01-31")
    assert b"2026-01-01 \xe2\x80\x93 2026-01-31" in good.content
    assert b"31 days" in good.content


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/dashboard/", "/dashboard/funnel/", "/dashboard/webhooks/",
                                  "/dashboard/generations/"])
def test_a_range_before_the_first_day_is_refused_not_overflowed(staff_client, path):
    """The period before 0001-01-01 does not exist: it once answered 500 (OverflowError)."""
    query = "range=custom&from=0001-01-01&to=0001-01-01"
    response = staff_client.get(f"{path}?{query}")
    assert response.status_code == 200
    page = response.content.decode()
    assert "The start date must be on or after 2000-01-01." in page
    assert response.context["period"] == preset_period("30")  # the default range, shown
    refreshed = staff_client.post(f"/dashboard/refresh/?{query}")
    assert refreshed.status_code == 302 and refreshed["Location"] == "/dashboard/?range=30"


@pytest.mark.django_db
def test_a_malformed_date_is_shown_as_an_error(staff_client):
    response = staff_client.get("/dashboard/?range=custom&from=2026-02-30&to=x")
    assert "From: Enter a valid date." in response.content.decode()


@pytest.mark.django_db
def test_overview_csv_export(staff_client, dataset):
    response = staff_client.get("/dashboard/?range=7&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines()[0] == "figure,current,previous,change_percent"
    assert "Sign-ups,3,1,200.0" in body
