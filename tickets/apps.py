from django.apps import AppConfig


class TicketsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tickets"

    def ready(self):
        from accounts.usage.exports import register_data_section
        from tickets import receivers, timing  # noqa: F401 - connects receivers, registers checks
        from tickets.batches import receivers as batch_receivers  # noqa: F401 - connects them
        from tickets.exports import user_tickets_data
        from tickets.models import PromptExperiment, PromptVersion
        from tickets.prompt_choices import PROMPT_CHOICES
        from tickets.selectors import describe_ticket_references
        from tokens.references import register_describer

        register_describer("ticket:", describe_ticket_references)
        register_data_section("tickets", user_tickets_data)
        PROMPT_CHOICES.follow(PromptVersion, PromptExperiment)
