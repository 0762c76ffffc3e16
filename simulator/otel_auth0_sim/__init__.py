"""An Auth0 tenant simulator: token endpoint, Management API logs, traffic generator, Log Stream push."""
