"""Exporters: OTLP (gRPC or HTTP/protobuf through the OpenTelemetry SDK exporters) and OTLP-JSON file."""
