"""Plans billed by Stripe Billing: checkout and portal, syncing Stripe's subscriptions,
granting allowances from paid invoices, dunning, and the local test mode."""
