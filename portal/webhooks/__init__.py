"""Webhooks out: the merchant's endpoints, and every event delivered to those that want it,
signed as Stripe signs them and retried with back-off."""
