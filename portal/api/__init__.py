"""The merchant's HTTP API under /v1, in the shapes of Stripe's billing-portal API."""
