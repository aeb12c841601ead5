"""Signal receivers of integrations (none yet beyond what the Slack app adds)."""
