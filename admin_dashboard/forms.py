import uuid
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.selectors import USER_SORTS


class UserSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=254, label=_("Email contains"))
    sort = forms.ChoiceField(
        required=False,
        choices=[("newest", _("Newest")), ("balance", _("Balance")), ("spend", _("Spend")),
                 ("activity", _("Last activity"))],
    )

    def clean_sort(self):
        sort = self.cleaned_data.get("sort") or "newest"
        return sort if sort in USER_SORTS else "newest"


class AdjustTokensForm(forms.Form):
    amount = forms.IntegerField(
        help_text=_("Positive to credit, negative to debit."),
        min_value=-1_000_000,
        max_value=1_000_000,
    )
    reason = forms.CharField(max_length=500, widget=forms.TextInput)
    # One adjustment per rendered form: a double submit or a retried request adjusts once.
    nonce = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError(_("Enter a non-zero number of tokens."))
        return amount

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(
                _("Say why: the reason goes into the ledger and audit log."))
        return reason


class DeactivateUserForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.TextInput)


RETRY_REASON = "Retried from the dashboard"


class RetryWebhookForm(forms.Form):
    reason = forms.CharField(max_length=500, required=False, initial=RETRY_REASON)


class PromotionCodeForm(forms.Form):
    """A new promotion code: percent OR amount off, optional expiry and redemption cap,
    first-time-only, and what it applies to (packs and/or plans)."""

    code = forms.RegexField(
        regex=r"\A[A-Za-z0-9-]{3,40}\Z", max_length=40,
        label=_("Code"),
        help_text=_("3–40 letters, digits or dashes; customers type it in any case."),
        error_messages={"invalid": _("Use 3–40 letters, digits or dashes.")})
    percent_off = forms.IntegerField(required=False, min_value=1, max_value=100,
                                     label=_("Percent off"))
    amount_off = forms.DecimalField(required=False, min_value=Decimal("0.01"),
                                    max_value=Decimal("10000"), decimal_places=2,
                                    label=_("Amount off"))
    currency = forms.ChoiceField(choices=[("usd", "USD"), ("eur", "EUR"), ("gbp", "GBP")],
                                 initial="usd", label=_("Currency"))
    expires_at = forms.DateTimeField(
        required=False, label=_("Expires (UTC)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    max_redemptions = forms.IntegerField(required=False, min_value=1, max_value=1_000_000,
                                         label=_("Max redemptions"))
    first_time_only = forms.BooleanField(required=False, label=_("First purchase only"))
    applies_to = forms.MultipleChoiceField(
        choices=[("packs", _("Token packs")), ("plans", _("Plans"))], initial=["packs"],
        widget=forms.CheckboxSelectMultiple, label=_("Applies to"),
        error_messages={"required": _("Choose what the code applies to.")})
    nonce = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def clean_code(self):
        return self.cleaned_data["code"].upper()

    def clean_expires_at(self):
        expires_at = self.cleaned_data["expires_at"]
        if expires_at is not None and expires_at <= timezone.now():
            raise forms.ValidationError(_("The expiry must be in the future."))
        return expires_at

    def clean(self):
        data = super().clean()
        percent, amount = data.get("percent_off"), data.get("amount_off")
        if "percent_off" in self.errors or "amount_off" in self.errors:
            return data
        if (percent is None) == (amount is None):
            raise forms.ValidationError(
                _("Give either a percent off or an amount off, not both."))
        return data

    def service_arguments(self) -> dict:
        """The cleaned form as `billing.services.create_promotion_code` takes it."""
        data = self.cleaned_data
        amount = data["amount_off"]
        return {
            "request_key": data["nonce"], "code": data["code"],
            "percent_off": data["percent_off"],
            "amount_off": int(amount * 100) if amount is not None else None,
            "currency": data["currency"], "expires_at": data["expires_at"],
            "max_redemptions": data["max_redemptions"],
            "first_time_only": data["first_time_only"],
            "applies_to_packs": "packs" in data["applies_to"],
            "applies_to_plans": "plans" in data["applies_to"],
        }
