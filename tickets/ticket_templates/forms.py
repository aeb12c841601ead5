"""The template editor's form: every setting of a template, checked and normalised."""

import re

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets.kinds import kind_choices
from tickets.models.templates import NAME_MAX
from tickets.quality.readiness import (
    MIN_CRITERIA_DEFAULT,
    MIN_CRITERIA_RANGE,
    READY_TEXT_MAX,
    ReadyItem,
)
from tickets.ticket_templates.spec import (
    CRITERIA_STYLES,
    HOUSE_RULES_MAX,
    LABEL_VOCABULARY_MAX,
    READY_ITEMS_MAX,
    SECTIONS,
    TemplateSpec,
    priority_scheme_choices,
    ready_check_choices,
)

LABEL_MAX = 40  # as the ticket schema keeps labels
_LABEL_STRIP_RE = re.compile(r"[^a-z0-9._-]+")


NAME_REQUIRED = gettext_lazy("Give the template a name, e.g. “Checkout bugs”.")


class TemplateForm(forms.Form):
    name = forms.CharField(max_length=NAME_MAX, label=gettext_lazy("Name"),
                           error_messages={"required": NAME_REQUIRED})
    ticket_type = forms.ChoiceField(choices=kind_choices, widget=forms.RadioSelect,
                                    label=gettext_lazy("For tickets of type"), initial="story")
    sections = forms.MultipleChoiceField(
        choices=list(SECTIONS.items()), widget=forms.CheckboxSelectMultiple, required=False,
        label=gettext_lazy("Optional sections that appear"),
        help_text=gettext_lazy("Unticked sections stay empty on the ticket, in exports and on "
                               "the card. The user story only exists on features and stories."))
    labels = forms.CharField(
        required=False, label=gettext_lazy("Label vocabulary"), max_length=1200,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy(
            "e.g. frontend, backend, payments")}),
        help_text=gettext_lazy("Comma-separated. The generator picks labels only from these; "
                               "leave empty for any label."))
    priority_scheme = forms.ChoiceField(
        choices=priority_scheme_choices, widget=forms.RadioSelect, initial="standard",
        label=gettext_lazy("Priority scheme"))
    criteria_style = forms.ChoiceField(choices=list(CRITERIA_STYLES.items()),
                                       widget=forms.RadioSelect, initial="gwt",
                                       label=gettext_lazy("Acceptance criteria"))
    ready_checks = forms.MultipleChoiceField(
        choices=ready_check_choices, widget=forms.CheckboxSelectMultiple, required=False,
        label=gettext_lazy("Checked by the quality check"))
    ready_min_criteria = forms.IntegerField(
        required=False, min_value=MIN_CRITERIA_RANGE[0], max_value=MIN_CRITERIA_RANGE[1],
        label=gettext_lazy("N (acceptance criteria)"), initial=MIN_CRITERIA_DEFAULT,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    ready_other = forms.CharField(
        required=False, label=gettext_lazy("To confirm by the team"), max_length=2600,
        widget=forms.Textarea(attrs={"rows": 3,
                                     "placeholder": gettext_lazy("e.g. Designs are linked")}),
        help_text=gettext_lazy("One item per line. Shown on every ticket's scorecard; not "
                               "scored."))
    house_rules = forms.CharField(
        required=False, max_length=HOUSE_RULES_MAX, label=gettext_lazy("House rules"),
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": gettext_lazy(
            "e.g. We write titles in the imperative.")}),
        help_text=gettext_lazy("Free text the AI model follows (the offline generator "
                               "cannot)."))

    @classmethod
    def initial_from(cls, spec: TemplateSpec) -> dict:
        min_items = [item for item in spec.checks if item.check == "min_criteria"]
        return {
            "name": spec.name, "ticket_type": spec.ticket_type, "sections": list(spec.sections),
            "labels": ", ".join(spec.labels), "priority_scheme": spec.priority_scheme,
            "criteria_style": spec.criteria_style,
            "ready_checks": [item.check for item in spec.checks],
            "ready_min_criteria": (min_items[0].n if min_items and min_items[0].n
                                   else MIN_CRITERIA_DEFAULT),
            "ready_other": "\n".join(item.text for item in spec.to_confirm),
            "house_rules": spec.house_rules,
        }

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(NAME_REQUIRED)
        return name

    def clean_labels(self) -> list[str]:
        labels: list[str] = []
        for raw in self.cleaned_data["labels"].split(","):
            label = _LABEL_STRIP_RE.sub("-", raw.strip().lower()).strip("-")
            if len(label) > LABEL_MAX:
                raise forms.ValidationError(
                    _("“%(label)s” is too long for a label: at most %(max)s characters.")
                    % {"label": raw.strip()[:50], "max": LABEL_MAX})
            if label and label not in labels:
                labels.append(label)
        if len(labels) > LABEL_VOCABULARY_MAX:
            raise forms.ValidationError(
                _("Keep the vocabulary to %(max)s labels (you listed %(count)s).")
                % {"max": LABEL_VOCABULARY_MAX, "count": len(labels)})
        return labels

    def clean_ready_other(self) -> list[str]:
        lines = [" ".join(line.split()) for line in self.cleaned_data["ready_other"].splitlines()]
        lines = [line.lstrip("-*• ").strip() for line in lines]
        lines = [line for line in lines if line]
        for line in lines:
            if len(line) > READY_TEXT_MAX:
                raise forms.ValidationError(
                    _("Keep each item under %(max)s characters: “%(item)s…” is %(length)s.")
                    % {"max": READY_TEXT_MAX, "item": line[:40], "length": len(line)})
        return lines

    def clean_house_rules(self) -> str:
        return self.cleaned_data["house_rules"].replace("\r\n", "\n").strip()

    def clean(self):
        cleaned = super().clean()
        checks = cleaned.get("ready_checks") or []
        other = cleaned.get("ready_other") or []
        if len(checks) + len(other) > READY_ITEMS_MAX:
            self.add_error("ready_other", _(
                "A Definition of Ready of more than %(max)s items is not read: keep the ones "
                "that matter.") % {"max": READY_ITEMS_MAX})
        if "min_criteria" in checks and cleaned.get("ready_min_criteria") is None \
                and "ready_min_criteria" not in self.errors:
            self.add_error("ready_min_criteria", _(
                "Say how many acceptance criteria a ready ticket has (%(min)s to %(max)s).")
                % {"min": MIN_CRITERIA_RANGE[0], "max": MIN_CRITERIA_RANGE[1]})
        return cleaned

    def settings(self) -> dict:
        """The model's fields (tickets.ticket_templates.services.SETTINGS_FIELDS)."""
        data = self.cleaned_data
        ready = [ReadyItem(check=check, n=data["ready_min_criteria"]
                           if check == "min_criteria" else None).to_dict()
                 for check in data["ready_checks"]]
        ready += [ReadyItem(text=text).to_dict() for text in data["ready_other"]]
        return {"name": data["name"], "ticket_type": data["ticket_type"],
                "sections": [key for key in SECTIONS if key in data["sections"]],
                "labels": data["labels"], "priority_scheme": data["priority_scheme"],
                "criteria_style": data["criteria_style"], "ready": ready,
                "house_rules": data["house_rules"]}
