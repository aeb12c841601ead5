from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.webhooks.addresses import MAX_URL_LENGTH, WebhookError, validate_webhook_url
from accounts.webhooks.models import SUBSCRIBABLE, WebhookEvent

DESCRIPTIONS = {WebhookEvent.TICKET_COMPLETED: gettext_lazy("a ticket is ready"),
                WebhookEvent.TICKET_FAILED: gettext_lazy(
                    "a generation failed (nothing was charged)")}


def event_choices() -> list[tuple[str, str]]:
    return [(event.value, f"{event.value} — {DESCRIPTIONS[event]}") for event in SUBSCRIBABLE]


class EndpointForm(forms.Form):
    url = forms.CharField(
        label=gettext_lazy("Endpoint URL"), max_length=MAX_URL_LENGTH,
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/hooks/myba",
                                     "autocomplete": "off", "spellcheck": "false"}))
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=event_choices)
    active = forms.BooleanField(label=gettext_lazy("Send events to this URL"), required=False,
                                initial=True)

    def clean_url(self):
        try:
            return validate_webhook_url(self.cleaned_data["url"])
        except WebhookError as error:
            raise forms.ValidationError(error.message) from None

    def clean_events(self):
        if not self.cleaned_data["events"]:
            raise forms.ValidationError(_("Choose at least one event to send."))
        return self.cleaned_data["events"]
