"""The usage page's forms: history filters, the chart period, the alert level, a statement
month. Every one validates what the URL or the form sends and says what is wrong."""

from datetime import date

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tokens.models import LOW_BALANCE_THRESHOLD_MAX
from tokens.selectors.usage import BUCKETS, CATEGORIES, BadCursor, HistoryFilter, decode_cursor


class HistoryFilterForm(forms.Form):
    kind = forms.ChoiceField(
        required=False, label=gettext_lazy("Kind"),
        choices=[("", gettext_lazy("Everything")),
                 *((key, label) for key, (label, *_rest) in CATEGORIES.items())])
    feature = forms.ChoiceField(required=False, label=gettext_lazy("Feature"),
                                choices=[("", gettext_lazy("Any feature"))])
    since = forms.DateField(required=False, label=gettext_lazy("From"),
                            widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label=gettext_lazy("To"),
                            widget=forms.DateInput(attrs={"type": "date"}))
    cursor = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, data=None, *, features: list[tuple[str, str]], **kwargs):
        super().__init__(data, **kwargs)
        self.fields["feature"].choices = [("", _("Any feature")), *features]

    def clean_cursor(self) -> str:
        cursor = self.cleaned_data["cursor"]
        if cursor:
            try:
                decode_cursor(cursor)
            except BadCursor:
                raise forms.ValidationError(
                    _("That page of the history no longer exists: start from the newest."),
                ) from None
        return cursor

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date is before the start date."))
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


# The chart periods' names (tokens.selectors.usage.BUCKETS).
BUCKET_LABELS = {"day": gettext_lazy("Day"), "week": gettext_lazy("Week"),
                 "month": gettext_lazy("Month")}


class PeriodForm(forms.Form):
    bucket = forms.ChoiceField(required=False, label=gettext_lazy("Show spending per"),
                               choices=[(b, BUCKET_LABELS[b]) for b in BUCKETS])


class ThresholdForm(forms.Form):
    threshold = forms.IntegerField(
        label=gettext_lazy("Alert me when I have fewer than"), min_value=0,
        max_value=LOW_BALANCE_THRESHOLD_MAX,
        help_text=gettext_lazy("tokens available. 0 turns the alert off."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}))


class StatementForm(forms.Form):
    month = forms.CharField(label=gettext_lazy("Month"), max_length=7)

    def clean_month(self) -> date:
        value = self.cleaned_data["month"]
        try:
            year, month = (int(part) for part in value.split("-"))
            return date(year, month, 1)
        except ValueError:
            raise forms.ValidationError(_("Pick a month such as 2026-11.")) from None
