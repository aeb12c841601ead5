import uuid

from django import forms

from accounts.selectors import USER_SORTS


class UserSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=254, label="Email contains")
    sort = forms.ChoiceField(
        required=False,
        choices=[("newest", "Newest"), ("balance", "Balance"), ("spend", "Spend"),
                 ("activity", "Last activity")],
    )

    def clean_sort(self):
        sort = self.cleaned_data.get("sort") or "newest"
        return sort if sort in USER_SORTS else "newest"


class AdjustTokensForm(forms.Form):
    amount = forms.IntegerField(
        help_text="Positive to credit, negative to debit.",
        min_value=-1_000_000,
        max_value=1_000_000,
    )
    reason = forms.CharField(max_length=500, widget=forms.TextInput)
    # One adjustment per rendered form: a double submit or a retried request adjusts once.
    nonce = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError("Enter a non-zero number of tokens.")
        return amount

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why: the reason goes into the ledger and audit log.")
        return reason


class DeactivateUserForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.TextInput)


RETRY_REASON = "Retried from the dashboard"


class RetryWebhookForm(forms.Form):
    reason = forms.CharField(max_length=500, required=False, initial=RETRY_REASON)
