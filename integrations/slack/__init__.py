"""The Slack app: slash command, message shortcut, account linking, results posted back."""
