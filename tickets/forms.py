"""Forms: the generator, the library filters, editing a generated ticket, rating it."""

import re
from typing import NoReturn

from django import forms
from django.core import signing
from django.utils.functional import cached_property, lazy
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from tickets import clarifying
from tickets.kinds import KIND_FIELDS, KINDS, TicketKind, get_kind, kind_choices, kinds_in_words
from tickets.models import Priority, Quality, TicketType
from tickets.models.splits import MAX_CHILDREN, MIN_CHILDREN
from tickets.providers import STORY_POINTS, TicketSchemaError, is_offline_mode, validate_ticket
from tickets.ticket_templates.selectors import (
    TemplateChoice,
    builtin_choices,
    find_template,
    templates_of_workspace,
)

DESCRIPTION_MIN = 20
DESCRIPTION_MAX = 4000


def count_characters(text: str) -> int:
    """The description's length as the form checks it and as the live counter shows it
    (static/js/tickets-generator.js counts the same way): surrounding whitespace left out, a
    line break is one character whatever the browser sends (CRLF), and characters are Unicode
    code points, as Python's len and JavaScript's Array.from count them (🎉 is one)."""
    return len(text.strip().replace("\r\n", "\n").replace("\r", "\n"))


def format_count(number: int) -> str:
    """4,000, as the counter writes it (Intl.NumberFormat("en-US"))."""
    return f"{number:,}"


class DescriptionField(forms.CharField):
    """Checks the length the user sees (`count_characters`) and says the numbers the way the
    counter does.

    No `maxlength` on the textarea: a browser would cut a long paste off without a word; the
    counter turns red instead, and this field says how long the text is.
    """

    def __init__(self, *, min_chars: int, max_chars: int, **kwargs):
        # Not CharField's min_length/max_length: their messages would say "4000".
        super().__init__(**kwargs)
        self.min_chars = min_chars
        self.max_chars = max_chars

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n").replace("\r", "\n") if value else value

    def validate(self, value):
        super().validate(value)
        length = count_characters(value or "")
        if value and length < self.min_chars:
            self._refuse("min_length", self.min_chars, length)
        if length > self.max_chars:
            self._refuse("max_length", self.max_chars, length)

    def _refuse(self, code: str, limit: int, length: int) -> NoReturn:
        raise forms.ValidationError(
            self.error_messages[code],
            code=code,
            params={"limit_value": format_count(limit), "show_value": format_count(length)},
        )

    def counter_text(self, value: str | None) -> str:
        """What the counter under the textarea says for `value` ("1,234 / 4,000"); the script
        writes the same as the user types."""
        length = count_characters(value or "")
        text = f"{format_count(length)} / {format_count(self.max_chars)}"
        if 0 < length < self.min_chars:
            text += " · " + gettext("at least %(count)s") % {"count": format_count(self.min_chars)}
        return text


class GenerateForm(forms.Form):
    description = DescriptionField(
        min_chars=DESCRIPTION_MIN,
        max_chars=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 7, "data-counter": "description-counter"}),
        error_messages={
            "required": _("Describe the work in a few sentences."),
            "min_length": _("Add a little more detail: at least %(limit_value)s characters "
                            "(you wrote %(show_value)s)."),
            "max_length": _("Keep it under %(limit_value)s characters "
                            "(you wrote %(show_value)s)."),
        },
    )
    # Choices and message are read from the kind registry when a form is used.
    ticket_type = forms.ChoiceField(
        choices=kind_choices, initial=TicketType.STORY, widget=forms.RadioSelect,
        label=_("Ticket type"),
        error_messages={"invalid_choice": lazy(
            lambda: gettext("Choose %(kinds)s.") % {"kinds": kinds_in_words()}, str)()},
    )
    quality = forms.ChoiceField(
        choices=Quality.choices, initial=Quality.STANDARD, widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose Standard or Advanced.")},
    )
    # An epic's stories, at most (each reserved when confirming; the unused ones released).
    max_children = forms.TypedChoiceField(
        choices=[(n, str(n)) for n in range(MIN_CHILDREN, MAX_CHILDREN + 1)], coerce=int,
        initial=MAX_CHILDREN, required=False, empty_value=None, label=_("Stories, at most"),
        error_messages={"invalid_choice": lazy(
            lambda: gettext("Choose between %(min)s and %(max)s stories.")
            % {"min": MIN_CHILDREN, "max": MAX_CHILDREN}, str)()},
    )
    product_area = forms.CharField(
        max_length=100, required=False, label=_("Product area"),
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Billing, Onboarding")}),
    )
    tech_stack = forms.CharField(
        max_length=200, required=False, label=_("Tech stack"),
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Django, React, PostgreSQL")}),
    )
    nonce = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={"required": _("This form has expired: reload the page and try again."),
                        "invalid": _("This form has expired: reload the page and try again.")},
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)
    # A ticket template (tickets/ticket_templates): a built-in's id, or one of the templates
    # saved in `template_scope`'s workspace; anything else posted (another person's or team's
    # id) is refused. The select is rendered from `builtin_templates` / `saved_templates`.
    template = forms.CharField(required=False, max_length=40, label=_("Template"))
    # Clarify first: set once the questions were answered or skipped (they are not asked
    # again), with the answers signed (tickets/clarifying.py).
    clarified = forms.BooleanField(required=False, widget=forms.HiddenInput)
    clarifications = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, template_scope: dict | None = None, **kwargs):
        """`template_scope`: the `user_id` and `organization_id` whose saved templates may
        be chosen (tickets.ticket_templates.selectors.request_scope); None: built-ins only."""
        super().__init__(*args, **kwargs)
        self.template_scope = template_scope

    def clean_template(self):
        """The chosen `TemplateChoice`, or None. Looks up saved templates only when the id is
        not a built-in's (a submit with a built-in or none costs no query)."""
        value = self.cleaned_data["template"].strip()
        if not value:
            return None
        choice = find_template(value, **(self.template_scope or {"user_id": None,
                                                                 "organization_id": None}))
        if choice is None:
            raise forms.ValidationError(gettext("That template is not available in this "
                                                "workspace: choose one from the list."))
        return choice

    def clean(self):
        cleaned = super().clean()
        choice, kind = cleaned.get("template"), cleaned.get("ticket_type")
        if choice is not None and kind and kind != choice.spec.ticket_type:
            label = get_kind(choice.spec.ticket_type).display_label
            self.add_error("template", gettext(
                "The “%(name)s” template is for %(kind)s tickets: choose %(Kind)s as the type, "
                "or another template.") % {"name": choice.spec.name, "kind": label.lower(),
                                           "Kind": label})
        return cleaned

    @property
    def builtin_templates(self) -> list:
        """The built-ins, for the select's options (each knows its ticket type)."""
        return builtin_choices()

    @cached_property
    def saved_templates(self) -> list:
        """The workspace's saved templates, for the select's options."""
        if not self.template_scope:
            return []
        return [TemplateChoice(template.spec(), template)
                for template in templates_of_workspace(**self.template_scope)]

    def clean_clarifications(self) -> list[dict]:
        value = self.cleaned_data["clarifications"]
        if not value:
            return []
        try:
            return clarifying.unsign(value)
        except signing.BadSignature:
            raise forms.ValidationError(
                gettext("This form has expired: reload the page and try again.")) from None

    @property
    def description_counter(self) -> str:
        return self.fields["description"].counter_text(self["description"].value())

    @property
    def examples(self) -> list[TicketKind]:
        """The kinds whose example description the empty generator offers, in form order."""
        return list(KINDS.values())

    def clean_quality(self):
        quality = self.cleaned_data["quality"]
        if quality == Quality.ADVANCED and is_offline_mode():
            raise forms.ValidationError(
                gettext("Advanced needs the AI service, which is not configured here. "
                        "Use Standard.")
            )
        return quality


# The library's quality filter (tickets.selectors.list_tickets): a ticket passes when every
# check of its stored scorecard does; tickets never checked match neither.
QUALITY_FILTER_CHOICES = [("passing", _("Passes every check")), ("needs_work", _("Needs work"))]


class LibraryFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label=_("Search"),
                        widget=forms.TextInput(attrs={"type": "search",
                                                      "placeholder": _("Search tickets")}))
    type = forms.ChoiceField(choices=lambda: [("", _("All types")), *kind_choices()],
                             required=False)
    created_from = forms.DateField(required=False, label=pgettext_lazy("date range", "From"),
                                   widget=forms.DateInput(attrs={"type": "date"}))
    created_to = forms.DateField(required=False, label=pgettext_lazy("date range", "To"),
                                 widget=forms.DateInput(attrs={"type": "date"}))
    quality = forms.ChoiceField(choices=[("", _("All")), *QUALITY_FILTER_CHOICES],
                                required=False, label=_("Quality check"))


_CLAUSE_RE = re.compile(r"^\s*(given|when|then)\b[\s:,]*(.*)$", re.IGNORECASE)
_ONE_LINE_RE = re.compile(r"^\s*given\s+(.+?)[\s,]+when\s+(.+?)[\s,]+then\s+(.+)$",
                          re.IGNORECASE | re.DOTALL)


def criteria_to_text(criteria: list[dict], *, checklist: bool = False) -> str:
    if checklist:
        return "\n".join(f"- {c['then']}" for c in criteria)
    return "\n\n".join(
        f"Given {c['given']}\nWhen {c['when']}\nThen {c['then']}" for c in criteria
    )


def text_to_checklist(text: str) -> list[dict]:
    """One outcome per line ("- " or "* " in front is fine): a checklist template's criteria."""
    lines = [line.strip().lstrip("-*•").strip() for line in text.replace("\r\n", "\n").split("\n")]
    return [{"given": "", "when": "", "then": line} for line in lines if line]


def text_to_criteria(text: str) -> list[dict]:
    """Blocks separated by blank lines, each "Given …" / "When …" / "Then …" (on separate
    lines or one line). Parts that are missing stay empty for the schema to report."""
    criteria = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()):
        if not block.strip():
            continue
        parts = {"given": "", "when": "", "then": ""}
        current = None
        lines = block.strip().splitlines()
        if len(lines) == 1 and (match := _ONE_LINE_RE.match(lines[0])):
            parts = dict(zip(("given", "when", "then"), match.groups(), strict=True))
        else:
            for line in lines:
                match = _CLAUSE_RE.match(line)
                if match:
                    current = match.group(1).lower()
                    parts[current] = match.group(2).strip()
                elif current:
                    parts[current] = f"{parts[current]} {line.strip()}".strip()
                else:
                    parts["given"] = f"{parts['given']} {line.strip()}".strip()
        criteria.append({key: value.strip() for key, value in parts.items()})
    return criteria


def keep_origins(edited: list[dict], before: list[dict]) -> list[dict]:
    """The edited criteria with their origins: a criterion left as it was keeps its own (none
    for tickets made before origins were recorded); one the user wrote or changed is theirs
    ("user"), so an assumption they edit stops being marked as one."""
    origins = {(c["given"], c["when"], c["then"]): c.get("origin") for c in before}
    kept = []
    for criterion in edited:
        clause = {part: criterion[part] for part in ("given", "when", "then")}
        origin = origins.get(tuple(clause.values()), "user")
        kept.append({**clause, "origin": origin} if origin else clause)
    return kept


class TicketEditForm(forms.Form):
    title = forms.CharField(max_length=120, label=_("Title"))
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=2000,
                              label=_("Summary"))
    user_story = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False,
                                 label=_("User story"))
    acceptance_criteria = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        label=_("Acceptance criteria"),
        help_text=_("One criterion per block: Given …, When …, Then … — blank line between."),
    )
    priority = forms.ChoiceField(
        choices=[(value, _(label)) for value, label in Priority.choices],
        label=_("Priority"))
    labels = forms.CharField(required=False, label=_("Labels"),
                             help_text=_("Comma-separated."))
    story_points = forms.TypedChoiceField(
        choices=[("", "—"), *[(p, p) for p in STORY_POINTS]], coerce=int, empty_value=None,
        required=False, label=_("Story points"),
    )
    technical_notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                      label=_("Technical notes"))
    steps_to_reproduce = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}),
                                         required=False, label=_("Steps to reproduce"),
                                         help_text=_("One step per line."))
    expected_behaviour = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}),
                                         required=False, label=_("Expected behavior"))
    actual_behaviour = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}),
                                       required=False, label=_("Actual behavior"))
    scope = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False,
                            label=_("Scope"), help_text=_("One item per line."))
    out_of_scope = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                   label=_("Out of scope"), help_text=_("One item per line."))
    success_measures = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                       label=_("Success measures"), help_text=_("One per line."))

    # Fields edited as one item per line.
    LINE_LISTS = ("steps_to_reproduce", "scope", "out_of_scope", "success_measures")

    def __init__(self, *args, ticket, **kwargs):
        self.ticket = ticket
        # The template the ticket was made with (its snapshot) shapes what a valid edit is.
        self.template = ticket.template_spec
        checklist = self.template is not None and self.template.checklist
        kwargs.setdefault("initial", {
            **ticket.content(),
            "acceptance_criteria": criteria_to_text(ticket.acceptance_criteria,
                                                    checklist=checklist),
            "labels": ", ".join(ticket.labels),
            **{name: "\n".join(getattr(ticket, name)) for name in self.LINE_LISTS},
        })
        super().__init__(*args, **kwargs)
        kind = get_kind(ticket.ticket_type)
        if kind.epic:
            self.fields["summary"].label = _("Goal")
        used = kind.fields
        for name in KIND_FIELDS:
            if name not in used:
                del self.fields[name]
        if self.template is not None:
            for name in self.template.hidden:
                self.fields.pop(name, None)
            self.fields["priority"].choices = self.template.scheme.choices()
            if checklist:
                self.fields["acceptance_criteria"].help_text = _("One outcome per line.")

    def clean(self):
        cleaned = super().clean()
        data = {
            **cleaned,
            "acceptance_criteria": (
                text_to_checklist if self.template is not None and self.template.checklist
                else text_to_criteria)(cleaned.get("acceptance_criteria", "")),
            "labels": cleaned.get("labels", "").split(","),
            **{name: cleaned.get(name, "").splitlines() for name in self.LINE_LISTS},
        }
        try:
            self.content = validate_ticket(data, ticket_type=self.ticket.ticket_type,
                                           template=self.template)
            self.content["acceptance_criteria"] = keep_origins(
                self.content["acceptance_criteria"], self.ticket.acceptance_criteria)
        except TicketSchemaError as error:
            for message in error.errors:
                field = message.split(" ", 1)[0].split("[", 1)[0].split(".", 1)[0]
                field = field if field in self.fields else None
                if field is None or field not in self.errors:  # one message per field
                    self.add_error(field, message.replace("_", " ").capitalize())
        return cleaned


class RateForm(forms.Form):
    helpful = forms.TypedChoiceField(choices=[("yes", _("Helpful")), ("no", _("Not helpful"))],
                                     coerce=lambda value: value == "yes")
    comment = forms.CharField(max_length=1000, required=False, label=_("Comment"),
                              widget=forms.Textarea(attrs={
                                  "rows": 2, "placeholder": _("What could be better?")}))


_SUB_TASKS_BETWEEN = lazy(lambda: gettext("Choose between %(min)s and %(max)s sub-tasks.")
                          % {"min": MIN_CHILDREN, "max": MAX_CHILDREN}, str)()


class SplitForm(forms.Form):
    """Split a finished story into sub-tasks: how many, at most."""

    max_children = forms.TypedChoiceField(
        choices=[(n, str(n)) for n in range(MIN_CHILDREN, MAX_CHILDREN + 1)], coerce=int,
        initial=5, label=_("Sub-tasks, at most"),
        error_messages={"required": _SUB_TASKS_BETWEEN, "invalid_choice": _SUB_TASKS_BETWEEN},
    )


class ImproveForm(forms.Form):
    """The Improve button: its nonce makes a double click or a resent form one improvement."""

    nonce = forms.UUIDField(
        error_messages={"required": _("This page has expired: reload it and try again."),
                        "invalid": _("This page has expired: reload it and try again.")},
    )
