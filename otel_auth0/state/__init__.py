"""State: the persistent queue, the dedupe index and the checkpoints behind one interface
(:class:`~otel_auth0.state.backend.StateBackend`), kept in SQLite under ``state_dir``
(:mod:`otel_auth0.state.queue`, :mod:`otel_auth0.state.checkpoints`, the default) or PostgreSQL
(:mod:`otel_auth0.state.postgres_queue`, for replicas sharing the work); the files under ``state_dir``
(:mod:`otel_auth0.state.files`); and the leases that let one replica at a time do each singleton job
(:mod:`otel_auth0.state.lease_runner`)."""
