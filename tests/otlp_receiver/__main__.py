"""``python -m tests.otlp_receiver``: serve until SIGTERM, printing the endpoints first and the stats last."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence

from tests.otlp_receiver.receiver import OtlpReceiver


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.otlp_receiver", description="Test OTLP receiver (gRPC + HTTP) on 127.0.0.1."
    )
    parser.add_argument("--grpc-port", type=int, default=0, help="gRPC port (0 = a free port)")
    parser.add_argument("--http-port", type=int, default=0, help="HTTP port (0 = a free port)")
    parser.add_argument(
        "--count-only", action="store_true", help="keep counters and request records, not decoded data"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGTERM/SIGINT; print the endpoints first and the stats last, one JSON line each."""
    args = _parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with OtlpReceiver(args.grpc_port, args.http_port, keep_messages=not args.count_only) as receiver:
        print(json.dumps({"grpc_endpoint": receiver.grpc_endpoint, "http_endpoint": receiver.http_endpoint}))
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass
        print(json.dumps(receiver.stats()))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
