"""The usage page's forms: history filters, the chart period, the alert level, a statement
month. Every one validates what the URL or the form sends and says what is wrong."""

from datetime import date

from django import forms

from tokens.models import LOW_BALANCE_THRESHOLD_MAX
from tokens.selectors.usage import BUCKETS, CATEGORIES, BadCursor, HistoryFilter, decode_cursor


class HistoryFilterForm(forms.Form):
    kind = forms.ChoiceField(
        required=False, label="Kind",
        choices=[("", "Everything"), *((key, label) for key, (label, *_) in CATEGORIES.items())])
    feature = forms.ChoiceField(required=False, label="Feature", choices=[("", "Any feature")])
    since = forms.DateField(required=False, label="From",
                            widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To",
                            widget=forms.DateInput(attrs={"type": "date"}))
    cursor = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, data=None, *, features: list[tuple[str, str]], **kwargs):
        super().__init__(data, **kwargs)
        self.fields["feature"].choices = [("", "Any feature"), *features]

    def clean_cursor(self) -> str:
        cursor = self.cleaned_data["cursor"]
        if cursor:
            try:
                decode_cursor(cursor)
            except BadCursor:
                raise forms.ValidationError(
                    "That page of the history no longer exists: start from the newest.",
                ) from None
        return cursor

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "The end date is before the start date.")
        return data

    def history_filter(self) -> HistoryFilter:
        data = self.cleaned_data
        return HistoryFilter(category=data.get("kind") or "",
                             feature_key=data.get("feature") or "",
                             since=data.get("since"), until=data.get("until"))

    def query_string(self) -> str:
        """The filters as a query string (without the cursor), for the next page and the CSV."""
        from django.http import QueryDict

        query = QueryDict(mutable=True)
        for name in ("kind", "feature", "since", "until"):
            value = self.cleaned_data.get(name)
            if value:
                query[name] = value.isoformat() if isinstance(value, date) else value
        return query.urlencode()


class PeriodForm(forms.Form):
    bucket = forms.ChoiceField(required=False, label="Show spending per",
                               choices=[(b, b.capitalize()) for b in BUCKETS])


class ThresholdForm(forms.Form):
    threshold = forms.IntegerField(
        label="Alert me when I have fewer than", min_value=0,
        max_value=LOW_BALANCE_THRESHOLD_MAX,
        help_text="tokens available. 0 turns the alert off.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}))


class StatementForm(forms.Form):
    month = forms.CharField(label="Month", max_length=7)

    def clean_month(self) -> date:
        value = self.cleaned_data["month"]
        try:
            year, month = (int(part) for part in value.split("-"))
            return date(year, month, 1)
        except ValueError:
            raise forms.ValidationError("Pick a month such as 2026-11.") from None
