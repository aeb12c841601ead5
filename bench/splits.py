"""Split throughput: tickets delivered per second through epics (one epic, its plan, up to 8
stories each with its own hold) against the same work as single stories, in the same run.

    make bench BENCH_ARGS="splits --epics 20 --threads 2"

Runs against the PostgreSQL named by DATABASE_URL (a throwaway database). The offline
generator writes every ticket (no network), so the figures are what the split costs us:
the extra reservations (one hold per possible story, all in one transaction), the plan, the
children's creation and the release of the unused places. Each thread does whole epics (or
the same number of single stories) in turn; the two workloads alternate in slices so both
see the same machine load. Afterwards every hold must be settled and `ledger_audit` clean.
"""

import argparse
import os
import sys
import threading
import time
import uuid
from io import StringIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-used-for-anything-0123456789")
os.environ["OPENROUTER_API_KEY"] = ""

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.services import get_or_open_user_account  # noqa: E402
from tickets.kinds import KINDS  # noqa: E402
from tickets.models import Ticket  # noqa: E402
from tickets.services import request_ticket_generation, run_split_planning  # noqa: E402
from tickets.services.running import run_ticket_generation  # noqa: E402
from tokens.models import Hold, HoldStatus  # noqa: E402
from tokens.services import grant_tokens  # noqa: E402

RUN = uuid.uuid4().hex[:8]
EPIC = KINDS["epic"].example
STORY = KINDS["story"].example


def funded_owner(n: int) -> User:
    user = User.objects.create_user(email=f"splits-{n}-{RUN}@bench.invalid")
    account = get_or_open_user_account(user=user)
    grant_tokens(account=account, amount=1_000_000, kind="adjustment",
                 idempotency_key=f"bench:{RUN}:{n}")
    return user


def one_epic(user: User) -> int:
    """An epic made, planned and its stories written, as the worker does it; returns the
    number of tickets delivered (the epic and its stories)."""
    epic = request_ticket_generation(account=user.token_account, owner=user, ticket_type="epic",
                                     quality="standard", description=EPIC, nonce=uuid.uuid4(),
                                     max_children=8)
    run_ticket_generation(ticket_id=epic.pk)
    run_split_planning(split_id=epic.split.pk)
    children = list(Ticket.objects.filter(parent=epic).values_list("pk", flat=True))
    for child in children:
        run_ticket_generation(ticket_id=child)
    return 1 + len(children)


def singles(user: User, count: int) -> int:
    for _ in range(count):
        ticket = request_ticket_generation(account=user.token_account, owner=user,
                                           ticket_type="story", quality="standard",
                                           description=STORY, nonce=uuid.uuid4())
        run_ticket_generation(ticket_id=ticket.pk)
    return count


def timed(threads: int, work) -> tuple[int, float]:
    done = [0] * threads

    def run(index: int) -> None:
        try:
            done[index] = work(index)
        finally:
            connection.close()

    started = time.perf_counter()
    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(done), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epics", type=int, default=20, help="epics per thread, in total")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--slices", type=int, default=4)
    args, _ = parser.parse_known_args()
    call_command("migrate", verbosity=0)
    owners = [funded_owner(n) for n in range(args.threads)]
    per_slice = max(1, args.epics // args.slices)
    epic_tickets = epic_seconds = single_tickets = single_seconds = 0.0
    epics_made = 0
    for _ in range(args.slices):
        made, seconds = timed(args.threads, lambda i: sum(one_epic(owners[i])
                                                          for _ in range(per_slice)))
        epic_tickets += made
        epic_seconds += seconds
        epics_made += per_slice * args.threads
        average = made / (per_slice * args.threads)
        count = round(average * per_slice)
        made, seconds = timed(args.threads, lambda i, count=count: singles(owners[i], count))
        single_tickets += made
        single_seconds += seconds
    split_rate = epic_tickets / epic_seconds
    single_rate = single_tickets / single_seconds
    print(f"epics: {epics_made} epics, {int(epic_tickets)} tickets delivered "
          f"({epic_tickets / epics_made:.1f} per epic) in {epic_seconds:.1f} s "
          f"-> {split_rate:.1f} tickets/s")
    print(f"single stories (baseline, same run): {int(single_tickets)} tickets in "
          f"{single_seconds:.1f} s -> {single_rate:.1f} tickets/s")
    print(f"ratio split / single: {split_rate / single_rate:.2f}x "
          f"({args.threads} threads, offline generator)")
    pending = Hold.objects.filter(status=HoldStatus.PENDING).count()
    out = StringIO()
    call_command("ledger_audit", stdout=out)
    print(f"pending holds left: {pending}; ledger_audit: {out.getvalue().strip() or 'clean'}")


if __name__ == "__main__":
    main()
