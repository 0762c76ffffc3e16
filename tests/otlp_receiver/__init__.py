"""A real OTLP receiver (gRPC and HTTP) on 127.0.0.1 for integration tests and benchmarks.

It decodes requests with ``opentelemetry-proto``, stores what it received in thread-safe collections
and can simulate backend outages (``unavailable`` answers or ``down`` sockets), refusals and partial
successes. Run it as a process with ``python -m tests.otlp_receiver --grpc-port P --http-port Q``.
Modules: ``records`` (what is kept), ``receiver`` (the store and servers), ``grpc_service``,
``http_service``, ``__main__`` (the command line).
"""

from tests.otlp_receiver.receiver import OtlpReceiver
from tests.otlp_receiver.records import (
    MetricPoint,
    ReceivedLog,
    ReceivedSpan,
    RequestRecord,
    any_value,
    attributes,
    wait_for,
)

__all__ = [
    "MetricPoint",
    "OtlpReceiver",
    "ReceivedLog",
    "ReceivedSpan",
    "RequestRecord",
    "any_value",
    "attributes",
    "wait_for",
]
