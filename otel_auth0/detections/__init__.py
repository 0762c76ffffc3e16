"""Detections: rules over the event stream (docs/detections.md), emitted as OpenTelemetry signals."""
