from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """Connections to trackers (GitHub, GitLab, Jira) and Slack, and exactly-once pushes."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"

    def ready(self):
        from integrations import receivers  # noqa: F401
        from integrations.models import Connection
        from integrations.selectors import PUSH_TARGETS

        PUSH_TARGETS.follow(Connection)
