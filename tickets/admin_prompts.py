"""Prompt versions and A/B experiments in the Django admin (registered from tickets/admin.py).

Writes go through `tickets.services.prompts`: a used version is shown read-only (its texts are
frozen; "Copy as a new version" is the way to change them), and starting, stopping or making
a version live is written to the staff audit log.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from tickets.kinds import KINDS
from tickets.models import PromptExperiment, PromptVersion, PromptVersionFrozen
from tickets.providers.prompts import SYSTEM_PROMPT
from tickets.services import prompts as prompt_services

# Fields nobody edits by hand: set by the services.
ALWAYS_READ_ONLY = ["live", "copied_from", "created_by", "created_at", "used_at"]
FROZEN_FIELDS = ["ticket_type", "label", "system_prompt", "instruction"]


@admin.register(PromptVersion)
class PromptVersionAdmin(admin.ModelAdmin):
    list_display = ["label", "ticket_type", "live", "used", "created_by", "created_at"]
    list_filter = ["ticket_type", "live"]
    search_fields = ["label", "notes"]
    fields = ["ticket_type", "label", "system_prompt", "instruction", "notes", *ALWAYS_READ_ONLY]
    actions = ["copy_as_new_version", "make_live"]

    @admin.display(boolean=True, description="Used (frozen)")
    def used(self, obj: PromptVersion) -> bool:
        return obj.is_frozen

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_frozen:
            return [*FROZEN_FIELDS, *ALWAYS_READ_ONLY]
        return ALWAYS_READ_ONLY

    def get_changeform_initial_data(self, request):
        """A new version starts from the code's prompt (and, given `?ticket_type=`, that
        kind's instruction and the next free label)."""
        initial = {"system_prompt": SYSTEM_PROMPT, **super().get_changeform_initial_data(request)}
        kind = KINDS.get(request.GET.get("ticket_type", ""))
        if kind is not None:
            initial.setdefault("instruction", kind.instruction)
            initial.setdefault("label", prompt_services.next_label(kind.value))
        return initial

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
            super().save_model(request, obj, form, change)
            return
        # The service locks the row and refuses a change to texts a generation used since
        # the form was opened; the model and a trigger refuse it too.
        prompt_services.edit_prompt_version(
            version=obj, label=obj.label, system_prompt=obj.system_prompt,
            instruction=obj.instruction, notes=obj.notes)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:  # the admin's own transaction rolls the save back
            return super().changeform_view(request, object_id, form_url, extra_context)
        except PromptVersionFrozen as error:
            self.message_user(request, error.messages[0], messages.ERROR)
            return self.response_post_save_change(request, None)

    def has_delete_permission(self, request, obj=None):
        # A used version is history the dashboard compares; an unused one may go.
        return obj is not None and not obj.is_frozen and not obj.live and super(
        ).has_delete_permission(request, obj)

    @admin.action(description="Copy as a new version")
    def copy_as_new_version(self, request, queryset):
        for version in queryset:
            copy = prompt_services.copy_prompt_version(version=version, created_by=request.user)
            self.message_user(request, f"{version} copied as {copy.label}: edit it, then make "
                                       "it live or start an experiment.", messages.SUCCESS)

    @admin.action(description="Make live (new tickets of its type get it)")
    def make_live(self, request, queryset):
        versions = list(queryset)
        if len({version.ticket_type for version in versions}) != len(versions):
            self.message_user(request, "Choose at most one version per ticket type.",
                              messages.ERROR)
            return
        for version in versions:
            try:
                prompt_services.make_prompt_version_live(
                    version=version, actor=request.user,
                    reason=f"Made {version} live from the admin")
            except ValidationError as error:
                self.message_user(request, error.messages[0], messages.ERROR)
            else:
                self.message_user(request, f"{version} is live.", messages.SUCCESS)


class StartExperimentForm(forms.ModelForm):
    class Meta:
        model = PromptExperiment
        fields = ["control", "candidate", "candidate_share", "reason"]
        help_texts = {"reason": "Why this experiment runs: it goes in the audit log."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = True

    def clean(self):
        cleaned = super().clean()
        control, candidate = cleaned.get("control"), cleaned.get("candidate")
        if control and candidate:
            if control.pk == candidate.pk:
                raise ValidationError("Choose two different versions.")
            if control.ticket_type != candidate.ticket_type:
                raise ValidationError("Both versions must be for the same ticket type.")
            if PromptExperiment.objects.filter(ticket_type=control.ticket_type,
                                               stopped_at__isnull=True).exists():
                raise ValidationError(f"An experiment already runs for {control.ticket_type} "
                                      "tickets: stop it first.")
        return cleaned


@admin.register(PromptExperiment)
class PromptExperimentAdmin(admin.ModelAdmin):
    list_display = ["ticket_type", "control", "candidate", "candidate_share", "started_at",
                    "stopped_at", "started_by"]
    list_filter = ["ticket_type", ("stopped_at", admin.EmptyFieldListFilter)]
    actions = ["stop_experiments"]
    form = StartExperimentForm

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["control", "candidate", "candidate_share", "reason"]
        return ["ticket_type", "control", "candidate", "candidate_share", "reason",
                "started_at", "started_by", "stopped_at", "stopped_by"]

    def has_change_permission(self, request, obj=None):
        # An experiment is never edited: stop it and start another.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        experiment = prompt_services.start_prompt_experiment(
            control=obj.control, candidate=obj.candidate, candidate_share=obj.candidate_share,
            actor=request.user, reason=obj.reason)
        obj.pk, obj.ticket_type, obj.started_at = (experiment.pk, experiment.ticket_type,
                                                   experiment.started_at)

    def add_view(self, request, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except ValidationError as error:
            # Another experiment for the type started between the form's check and the save.
            self.message_user(request, error.messages[0], messages.ERROR)
            return self.response_post_save_add(request, None)

    @admin.action(description="Stop selected experiments")
    def stop_experiments(self, request, queryset):
        stopped = sum(prompt_services.stop_prompt_experiment(
            experiment=experiment, actor=request.user, reason="Stopped from the admin")
            for experiment in queryset)
        self.message_user(request, f"{stopped} experiment{'s' if stopped != 1 else ''} "
                                   "stopped.", messages.SUCCESS)
