"""Per rule-and-group window state: sliding-window thresholds, baselines and absence (silence) checks.

Times are event times in seconds. Each state serialises to a JSON-ready dict (persisted by
:mod:`otel_auth0.state.detection_store`) and keeps only what its rule needs, so it stays small.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from dataclasses import dataclass
from typing import Any

from otel_auth0.detections.model import Absence, Baseline, BurnRate, Threshold

Ref = tuple[str, str, str]  # (log_id, trace_id hex, span_id hex); empty strings when unknown


@dataclass(frozen=True, slots=True)
class Hit:
    """What a state reports when its rule fires."""

    count: int
    first_time: float
    refs: tuple[Ref, ...]
    expected: float | None = None
    report: tuple[tuple[str, str], ...] = ()


class ThresholdState:
    """The newest matching events of a group within the window (at most ``count``; with ``distinct``,
    the newest event per distinct value)."""

    kind = "threshold"

    def __init__(self, spec: Threshold) -> None:
        self.spec = spec
        self.entries: list[tuple[float, str, Ref]] = []  # (time, distinct value, ref), sorted by time
        self.last_fired: float | None = None

    @property
    def newest(self) -> float:
        """Time of the newest entry (0 when empty)."""
        return self.entries[-1][0] if self.entries else 0.0

    def add(self, time: float, value: str, ref: Ref) -> Hit | None:
        """Record one event; a :class:`Hit` when the window now holds ``count`` of them."""
        newest = max(self.newest, time)
        if time < newest - self.spec.window:
            return None  # older than the window: cannot count any more
        if self.spec.distinct is not None:
            self.entries = [entry for entry in self.entries if entry[1] != value]
        bisect.insort(self.entries, (time, value, ref), key=lambda entry: entry[0])
        cutoff = newest - self.spec.window
        start = bisect.bisect_left(self.entries, cutoff, key=lambda entry: entry[0])
        del self.entries[: max(start, len(self.entries) - self.spec.count)]
        if len(self.entries) < self.spec.count:
            return None
        return Hit(len(self.entries), self.entries[0][0], tuple(entry[2] for entry in self.entries))

    def dump(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"entries": [[t, v, list(r)] for t, v, r in self.entries], "last_fired": self.last_fired}

    def load(self, data: dict[str, Any]) -> None:
        """Restore :meth:`dump` output."""
        self.entries = [(float(t), str(v), (str(r[0]), str(r[1]), str(r[2]))) for t, v, r in data["entries"]]
        self.last_fired = data.get("last_fired")


class _Buckets:
    """Event counts in fixed-width time buckets."""

    def __init__(self, width: float) -> None:
        self.width = width
        self.counts: dict[int, int] = {}

    def index(self, time: float) -> int:
        return math.floor(time / self.width)

    def add(self, time: float) -> int:
        index = self.index(time)
        self.counts[index] = self.counts.get(index, 0) + 1
        return index

    def total(self, first: int, last: int) -> int:
        return sum(count for index, count in self.counts.items() if first <= index <= last)

    def forget_before(self, index: int) -> None:
        for old in [i for i in self.counts if i < index]:
            del self.counts[old]


BASELINE_BUCKETS = 10  # buckets per window
MAX_REFS = 20


class BaselineState:
    """Counts in buckets over the trailing period; fires when the current window is ``factor`` times
    what the history predicts (and at least ``min_count``), once a window of history exists."""

    kind = "baseline"

    def __init__(self, spec: Baseline) -> None:
        self.spec = spec
        self.buckets = _Buckets(spec.window / BASELINE_BUCKETS)
        self.first_seen: float | None = None
        self.refs: deque[Ref] = deque(maxlen=MAX_REFS)
        self.last_fired: float | None = None

    @property
    def newest(self) -> float:
        """Time of the newest bucket."""
        return (max(self.buckets.counts) + 1) * self.buckets.width if self.buckets.counts else 0.0

    def add(self, time: float, value: str, ref: Ref) -> Hit | None:
        """Record one event; a :class:`Hit` when the rate now exceeds the baseline."""
        self.first_seen = time if self.first_seen is None else min(self.first_seen, time)
        now = self.buckets.add(time)
        self.refs.append(ref)
        width = self.buckets.width
        self.buckets.forget_before(now - math.ceil(self.spec.period / width))
        current = self.buckets.total(now - BASELINE_BUCKETS + 1, now)
        history_end = now - BASELINE_BUCKETS  # last bucket before the current window
        history_start = now - math.ceil(self.spec.period / width)
        covered = min(self.spec.period - self.spec.window, (history_end + 1) * width - self.first_seen)
        if covered < self.spec.window:
            return None
        expected = self.buckets.total(history_start, history_end) / covered * self.spec.window
        if current < self.spec.min_count or current < self.spec.factor * expected:
            return None
        return Hit(current, now * width - self.spec.window, tuple(self.refs), expected)

    def dump(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "buckets": [[i, c] for i, c in self.buckets.counts.items()],
            "first_seen": self.first_seen,
            "refs": [list(r) for r in self.refs],
            "last_fired": self.last_fired,
        }

    def load(self, data: dict[str, Any]) -> None:
        """Restore :meth:`dump` output."""
        self.buckets.counts = {int(i): int(c) for i, c in data["buckets"]}
        self.first_seen = data.get("first_seen")
        self.refs.extend((str(r[0]), str(r[1]), str(r[2])) for r in data["refs"])
        self.last_fired = data.get("last_fired")


ABSENCE_BUCKETS = 60  # buckets per history


class AbsenceState:
    """When a group was last seen and how busy it was; fires once per silence of ``after``."""

    kind = "absence"

    def __init__(self, spec: Absence) -> None:
        self.spec = spec
        self.buckets = _Buckets(spec.history / ABSENCE_BUCKETS)
        self.last_seen: float | None = None
        self.refs: deque[Ref] = deque(maxlen=MAX_REFS)
        self.fired = False
        self.last_fired: float | None = None

    @property
    def newest(self) -> float:
        """When the group was last seen."""
        return self.last_seen or 0.0

    def silent(self, now: float, recent_only: bool = False) -> Hit | None:
        """A :class:`Hit` when the group has been silent for ``after`` at ``now`` after enough traffic
        (once per silence). With ``recent_only`` (the wall-clock check), a silence that began more than
        ``after`` + ``history`` ago is not reported: it is an imported archive or the collector's own
        downtime, not a tenant that just went quiet."""
        if self.fired or self.last_seen is None or now - self.last_seen < self.spec.after:
            return None
        if recent_only and now - self.last_seen >= self.spec.after + self.spec.history:
            return None
        last = self.buckets.index(self.last_seen)
        busy = self.buckets.total(last - ABSENCE_BUCKETS + 1, last)
        if busy < self.spec.min_events:
            return None
        self.fired = True
        return Hit(busy, self.last_seen, tuple(self.refs))

    def add(self, time: float, value: str, ref: Ref) -> Hit | None:
        """Record one event; a :class:`Hit` when it ends a silence that was not reported yet."""
        hit = self.silent(time)
        if self.last_seen is None or time >= self.last_seen:
            self.last_seen = time
            self.fired = False
        opened = self.buckets.index(time) not in self.buckets.counts
        index = self.buckets.add(time)
        if opened:  # a new bucket: time to forget the ones out of the history
            self.buckets.forget_before(index - ABSENCE_BUCKETS)
        self.refs.append(ref)
        return hit

    def dump(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "buckets": [[i, c] for i, c in self.buckets.counts.items()],
            "last_seen": self.last_seen,
            "refs": [list(r) for r in self.refs],
            "fired": self.fired,
            "last_fired": self.last_fired,
        }

    def load(self, data: dict[str, Any]) -> None:
        """Restore :meth:`dump` output."""
        self.buckets.counts = {int(i): int(c) for i, c in data["buckets"]}
        self.last_seen = data.get("last_seen")
        self.refs.extend((str(r[0]), str(r[1]), str(r[2])) for r in data["refs"])
        self.fired = bool(data.get("fired"))
        self.last_fired = data.get("last_fired")


class SingleState:
    """Rules without threshold: every matching event fires (subject to dedupe)."""

    kind = "single"

    def __init__(self) -> None:
        self.last_fired: float | None = None
        self.last_time = 0.0

    @property
    def newest(self) -> float:
        """Time of the last event."""
        return self.last_time

    def add(self, time: float, value: str, ref: Ref) -> Hit | None:
        """Every event is a hit."""
        self.last_time = max(self.last_time, time)
        return Hit(1, time, (ref,))

    def dump(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"last_fired": self.last_fired, "last_time": self.last_time}

    def load(self, data: dict[str, Any]) -> None:
        """Restore :meth:`dump` output."""
        self.last_fired = data.get("last_fired")
        self.last_time = float(data.get("last_time") or 0.0)


BURN_BUCKETS = 5  # buckets per shortest window


class BurnRateState:
    """Events and bad events per bucket over the longest window of a burn-rate rule."""

    kind = "burn_rate"

    def __init__(self, spec: BurnRate) -> None:
        self.spec = spec
        self.width = min(window.short for window in spec.windows) / BURN_BUCKETS
        self.longest = max(window.long for window in spec.windows)
        self.buckets: dict[int, list[int]] = {}  # index -> [events, bad events]
        self.refs: deque[Ref] = deque(maxlen=MAX_REFS)
        self.last_fired: float | None = None

    @property
    def newest(self) -> float:
        """End of the newest bucket."""
        return (max(self.buckets) + 1) * self.width if self.buckets else 0.0

    def _ratio(self, now: int, span: float) -> tuple[int, int]:
        first = now - math.ceil(span / self.width) + 1
        total = bad = 0
        for index, (events, bads) in self.buckets.items():
            if first <= index <= now:
                total += events
                bad += bads
        return total, bad

    def add(self, time: float, value: str, ref: Ref) -> Hit | None:
        """Record one event (``value`` "1": bad); a :class:`Hit` when a window pair burns too fast."""
        now = math.floor(time / self.width)
        counts = self.buckets.setdefault(now, [0, 0])
        counts[0] += 1
        counts[1] += value == "1"
        if value == "1":
            self.refs.append(ref)
        for old in [i for i in self.buckets if i <= now - math.ceil(self.longest / self.width)]:
            del self.buckets[old]
        budget = 1 - self.spec.objective
        for window in self.spec.windows:
            total, bad = self._ratio(now, window.long)
            short_total, short_bad = self._ratio(now, window.short)
            if total < self.spec.min_events or not short_total:
                continue
            burn, short_burn = bad / total / budget, short_bad / short_total / budget
            if burn >= window.factor and short_burn >= window.factor:
                report = (
                    ("burn_rate", f"{burn:.3g}"),
                    ("error_ratio", f"{bad / total:.4g}"),
                    ("windows", f"{window.long:g}s/{window.short:g}s"),
                    ("objective", f"{self.spec.objective:g}"),
                )
                return Hit(bad, time - window.long, tuple(self.refs), report=report)
        return None

    def dump(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "buckets": [[i, c[0], c[1]] for i, c in self.buckets.items()],
            "refs": [list(r) for r in self.refs],
            "last_fired": self.last_fired,
        }

    def load(self, data: dict[str, Any]) -> None:
        """Restore :meth:`dump` output."""
        self.buckets = {int(i): [int(t), int(b)] for i, t, b in data["buckets"]}
        self.refs.extend((str(r[0]), str(r[1]), str(r[2])) for r in data["refs"])
        self.last_fired = data.get("last_fired")


GroupState = ThresholdState | BaselineState | AbsenceState | SingleState | BurnRateState
