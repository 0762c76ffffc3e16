"""The one place that talks to Auth0: HTTP clients, tokens and rate-limit headers."""
