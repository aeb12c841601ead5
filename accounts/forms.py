from zoneinfo import available_timezones

from django import forms
from django.utils.translation import gettext_lazy as _


class DeleteAccountForm(forms.Form):
    """Deleting an account asks the user to type their email address."""

    email = forms.CharField(
        label=_("Type your email address to confirm"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_email(self):
        typed = self.cleaned_data["email"].strip()
        if typed.lower() != self.user.email.lower():
            raise forms.ValidationError(
                _("That is not your email address; nothing was deleted."))
        return typed


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(available_timezones())
            if "/" in name and not name.startswith(("Etc/", "SystemV/", "posix/", "right/"))] \
        + [("UTC", "UTC")]


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices,
                                  help_text=_("Your day for the daily bonus."))
