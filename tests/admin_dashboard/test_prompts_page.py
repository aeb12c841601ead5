"""The staff dashboard's prompt comparison (issue 16): each version's figures equal a hand
computation on seeded tickets, the offline generator is shown apart, and an experiment's
verdict names no winner below the minimum or without a significant difference."""

import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from tests.builders import funded_user, make_staff
from tests.helpers import check_page, sign_in_with_totp_in_browser
from tickets.models import GenerationAttempt, PromptExperiment, Ticket, TicketVersion
from tickets.prompt_stats import MIN_TICKETS
from tickets.services import prompts as prompt_services

pytestmark = pytest.mark.django_db
URL = reverse("admin_dashboard:prompts")
SYSTEM = "Rules. Keys:\n{shape}"


@pytest.fixture
def account():
    """The owner of the seeded tickets."""
    return funded_user(tokens=1)


def version(label: str):
    return prompt_services.create_prompt_version(
        ticket_type="story", label=label, system_prompt=SYSTEM, instruction=f"Write ({label})")


def seed(account, *, prompt=None, label="", experiment=None, failed=False, score=None,
         latency_ms=1000, rating=None, attempts=(("success", "0.001"),), generator="openrouter",
         days_ago=0) -> Ticket:
    """A finished story as a generation leaves it: its first version's score, its attempts."""
    ticket = Ticket.objects.create(
        token_account=account.token_account, owner=account, cost=1, nonce=uuid.uuid4(),
        ticket_type="story", quality="standard", description="Seeded",
        status="failed" if failed else "succeeded", title="" if failed else "Seeded story",
        generator="" if failed else generator, rating=rating, prompt=prompt,
        prompt_experiment=experiment, prompt_version=label or (prompt.label if prompt else "v3"),
        quality_score=score)
    created = timezone.now() - timedelta(days=days_ago, minutes=5)
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=created, finished_at=created + timedelta(milliseconds=latency_ms))
    if not failed:
        TicketVersion.objects.create(ticket=ticket, number=1, source="generated",
                                     content={}, quality_score=score)
    for outcome, cost in attempts:
        GenerationAttempt.objects.create(
            ticket=ticket, provider=generator, model_name="m", quality="standard",
            outcome=outcome, cost=Decimal(cost) if cost else None)
    return ticket


def row(html: str, label: str) -> dict[str, str]:
    """The figures of the first table row for `label`, as the page shows them."""
    match = re.search(rf'<tr data-arm="{re.escape(label)}">(.*?)</tr>', html, re.S)
    assert match, f"no row {label}"
    cells = re.findall(r'data-figure="(\w+)">(.*?)</td>', match.group(1), re.S)
    return {name: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text)).strip()
            for name, text in cells}


def test_each_versions_figures_equal_a_hand_computation(staff_client, account):
    v4 = version("v4")
    seed(account, prompt=v4, score=80, latency_ms=1000, rating=1)
    seed(account, prompt=v4, score=60, latency_ms=3000, rating=-1,
         attempts=(("invalid", "0.0005"), ("success", "0.001")))
    edited = seed(account, prompt=v4, score=100, latency_ms=2000,
                  attempts=(("success", "0.0023"),))
    seed(account, prompt=v4, failed=True, attempts=(("failed", None),))
    seed(account, prompt=v4, score=10, days_ago=60)  # outside the 30 days shown
    Ticket.objects.filter(pk=edited.pk).update(quality_score=50)  # edited after generation
    seed(account, score=90)  # the code's prompt
    seed(account, prompt=v4, score=40, generator="offline", attempts=(("success", None),))

    html = staff_client.get(URL).content.decode()

    # Quality (80+60+100)/3; 1 of 4 failed; 1 of 3 ready needed a repair; 1 of 2 rated found
    # it helpful; latencies 1000/2000/3000 ms: p50 2000, p95 2000 + 0.9 * 1000; cost
    # (0.001 + 0.0015 + 0.0023 + 0) / 4 tickets.
    assert row(html, "v4") == {
        "tickets": "4", "quality": "80.0", "failed": "25.0% (1)", "repaired": "33.3% (1)",
        "helpful": "50.0% (2 rated)", "p50": "2,000 ms", "p95": "2,900 ms",
        "cost": "$0.00120"}
    assert row(html, "v3 (code)")["tickets"] == "1"
    assert row(html, "Offline generator") == {
        "tickets": "1", "quality": "40.0", "failed": "0.0% (0)", "repaired": "0.0% (0)",
        "helpful": "— (0 rated)", "p50": "1,000 ms", "p95": "1,000 ms", "cost": "$0.00000"}


def test_an_experiment_below_the_minimum_names_no_winner(staff_client, staff, account):
    control, candidate = version("v4"), version("v5")
    experiment = prompt_services.start_prompt_experiment(
        control=control, candidate=candidate, candidate_share=50, actor=staff, reason="A/B")
    for _ in range(3):
        seed(account, prompt=control, experiment=experiment, failed=True)
        seed(account, prompt=candidate, experiment=experiment, score=100)

    html = staff_client.get(URL).content.decode()

    assert 'data-verdict="not_enough_data"' in html
    assert (f"Not enough data: each arm needs at least {MIN_TICKETS} finished tickets "
            "(control has 3, candidate 3).") in html
    assert "Running since" in html


def bulk(account, count: int, *, prompt, experiment, failed: int) -> None:
    now = timezone.now()
    tickets = Ticket.objects.bulk_create([
        Ticket(token_account=account.token_account, owner=account, cost=1, nonce=uuid.uuid4(),
               ticket_type="story", quality="standard", description="Seeded",
               status="failed" if index < failed else "succeeded",
               title="" if index < failed else "Seeded", generator="openrouter",
               prompt=prompt, prompt_experiment=experiment, prompt_version=prompt.label,
               finished_at=now)
        for index in range(count)])
    TicketVersion.objects.bulk_create([
        TicketVersion(ticket=ticket, number=1, source="generated", content={}, quality_score=80)
        for ticket in tickets if ticket.status == "succeeded"])


@pytest.mark.parametrize(("control_tickets", "state"), [
    (MIN_TICKETS - 1, "not_enough_data"), (MIN_TICKETS, "candidate")])
def test_a_significant_difference_with_enough_tickets_names_the_winner(
        staff_client, staff, account, control_tickets, state):
    control, candidate = version("v4"), version("v5")
    experiment = prompt_services.start_prompt_experiment(
        control=control, candidate=candidate, candidate_share=50, actor=staff, reason="A/B")
    # 30% against 10% failures: z = -0.2 / sqrt(0.2 * 0.8 * 2 / 100) = -3.54.
    bulk(account, control_tickets, prompt=control, experiment=experiment, failed=30)
    bulk(account, MIN_TICKETS, prompt=candidate, experiment=experiment, failed=10)

    html = staff_client.get(URL).content.decode()

    assert f'data-verdict="{state}"' in html
    if state == "candidate":
        assert "Candidate (v5) is better: failure rate." in html
        assert "<td>Failure rate</td><td>-3.54</td><td>0.000</td><td>candidate</td>" in html


def test_a_stopped_experiment_without_tickets_in_range_is_not_listed(staff_client, staff):
    control, candidate = version("v4"), version("v5")
    experiment = prompt_services.start_prompt_experiment(
        control=control, candidate=candidate, candidate_share=50, actor=staff, reason="A/B")
    prompt_services.stop_prompt_experiment(experiment=experiment, actor=staff, reason="done")

    html = staff_client.get(URL).content.decode()

    assert PromptExperiment.objects.filter(stopped_at__isnull=False).exists()
    assert "data-experiment=" not in html
    assert "No finished story tickets in this range." in html


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("dark", [False, True])
def test_the_prompts_page_with_an_experiment_fits_a_phone_and_passes_axe(make_page, dark):
    staff = make_staff(mfa=False, email="prompts@example.com")
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    owner = funded_user(tokens=1)
    control, candidate = version("v4"), version("v5")
    experiment = prompt_services.start_prompt_experiment(
        control=control, candidate=candidate, candidate_share=20, actor=staff,
        reason="Do shorter instructions keep the quality?")
    for arm in (control, candidate):
        seed(owner, prompt=arm, experiment=experiment, score=88, rating=1)
    seed(owner, score=70, generator="offline")

    page = make_page(360, axe=True, dark=dark)
    sign_in_with_totp_in_browser(page, staff, secret)
    page.goto(URL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Prompts")
    expect(page.locator('[data-verdict="not_enough_data"]')).to_be_visible()
    check_page(page, f"dashboard-prompts-{'dark' if dark else 'light'}")
