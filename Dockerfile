# otel-auth0: the collector, the tenant simulator, the readiness gates and an SMTP catcher (aiosmtpd)
# in one image. docker-compose.yml builds it; `docker build -t otel-auth0 .` works on its own.
FROM python:3.11.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY otel_auth0 ./otel_auth0
RUN pip install . \
    && rm -rf /src \
    && useradd --system --uid 10001 --user-group --create-home --home-dir /home/otel-auth0 otel-auth0 \
    && mkdir -p /var/lib/otel-auth0 \
    && chown otel-auth0:otel-auth0 /var/lib/otel-auth0

# state_dir (queue, dedupe index, checkpoints) belongs on a volume.
WORKDIR /var/lib/otel-auth0
VOLUME ["/var/lib/otel-auth0"]
USER otel-auth0:otel-auth0

# 8383: receivers.log_stream (when configured to listen on 0.0.0.0:8383).
EXPOSE 8383
ENTRYPOINT ["otel-auth0"]
CMD ["--help"]
