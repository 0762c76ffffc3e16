"""One module per ``otel-auth0`` sub-command; each exposes ``register(subparsers)``."""
