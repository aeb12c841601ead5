import uuid

from django import forms
from django.conf import settings


class GiftForm(forms.Form):
    email = forms.EmailField(label="Their email address")
    tokens = forms.IntegerField(label="How many tokens")
    message = forms.CharField(label="Message (optional)", required=False, max_length=500,
                              widget=forms.Textarea(attrs={"rows": 3}))
    nonce = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("nonce", uuid.uuid4())
        super().__init__(*args, **kwargs)
        low, high = settings.GIFT_MIN_TOKENS, settings.GIFT_MAX_TOKENS
        self.fields["tokens"].widget.attrs.update(min=low, max=high)
        self.fields["tokens"].help_text = f"{low} to {high} of your available tokens."

    def clean_tokens(self):
        tokens = self.cleaned_data["tokens"]
        low, high = settings.GIFT_MIN_TOKENS, settings.GIFT_MAX_TOKENS
        if not low <= tokens <= high:
            raise forms.ValidationError(f"Send {low} to {high} tokens.")
        return tokens
