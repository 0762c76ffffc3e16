"""Allow ``python -m otel_auth0``."""

from otel_auth0.cli import main

raise SystemExit(main())
