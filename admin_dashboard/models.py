"""The overview's daily rollups: figures per local day kept up to date by PostgreSQL triggers
(see `admin_dashboard.rollups`), so a range costs a few hundred rows, not a table scan.

Tables whose name ends in "Day" hold signed deltas: a trigger appends +1/-1 (or amounts) for
every change of a source row and never updates a row in place, so concurrent writers never
wait on each other; a figure is the SUM over the rows of its key. Beat compacts the rows of a
key into one now and then (`rollups.services.compact_rollups`). `SpenderDay` is the exception:
one row per account and day with a spend, chained to the account's previous such day.
"""

from django.db import models

# "No earlier spend day": older than any range, so `prev_day < first_day` counts it.
NO_DAY = "0001-01-01"


class RollupState(models.Model):
    """One row (id 1) once the rollups are built: the time zone their days are in. Without it
    (or when it differs from the current time zone) the overview reads the raw tables."""

    time_zone = models.CharField(max_length=64)
    built_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="dashboard_rollup_state_one_row")
        ]

    def __str__(self) -> str:
        return f"rollups in {self.time_zone}, built {self.built_at:%Y-%m-%d %H:%M}"


class TicketDay(models.Model):
    """Tickets created on `day`, by type, quality and current status."""

    day = models.DateField()
    ticket_type = models.CharField(max_length=16)
    quality = models.CharField(max_length=16)
    status = models.CharField(max_length=16)
    tickets = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["day"], name="dashboard_ticketday_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.ticket_type}/{self.quality}/{self.status}: {self.tickets:+}"


class LatencyDay(models.Model):
    """Succeeded tickets created on `day` whose latency falls in `bucket`
    (SQL `dashboard_latency_bucket`): locates a percentile's rank, the exact value is then read
    from the tickets of that one bucket."""

    day = models.DateField()
    bucket = models.IntegerField()
    tickets = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["day"], name="dashboard_latencyday_day")]

    def __str__(self) -> str:
        return f"{self.day} bucket {self.bucket}: {self.tickets:+}"


class EntryDay(models.Model):
    """Ledger entries created on `day` by kind: positive amounts summed in `credited`,
    negative ones in `debited`."""

    day = models.DateField()
    kind = models.CharField(max_length=32)
    credited = models.BigIntegerField()
    debited = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["day"], name="dashboard_entryday_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.kind}: +{self.credited} {self.debited}"


class SpenderDay(models.Model):
    """Every (token account, local day) with at least one spend entry, and the account's
    previous such day (`NO_DAY` for its first). Any account, a user's or not."""

    account_id = models.BigIntegerField()
    day = models.DateField()
    prev_day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account_id", "day"], name="dashboard_spender_day")
        ]

    def __str__(self) -> str:
        return f"account {self.account_id} spent on {self.day} (before: {self.prev_day})"


class ActiveDay(models.Model):
    """Users' accounts that spent on `day` and before that last spent on `prev_day`.

    Distinct spenders are not additive over days, but this is: the accounts that spent in
    [first, last] are exactly the spend days in the range whose previous spend day is before
    `first`, each account counted once (on its first spend day in the range).
    """

    day = models.DateField()
    prev_day = models.DateField()
    accounts = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["day"], name="dashboard_activeday_day")]

    def __str__(self) -> str:
        return f"{self.day} after {self.prev_day}: {self.accounts:+}"


class SignupDay(models.Model):
    """Users who joined on `day`."""

    day = models.DateField()
    users = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["day"], name="dashboard_signupday_day")]

    def __str__(self) -> str:
        return f"{self.day}: {self.users:+}"


class VisitorDay(models.Model):
    """New visitors (`accounts.selectors.list_new_visitors`) first seen on `day`: a visitor
    stops counting when merged into an account that existed before it, so merges and join
    dates changing move these counts too."""

    day = models.DateField()
    visitors = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["day"], name="dashboard_visitorday_day")]

    def __str__(self) -> str:
        return f"{self.day}: {self.visitors:+}"
