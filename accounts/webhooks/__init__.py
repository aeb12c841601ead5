"""Outgoing webhooks: a workspace's endpoint, signed deliveries of ticket events, retries."""
