"""Prompt versions and A/B experiments: every write, and the one decision of which prompt a
ticket gets (`assign_prompt`).

Freezing is race-free: an edit locks the version row (FOR UPDATE) before it checks
`used_at`, and an assignment locks the same row before it stamps `used_at` and reads the texts
it sends. Whichever commits first wins; the other sees its result. A trigger (migration 0014)
refuses an edit of a used version's texts even from outside these services.
"""

import hashlib
import re
from contextlib import nullcontext

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import StaffAction
from accounts.services import record_staff_action
from tickets.models import PromptExperiment, PromptVersion, PromptVersionFrozen, Ticket
from tickets.models.prompts import PROMPT_TEXT_FIELDS
from tickets.prompt_choices import PROMPT_CHOICES, prompt_choice
from tickets.providers.prompts import PROMPT_VERSION, PromptTexts, code_prompt

# Audit-log actions.
ACTION_START = StaffAction.Action.START_PROMPT_EXPERIMENT
ACTION_STOP = StaffAction.Action.STOP_PROMPT_EXPERIMENT
ACTION_LIVE = StaffAction.Action.MAKE_PROMPT_LIVE
# Buckets of the hash that splits an experiment: 10,000 give shares in steps of 0.01%.
BUCKETS = 10_000


def texts_of(version: PromptVersion | None, ticket_type: str) -> PromptTexts:
    """What the model is told for `version` (the code's prompt when None)."""
    if version is None:
        return code_prompt(ticket_type)
    return PromptTexts(label=version.label, system_prompt=version.system_prompt,
                       instruction=version.instruction)


def in_candidate_arm(*, public_id: str, experiment_id: int, share: int) -> bool:
    """Whether a ticket falls in an experiment's candidate arm (`share` percent of tickets).

    A hash of the ticket's public id and the experiment, not a random draw: a retried or
    taken-over run lands in the same arm, and two experiments split independently.
    """
    digest = hashlib.sha256(f"prompt-ab:{experiment_id}:{public_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS < share * BUCKETS // 100


def _choose(ticket: Ticket) -> tuple[PromptVersion | None, PromptExperiment | None]:
    # Only the ids: the chosen version is read again, locked.
    choice = prompt_choice(ticket.ticket_type)
    running = choice.experiment
    if running is not None:
        candidate = in_candidate_arm(public_id=ticket.public_id, experiment_id=running.pk,
                                     share=running.candidate_share)
        return (PromptVersion(pk=running.candidate_id if candidate else running.control_id),
                PromptExperiment(pk=running.pk))
    return (PromptVersion(pk=choice.live_id) if choice.live_id is not None else None), None


def assign_prompt(*, ticket: Ticket) -> PromptTexts:
    """The prompt `ticket` is generated with, decided on its first run and kept after.

    First run (the ticket has no `prompt_version` yet): the running experiment's arm for the
    ticket (`in_candidate_arm`), else its type's live version, else the code's prompt. Writes
    in one transaction (when a version is chosen): the version row locked and `used_at`
    stamped (its texts are frozen from now on), then the ticket's `prompt`,
    `prompt_experiment` and `prompt_version` by a conditional update on a still-unassigned
    ticket. Later runs (a retry, a takeover) read the
    recorded version, whose texts cannot have changed. Returns the texts to send.
    """
    if ticket.prompt_version:
        version = (PromptVersion.objects.get(pk=ticket.prompt_id)
                   if ticket.prompt_id is not None else None)
        return texts_of(version, ticket.ticket_type)
    chosen, experiment = _choose(ticket)
    # The code's prompt has no row to lock: the conditional update alone, no transaction.
    with transaction.atomic() if chosen is not None else nullcontext():
        version = None
        if chosen is not None:
            version = PromptVersion.objects.select_for_update().get(pk=chosen.pk)
            if version.used_at is None:
                PromptVersion.objects.filter(pk=version.pk).update(used_at=timezone.now())
        label = version.label if version is not None else PROMPT_VERSION
        assigned = Ticket.objects.filter(pk=ticket.pk, prompt_version="").update(
            prompt=version, prompt_experiment=experiment, prompt_version=label)
    if not assigned:
        # Another run assigned it first: use what it recorded.
        ticket.refresh_from_db(fields=["prompt", "prompt_experiment", "prompt_version"])
        return assign_prompt(ticket=ticket)
    ticket.prompt, ticket.prompt_experiment, ticket.prompt_version = version, experiment, label
    return texts_of(version, ticket.ticket_type)


def next_label(ticket_type: str) -> str:
    """"v<n+1>" after the highest "v<n>" label of the type (counting the code's version)."""
    numbers = [int(match.group(1)) for label in (
        *PromptVersion.objects.filter(ticket_type=ticket_type).values_list("label", flat=True),
        PROMPT_VERSION) if (match := re.fullmatch(r"v(\d+)", label))]
    return f"v{max(numbers, default=0) + 1}"


def create_prompt_version(*, ticket_type: str, label: str, system_prompt: str,
                          instruction: str, notes: str = "", created_by=None,
                          copied_from: PromptVersion | None = None) -> PromptVersion:
    """A new, not live, unused version. Raises ValidationError (nothing written) when a text
    lacks what a prompt needs (`PromptVersion.clean`) or the label is taken for the type."""
    version = PromptVersion(ticket_type=ticket_type, label=label, system_prompt=system_prompt,
                            instruction=instruction, notes=notes, created_by=created_by,
                            copied_from=copied_from)
    version.full_clean()
    version.save()
    return version


def edit_prompt_version(*, version: PromptVersion, label: str, system_prompt: str,
                        instruction: str, notes: str) -> PromptVersion:
    """Change a version's words. Locks its row, then: an unused version takes every change; a
    used one only a change of `notes`, anything else raises PromptVersionFrozen with nothing
    written. Raises ValidationError for texts a prompt cannot work with."""
    with transaction.atomic():
        stored = PromptVersion.objects.select_for_update().get(pk=version.pk)
        changes = {"label": label, "system_prompt": system_prompt, "instruction": instruction}
        if stored.is_frozen and any(getattr(stored, name) != value
                                    for name, value in changes.items()):
            raise PromptVersionFrozen(stored)
        for name, value in {**changes, "notes": notes}.items():
            setattr(stored, name, value)
        stored.full_clean()
        stored.save()
    return stored


def copy_prompt_version(*, version: PromptVersion, created_by=None) -> PromptVersion:
    """A new version of the same type with `version`'s texts and the next free label, not
    live: the way to change a used (frozen) version."""
    return create_prompt_version(
        ticket_type=version.ticket_type, label=next_label(version.ticket_type),
        notes=f"Copy of {version.label}.", created_by=created_by, copied_from=version,
        **{name: getattr(version, name) for name in PROMPT_TEXT_FIELDS})


def make_prompt_version_live(*, version: PromptVersion, actor, reason: str) -> PromptVersion:
    """Make `version` the one its type's new tickets get when no experiment runs.

    Writes (one transaction): the type's other live version unset, this one set (the partial
    unique constraint keeps one per type even under a race: the loser raises
    ValidationError), and a StaffAction. Tickets already assigned keep their version.
    """
    try:
        with transaction.atomic():
            PromptVersion.objects.filter(ticket_type=version.ticket_type, live=True).exclude(
                pk=version.pk).update(live=False)
            PromptVersion.objects.filter(pk=version.pk).update(live=True)
            PROMPT_CHOICES.renew()
            record_staff_action(actor=actor, action=ACTION_LIVE, reason=reason, details={
                "prompt_version": version.pk, "ticket_type": version.ticket_type,
                "label": version.label})
    except IntegrityError:
        raise ValidationError("Another version was made live at the same moment; "
                              "reload and try again.") from None
    version.live = True
    return version


def start_prompt_experiment(*, control: PromptVersion, candidate: PromptVersion,
                            candidate_share: int, actor, reason: str) -> PromptExperiment:
    """Start an A/B split of new tickets of the versions' type between `control` and
    `candidate` (`candidate_share` percent).

    Writes (one transaction): the experiment and a StaffAction with the reason. Raises
    ValidationError, writing nothing, when the versions are one, of different types, the
    share is not 1-99, the reason is empty, or an experiment already runs for the type (a
    database constraint decides between two simultaneous starts).
    """
    if control.pk == candidate.pk:
        raise ValidationError("Choose two different versions.")
    if control.ticket_type != candidate.ticket_type:
        raise ValidationError("Both versions must be for the same ticket type.")
    if not 1 <= candidate_share <= 99:
        raise ValidationError("The candidate's share must be between 1 and 99 percent.")
    if not reason.strip():
        raise ValidationError("Say why the experiment runs (it goes in the audit log).")
    try:
        with transaction.atomic():
            experiment = PromptExperiment.objects.create(
                ticket_type=control.ticket_type, control=control, candidate=candidate,
                candidate_share=candidate_share, reason=reason.strip()[:500],
                started_at=timezone.now(), started_by=actor)
            record_staff_action(actor=actor, action=ACTION_START, reason=reason, details={
                "experiment": experiment.pk, "ticket_type": experiment.ticket_type,
                "control": control.label, "candidate": candidate.label,
                "candidate_share": candidate_share})
    except IntegrityError:
        raise ValidationError(f"An experiment already runs for {control.ticket_type} tickets: "
                              "stop it first.") from None
    return experiment


def stop_prompt_experiment(*, experiment: PromptExperiment, actor, reason: str) -> bool:
    """Stop a running experiment: new tickets of its type get the live version again (tickets
    already assigned keep their arm). Writes `stopped_at`/`stopped_by` by a conditional update
    and a StaffAction, in one transaction; returns False (nothing written) when it had
    already stopped."""
    with transaction.atomic():
        stopped = PromptExperiment.objects.filter(
            pk=experiment.pk, stopped_at__isnull=True).update(
            stopped_at=timezone.now(), stopped_by=actor)
        if stopped:
            PROMPT_CHOICES.renew()
            record_staff_action(actor=actor, action=ACTION_STOP, reason=reason, details={
                "experiment": experiment.pk, "ticket_type": experiment.ticket_type})
    return bool(stopped)
