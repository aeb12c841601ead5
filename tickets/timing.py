"""The timing contract of a generation, and the system check that refuses a broken one.

Every figure is a setting (config/settings.py, "Timing contract"; README documents each), and
they only work together in one order:

    soft limit < hard limit < broker visibility timeout < hold TTL < stuck-after

- The soft limit turns a runaway generation into a failure (hold released) and the hard
  limit kills it; both end a run before the broker would hand its message to another worker
  (visibility timeout), so a healthy run is never duplicated.
- A running ticket keeps a short lease, renewed by a heartbeat every third of it while the
  provider call runs. A lease that lapses means the run is gone (worker killed, pool process
  killed, machine lost); the sweeper, running more often than a lease lasts, sends the ticket
  to a new worker, which takes it over. Only the run holding the ticket's run token can
  finish it, so a run that only looked dead changes nothing.
- The hold outlives all of that: a run that dies at its hard limit can be taken over and
  finish before the ledger's sweeper expires the hold (`2 × hard + lease + sweep <= TTL`).
- A ticket still unfinished after stuck-after is failed and its hold released.

Batches (an epic's children, a CSV import) are one ticket, one hold and one task each, so
each piece of work lives inside these same bounds.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import checks


@dataclass(frozen=True)
class Timing:
    soft_limit: int
    hard_limit: int
    lease: int
    sweep_every: int
    visibility_timeout: int
    hold_ttl: int
    stuck_after: int

    @property
    def heartbeat(self) -> float:
        """Seconds between lease renewals: three chances before the lease lapses."""
        return self.lease / 3

    def seconds(self, name: str) -> timedelta:
        return timedelta(seconds=getattr(self, name))


def timing() -> Timing:
    """The configured figures, read now (tests and deployments may change settings)."""
    return Timing(
        soft_limit=settings.TICKETS_TASK_SOFT_TIME_LIMIT,
        hard_limit=settings.TICKETS_TASK_TIME_LIMIT,
        lease=settings.TICKETS_RUN_LEASE_SECONDS,
        sweep_every=settings.TICKETS_SWEEP_SECONDS,
        visibility_timeout=settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"],
        hold_ttl=settings.TICKETS_HOLD_TTL_SECONDS,
        stuck_after=settings.TICKETS_STUCK_AFTER_SECONDS,
    )


_ORDER = (
    ("soft_limit", "TICKETS_TASK_SOFT_TIME_LIMIT"),
    ("hard_limit", "TICKETS_TASK_TIME_LIMIT"),
    ("visibility_timeout", "CELERY_VISIBILITY_TIMEOUT"),
    ("hold_ttl", "TICKETS_HOLD_TTL_SECONDS"),
    ("stuck_after", "TICKETS_STUCK_AFTER_SECONDS"),
)


def timing_problems(value: Timing) -> list[str]:
    """Each way `value` breaks the contract, in words; empty when it holds."""
    problems = []
    for (lower, lower_name), (upper, upper_name) in zip(_ORDER, _ORDER[1:], strict=False):
        if not 0 < getattr(value, lower) < getattr(value, upper):
            problems.append(
                f"{lower_name} ({getattr(value, lower)} s) must be positive and below "
                f"{upper_name} ({getattr(value, upper)} s)."
            )
    if value.lease < 3:
        problems.append(
            f"TICKETS_RUN_LEASE_SECONDS ({value.lease} s) must be at least 3: the heartbeat "
            "renews it every third."
        )
    if not 0 < value.sweep_every < value.lease:
        problems.append(
            f"TICKETS_SWEEP_SECONDS ({value.sweep_every} s) must be positive and below "
            f"TICKETS_RUN_LEASE_SECONDS ({value.lease} s), or lapsed runs wait for the sweep."
        )
    takeover = 2 * value.hard_limit + value.lease + value.sweep_every
    if takeover > value.hold_ttl:
        problems.append(
            f"TICKETS_HOLD_TTL_SECONDS ({value.hold_ttl} s) must be at least 2 x "
            f"TICKETS_TASK_TIME_LIMIT + TICKETS_RUN_LEASE_SECONDS + TICKETS_SWEEP_SECONDS "
            f"({takeover} s), so a run lost at its time limit can be taken over in time."
        )
    return problems


@checks.register(checks.Tags.compatibility)
def check_timing(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    return [
        checks.Error(
            problem, hint="See README.md, 'Timing contract and recovery'.", id="tickets.E001"
        )
        for problem in timing_problems(timing())
    ]
