from django import forms
from django.utils.translation import gettext_lazy as _

from config.languages import interface_choices, ticket_language_choices


class LanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Interface language"), required=False,
        choices=lambda: [("", _("Automatic: your browser's language")), *interface_choices()])
    ticket_language = forms.ChoiceField(
        label=_("Tickets are written in"), required=False,
        choices=lambda: [("", _("The interface language")), *ticket_language_choices()],
        help_text=_("What the model writes new tickets in. Without an AI key, tickets are "
                    "written in English whatever you choose."))
