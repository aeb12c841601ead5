"""The ledger references accounts owns, in words (registered in AccountsConfig.ready)."""

from django.utils.translation import gettext as _

from accounts.models import AnonymousVisitor
from tokens.references import Described


def describe_account_references(references: list[str]) -> dict[str, Described]:
    """`account:<id>` (the other side of a transfer): a visitor's account is the free trial
    carried over at sign-up. One query."""
    ids = {reference: reference.removeprefix("account:") for reference in references}
    visitors = set(AnonymousVisitor.objects.filter(
        token_account_id__in=[pk for pk in ids.values() if pk.isdigit()],
    ).values_list("token_account_id", flat=True))
    return {
        reference: Described(text=_("Carried over from your free trial"))
        for reference, pk in ids.items() if pk.isdigit() and int(pk) in visitors
    }
