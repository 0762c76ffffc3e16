"""One log line per incident class: repeats are counted, not logged one by one.

The first occurrence of an incident class (``"queue_full"``, ``"client_disconnect"``…) is logged at
once; further occurrences within ``window`` seconds are only counted, and the next line for that class
after the window says how many there were. A flood of 503s or abandoned uploads costs one line a
minute, not one per request.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

DEFAULT_WINDOW = 60.0


@dataclass
class _Incident:
    logged_at: float
    repeats: int = 0


class Incidents:
    """Rate-limited logging by incident class; safe to share between threads."""

    def __init__(self, logger: logging.Logger, window: float = DEFAULT_WINDOW) -> None:
        self._log = logger
        self._window = window
        self._incidents: dict[str, _Incident] = {}
        self._lock = threading.Lock()

    def report(self, incident: str, level: int, message: str, *args: object, exc_info: bool = False) -> bool:
        """Log ``message % args`` unless ``incident`` was logged within the window; True when logged."""
        now = time.monotonic()
        with self._lock:
            state = self._incidents.get(incident)
            if state is not None and now - state.logged_at < self._window:
                state.repeats += 1
                return False
            repeats = state.repeats if state is not None else 0
            self._incidents[incident] = _Incident(now)
        if repeats:
            message += f" ({repeats} more since the last report of this kind)"
        self._log.log(level, message, *args, exc_info=exc_info)
        return True

    def resolve(self, incident: str, message: str, *args: object) -> None:
        """Log ``message`` at INFO once when ``incident`` had been reported (it is over); forget it."""
        with self._lock:
            state = self._incidents.pop(incident, None)
        if state is not None:
            suffix = f" ({state.repeats + 1} occurrences)" if state.repeats else ""
            self._log.info(message + suffix, *args)
