import ipaddress
from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.apikeys.models import MAX_BUDGET, Scope

EXPIRY_CHOICES = [("", gettext_lazy("Never")), ("30", gettext_lazy("In 30 days")),
                  ("90", gettext_lazy("In 90 days")), ("365", gettext_lazy("In a year"))]
MAX_ALLOWED_NETWORKS = 20


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=80, label=gettext_lazy("Name"),
                           help_text=gettext_lazy("Where it is used, e.g. “CI bug filer”."),
                           error_messages={"required": gettext_lazy("Give the key a name.")})
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices, widget=forms.CheckboxSelectMultiple,
        initial=[Scope.TICKETS_READ, Scope.TICKETS_WRITE],
        error_messages={"required": gettext_lazy("Choose at least one thing the key may do.")})
    expires_in = forms.ChoiceField(choices=EXPIRY_CHOICES, required=False,
                                   label=gettext_lazy("Expires"))
    daily_budget = forms.IntegerField(
        min_value=0, max_value=MAX_BUDGET, required=False,
        label=gettext_lazy("Daily token budget"),
        help_text=gettext_lazy("Empty: no budget. Counts tokens spent and held, per UTC day."))
    monthly_budget = forms.IntegerField(
        min_value=0, max_value=MAX_BUDGET, required=False,
        label=gettext_lazy("Monthly token budget"),
        help_text=gettext_lazy("Empty: no budget. Per UTC month."))
    allowed_ips = forms.CharField(
        required=False, label=gettext_lazy("Allowed IP addresses"),
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "203.0.113.7\n10.0.0.0/8"}),
        help_text=gettext_lazy("One address or network (CIDR) per line. Empty: any address."))

    def clean_allowed_ips(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["allowed_ips"].splitlines()
                 if line.strip()]
        if len(lines) > MAX_ALLOWED_NETWORKS:
            raise forms.ValidationError(
                _("At most %(count)s addresses.") % {"count": MAX_ALLOWED_NETWORKS})
        networks = []
        for line in lines:
            try:
                networks.append(str(ipaddress.ip_network(line, strict=False)))
            except ValueError as error:
                raise forms.ValidationError(
                    _("“%(line)s” is not an IP address or network (e.g. 10.0.0.0/8).")
                    % {"line": line[:60]}
                ) from error
        return networks

    def expires_at(self):
        days = self.cleaned_data.get("expires_in")
        return timezone.now() + timedelta(days=int(days)) if days else None
