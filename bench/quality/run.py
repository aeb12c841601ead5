"""Quality benchmark: how good the generated tickets are, how well the check judges, how fast.

    .venv/bin/python bench/quality/run.py                  # the offline generator
    .venv/bin/python bench/quality/run.py --provider openrouter   # the configured models
    .venv/bin/python bench/quality/run.py --details        # + each tune ticket's failures

Four parts, each printed as tables (bench/README.md, "Quality"):

1. Generation. Every description in descriptions.json becomes a ticket: with the offline
   generator called directly, as the provider chain calls a provider (`complete` with the
   prompt's messages, then `validate_ticket`), or with `--provider openrouter` through the
   chain itself with the configured models (needs OPENROUTER_API_KEY and the settings `make
   run` uses). Each ticket is checked; printed per split (tune, held_out): the share of tickets
   that pass every rule, the mean score, and the pass rate per type and per rule. `--details`
   lists the failing rules of each tune ticket, never of a held-out one: held-out items are
   for measuring, not for tuning.
2. The check against the labelled sets: the share of the labelled failures of
   bad_tickets.json it catches (goal >= 95%) and its false failures on good_tickets.json
   (goal <= 5%), both counted per (ticket, rule).
3. Clarify first: which descriptions get questions (`find_questions`), and each of those
   generated again once per option index with every question answered by that option (as
   the user would pick it), each ticket checked against the description as written.
4. Speed: the good and bad tickets, checked `--repeat` times over, in CPU seconds of this one
   process (tickets per second on one core; goal >= 2,000). The baseline is
   `validate_ticket` on the same tickets, timed in alternating rounds in the same run, so the
   ratio holds on a busy machine where the absolute figure does not.
"""

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from tickets.kinds import kind_values  # noqa: E402
from tickets.providers.schema import TicketSchemaError, validate_ticket  # noqa: E402
from tickets.quality import check_ticket  # noqa: E402
from tickets.quality.rules import RULES  # noqa: E402

SPLITS = ("tune", "held_out")
CATCH_GOAL, FALSE_FAILURE_GOAL, SPEED_GOAL = 0.95, 0.05, 2000


def load(name: str) -> list[dict]:
    data = json.loads((HERE / name).read_text())
    return data["descriptions"] if name == "descriptions.json" else data["tickets"]


class NoTicket(Exception):
    """The generator produced no usable ticket for a description."""


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


# --- 1. generation --------------------------------------------------------------------------


def offline_generator():
    """generate(description, ticket_type) -> (content, source) with the offline generator."""
    from tickets.providers import offline
    from tickets.providers.base import extract_json
    from tickets.providers.prompts import GenerationRequest, build_messages

    provider = offline.from_settings()

    def generate(description: str, ticket_type: str,
                 clarifications: tuple = ()) -> tuple[dict, str]:
        request = GenerationRequest(description=description, ticket_type=ticket_type,
                                    quality="standard", clarifications=clarifications)
        completion = provider.complete(request, model=offline.MODEL_NAME,
                                       messages=build_messages(request))
        try:
            content = validate_ticket(extract_json(completion.content), ticket_type=ticket_type)
        except ValueError as error:  # not JSON, or TicketSchemaError
            raise NoTicket(str(error)) from error
        return content, f"{offline.NAME}:{offline.MODEL_NAME}"

    return generate


def configured_models(quality: str):
    """generate(...) through the provider chain with the configured models (retries, repair
    and fallbacks as in production); the source is the provider and model that answered."""
    if not os.environ.get("OPENROUTER_API_KEY"):
        sys.exit("--provider openrouter needs OPENROUTER_API_KEY (and the settings `make run` "
                 "uses, e.g. DEBUG=1 or SECRET_KEY).")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from tickets.providers.chain import ChainConfig, GenerationFailed, generate
    from tickets.providers.prompts import GenerationRequest

    def run(description: str, ticket_type: str, clarifications: tuple = ()) -> tuple[dict, str]:
        request = GenerationRequest(description=description, ticket_type=ticket_type,
                                    quality=quality, clarifications=clarifications)
        try:
            result = generate(request, record_attempt=lambda record: None,
                              config=ChainConfig.from_settings(quality))
        except GenerationFailed as error:
            raise NoTicket(error.code) from error
        return result.content, f"{result.provider}:{result.model}"

    return run


def generate_all(generate) -> list[dict]:
    tickets = []
    for item in load("descriptions.json"):
        started = time.perf_counter()
        try:
            content, source = generate(item["description"], item["type"])
        except NoTicket as error:
            tickets.append({**item, "error": str(error)})
            continue
        scorecard = check_ticket(content, description=item["description"],
                                 ticket_type=item["type"])
        tickets.append({**item, "source": source, "scorecard": scorecard,
                        "seconds": time.perf_counter() - started})
    return tickets


def report_generation(tickets: list[dict], details: bool) -> None:
    sources = sorted({ticket["source"] for ticket in tickets if "source" in ticket})
    print(f"## Generated tickets ({len(tickets)} descriptions; {', '.join(sources)})\n")
    failed = [ticket for ticket in tickets if "error" in ticket]
    for ticket in failed:
        print(f"- {ticket['id']} ({ticket['split']}): no ticket: {ticket['error']}")
    if failed:
        print()
    made = [ticket for ticket in tickets if "scorecard" in ticket]
    if made:
        seconds = statistics.mean(ticket["seconds"] for ticket in made)
        print(f"Generated and checked in {1000 * seconds:.1f} ms per ticket on average.\n")

    print("| split | tickets | pass every rule | mean score | " +
          " | ".join(f"{kind}: pass every rule" for kind in kind_values()) + " |")
    print("|---|---|---|---|" + "---|" * len(kind_values()))
    for split in SPLITS:
        part = [ticket for ticket in tickets if ticket["split"] == split]
        scored = [ticket for ticket in part if "scorecard" in ticket]
        passing = sum(ticket["scorecard"].passed for ticket in scored)
        mean = statistics.mean(t["scorecard"].score for t in scored) if scored else 0
        per_kind = []
        for kind in kind_values():
            of_kind = [ticket for ticket in part if ticket["type"] == kind]
            good = sum("scorecard" in t and t["scorecard"].passed for t in of_kind)
            per_kind.append(f"{good}/{len(of_kind)} ({percent(good, len(of_kind))})")
        print(f"| {split} | {len(part)} | {passing}/{len(part)} ({percent(passing, len(part))}) "
              f"| {mean:.1f} | " + " | ".join(per_kind) + " |")

    print("\n| rule | " + " | ".join(f"{split} pass rate" for split in SPLITS) + " |")
    print("|---|" + "---|" * len(SPLITS))
    for rule in RULES:
        cells = []
        for split in SPLITS:
            results = [result for ticket in tickets
                       if ticket["split"] == split and "scorecard" in ticket
                       for result in ticket["scorecard"].results if result.key == rule.key]
            passed = sum(result.passed for result in results)
            cells.append(f"{passed}/{len(results)} ({percent(passed, len(results))})"
                         if results else "n/a")
        print(f"| {rule.key} | " + " | ".join(cells) + " |")

    if details:
        print("\n### Tune tickets that fail a rule (held-out ones are not listed)\n")
        for ticket in made:
            if ticket["split"] == "tune" and not ticket["scorecard"].passed:
                failing = ", ".join(result.key for result in ticket["scorecard"].failing)
                print(f"- {ticket['id']} ({ticket['scorecard'].score}): {failing}")
    print()


# --- 2. the labelled sets -------------------------------------------------------------------


def report_labelled() -> None:
    bad, good = load("bad_tickets.json"), load("good_tickets.json")
    labelled, missed, unlabelled = 0, [], []
    for ticket in bad:
        failing = {result.key for result in check(ticket).failing}
        labelled += len(ticket["breaks"])
        missed += [f"{ticket['id']}: {key}" for key in ticket["breaks"] if key not in failing]
        unlabelled += [f"{ticket['id']}: {key}" for key in sorted(failing - set(ticket["breaks"]))]
    pairs, false_failures = 0, []
    for ticket in good:
        scorecard = check(ticket)
        pairs += len(scorecard.results)
        false_failures += [f"{ticket['id']}: {result.key}" for result in scorecard.failing]
    caught = labelled - len(missed)
    print("## The check on the labelled sets\n")
    print("| set | tickets | counted | result | goal |")
    print("|---|---|---|---|---|")
    print(f"| bad_tickets.json | {len(bad)} | {labelled} labelled failures | {caught} caught "
          f"({percent(caught, labelled)}) | >= {CATCH_GOAL:.0%} |")
    print(f"| good_tickets.json | {len(good)} | {pairs} (ticket, rule) pairs | "
          f"{len(false_failures)} false failures ({percent(len(false_failures), pairs)}) | "
          f"<= {FALSE_FAILURE_GOAL:.0%} |")
    for title, items in (("Missed", missed), ("False failures", false_failures),
                         ("Failures on bad tickets beyond their labels", unlabelled)):
        if items:
            print(f"\n{title}: " + "; ".join(items))
    print()


def check(ticket: dict):
    return check_ticket(ticket["content"], description=ticket["description"],
                        ticket_type=ticket["type"])


# --- 3. clarify first ----------------------------------------------------------------------


def report_clarify(generate) -> None:
    from tickets.quality.clarify import clean_answers, find_questions

    asked, keys, variants, passing, scores = 0, {}, 0, 0, []
    failures = []
    for item in load("descriptions.json"):
        questions = find_questions(item["description"], item["type"])
        if not questions:
            continue
        asked += 1
        for question in questions:
            keys[question.key] = keys.get(question.key, 0) + 1
        for index in range(max(len(question.options) for question in questions)):
            answers = {q.key: q.options[index] for q in questions if index < len(q.options)}
            clarifications = tuple(clean_answers(questions, answers))
            try:
                content, _ = generate(item["description"], item["type"], clarifications)
            except NoTicket as error:
                failures.append(f"{item['id']} option {index + 1}: no ticket ({error})")
                continue
            scorecard = check_ticket(content, description=item["description"],
                                     ticket_type=item["type"])
            variants += 1
            passing += scorecard.passed
            scores.append(scorecard.score)
            if not scorecard.passed:
                failing = ", ".join(result.key for result in scorecard.failing)
                failures.append(f"{item['id']} option {index + 1}: {failing}")
    total = len(load("descriptions.json"))
    print("## Clarify first\n")
    print(f"{asked} of {total} descriptions get questions ("
          + ", ".join(f"{key}: {count}" for key, count in sorted(keys.items())) + ").\n")
    print("| answered variants | pass every rule | mean score |")
    print("|---|---|---|")
    mean = statistics.mean(scores) if scores else 0
    print(f"| {variants} | {passing}/{variants} ({percent(passing, variants)}) | {mean:.1f} |")
    if failures:
        print("\nFailing: " + "; ".join(failures))
    print()


# --- 4. speed -------------------------------------------------------------------------------


def _validate(ticket: dict) -> None:
    # A few bad tickets break the schema too: the work up to the error is the baseline's.
    with contextlib.suppress(TicketSchemaError):
        validate_ticket(ticket["content"], ticket_type=ticket["type"])


def _cpu_seconds(function, tickets: list[dict]) -> float:
    started = time.process_time()
    for ticket in tickets:
        function(ticket)
    return time.process_time() - started


def report_speed(repeat: int, rounds: int) -> None:
    tickets = load("good_tickets.json") + load("bad_tickets.json")
    batch = tickets * repeat
    check_times, validate_times = [], []
    wall = time.perf_counter()
    for _ in range(rounds):  # alternating, so both see the same machine load
        check_times.append(_cpu_seconds(check, batch))
        validate_times.append(_cpu_seconds(_validate, batch))
    wall = time.perf_counter() - wall
    ratios = [check / validate for check, validate in zip(check_times, validate_times,
                                                            strict=True)]
    print(f"## Speed ({len(tickets)} tickets x {repeat}, {rounds} alternating rounds, "
          f"{wall:.1f} s wall clock; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores)\n")
    print("| measure | tickets/s on one core (CPU time) | per ticket |")
    print("|---|---|---|")
    for label, seconds in (("check_ticket, best round", min(check_times)),
                           ("check_ticket, median round", statistics.median(check_times)),
                           ("baseline: validate_ticket, best round", min(validate_times))):
        print(f"| {label} | {len(batch) / seconds:,.0f} | {1e6 * seconds / len(batch):.0f} µs |")
    print(f"\nOne check costs {statistics.median(ratios):.1f}x a schema validation of the same "
          f"ticket (median of the rounds; {min(ratios):.1f}-{max(ratios):.1f}x). "
          f"Goal: >= {SPEED_GOAL:,} tickets/s.\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--provider", choices=("offline", "openrouter"), default="offline")
    parser.add_argument("--quality", default="standard",
                        help="the model quality for --provider openrouter")
    parser.add_argument("--details", action="store_true",
                        help="list the failing rules of each tune ticket")
    parser.add_argument("--repeat", type=int, default=20, help="copies of the sets per round")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds of each side")
    args = parser.parse_args()

    generate = (offline_generator() if args.provider == "offline"
                else configured_models(args.quality))
    report_generation(generate_all(generate), args.details)
    report_labelled()
    report_clarify(generate)
    report_speed(args.repeat, args.rounds)


if __name__ == "__main__":
    main()
