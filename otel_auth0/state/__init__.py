"""State backends: the persistent queue, the dedupe index and the checkpoints behind one interface
(:class:`~otel_auth0.state.backend.StateBackend`), kept in SQLite (:mod:`otel_auth0.pipeline.queue`, the
default) or PostgreSQL (:mod:`otel_auth0.state.postgres_queue`, for replicas sharing the work), plus the
leases that let one replica at a time do each singleton job (:mod:`otel_auth0.state.leases`)."""
