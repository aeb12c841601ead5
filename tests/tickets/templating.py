"""Builders for the ticket-template tests: saved templates and tickets made with one."""

import uuid

from tests.builders import DESCRIPTION
from tickets import services as ticket_services
from tickets.ticket_templates import services as template_services
from tickets.ticket_templates.selectors import TemplateChoice

BUG = ("On the checkout page in Safari on iPhone, tapping Pay now does nothing once the card "
       "details are filled in. It works in Chrome on a laptop. Mobile customers cannot pay.")


def template_settings(**overrides) -> dict:
    """A story template's settings as the editor saves them."""
    return {"name": "Our stories", "ticket_type": "story",
            "sections": ["user_story", "labels", "story_points", "technical_notes"],
            "labels": [], "priority_scheme": "standard", "criteria_style": "gwt",
            "ready": [], "house_rules": "", **overrides}


def save_template(user=None, *, team=None, **overrides):
    return template_services.save_template(
        settings=template_settings(**overrides), actor=user,
        owner=None if team else user, organization=team)


def made_with(user, template, *, description: str = DESCRIPTION, ticket_type=None):
    """A ticket of `user`'s generated inline with `template` (a saved one or a TemplateSpec),
    read back."""
    choice = (TemplateChoice(template) if not hasattr(template, "spec")
              else TemplateChoice(template.spec(), template))
    ticket = ticket_services.request_ticket_generation(
        account=user.token_account, owner=user, ticket_type=ticket_type or choice.spec.ticket_type,
        quality="standard", description=description, nonce=uuid.uuid4(), template=choice)
    ticket_services.run_ticket_generation(ticket_id=ticket.pk)
    ticket.refresh_from_db()
    return ticket
