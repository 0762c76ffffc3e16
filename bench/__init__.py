"""``make bench``: throughput, latency and memory of otel_auth0 against baselines measured in the same
run (see docs/performance.md)."""
