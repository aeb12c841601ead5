"""Signal receivers of integrations: the Slack app's (results and pushes posted back)."""

from integrations.slack import receivers as slack_receivers  # noqa: F401
