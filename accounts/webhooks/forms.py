from django import forms

from accounts.webhooks.addresses import MAX_URL_LENGTH, WebhookError, validate_webhook_url
from accounts.webhooks.models import SUBSCRIBABLE, WebhookEvent

DESCRIPTIONS = {WebhookEvent.TICKET_COMPLETED: "a ticket is ready",
                WebhookEvent.TICKET_FAILED: "a generation failed (nothing was charged)"}


class EndpointForm(forms.Form):
    url = forms.CharField(
        label="Endpoint URL", max_length=MAX_URL_LENGTH,
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/hooks/myba",
                                     "autocomplete": "off", "spellcheck": "false"}))
    events = forms.MultipleChoiceField(
        label="Events", required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(event.value, f"{event.value} — {DESCRIPTIONS[event]}") for event in SUBSCRIBABLE])
    active = forms.BooleanField(label="Send events to this URL", required=False, initial=True)

    def clean_url(self):
        try:
            return validate_webhook_url(self.cleaned_data["url"])
        except WebhookError as error:
            raise forms.ValidationError(error.message) from None

    def clean_events(self):
        if not self.cleaned_data["events"]:
            raise forms.ValidationError("Choose at least one event to send.")
        return self.cleaned_data["events"]
