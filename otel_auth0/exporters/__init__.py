"""Exporters: OTLP (gRPC or HTTP/protobuf; metrics through the SDK) and OTLP-JSON file."""
