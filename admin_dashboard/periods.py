"""The date range a dashboard page reports on, and the equally long period before it."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PRESETS = {"today": 1, "7": 7, "30": 30, "90": 90}
MAX_DAYS = 366
# Nothing happened before this; it also keeps the period before a range within `date`'s range.
FIRST_DAY = date(2000, 1, 1)


@dataclass(frozen=True)
class Period:
    key: str
    first_day: date
    last_day: date

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def start(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.first_day, time.min))

    @property
    def end(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.last_day + timedelta(days=1), time.min))

    @property
    def prev_start(self) -> datetime:
        return self.start - timedelta(days=self.days)

    @property
    def label(self) -> str:
        if self.days == 1:
            return self.first_day.isoformat()
        return f"{self.first_day.isoformat()} – {self.last_day.isoformat()}"

    def day_list(self) -> list[date]:
        return [self.first_day + timedelta(days=i) for i in range(self.days)]

    def query(self) -> str:
        if self.key == "custom":
            return f"range=custom&from={self.first_day}&to={self.last_day}"
        return f"range={self.key}"


class RangeForm(forms.Form):
    range = forms.ChoiceField(
        choices=[("today", _("Today")), ("7", _("7 days")), ("30", _("30 days")),
                 ("90", _("90 days")), ("custom", _("Custom"))],
        required=False,
    )
    start = forms.DateField(required=False, label=_("From"))
    end = forms.DateField(required=False, label=_("To"))

    def __init__(self, data=None, **kwargs):
        if data is not None:
            data = {"range": data.get("range", ""), "start": data.get("from", ""),
                    "end": data.get("to", "")}
        super().__init__(data, **kwargs)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("range") != "custom":
            return cleaned
        start, end = cleaned.get("start"), cleaned.get("end")
        if not start or not end:
            raise forms.ValidationError(_("A custom range needs both a start and an end date."))
        if start < FIRST_DAY:
            raise forms.ValidationError(
                _("The start date must be on or after %(day)s.") % {"day": FIRST_DAY.isoformat()}
            )
        if start > end:
            raise forms.ValidationError(_("The start date must be on or before the end date."))
        if (end - start).days + 1 > MAX_DAYS:
            raise forms.ValidationError(
                _("A custom range can span at most %(days)s days.") % {"days": MAX_DAYS})
        if start > timezone.localdate():
            raise forms.ValidationError(_("The start date is in the future."))
        return cleaned


def preset_period(key: str) -> Period:
    """The preset range `key` ("today", "7", "30", "90") ending today."""
    today = timezone.localdate()
    return Period(key, today - timedelta(days=PRESETS[key] - 1), today)


def period_from_request(request) -> tuple[Period, RangeForm]:
    """The period the query string asks for; 30 days when it asks for nothing or nonsense
    (the form then carries the error to show)."""
    form = RangeForm(request.GET if request.GET else None)
    if form.is_bound and form.is_valid():
        key = form.cleaned_data.get("range") or "30"
        if key == "custom":
            return Period("custom", form.cleaned_data["start"], form.cleaned_data["end"]), form
        return preset_period(key), form
    return preset_period("30"), form
