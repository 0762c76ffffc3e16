"""Production-readiness checks: plain functions returning :class:`~otel_auth0.readiness.result.CheckResult`.

The Gherkin features (``features/``) and ``otel-auth0 readiness`` are thin layers over this library.
"""

from pathlib import Path

FEATURES_DIR = Path(__file__).parent / "features"
