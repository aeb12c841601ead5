"""Builders every test package shares: users (verified, staff with MFA), funded token accounts,
visitors, ticket requests, finished tickets with chosen content, and signed-in clients.

Plain functions, called from tests and fixtures; tests/conftest.py wraps the common ones as
fixtures (`verified_user`, `staff`, `staff_client`, `superuser`, `superuser_client`).
"""

import itertools
import uuid
from datetime import UTC, timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core.signing import get_cookie_signer
from django.db.models import Sum
from django.db.models.functions import TruncDate
from django.test import Client, RequestFactory
from django.utils import timezone

from accounts.models import AnonymousVisitor
from accounts.selectors import VISITOR_COOKIE_SALT, visitor_cookie_name
from accounts.services import get_or_open_user_account, get_paying_account
from tests.factories import UserFactory
from tickets import services as ticket_services
from tickets.models import Ticket
from tokens.models import LedgerEntry, Price, SpendTally, TokenAccount
from tokens.services import grant_tokens, open_account, spend_tokens

_keys = itertools.count()


def new_key(prefix: str = "k") -> str:
    """A fresh idempotency key, unique within the test run."""
    return f"test:{prefix}:{next(_keys)}"


# --- people --------------------------------------------------------------------------------


def make_verified_user(**fields):
    """A user who signed up earlier and verified their email (can sign in with a password)."""
    user = UserFactory(**fields)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def make_staff(*, mfa: bool = True, **fields):
    """Staff with a verified email and, unless `mfa=False`, a TOTP authenticator: the
    dashboard and the Django admin both let staff in only with MFA (DASHBOARD_REQUIRE_MFA)."""
    staff = make_verified_user(is_staff=True, **fields)
    if mfa:
        Authenticator.objects.create(user=staff, type=Authenticator.Type.TOTP,
                                     data={"secret": "JBSWY3DPEHPK3PXP"})
    return staff


def client_for(user=None, **client_options) -> Client:
    """A test client signed in as `user` (anonymous when None)."""
    client = Client(**client_options)
    if user is not None:
        client.force_login(user)
    return client


# --- tokens --------------------------------------------------------------------------------


def funded_account(tokens: int = 5, *, label: str = "test", **grant) -> TokenAccount:
    """A new token account credited with `tokens` (a welcome grant unless `kind=` says
    otherwise; other keywords go to `grant_tokens`, e.g. `expires_at`, `source`)."""
    account = open_account(label=label)
    if tokens:
        grant.setdefault("kind", "welcome")
        grant_tokens(account=account, amount=tokens, idempotency_key=new_key("grant"), **grant)
        account.refresh_from_db()
    return account


def spend_days_ago(account: TokenAccount, *, days_ago: float, tokens: int = 1,
                   feature_key: str = "ticket.standard", reference: str = "") -> LedgerEntry:
    """A spend on `account` dated `days_ago` days back (its ledger entry backdated, as a
    history built up over time would have it)."""
    entry = spend_tokens(account=account, amount=tokens, idempotency_key=new_key("spend"),
                         feature_key=feature_key, reference=reference)
    backdate_entries(LedgerEntry.objects.filter(pk=entry.pk),
                     timezone.now() - timedelta(days=days_ago))
    return entry


def backdate_entries(entries, when) -> None:
    """Date `entries` (a LedgerEntry queryset) at `when`, and their accounts' daily spend
    tallies with them, as if the ledger had written them then."""
    account_ids = set(entries.values_list("account_id", flat=True))
    entries.update(created_at=when)
    SpendTally.objects.filter(account_id__in=account_ids).delete()
    day = TruncDate("created_at", tzinfo=UTC)
    SpendTally.objects.bulk_create(
        SpendTally(account_id=row["account_id"], spender=row["spender"], day=row["day"],
                   tokens=-row["total"])
        for row in LedgerEntry.objects.filter(account_id__in=account_ids, kind="spend")
        .annotate(day=day).values("account_id", "spender", "day")
        .annotate(total=Sum("amount")).order_by())


def funded_user(tokens: int = 5, *, spent: int = 0, **fields):
    """A user whose own token account was granted `tokens` welcome tokens, `spent` of them
    already spent; `fields` go to the UserFactory (e.g. `email=`)."""
    user = UserFactory(**fields)
    account = get_or_open_user_account(user=user)
    if tokens:
        grant_tokens(account=account, amount=tokens, kind="welcome",
                     idempotency_key=new_key("grant"))
    if spent:
        spend_tokens(account=account, amount=spent, idempotency_key=new_key("spend"))
    account.refresh_from_db()
    return user


# --- visitors ------------------------------------------------------------------------------


def signed_visitor_cookie(public_id) -> str:
    """The cookie value our middleware would set for this visitor id."""
    name = visitor_cookie_name()
    return get_cookie_signer(salt=name + VISITOR_COOKIE_SALT).sign(str(public_id))


def make_request(*, ip="203.0.113.7", visitor=None, cookie_value=None, user=None, **meta):
    """A GET request from `ip`, carrying a visitor's signed cookie when given."""
    request = RequestFactory().get("/", REMOTE_ADDR=ip, **meta)
    if visitor is not None:
        cookie_value = signed_visitor_cookie(visitor.public_id)
    if cookie_value is not None:
        request.COOKIES[visitor_cookie_name()] = cookie_value
    request.user = user or AnonymousUser()
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def make_visitor(*, ip: str = "203.0.113.50", spend: int = 0) -> AnonymousVisitor:
    """A visitor whose free grant is in the ledger (as after a first costed action from
    `ip`), `spend` tokens of it already spent."""
    account = get_paying_account(request=make_request(ip=ip))
    if spend:
        spend_tokens(account=account, amount=spend, idempotency_key=new_key("visitor-spend"))
    return AnonymousVisitor.objects.get(token_account=account)


# --- tickets -------------------------------------------------------------------------------

DESCRIPTION = (
    "Customers need to download their invoices as PDF so that their accountant can file "
    "them without asking support for copies."
)


def ticket_form(**overrides) -> dict:
    """The generator form as a browser posts it, with a fresh nonce."""
    return {
        "description": DESCRIPTION,
        "ticket_type": "story",
        "quality": "standard",
        "product_area": "",
        "tech_stack": "",
        "nonce": str(uuid.uuid4()),
        **overrides,
    }


def request_ticket(account, *, owner=None, visitor=None, nonce=None, quality="standard",
                   ticket_type="story", description=DESCRIPTION) -> Ticket:
    """A queued ticket with its hold on `account`, through the service a view calls."""
    return ticket_services.request_ticket_generation(
        account=account,
        owner=owner,
        visitor=visitor,
        ticket_type=ticket_type,
        quality=quality,
        description=description,
        nonce=nonce or uuid.uuid4(),
    )


def generated_ticket(account, **request) -> Ticket:
    """A ticket requested on `account` (`request`: as `request_ticket`) and generated inline by
    the provider the settings name; read back from the database."""
    ticket = request_ticket(account, **request)
    ticket_services.run_ticket_generation(ticket_id=ticket.pk)
    ticket.refresh_from_db()
    return ticket


def finished_ticket(user, *, ticket_type: str = "story", description: str = DESCRIPTION,
                    **content) -> Ticket:
    """A finished ticket of `user`'s (generated by the configured provider), its `content`
    fields then written over it with the quality check of what it now holds, as an edit
    stores it (without marking it edited)."""
    ticket = generated_ticket(user.token_account, owner=user, ticket_type=ticket_type,
                              description=description)
    for field, value in content.items():
        setattr(ticket, field, value)
    ticket_services.score_ticket(ticket=ticket)
    ticket.save()
    # Its history agrees: version 1 is the content it holds.
    ticket.versions.filter(number=ticket.version).update(
        content=ticket.content(), quality_score=ticket.quality_score,
        quality_report=ticket.quality_report)
    return ticket


def clauses(criteria: list[dict]) -> list[dict]:
    """Acceptance criteria without their origins (tickets/quality/clarify.py): what a model
    wrote or a user typed, for comparing."""
    return [{part: criterion[part] for part in ("given", "when", "then")}
            for criterion in criteria]


# One acceptance criterion, and a vague one: a ticket with it fails `criteria_count` (a hard
# rule) and `criteria_observable`.
VAGUE_CRITERIA = [
    {"given": "a customer with an invoice", "when": "they download it",
     "then": "it works correctly"},
]
# A story written from DESCRIPTION the way the quality check asks (tickets/quality).
GOOD_STORY = {
    "title": "Let customers download their invoices as PDF",
    "summary": (
        "Customers ask support for copies of invoices whenever their accountant needs them. "
        "A PDF download on each invoice lets them hand invoices over without waiting on us."
    ),
    "user_story": (
        "As a customer, I want to download each invoice as a PDF, so that my accountant can "
        "file it without me asking support for a copy."
    ),
    "acceptance_criteria": [
        {"given": "a customer viewing one of their paid invoices",
         "when": "they click Download PDF",
         "then": "a PDF named after the invoice number downloads, with every line, tax and "
                 "total shown on the invoice page"},
        {"given": "a customer who has no invoices yet",
         "when": "they open the Invoices page",
         "then": "the page reads \"No invoices yet\" and shows no Download PDF button"},
        {"given": "an invoice PDF a customer downloaded",
         "when": "their accountant opens it",
         "then": "it shows the customer's billing address, the invoice date and the amount "
                 "due"},
    ],
    "priority": "medium",
    "labels": ["billing", "invoices", "pdf"],
    "story_points": 3,
    "technical_notes": "Render with the existing PDF export; name files invoice-<number>.pdf.",
}


def set_price(feature_key: str, **fields) -> None:
    """Change a price as staff do in the admin: a model save, which renews the cached table."""
    price = Price.objects.get(feature_key=feature_key)
    for name, value in fields.items():
        setattr(price, name, value)
    price.save()
