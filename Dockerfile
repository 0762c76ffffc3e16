# Two images from one file. The default (last) target is the collector alone: `docker build -t otel-auth0 .`
# The `tools` target adds the tenant simulator and the readiness suite (otel-auth0[readiness]: pytest,
# pytest-bdd, aiosmtpd) for local verification (`docker build --target tools -t otel-auth0-tools .`);
# docker-compose.yml builds both.
FROM python:3.11.13-slim-bookworm AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/otel-auth0 otel-auth0 \
    && mkdir -p /var/lib/otel-auth0 \
    && chown otel-auth0:otel-auth0 /var/lib/otel-auth0
WORKDIR /src
COPY pyproject.toml README.md ./
COPY otel_auth0 ./otel_auth0

FROM base AS tools
COPY simulator ./simulator
RUN pip install .[readiness] ./simulator && rm -rf /src
WORKDIR /var/lib/otel-auth0
VOLUME ["/var/lib/otel-auth0"]
USER otel-auth0:otel-auth0
ENTRYPOINT ["otel-auth0"]
CMD ["--help"]

# The collector with PostgreSQL support (psycopg) for a fleet of replicas (state.backend: postgres):
# `docker build --target collector-postgres -t otel-auth0-postgres .`
FROM base AS collector-postgres
RUN pip install .[postgres] && rm -rf /src
WORKDIR /var/lib/otel-auth0
USER otel-auth0:otel-auth0
EXPOSE 8383 9464
ENTRYPOINT ["otel-auth0"]
CMD ["--help"]

FROM base AS collector
RUN pip install . && rm -rf /src
# state_dir (queue, dedupe index, checkpoints) belongs on a volume.
WORKDIR /var/lib/otel-auth0
VOLUME ["/var/lib/otel-auth0"]
USER otel-auth0:otel-auth0
# 8383: receivers.log_stream (when configured to listen on 0.0.0.0:8383);
# 9464: telemetry.listen (/healthz, /readyz, /metrics; when configured on 0.0.0.0:9464).
EXPOSE 8383 9464
ENTRYPOINT ["otel-auth0"]
CMD ["--help"]
