"""Query values of billing pages, checked before they reach a query."""

from django import forms
from django.core.validators import RegexValidator
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from billing.models import TokenPack
from billing.quotes import MAX_QUANTITY

# Stripe's Checkout Session ids (`cs_test_…`, `cs_live_…`), the local test checkout's included.
checkout_session_id = RegexValidator(
    r"\Acs_(test|live)_[A-Za-z0-9_]+\Z", _("That is not a checkout session id.")
)


class SuccessQueryForm(forms.Form):
    """The success page's query: the session Stripe redirected back with, and the poll count."""

    session_id = forms.CharField(max_length=255, validators=[checkout_session_id])
    poll = forms.IntegerField(min_value=0, required=False)


class AutoTopUpForm(forms.Form):
    """Automatic top-up on (with the pack to buy) or off: the page's "Turn on" / "Save pack"
    buttons send enabled=true, "Turn off" enabled=false."""

    enabled = forms.BooleanField(required=False)
    pack = forms.ModelChoiceField(
        queryset=TokenPack.objects.filter(active=True), required=False, label=_("Pack to buy"),
        empty_label=None, error_messages={"invalid_choice": _("Choose a pack that is on sale.")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pack"].label_from_instance = lambda pack: _(
            "%(name)s (%(tokens)s tokens)") % {"name": pack.name, "tokens": pack.tokens}

    def clean(self):
        data = super().clean()
        if data.get("enabled") and not data.get("pack") and "pack" not in self.errors:
            self.add_error("pack", _("Choose the pack to buy."))
        return data


class CancelPlanForm(forms.Form):
    """Cancel at the period end, with an optional reason (kept with the subscription and
    sent to Stripe)."""

    reason = forms.CharField(max_length=500, required=False, label=_("Why are you leaving?"),
                             widget=forms.Textarea(attrs={"rows": 2}))


class TestSubscriptionActionForm(forms.Form):
    """What the local test mode does to a test subscription."""

    action = forms.ChoiceField(choices=[
        ("renew", _("Next period")), ("fail", _("Fail the renewal")), ("recover", _("Recover")),
        ("give_up", _("Give up after retries"))])


QUANTITY_ERROR = format_lazy(_("Choose from 1 to {max} packs."), max=MAX_QUANTITY)


class CheckoutForm(forms.Form):
    """How many packs to buy at once (the pricing page's selector)."""

    quantity = forms.IntegerField(
        min_value=1, max_value=MAX_QUANTITY, initial=1, required=False,
        error_messages=dict.fromkeys(("min_value", "max_value", "invalid", "required"),
                                     QUANTITY_ERROR))

    def clean_quantity(self):
        return self.cleaned_data["quantity"] or 1  # a form without the selector buys one


class PromotionCodeEntryForm(forms.Form):
    """A code typed on the local test checkout (empty removes the one applied)."""

    code = forms.CharField(max_length=40, required=False, label=_("Promotion code"))
