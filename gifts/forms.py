import uuid

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class GiftForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Their email address"))
    tokens = forms.IntegerField(label=gettext_lazy("How many tokens"))
    message = forms.CharField(label=gettext_lazy("Message (optional)"), required=False,
                              max_length=500,
                              widget=forms.Textarea(attrs={"rows": 3}))
    nonce = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("nonce", uuid.uuid4())
        super().__init__(*args, **kwargs)
        low, high = settings.GIFT_MIN_TOKENS, settings.GIFT_MAX_TOKENS
        self.fields["tokens"].widget.attrs.update(min=low, max=high)
        self.fields["tokens"].help_text = _("%(low)s to %(high)s of your available tokens.") % {
            "low": low, "high": high}

    def clean_tokens(self):
        tokens = self.cleaned_data["tokens"]
        low, high = settings.GIFT_MIN_TOKENS, settings.GIFT_MAX_TOKENS
        if not low <= tokens <= high:
            raise forms.ValidationError(_("Send %(low)s to %(high)s tokens.") % {
                "low": low, "high": high})
        return tokens
