"""Writes of saved templates: create, change, copy, delete. Permissions are the views' (the
workspace's role); these only keep names unique per workspace and the settings valid."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tickets.models import TicketTemplate
from tickets.ticket_templates.spec import TemplateSpec

SETTINGS_FIELDS = ("name", "ticket_type", "sections", "labels", "priority_scheme",
                   "criteria_style", "ready", "house_rules")


class TemplateNameTaken(Exception):
    """The workspace already has a template with this name (whatever its case)."""


def save_template(*, settings: dict, actor, template: TicketTemplate | None = None,
                  owner=None, organization=None) -> TicketTemplate:
    """Create a template owned by `owner` (personal) or `organization` (a team's), or change
    `template`, with `settings` (SETTINGS_FIELDS, as `TemplateForm.settings()` gives them).

    Writes one row in one transaction; the tickets already made with the template keep their
    snapshots. Raises TemplateNameTaken (nothing written) when the workspace has the name.
    """
    if template is None:
        template = TicketTemplate(owner=None if organization is not None else owner,
                                  organization=organization, created_by=actor)
    for field in SETTINGS_FIELDS:
        setattr(template, field, settings[field])
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError as error:
        if "_name" in str(error):
            raise TemplateNameTaken(settings["name"]) from error
        raise
    return template


def _free_name(name: str, taken: set[str]) -> str:
    """The copy's name, "<name> (copy)" (numbered when taken), in the active language."""
    candidate, number = _("%(name)s (copy)") % {"name": name}, 2
    while candidate.casefold() in taken:
        candidate = _("%(name)s (copy %(number)s)") % {"name": name, "number": number}
        number += 1
    return candidate[:80]


def copy_template(*, source: TemplateSpec, actor, owner=None,
                  organization=None) -> TicketTemplate:
    """A new template in the workspace (personal `owner`, or `organization`) with `source`'s
    settings (a built-in's, or another of the workspace's) named "<name> (copy)" (numbered
    when taken). Writes one row; a name taken by a concurrent copy is retried."""
    existing = (TicketTemplate.objects.filter(organization=organization) if organization
                else TicketTemplate.objects.filter(owner=owner, organization__isnull=True))
    settings = {**source.to_dict()}
    for _attempt in range(3):
        settings["name"] = _free_name(source.name, {name.casefold() for name in
                                                    existing.values_list("name", flat=True)})
        try:
            return save_template(settings=settings, actor=actor, owner=owner,
                                 organization=organization)
        except TemplateNameTaken:
            continue
    raise TemplateNameTaken(settings["name"])


def delete_template(*, template: TicketTemplate) -> None:
    """Delete the row; its tickets keep their snapshots (`Ticket.template` becomes null)."""
    template.delete()
