"""Which prompt each ticket type's new tickets get now: its running experiment, else its live
version. Every first run of a generation asks, and staff change it rarely, so it is a shared
table (config/shared_tables.py): a worker reads it from memory, not with two queries per
ticket. Renewed by any save of a version or experiment (tickets/apps.py) and by the services
that change `live` or `stopped_at` with a plain update (tickets/services/prompts.py)."""

from dataclasses import dataclass

from config.shared_tables import SharedTable
from tickets.models import PromptExperiment, PromptVersion


@dataclass(frozen=True)
class RunningExperiment:
    pk: int
    control_id: int
    candidate_id: int
    candidate_share: int


@dataclass(frozen=True)
class PromptChoice:
    experiment: RunningExperiment | None
    live_id: int | None  # the type's live version, when one is


def _load() -> dict[str, PromptChoice]:
    experiments = {
        row["ticket_type"]: RunningExperiment(
            pk=row["pk"], control_id=row["control_id"], candidate_id=row["candidate_id"],
            candidate_share=row["candidate_share"])
        for row in PromptExperiment.objects.filter(stopped_at__isnull=True).values(
            "pk", "ticket_type", "control_id", "candidate_id", "candidate_share")}
    live = dict(PromptVersion.objects.filter(live=True).values_list("ticket_type", "pk"))
    return {ticket_type: PromptChoice(experiment=experiments.get(ticket_type),
                                      live_id=live.get(ticket_type))
            for ticket_type in experiments.keys() | live.keys()}


PROMPT_CHOICES = SharedTable("prompt-choices", _load)
NO_CHOICE = PromptChoice(experiment=None, live_id=None)


def prompt_choice(ticket_type: str) -> PromptChoice:
    """What a new ticket of `ticket_type` is generated with (neither: the code's prompt)."""
    return PROMPT_CHOICES.get().get(ticket_type, NO_CHOICE)
