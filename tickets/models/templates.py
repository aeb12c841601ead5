"""Ticket templates saved by a person (personal) or a team (its owners and admins edit them,
its members use them). The built-ins live in code (tickets/ticket_templates/builtins.py).

A ticket made with a template keeps a snapshot of its settings (`Ticket.template_snapshot`),
so editing or deleting the template never changes what an existing ticket was checked
against; `Ticket.template` only links back while the template exists.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from tickets.kinds import kind_values
from tickets.models import PUBLIC_ID_LENGTH, PUBLIC_ID_REGEX, TicketType, new_public_id
from tickets.quality.readiness import ReadyItem
from tickets.ticket_templates.spec import (
    CRITERIA_STYLES,
    PRIORITY_SCHEMES,
    TemplateSpec,
)

NAME_MAX = 80


class TicketTemplate(models.Model):
    public_id = models.CharField(max_length=PUBLIC_ID_LENGTH, default=new_public_id,
                                 editable=False)
    # Exactly one owner: a person's own template, or a team's.
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.CASCADE, related_name="ticket_templates")
    organization = models.ForeignKey("accounts.Organization", null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="ticket_templates")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(max_length=NAME_MAX)
    ticket_type = models.CharField(max_length=16, choices=TicketType.choices)
    # The optional sections that appear (tickets/ticket_templates/spec.SECTIONS).
    sections = models.JSONField(default=list, blank=True)
    labels = models.JSONField(default=list, blank=True)  # the vocabulary; empty: any label
    priority_scheme = models.CharField(
        max_length=16, default="standard",
        choices=[(key, scheme.label) for key, scheme in PRIORITY_SCHEMES.items()])
    criteria_style = models.CharField(max_length=16, default="gwt",
                                      choices=list(CRITERIA_STYLES.items()))
    # The Definition of Ready: [{"check": key, "n"?: int} | {"text": ...}] (ReadyItem).
    ready = models.JSONField(default=list, blank=True)
    house_rules = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = [Lower("name"), "id"]
        indexes = [
            models.Index(fields=["owner"], name="tickets_tpl_owner",
                         condition=Q(owner__isnull=False)),
            models.Index(fields=["organization"], name="tickets_tpl_team",
                         condition=Q(organization__isnull=False)),
        ]
        constraints = [
            models.UniqueConstraint(fields=["public_id"], name="tickets_tpl_public_id_unique"),
            models.CheckConstraint(condition=Q(public_id__regex=f"^{PUBLIC_ID_REGEX}$"),
                                   name="tickets_tpl_public_id_format"),
            models.CheckConstraint(
                condition=(Q(owner__isnull=False, organization__isnull=True)
                           | Q(owner__isnull=True, organization__isnull=False)),
                name="tickets_tpl_one_owner"),
            # One name per workspace, whatever its case: the generator's list stays readable.
            models.UniqueConstraint(Lower("name"), "owner", name="tickets_tpl_owner_name",
                                    condition=Q(owner__isnull=False)),
            models.UniqueConstraint(Lower("name"), "organization", name="tickets_tpl_team_name",
                                    condition=Q(organization__isnull=False)),
            models.CheckConstraint(condition=Q(ticket_type__in=kind_values()),
                                   name="tickets_tpl_type_valid"),
            models.CheckConstraint(condition=Q(priority_scheme__in=list(PRIORITY_SCHEMES)),
                                   name="tickets_tpl_scheme_valid"),
            models.CheckConstraint(condition=Q(criteria_style__in=list(CRITERIA_STYLES)),
                                   name="tickets_tpl_style_valid"),
            models.CheckConstraint(condition=~Q(name=""), name="tickets_tpl_has_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def spec(self) -> TemplateSpec:
        """The settings as the generator, the prompts and the quality check read them."""
        return TemplateSpec(
            id=self.public_id, name=self.name, ticket_type=self.ticket_type,
            sections=tuple(self.sections), labels=tuple(self.labels),
            priority_scheme=self.priority_scheme, criteria_style=self.criteria_style,
            ready=tuple(ReadyItem.from_dict(item) for item in self.ready),
            house_rules=self.house_rules)
