"""OTLP-JSON lines file: one ``{"resourceLogs"|"resourceSpans"|"resourceMetrics": …}`` object per line,
the format of the OpenTelemetry Collector's file exporter. The embedded default exporter."""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult, MetricsData

from otel_auth0.convert.wire import Signal
from otel_auth0.exporters.base import ACCEPTED, ExportResult, SignalExporter

_HEX_ID_FIELDS = frozenset({"traceId", "spanId", "parentSpanId"})


def _hex_ids(node: Any) -> Any:
    """OTLP/JSON writes trace and span ids as hex, where protobuf's JSON mapping writes base64."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _HEX_ID_FIELDS and isinstance(value, str):
                node[key] = base64.b64decode(value).hex()
            else:
                _hex_ids(value)
    elif isinstance(node, list):
        for item in node:
            _hex_ids(item)
    return node


def otlp_json(message: Message) -> str:
    """One OTLP/JSON line for an Export*ServiceRequest."""
    document = MessageToDict(message, use_integers_for_enums=True)
    return json.dumps(_hex_ids(document), separators=(",", ":"), ensure_ascii=False)


class _Writer:
    """Appends lines durably (flush + fsync) under a lock shared by the signal and metric exporters."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()

    def write(self, line: str) -> None:
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())


class FileMetricExporter(MetricExporter):
    """Writes each metrics collection as one OTLP/JSON line."""

    def __init__(self, writer: _Writer) -> None:
        super().__init__()
        self._writer = writer

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        """Encode with the SDK's OTLP encoder and append."""
        request = encode_metrics(metrics_data)
        if request.resource_metrics:
            self._writer.write(otlp_json(request))
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        """Every export is already on disk."""
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        """Nothing to release."""


class FileExporter(SignalExporter):
    """OTLP-JSON lines at ``path``."""

    name = "file"
    bit = 2

    def __init__(self, path: Path) -> None:
        self._writer = _Writer(path)

    @property
    def path(self) -> Path:
        """Where the lines go."""
        return self._writer.path

    def export(self, signal: Signal, request: bytes, records: int) -> ExportResult:
        """Decode, convert to OTLP/JSON and append; accepted once on disk."""
        message_cls = ExportLogsServiceRequest if signal is Signal.LOGS else ExportTraceServiceRequest
        self._writer.write(otlp_json(message_cls.FromString(request)))
        return ACCEPTED

    def metric_exporter(self) -> MetricExporter:
        """Metrics to the same file."""
        return FileMetricExporter(self._writer)

    def shutdown(self) -> None:
        """Every line is already on disk."""


def read_otlp_json_lines(path: Path) -> Sequence[dict[str, Any]]:
    """Load every line of an OTLP-JSON lines file (used by the demo summary and tests)."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
