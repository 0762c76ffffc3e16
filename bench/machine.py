"""Pinning the benchmark (and every process it starts) to one core, and describing the machine."""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC, datetime
from typing import Any


def pin_to_core(core: int | None = None) -> int:
    """Pin this process to ``core`` (default: the lowest allowed one); children inherit the pinning."""
    allowed = sorted(os.sched_getaffinity(0))
    chosen = allowed[0] if core is None else core
    if chosen not in allowed:
        raise ValueError(f"core {chosen} is not available to this process (allowed: {allowed})")
    os.sched_setaffinity(0, {chosen})
    return chosen


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (``platform.processor()`` elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info(core: int) -> dict[str, Any]:
    """CPU model, core counts, Python version, OS and the date of the run."""
    return {
        "cpu_model": cpu_model(),
        "cpu_cores": os.cpu_count(),
        "pinned_core": core,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
