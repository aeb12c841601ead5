"""Splitting a ticket into children: an epic into stories as it is made, a story into tasks.

Money (DESIGN.md, "Several tickets at once"): the split reserves one hold per possible child
(`SplitSlot`) in the transaction that confirms it — for an epic the same transaction that
reserves the epic's own hold. Once the parent's content exists the plan is written: each
planned child becomes a queued ticket that takes its slot's hold and runs as any ticket does
(claimed, generated, captured or released on its own), and the unused slots are released in
the same transaction. A parent that fails releases every slot with its own hold. No network
call happens inside a transaction: the plan is made first, then applied by a conditional
update, so a planning task delivered twice makes the children once.
"""

import logging
import uuid

from django.db import transaction
from django.utils import timezone

from tickets.kinds import get_kind, split_kinds
from tickets.models import Split, SplitSlot, SplitStatus, Status, Ticket
from tickets.providers.planning import plan_split as make_plan
from tickets.quotes import child_price_key
from tickets.services.dispatch import dispatch_generations, dispatch_planning
from tickets.timing import timing
from tokens.limits import SpendLimit
from tokens.models import Hold, HoldStatus, TokenAccount
from tokens.services import lock_hold_account, release_hold, reserve_tokens

logger = logging.getLogger(__name__)


class CannotSplit(Exception):
    """This ticket cannot be split (its kind, its state, or it was split already)."""


def reserve_split(*, account: TokenAccount, parent: Ticket, child_type: str, max_children: int,
                  each: int, spender: str, limits: tuple[SpendLimit, ...] = ()) -> Split:
    """Inside the caller's transaction, with the paying account already locked: the `Split`
    and one hold of `each` tokens per possible child (key `ticket:<parent>:child:<n>:hold`,
    feature `ticket.epic_child.<quality>`, reference the parent's), checked against
    `limits` like any hold. Raises what `reserve_tokens` raises; the caller's transaction then
    leaves nothing written."""
    split = Split.objects.create(parent=parent, child_type=child_type, max_children=max_children)
    # A child waits for its parent's run (an epic's) before its own: its hold lasts both.
    ttl = timing().seconds("hold_ttl") * 2
    SplitSlot.objects.bulk_create(
        SplitSlot(split=split, position=position, hold=reserve_tokens(
            account=account, amount=each,
            idempotency_key=f"ticket:{parent.pk}:child:{position}:hold",
            reference=parent.reference, feature_key=child_price_key(parent.quality),
            spender=spender, ttl=ttl, limits=limits))
        for position in range(1, max_children + 1)
    )
    return split


def request_ticket_split(*, ticket: Ticket, max_children: int, each: int, spender: str,
                         limits: tuple[SpendLimit, ...] = ()) -> Split:
    """Split a finished story (or feature) into tasks: reserve the split (`reserve_split`,
    the paying account's row locked first, one transaction) and send the planning to the
    workers on commit. Raises CannotSplit (not a kind that splits, not finished, already
    split), InsufficientTokens / LimitReached / AccountClosed with nothing written."""
    kind = get_kind(ticket.ticket_type)
    if ticket.ticket_type not in split_kinds():
        raise CannotSplit("Only stories and features can be split into sub-tasks.")
    with transaction.atomic():
        account = TokenAccount.objects.select_for_update(no_key=True).get(
            pk=ticket.token_account_id)
        if Split.objects.filter(parent=ticket).exists():
            raise CannotSplit("This ticket was split already.")
        if not Ticket.objects.filter(pk=ticket.pk, status=Status.SUCCEEDED).exists():
            raise CannotSplit("Only a finished ticket can be split.")
        split = reserve_split(account=account, parent=ticket, child_type=kind.splits_into,
                              max_children=max_children, each=each, spender=spender,
                              limits=limits)
        split_id = split.pk
        transaction.on_commit(lambda: dispatch_planning(split_id))
    return split


def run_split_planning(*, split_id: int) -> Split | None:
    """Plan a split whose parent is finished and make its children; returns the split, or
    None when there is nothing to do (planned already, failed, or the parent not finished).

    The plan is made with no transaction open (a model call, or the offline planner); then
    one transaction (the paying account's row locked first) moves the split from planning to
    planned by a conditional update and, only if it did: creates each planned child as a
    queued ticket holding its slot's hold, records the dependencies, releases the slots the
    plan leaves unused, and on commit sends the children to the workers as one group.
    """
    split = Split.objects.select_related("parent").filter(
        pk=split_id, status=SplitStatus.PLANNING).first()
    if split is None or split.parent.status != Status.SUCCEEDED:
        return None
    from tickets.services.running import record_attempt

    parent = split.parent
    plan = make_plan(
        parent.content(), parent_type=parent.ticket_type, child_type=split.child_type,
        quality=parent.quality, max_children=split.max_children,
        record_attempt=lambda record: record_attempt(ticket=parent, record=record))
    return _apply_plan(split, plan.children, planner=plan.planner)


def _apply_plan(split: Split, children: list[dict], *, planner: str) -> Split:
    parent = split.parent
    slots = list(split.slots.select_related("hold"))
    with transaction.atomic():
        lock_hold_account(hold_id=slots[0].hold_id)
        planned = Split.objects.filter(pk=split.pk, status=SplitStatus.PLANNING).update(
            status=SplitStatus.PLANNED, plan=children, planner=planner,
            planned_at=timezone.now())
        if not planned:
            split.refresh_from_db()
            return split
        made: dict[int, Ticket] = {}
        for slot, child in zip(slots, children, strict=False):
            made[slot.position] = Ticket.objects.create(
                owner=parent.owner, visitor=parent.visitor, organization=parent.organization,
                token_account=parent.token_account, hold=slot.hold, cost=slot.hold.amount,
                nonce=uuid.uuid5(parent.nonce, f"child:{slot.position}"),
                ticket_type=split.child_type, quality=parent.quality,
                description=child["description"], product_area=parent.product_area,
                tech_stack=parent.tech_stack, parent=parent, position=slot.position,
                language=parent.language)
            slot.child = made[slot.position]
            slot.save(update_fields=["child"])
        for position, child in enumerate(children, 1):
            if position in made and child["depends_on"]:
                made[position].depends_on.set(
                    [made[need] for need in child["depends_on"] if need in made])
        for slot in slots[len(children):]:
            release_hold(hold=slot.hold, reason="split: not in the plan")
        ids = [ticket.pk for ticket in made.values()]
        transaction.on_commit(lambda: dispatch_generations(ids))
    split.refresh_from_db()
    return split


def fail_split(*, parent_id: int, code: str) -> bool:
    """Inside the caller's transaction (the paying account locked): the parent's split, if
    still planning, ends failed and every slot's hold is released. Returns whether it did."""
    failed = Split.objects.filter(parent_id=parent_id, status=SplitStatus.PLANNING).update(
        status=SplitStatus.FAILED, error_code=code)
    if failed:
        pending = Hold.objects.filter(split_slot__split__parent_id=parent_id,
                                      status=HoldStatus.PENDING)
        for hold in pending:
            release_hold(hold=hold, reason=f"split: parent {code}")
    return bool(failed)


def sweep_stuck_splits(*, now=None) -> dict:
    """Recover splits whose planning no worker will finish.

    A split still planning after its parent finished, whose planning task was sent more than
    a lease ago (its worker died, or the broker lost the message), is sent again (the send
    time moves by conditional update, so two sweeps send once; planning twice makes the
    children once). One still planning past stuck-after is given up: `fail_split` releases
    every slot (the paying account locked first). Returns the counts.
    """
    now = now or timezone.now()
    contract = timing()
    planning = Split.objects.filter(status=SplitStatus.PLANNING)
    given_up = 0
    for split in planning.filter(created_at__lt=now - contract.seconds("stuck_after")
                                 ).select_related("parent")[:500]:
        with transaction.atomic():
            lock_hold_account(hold_id=split.slots.values_list("hold_id", flat=True).first())
            given_up += fail_split(parent_id=split.parent_id, code="interrupted")
    sent_again = 0
    lost = planning.filter(parent__status=Status.SUCCEEDED,
                           dispatched_at__lt=now - contract.seconds("lease"))
    for split_id, dispatched_at in lost.values_list("pk", "dispatched_at")[:500]:
        won = Split.objects.filter(pk=split_id, dispatched_at=dispatched_at).update(
            dispatched_at=now)
        if won and dispatch_planning(split_id):
            sent_again += 1
    if given_up or sent_again:
        logger.warning("split sweep: %s given up, %s sent again", given_up, sent_again)
    return {"splits_given_up": given_up, "splits_sent_again": sent_again}
