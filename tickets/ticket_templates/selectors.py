"""Reads of templates: the built-ins plus one workspace's saved ones, never anyone else's."""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.teams.selectors import get_workspace
from tickets.models import TicketTemplate, is_public_id
from tickets.ticket_templates.builtins import BUILTINS
from tickets.ticket_templates.spec import TemplateSpec


@dataclass(frozen=True)
class TemplateChoice:
    """A template someone may use: its settings, and its row (None for a built-in)."""

    spec: TemplateSpec
    template: TicketTemplate | None = None

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def builtin(self) -> bool:
        return self.template is None


def templates_of_workspace(*, user_id: int | None,
                           organization_id: int | None) -> QuerySet[TicketTemplate]:
    """The saved templates of a team (`organization_id`), or else of `user_id` personally
    (none for a visitor)."""
    if organization_id is not None:
        return TicketTemplate.objects.filter(organization_id=organization_id)
    if user_id is None:
        return TicketTemplate.objects.none()
    return TicketTemplate.objects.filter(owner_id=user_id, organization__isnull=True)


def request_scope(request: HttpRequest) -> dict:
    """`user_id` and `organization_id` of the request's current workspace."""
    user = request.user
    return {"user_id": user.pk if user.is_authenticated else None,
            "organization_id": get_workspace(request).organization_id}


def builtin_choices() -> list[TemplateChoice]:
    return [TemplateChoice(spec) for spec in BUILTINS.values()]


def find_template(public_id: str, *, user_id: int | None,
                  organization_id: int | None) -> TemplateChoice | None:
    """The built-in or the workspace's template with this id; None for anything else (another
    person's or team's template looks the same as none)."""
    if public_id in BUILTINS:
        return TemplateChoice(BUILTINS[public_id])
    if not is_public_id(public_id):
        return None
    template = templates_of_workspace(user_id=user_id, organization_id=organization_id).filter(
        public_id=public_id).first()
    return TemplateChoice(template.spec(), template) if template is not None else None
