# otel-auth0 images, one target each (the last one, `collector`, is the default):
#   collector   the production image: `otel-auth0 run` and the commands it needs, nothing else
#               (`docker build -t otel-auth0 .`)
#   readiness   the collector plus the readiness gates (pytest, pytest-bdd) and an SMTP catcher (aiosmtpd)
#               (`docker build --target readiness -t otel-auth0-readiness .`)
#   simulator   the Auth0 tenant simulator, for local verification only
#               (`docker build --target simulator -t otel-auth0-simulator .`)
# docker-compose.yml builds all three.
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

FROM base AS simulator
RUN pip install ".[simulator]" && rm -rf /src
WORKDIR /var/lib/otel-auth0
USER otel-auth0:otel-auth0
EXPOSE 8443
ENTRYPOINT ["otel-auth0"]
CMD ["simulate", "--help"]

FROM base AS readiness
RUN pip install ".[readiness]" && rm -rf /src
WORKDIR /var/lib/otel-auth0
USER otel-auth0:otel-auth0
ENTRYPOINT ["otel-auth0"]
CMD ["readiness", "--help"]

FROM base AS collector
RUN pip install . && rm -rf /src
# state_dir (queue, dedupe index, checkpoints) belongs on a volume.
WORKDIR /var/lib/otel-auth0
VOLUME ["/var/lib/otel-auth0"]
USER otel-auth0:otel-auth0
# 8383: receivers.log_stream (when configured to listen on 0.0.0.0:8383);
# 8888: telemetry.listen (/healthz, /readyz, /metrics; when configured on 0.0.0.0:8888).
EXPOSE 8383 8888
ENTRYPOINT ["otel-auth0"]
CMD ["--help"]
