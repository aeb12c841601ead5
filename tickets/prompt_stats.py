"""Reads for the staff dashboard's prompt comparison: per ticket type, each prompt version's
figures, and for an experiment its control against its candidate with a verdict.

Figures are over finished tickets (ready or failed) created in the period, by the prompt
version assigned to them (`Ticket.prompt`; the code's prompt for tickets without one).
Tickets the offline generator wrote are counted apart: it reads no prompt.

- quality score: the mean score of the content as generated (the ticket's version 1), not
  after users edited or improved it;
- failure rate: failed / finished;
- repair rate: ready tickets with an unusable reply on the way (an `invalid` attempt: bad
  JSON, schema errors or a hard quality rule, each answered by a repair round) / ready;
- helpful: ratings "helpful" / rated tickets;
- latency: request to ready (ms) of ready tickets, p50 and p95 (as the overview's);
- provider cost: the providers' cost of all a ticket's attempts, per finished ticket (USD).

The verdict names a winner only when each arm has at least MIN_TICKETS tickets and a
difference is significant at 95% (two-sided z-tests: two proportions for the rates, Welch's
for the mean score, normal because each arm has at least 100 tickets).
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Exists, OuterRef, Subquery, Sum

from tickets.kinds import KINDS
from tickets.models import (
    GenerationAttempt,
    PromptExperiment,
    PromptVersion,
    Status,
    Ticket,
    TicketVersion,
)
from tickets.selectors import _percentile

MIN_TICKETS = 100
Z_CRITICAL = 1.96  # two-sided, 95%
OFFLINE = "offline"


@dataclass
class ArmStats:
    """One group of tickets (a version, an experiment's arm, or the offline generator)."""

    label: str
    tickets: int = 0
    succeeded: int = 0
    failed: int = 0
    repaired: int = 0
    rated: int = 0
    helpful: int = 0
    cost: Decimal = Decimal(0)
    scores: list[int] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

    def add(self, row: dict) -> None:
        self.tickets += 1
        if row["status"] == Status.SUCCEEDED:
            self.succeeded += 1
            self.repaired += bool(row["repaired"])
            if row["first_score"] is not None:
                self.scores.append(row["first_score"])
            self.latencies.append(
                (row["finished_at"] - row["created_at"]).total_seconds() * 1000)
        else:
            self.failed += 1
        if row["rating"] is not None:
            self.rated += 1
            self.helpful += row["rating"] == 1
        self.cost += row["provider_cost"] or 0

    @property
    def mean_score(self) -> float | None:
        return sum(self.scores) / len(self.scores) if self.scores else None

    @property
    def failure_rate(self) -> float | None:
        return _share(self.failed, self.tickets)

    @property
    def repair_rate(self) -> float | None:
        return _share(self.repaired, self.succeeded)

    @property
    def helpful_share(self) -> float | None:
        return _share(self.helpful, self.rated)

    @property
    def latency_p50(self) -> float | None:
        return _percentile(self.latencies, 0.5)

    @property
    def latency_p95(self) -> float | None:
        return _percentile(self.latencies, 0.95)

    @property
    def mean_cost(self) -> Decimal | None:
        return self.cost / self.tickets if self.tickets else None


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Test:
    """One metric's comparison of candidate against control."""

    metric: str
    z: float | None  # positive: the candidate's figure is higher
    higher_is_better: bool

    @property
    def p_value(self) -> float | None:
        return None if self.z is None else math.erfc(abs(self.z) / math.sqrt(2))

    @property
    def significant(self) -> bool:
        return self.z is not None and abs(self.z) >= Z_CRITICAL

    @property
    def favours(self) -> str:
        """"candidate", "control" or "" (not significant)."""
        if not self.significant:
            return ""
        return "candidate" if (self.z > 0) == self.higher_is_better else "control"


def two_proportion_z(hits_a: int, n_a: int, hits_b: int, n_b: int) -> float | None:
    """z of p_b - p_a with the pooled proportion; None when an arm is empty or the pooled
    proportion is 0 or 1 (no variation to test)."""
    if not n_a or not n_b:
        return None
    pooled = (hits_a + hits_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    return None if se == 0 else (hits_b / n_b - hits_a / n_a) / se


def welch_z(a: list[float], b: list[float]) -> float | None:
    """z of mean(b) - mean(a) with each sample's own variance; None under two values each."""
    if len(a) < 2 or len(b) < 2:
        return None
    mean_a, mean_b = sum(a) / len(a), sum(b) / len(b)
    var_a = sum((x - mean_a) ** 2 for x in a) / (len(a) - 1)
    var_b = sum((x - mean_b) ** 2 for x in b) / (len(b) - 1)
    se = math.sqrt(var_a / len(a) + var_b / len(b))
    if se == 0:
        return None if mean_a == mean_b else math.copysign(math.inf, mean_b - mean_a)
    return (mean_b - mean_a) / se


@dataclass(frozen=True)
class Verdict:
    state: str  # not_enough_data | candidate | control | mixed | no_difference
    message: str
    tests: tuple[Test, ...] = ()


def verdict(control: ArmStats, candidate: ArmStats) -> Verdict:
    """Which arm is better, only when both have MIN_TICKETS tickets and a difference is
    significant; mixed when the metrics disagree."""
    if control.tickets < MIN_TICKETS or candidate.tickets < MIN_TICKETS:
        return Verdict("not_enough_data", (
            f"Not enough data: each arm needs at least {MIN_TICKETS} finished tickets "
            f"(control has {control.tickets}, candidate {candidate.tickets})."))
    tests = (
        Test("Mean quality score", welch_z(control.scores, candidate.scores), True),
        Test("Failure rate", two_proportion_z(control.failed, control.tickets,
                                              candidate.failed, candidate.tickets), False),
        Test("Repair rate", two_proportion_z(control.repaired, control.succeeded,
                                             candidate.repaired, candidate.succeeded), False),
        Test("Helpful", two_proportion_z(control.helpful, control.rated,
                                         candidate.helpful, candidate.rated), True),
    )
    favoured = {test.favours for test in tests} - {""}
    if not favoured:
        return Verdict("no_difference", "No significant difference yet.", tests)
    if len(favoured) == 2:
        return Verdict("mixed", "Mixed: each arm is significantly better on some metric.",
                       tests)
    winner = favoured.pop()
    better = ", ".join(test.metric.lower() for test in tests if test.favours == winner)
    name = candidate.label if winner == "candidate" else control.label
    return Verdict(winner, f"{winner.capitalize()} ({name}) is better: {better}.", tests)


@dataclass
class ExperimentComparison:
    experiment: PromptExperiment
    control: ArmStats
    candidate: ArmStats

    @property
    def arms(self) -> list[ArmStats]:
        return [self.control, self.candidate]

    @property
    def verdict(self) -> Verdict:
        return verdict(self.control, self.candidate)


@dataclass
class TypeComparison:
    ticket_type: str
    label: str
    versions: list[ArmStats]
    offline: ArmStats | None
    experiments: list[ExperimentComparison]
    live: PromptVersion | None


def _ticket_rows(start: datetime, end: datetime):
    attempts = GenerationAttempt.objects.filter(ticket=OuterRef("pk"))
    return Ticket.objects.filter(
        status__in=[Status.SUCCEEDED, Status.FAILED], created_at__gte=start,
        created_at__lt=end,
    ).exclude(prompt_version="").annotate(
        first_score=Subquery(TicketVersion.objects.filter(ticket=OuterRef("pk"), number=1)
                             .values("quality_score")[:1]),
        repaired=Exists(attempts.filter(outcome=GenerationAttempt.Outcome.INVALID)),
        provider_cost=Subquery(attempts.order_by().values("ticket").annotate(total=Sum("cost"))
                      .values("total")),
    ).values("ticket_type", "prompt_id", "prompt_experiment_id", "prompt_version", "generator",
             "status", "rating", "created_at", "finished_at", "first_score", "repaired",
             "provider_cost")


def compare_prompts(*, start: datetime, end: datetime) -> list[TypeComparison]:
    """Per ticket type (registry order): each version's figures over tickets created in
    [start, end), the offline generator's apart, and each experiment that ran in the period
    or runs now, control against candidate."""
    versions = {version.pk: version for version in PromptVersion.objects.all()}
    by_version: dict[str, dict[object, ArmStats]] = defaultdict(dict)
    offline: dict[str, ArmStats] = {}
    arms: dict[tuple[int, int], ArmStats] = {}
    for row in _ticket_rows(start, end).iterator(chunk_size=2000):
        kind = row["ticket_type"]
        if row["generator"] == OFFLINE:
            offline.setdefault(kind, ArmStats("Offline generator")).add(row)
            continue
        version = versions.get(row["prompt_id"])
        key = row["prompt_id"] or f"code:{row['prompt_version']}"
        label = version.label if version else f"{row['prompt_version']} (code)"
        by_version[kind].setdefault(key, ArmStats(label)).add(row)
        if row["prompt_experiment_id"] is not None:
            arms.setdefault((row["prompt_experiment_id"], row["prompt_id"]),
                            ArmStats(label)).add(row)
    experiments = PromptExperiment.objects.filter(
        pk__in={experiment_id for experiment_id, _ in arms}
    ) | PromptExperiment.objects.filter(stopped_at__isnull=True)
    by_type_experiments = defaultdict(list)
    for experiment in experiments.select_related("control", "candidate").order_by(
            "-started_at", "-id"):
        by_type_experiments[experiment.ticket_type].append(ExperimentComparison(
            experiment=experiment,
            control=arms.get((experiment.pk, experiment.control_id),
                             ArmStats(experiment.control.label)),
            candidate=arms.get((experiment.pk, experiment.candidate_id),
                               ArmStats(experiment.candidate.label))))
    live = {version.ticket_type: version for version in versions.values() if version.live}
    return [
        TypeComparison(
            ticket_type=kind.value, label=kind.label,
            versions=sorted(by_version[kind.value].values(), key=lambda arm: -arm.tickets),
            offline=offline.get(kind.value), experiments=by_type_experiments[kind.value],
            live=live.get(kind.value))
        for kind in KINDS.values()
    ]
