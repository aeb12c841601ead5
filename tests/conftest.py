"""Shared fixtures: a real Celery worker, Chromium pages against the live server, prices, the
fake OpenRouter, and the people most tests need (plain builders are in tests/builders.py,
helpers in tests/helpers.py).

The database is the PostgreSQL named by DATABASE_URL (scripts/services.sh starts one);
Redis comes from REDIS_URL. Tests that need committed data across threads or processes
(Celery worker, live server, concurrency) use `transaction=True`.
"""

import os
from importlib import import_module
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.core.cache import caches
from django.utils import translation

from billing.models import SubscriptionPlan, TokenPack
from tests.builders import client_for, make_staff, make_verified_user
from tests.factories import UserFactory
from tests.tickets.fake_openrouter import ADVANCED, FALLBACK, PRIMARY, FakeOpenRouter
from tokens.models import Price

# Running in parallel: one migration for all xdist workers, and loadgroup on pytest 9.2.
pytest_plugins = ["tests.parallel"]

# The data migrations that seed the price table.
SEEDED_PRICES = ("0002_seed_prices", "0006_seed_improve_prices", "0013_seed_split_prices")

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits, per-network counters and dashboard snapshots live in the shared cache,
    rendered fragments in each process's: every test starts clean."""
    for alias in ("default", "fragments"):
        caches[alias].clear()
    yield
    for alias in ("default", "fragments"):
        caches[alias].clear()


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """A request's language stays active in its thread after it: each test starts, as a
    worker process does, in the default language."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def prices(db):
    """The prices the migrations seed, seeded again (a transactional test's flush removes
    migration data)."""
    for migration in SEEDED_PRICES:
        for key, tokens, label in import_module(f"tokens.migrations.{migration}").PRICES:
            Price.objects.get_or_create(
                feature_key=key, defaults={"tokens": tokens, "label": label, "active": True}
            )


@pytest.fixture
def packs(db):
    """The packs the migration seeds, seeded again (a transactional test's flush removes
    migration data)."""
    for slug, name, tokens, price, order in import_module(
            "billing.migrations.0002_seed_packs").PACKS:
        TokenPack.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "tokens": tokens, "price_cents": price, "sort_order": order},
        )
    return {pack.slug: pack for pack in TokenPack.objects.all()}


@pytest.fixture
def plans(db):
    """The plans the migration seeds, seeded again (as `packs`)."""
    for slug, name, interval, tokens, price, order in import_module(
            "billing.migrations.0009_seed_plans").PLANS:
        SubscriptionPlan.objects.get_or_create(slug=slug, defaults={
            "name": name, "interval": interval, "tokens_per_month": tokens,
            "price_cents": price, "rollover_cap": tokens // 2, "trial_days": 7,
            "trial_tokens": 10, "sort_order": order})
    return {plan.slug: plan for plan in SubscriptionPlan.objects.all()}


@pytest.fixture
def offline(settings, prices):
    """No AI key: every ticket comes from the offline generator."""
    settings.OPENROUTER_API_KEY = ""
    return settings


@pytest.fixture
def fake_openrouter(settings, prices):
    """A local OpenAI-compatible server wired in as OpenRouter, with fast retries."""
    server = FakeOpenRouter().start()
    settings.OPENROUTER_API_KEY = "test-key"
    settings.OPENROUTER_BASE_URL = server.base_url
    settings.OPENROUTER_MODEL_STANDARD = PRIMARY
    settings.OPENROUTER_FALLBACKS_STANDARD = [FALLBACK]
    settings.OPENROUTER_MODEL_ADVANCED = ADVANCED
    settings.OPENROUTER_FALLBACKS_ADVANCED = [FALLBACK]
    settings.OPENROUTER_CONNECT_TIMEOUT = 1
    settings.OPENROUTER_READ_TIMEOUT = 0.5
    settings.OPENROUTER_MAX_RETRIES = 2
    settings.OPENROUTER_BACKOFF_SECONDS = 0.01
    settings.OPENROUTER_RETRY_AFTER_MAX = 0.05
    settings.TICKETS_OFFLINE_FALLBACK = False
    yield server
    server.stop()


@pytest.fixture(scope="session")
def celery_app():
    from config.celery import app

    return app


@pytest.fixture
def celery_worker(celery_app, django_db_setup, django_db_blocker):
    """An in-process Celery worker consuming from the real Redis broker, for one test.

    Messages earlier tests left in the queue are purged first, and no worker runs behind the
    back of tests that do not ask for one: several tests play the worker themselves (they run
    the generation in a thread of their own while the provider call is held open).
    """
    if settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.fail("celery_worker needs REDIS_URL: run the suite with `make test`.")
    from celery.contrib.testing.worker import start_worker

    celery_app.control.purge()
    with django_db_blocker.unblock(), start_worker(
        celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10
    ) as worker:
        yield worker


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageWatch:
    """What a page did that a user would call a bug: console errors, off-site requests."""

    def __init__(self, live_host: str):
        self.live_host = live_host
        self.console_errors: list[str] = []
        self.foreign_requests: list[str] = []

    def on_console(self, message):
        if message.type == "error":
            self.console_errors.append(message.text)

    def on_request(self, request):
        host = urlparse(request.url).netloc
        if request.url.startswith(("data:", "blob:")):
            return
        if host != self.live_host:
            self.foreign_requests.append(request.url)


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context on the live server; fails the test on console errors."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    watch = PageWatch(urlparse(live_server.url).netloc)
    page.on("console", watch.on_console)
    page.on("request", watch.on_request)
    page.watch = watch
    yield page
    context.close()
    assert watch.console_errors == [], f"console errors: {watch.console_errors}"
    assert watch.foreign_requests == [], f"requests off the live server: {watch.foreign_requests}"


@pytest.fixture
def make_page(browser, live_server):
    """make_page(width=1280, *, axe=False, dark=False) -> a page in a fresh context on the live
    server, as a phone (width=360) or a desktop sees it, in light or dark mode; each fails the
    test on console errors.

    `axe=True` lets the tests inject axe-core (`tests.helpers.assert_accessible`): the context
    then bypasses the CSP, so CSP violations are not caught on that page — use it for
    accessibility checks only.
    """
    contexts = []

    def make(width: int = 1280, *, axe: bool = False, dark: bool = False):
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": width, "height": 900},
            bypass_csp=axe,
            color_scheme="dark" if dark else "light",
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        watch = PageWatch(urlparse(live_server.url).netloc)
        page.on("console", watch.on_console)
        page.on("request", watch.on_request)
        page.watch = watch
        return page

    yield make
    for context in contexts:
        context.close()
    for context in contexts:
        for page in context.pages:
            assert page.watch.console_errors == [], f"console errors: {page.watch.console_errors}"


@pytest.fixture
def tasks_inline(celery_app):
    """Run Celery tasks in this process (the broker is real, but no worker in these tests)."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager


@pytest.fixture
def committing(tasks_inline, django_capture_on_commit_callbacks):
    """`with committing(): ...` runs the after-commit callbacks of what happens inside (and
    the Celery tasks they send, inline), as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def verified_user(db):
    """A user who signed up earlier and verified their email (can sign in with a password)."""
    return make_verified_user()


@pytest.fixture
def staff(db):
    """Staff with MFA: let into the dashboard and the Django admin."""
    return make_staff()


@pytest.fixture
def staff_client(staff):
    return client_for(staff)


@pytest.fixture
def superuser(db):
    """A superuser with MFA: every model in the Django admin."""
    return make_staff(is_superuser=True)


@pytest.fixture
def superuser_client(superuser):
    return client_for(superuser)
