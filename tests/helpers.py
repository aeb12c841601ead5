"""Helpers every test package shares: signing up and in through allauth's real views (and in
Chromium), checking the ledger, racing threads, and waiting for what another thread or
process writes."""

import os
import re
import threading
import time
from collections.abc import Callable
from io import StringIO

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tickets.models import Ticket
from tickets.quality.clarify import find_questions
from tokens.models import LedgerEntry, TokenAccount

# --- signing up and in ---------------------------------------------------------------------


def confirmation_path() -> str:
    """The email-confirmation link from the last message in the test mailbox."""
    body = mail.outbox[-1].body
    match = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+)", body)
    assert match, body
    return match.group(1)


def sign_up(client, email, password=PASSWORD, **extra):
    """Sign up and confirm the email through allauth's real views; returns the final response."""
    response = client.post(
        "/accounts/signup/",
        {"email": email, "password1": password, "password2": password},
        **extra,
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return client.post(confirmation_path(), follow=True, **extra)


def sign_in(client, email, password=PASSWORD, **extra):
    return client.post(
        "/accounts/login/", {"login": email, "password": password}, follow=True, **extra
    )


def reauthenticate(client, password=PASSWORD):
    """allauth asks for the password again before sensitive changes (MFA, deleting)."""
    response = client.post("/accounts/reauthenticate/", {"password": password})
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def sign_up_in_browser(page, email, password=PASSWORD) -> None:
    """On allauth's open sign-up page: sign up, confirm the email from the outbox, and wait
    until the header shows the new account signed in."""
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Password (again)").fill(password)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Verify your email address")).to_be_visible()
    page.goto(confirmation_path())
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".nav-account")).to_contain_text(email)


def sign_in_in_browser(page, email, password=PASSWORD) -> None:
    """Sign in through the real sign-in page (the user's email must be verified)."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator(".nav-account")).to_contain_text(email)


def generate_in_browser(page, description, *, confirm=False) -> None:
    """On the generator: describe, generate, skip the clarify-first questions when this
    description gets them (the rules are deterministic), confirm the last-token step when asked
    to, and wait for the ticket card. The ticket type is the generator's default (story)."""
    page.get_by_label("What needs doing?").fill(description)
    page.get_by_role("button", name=re.compile(r"Generate · 1 token")).click()
    if find_questions(description, "story"):
        page.locator("[data-skip-button]").click()
    if confirm:
        expect(page.locator("[data-confirm-step]")).to_contain_text("This uses your last token")
        page.locator("[data-confirm-button]").click()
    expect(page.locator("[data-ticket-card]")).to_be_visible(timeout=20_000)


def sign_in_browser_as(page, live_server, user) -> None:
    """Sign `user` in on the page's browser context with a session cookie (no sign-in page):
    for journeys about something else than signing in."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value,
                               "url": live_server.url}])


def totp_code(secret: str, offset: int = 0) -> str:
    """The authenticator app's code for `secret`, `offset` 30-second periods from now."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + offset))


def sign_in_with_totp_in_browser(page, user, secret, password=PASSWORD) -> None:
    """Sign in through the real pages with a password, then the authenticator's code."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    # The server accepts only the current period's code: one typed in a period's last
    # seconds can be checked in the next (a loaded machine), so wait the period out.
    left = 30 - time.time() % 30
    if left < 5:
        time.sleep(left)
    page.locator("input[name=code]").fill(totp_code(secret))
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator(".nav-account")).to_contain_text(user.email)


# --- the ledger ----------------------------------------------------------------------------


def balance_of(account) -> int:
    return TokenAccount.objects.get(pk=account.pk).balance


def user_balance(user) -> int:
    """The user's balance as stored now (0 while they have no token account)."""
    user.refresh_from_db()
    return 0 if user.token_account_id is None else balance_of(user.token_account)


def spends_for(ticket: Ticket):
    return LedgerEntry.objects.filter(reference=ticket.reference, kind="spend")


def assert_ledger_healthy() -> None:
    """`ledger_audit` exits 0 (it calls sys.exit(1) on any drift)."""
    call_command("ledger_audit", stdout=StringIO())


def assert_charged_once(ticket: Ticket, account: TokenAccount, start_balance: int) -> None:
    account.refresh_from_db()
    ticket.hold.refresh_from_db()
    assert ticket.hold.status == "captured"
    assert spends_for(ticket).count() == 1
    assert spends_for(ticket).get().amount == -ticket.cost
    assert (account.balance, account.held) == (start_balance - ticket.cost, 0)
    assert_ledger_healthy()


def assert_not_charged(ticket: Ticket, account: TokenAccount, start_balance: int) -> None:
    account.refresh_from_db()
    ticket.hold.refresh_from_db()
    assert ticket.hold.status in ("released", "expired")
    assert not spends_for(ticket).exists()
    assert (account.balance, account.held) == (start_balance, 0)
    assert_ledger_healthy()


# --- threads and waiting -------------------------------------------------------------------


def race(*jobs: Callable, errors_ok: bool = False) -> list:
    """Run each job in a thread of its own (its own PostgreSQL connection), all released at
    once by a barrier so they really overlap; returns their results in order.

    A job that raised has its exception in its place when `errors_ok`; otherwise any
    exception fails the test.
    """
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(index, job):
        try:
            barrier.wait(10)
            results[index] = job()
        except Exception as error:  # reported to the test below
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a racing job never finished"
    if not errors_ok:
        errors = [result for result in results if isinstance(result, Exception)]
        assert errors == [], errors
    return results


def in_thread(job: Callable) -> tuple[threading.Thread, list]:
    """Start `job` in a thread of its own (its own PostgreSQL connection, closed after);
    the returned list receives its result. Join the thread before reading it."""
    result: list = []

    def run():
        try:
            result.append(job())
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def wait_until(predicate: Callable, timeout: float = 10.0, *, interval: float = 0.05,
               message: str | Callable[[], str] = "condition not met"):
    """Poll `predicate` until it returns something truthy, and return that.

    Only for state written where there is no event to await: a Celery worker or a heartbeat
    thread writing the database, a server process coming up. A page has events: use
    Playwright's `expect(...)` and `expect_response` there.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"{message() if callable(message) else message} (waited {timeout:g} s)"
            )
        time.sleep(interval)


# WCAG 2.1 A and AA, plus the best practices the issues name (heading order, one h1).
AXE_RULESETS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def assert_accessible(page, *, skip: tuple[str, ...] = ()) -> None:
    """axe-core finds no violation on the page as it is now (any impact). `skip`: rule ids
    a test knowingly leaves for later, each with its reason in the test. The page must come
    from `make_page(..., axe=True)` (axe is injected past the CSP)."""
    from axe_playwright_python.sync_playwright import Axe

    # htmx fades swapped content in: measure colors once every finite transition has
    # ended (a spinner or a looping hero animation never ends, and is not what is measured).
    page.wait_for_function(
        "() => document.getAnimations().every(a => a.playState !== 'running'"
        " || a.effect.getComputedTiming().iterations === Infinity)"
    )
    options = {"runOnly": {"type": "tag", "values": AXE_RULESETS},
               "resultTypes": ["violations"]}
    results = Axe().run(page, options=options)
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:5])
        for v in results.response["violations"]
        if v["id"] not in skip
    ]
    assert violations == [], f"{page.url}:\n" + "\n".join(violations)


def assert_fits_width(page) -> None:
    """Nothing makes the page scroll sideways (what a 360 px phone shows)."""
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert widths[0] <= widths[1], f"{page.url} is {widths[0]} px wide at {widths[1]} px"


def check_page(page, name: str) -> None:
    """The page fits its width and passes axe-core; with MYBA_SHOTS_DIR set, a full-page
    screenshot `name`.png is saved there to look at."""
    assert_fits_width(page)
    assert_accessible(page)
    if shots := os.environ.get("MYBA_SHOTS_DIR", ""):
        page.screenshot(path=f"{shots}/{name}.png", full_page=True)
