"""The forms of the team pages: they check shape; the rules are the services'."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.teams.models import MAX_LIMIT
from accounts.teams.roles import ASSIGNABLE

ROLE_CHOICES = [(role.value, role.label) for role in ASSIGNABLE]


class TeamForm(forms.Form):
    name = forms.CharField(max_length=80, label=_("Team name"))


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES, initial="member")


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=ROLE_CHOICES)


def _limit_field(label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, required=False, min_value=0, max_value=MAX_LIMIT,
        help_text=_("Tokens; leave empty for no limit."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": _("No limit")}))


class LimitsForm(forms.Form):
    daily_limit = _limit_field(_("Daily limit"))
    monthly_limit = _limit_field(_("Monthly limit"))


class BudgetForm(forms.Form):
    monthly_budget = _limit_field(_("Team monthly budget"))


class SwitchForm(forms.Form):
    workspace = forms.CharField(required=False, max_length=50)
