from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """Connections to trackers (GitHub, GitLab, Jira) and Slack, and exactly-once pushes."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"

    def ready(self):
        from integrations import receivers  # noqa: F401
