"""What each role in a team may do: the one place that decides it."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    MEMBER = "member", _("Member")
    VIEWER = "viewer", _("Viewer")


# Roles an invitation or a role change may give (ownership moves by transfer only).
ASSIGNABLE = (Role.ADMIN, Role.MEMBER, Role.VIEWER)
MANAGERS = (Role.OWNER, Role.ADMIN)


def can_generate(role: str) -> bool:
    """Spend the pool: generate and improve tickets (viewers only read)."""
    return role != Role.VIEWER


def can_manage(role: str) -> bool:
    """Invite and remove people, change roles and limits, buy for the team, read the audit
    log."""
    return role in MANAGERS


def can_change_ticket(role: str, *, is_author: bool) -> bool:
    """Edit, delete or restore a team ticket: admins any, members their own."""
    return can_manage(role) or (role == Role.MEMBER and is_author)
