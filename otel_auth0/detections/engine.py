"""The detection engine: rules applied to events in order, with bounded, persistable group state.

The engine is a plain library (no I/O): the live pipeline (:mod:`otel_auth0.detections.processor`)
and ``otel-auth0 detect`` drive the same engine with the same events, so they find the same
detections. Windows run on event time (the event's ``date``), so a replay of archived logs behaves
as the live stream did.
"""

from __future__ import annotations

import dataclasses
import json
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from otel_auth0.convert.events import Event, parse_time_ns
from otel_auth0.detections.matching import (
    AUTH0_LOGS,
    MISSING,
    condition_holds,
    field_value,
    fields_match,
    type_matches,
)
from otel_auth0.detections.model import Rule
from otel_auth0.detections.state import (
    AbsenceState,
    BaselineState,
    BurnRateState,
    GroupState,
    Hit,
    Ref,
    SingleState,
    ThresholdState,
)

DEFAULT_MAX_GROUPS = 100_000
MAX_CACHED_TYPES = 4096
GroupKey = tuple[str, tuple[str, ...]]  # (rule id, group values)


@dataclass(frozen=True, slots=True)
class Observed:
    """One thing the engine looks at: an event of ``source`` with its log record's trace context."""

    event: Mapping[str, Any]
    source: str = AUTH0_LOGS
    trace_id: bytes = b""
    span_id: bytes = b""
    time_ns: int | None = None  # the event's ``date`` when the caller parsed it already


@dataclass(frozen=True, slots=True)
class Detection:
    """One firing of a rule for one group."""

    rule: Rule
    group: dict[str, str]
    time: float
    count: int
    first_time: float
    refs: tuple[Ref, ...]
    expected: float | None = None
    escalation: str = ""  # why this is a re-report at the rule's escalate.severity
    report: tuple[tuple[str, str], ...] = ()  # the rule's ``report`` fields of the firing event

    @property
    def severity(self) -> str:
        """The rule's severity, or its ``escalate.severity`` for an escalated re-report."""
        if self.escalation and self.rule.escalate is not None:
            return self.rule.escalate.severity
        return self.rule.severity

    @property
    def window(self) -> float:
        """The window the count is over (seconds; 0 for single-event rules)."""
        spec = self.rule.threshold or self.rule.baseline
        if spec is not None:
            return spec.window
        if self.rule.burn_rate is not None:
            return max(window.long for window in self.rule.burn_rate.windows)
        return self.rule.absence.after if self.rule.absence is not None else 0.0

    @property
    def log_ids(self) -> list[str]:
        """Contributing log ids, oldest first."""
        return [ref[0] for ref in self.refs if ref[0]]

    def as_json(self) -> dict[str, Any]:
        """The detection as ``otel-auth0 detect --json`` prints it."""
        return {
            "rule": self.rule.id,
            "title": self.rule.title,
            "severity": self.severity,
            "group": self.group,
            "count": self.count,
            "window_s": self.window,
            "time": self.time,
            "first_time": self.first_time,
            "log_ids": self.log_ids,
            **({"expected": round(self.expected, 3)} if self.expected is not None else {}),
            **({"escalation": self.escalation} if self.escalation else {}),
            **({"report": dict(self.report)} if self.report else {}),
        }


@dataclass
class EngineStats:
    """Counters the processor turns into metrics."""

    shed: int = 0
    dirty: set[GroupKey] = field(default_factory=set)
    removed: set[GroupKey] = field(default_factory=set)


def event_time(event: Mapping[str, Any], fallback: float) -> float:
    """The event's ``date`` in UNIX seconds, else ``fallback``."""
    ns = parse_time_ns(event.get("date"))
    return ns / 1e9 if ns is not None else fallback


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


ALTERNATIVES = "|"  # ``user_name|user_id|ip``: the first of these fields the event carries
USED = "\x1f"  # separates the field used from its value in a group key of alternatives


def _value(event: Mapping[str, Any], name: str, source: str) -> str | None:
    value = field_value(event, name, source)
    if value is MISSING or value is None or value == "":
        return None
    return value if isinstance(value, str) else _text(value)


def _values(event: Mapping[str, Any], names: tuple[str, ...], source: str) -> tuple[str, ...] | None:
    """The values of ``names`` as text, or ``None`` when one is missing or empty. For alternatives
    (``a|b``) the first field present, as ``field<USED>value``."""
    values = []
    for name in names:
        if ALTERNATIVES in name:
            found = None
            for alternative in name.split(ALTERNATIVES):
                value = _value(event, alternative, source)
                if value is not None:
                    found = f"{alternative}{USED}{value}"
                    break
        else:
            found = _value(event, name, source)
        if found is None:
            return None
        values.append(found)
    return tuple(values)


MAX_REPORTED = 1000  # characters of one reported field


def reported(rule: Rule, event: Mapping[str, Any], source: str) -> tuple[tuple[str, str], ...]:
    """The rule's ``report`` fields present in ``event`` (before/after of a change), as JSON text."""
    values = []
    for path in rule.report:
        value = field_value(event, path, source)
        if value is not MISSING:
            values.append((path, json.dumps(value, sort_keys=True, default=str)[:MAX_REPORTED]))
    return tuple(values)


def group_fields(names: Sequence[str], values: Sequence[str]) -> dict[str, str]:
    """The group as ``{field: value}``, naming for alternatives the field the events carried."""
    group = {}
    for name, value in zip(names, values, strict=True):
        if ALTERNATIVES in name and USED in value:
            name, value = value.split(USED, 1)
        group[name] = value
    return group


class DetectionEngine:
    """Applies ``rules``; holds at most ``max_groups`` group states (least recently used shed first,
    counted in :attr:`stats`)."""

    def __init__(
        self,
        rules: Sequence[Rule],
        max_groups: int = DEFAULT_MAX_GROUPS,
        max_refs: int = 20,
        max_ahead: float | None = None,
    ) -> None:
        self.rules = {rule.id: rule for rule in rules}
        self.max_groups = max_groups
        self.max_refs = max_refs
        # Live: an event counts at its date, but never later than its arrival (``now``) plus
        # ``max_ahead``, so one future-dated event cannot move windows or the watermark ahead.
        # ``None`` (a replay of archived logs): the event's date alone.
        self.max_ahead = max_ahead
        self.groups: OrderedDict[GroupKey, GroupState] = OrderedDict()
        self.stats = EngineStats()
        self._by_type: dict[str, list[Rule]] = {}
        self._by_source: dict[str, list[Rule]] = {}
        for rule in rules:
            self._by_source.setdefault(rule.match.source, []).append(rule)
        self._groups = {rule.id: tuple(rule.groups) for rule in rules}
        # Rules whose match needs more than the type code (checked once per code in _candidates).
        self._field_rules = {
            rule.id
            for rule in rules
            if rule.match.fields or rule.match.any_of or rule.match.source != AUTH0_LOGS
        }
        self.watermark = 0.0
        self.first_time: float | None = None  # the earliest event time seen (since start)
        self._escalating = [rule for rule in rules if rule.escalate is not None]
        # (rule id, field, value) -> the group whose events carried it, for escalation (bounded).
        self._seen: OrderedDict[tuple[str, str, str], GroupKey] = OrderedDict()
        self._escalated: dict[GroupKey, float] = {}
        self._escalate_by_type: dict[tuple[str, str], list[Rule]] = {}

    def _candidates(self, observed: Observed) -> list[Rule]:
        if observed.source != AUTH0_LOGS:
            return self._by_source.get(observed.source, [])
        event_type = str(observed.event.get("type", ""))
        rules = self._by_type.get(event_type)
        if rules is None:
            if len(self._by_type) >= MAX_CACHED_TYPES:  # bounded whatever types a stream sends
                self._by_type.clear()
            rules = [
                rule for rule in self._by_source.get(AUTH0_LOGS, []) if type_matches(rule.match, event_type)
            ]
            self._by_type[event_type] = rules
        return rules

    def process(self, observed: Observed, now: float) -> list[Detection]:
        """Apply every rule to one event (``now``: the time used when it has no ``date``)."""
        rules = self._candidates(observed)
        if not rules:
            return []
        detections: list[Detection] = []
        event, source = observed.event, observed.source
        time = observed.time_ns / 1e9 if observed.time_ns is not None else event_time(event, now)
        if self.max_ahead is not None:
            time = min(time, now + self.max_ahead)
        self.watermark = max(self.watermark, time)
        if self.first_time is None or time < self.first_time:
            self.first_time = time
        ref: Ref | None = None
        for rule in rules:
            if rule.id in self._field_rules and not fields_match(rule.match, event, source):
                continue
            group = _values(event, self._groups[rule.id], source)
            if group is None:
                continue
            distinct = ""
            if rule.threshold is not None and rule.threshold.distinct is not None:
                found = _values(event, (rule.threshold.distinct,), source)
                if found is None:
                    continue
                distinct = found[0]
            elif rule.burn_rate is not None:
                bad = all(
                    condition_holds(condition, field_value(event, path, source))
                    for path, condition in rule.burn_rate.bad.items()
                )
                distinct = "1" if bad else "0"
            if ref is None:
                log_id = event.get("log_id")
                ref = (
                    log_id if isinstance(log_id, str) else "",
                    observed.trace_id.hex(),
                    observed.span_id.hex(),
                )
            key = (rule.id, group)
            state = self._state(rule, key)
            if isinstance(state, BaselineState) and state.first_seen is None:
                state.first_seen = self.first_time  # the quiet time before a group's first event is history
            hit = state.add(time, distinct, ref)
            self.stats.dirty.add(key)
            if hit is not None:
                detection = self._fire(rule, group, state, hit, time)
                if detection is not None:
                    if rule.escalate is not None:
                        self._remember(rule, key, event, source)
                    if rule.report:
                        detection = dataclasses.replace(detection, report=reported(rule, event, source))
                    detections.append(detection)
        if self._escalating:
            detections.extend(self._escalations(observed, time))
        return detections

    def _remember(self, rule: Rule, key: GroupKey, event: Mapping[str, Any], source: str) -> None:
        """Index a group that just fired by the ``escalate.same`` values of the event that fired it
        (the group's own IP or account, which every event of the group shares)."""
        assert rule.escalate is not None
        seen = self._seen
        for name in rule.escalate.same:
            value = _value(event, name, source)
            if value is not None:
                entry = (rule.id, name, value)
                if seen.get(entry) != key:
                    seen.pop(entry, None)
                    seen[entry] = key
        while len(self._seen) > self.max_groups:
            self._seen.popitem(last=False)

    def _escalations(self, observed: Observed, time: float) -> list[Detection]:
        """Re-reports, at the higher severity, of fired groups an escalating event (a success) shares
        an IP or account with."""
        detections = []
        event, source = observed.event, observed.source
        event_type = str(event.get("type", ""))
        rules = self._escalate_by_type.get((source, event_type))
        if rules is None:  # which rules a (source, type) can escalate, computed once
            if len(self._escalate_by_type) >= MAX_CACHED_TYPES:
                self._escalate_by_type.clear()
            rules = [
                rule
                for rule in self._escalating
                if rule.escalate is not None
                and rule.escalate.match.source == source
                and (source != AUTH0_LOGS or type_matches(rule.escalate.match, event_type))
            ]
            self._escalate_by_type[(source, event_type)] = rules
        for rule in rules:
            escalate = rule.escalate
            assert escalate is not None
            if not fields_match(escalate.match, event, source):
                continue
            for name in escalate.same:
                value = _value(event, name, source)
                key = self._seen.get((rule.id, name, value)) if value is not None else None
                state = self.groups.get(key) if key is not None else None
                if key is None or state is None or state.last_fired is None:
                    continue
                if not 0 <= time - state.last_fired <= escalate.within or key in self._escalated:
                    continue
                self._escalated[key] = time
                log_id = event.get("log_id")
                ref: Ref = (
                    log_id if isinstance(log_id, str) else "",
                    observed.trace_id.hex(),
                    observed.span_id.hex(),
                )
                refs = (*self._refs(state), ref)[-self.max_refs :]
                detections.append(
                    Detection(
                        rule,
                        group_fields(rule.groups, key[1]),
                        time,
                        len(refs) - 1,
                        state.last_fired,
                        refs,
                        escalation=f"a login succeeded with {name}={value} after the failures",
                    )
                )
                break
        return detections

    @staticmethod
    def _refs(state: GroupState) -> tuple[Ref, ...]:
        if isinstance(state, ThresholdState):
            return tuple(entry[2] for entry in state.entries)
        return tuple(state.refs) if isinstance(state, BaselineState | AbsenceState | BurnRateState) else ()

    def tick(self, now: float) -> list[Detection]:
        """Check absence rules at ``now`` (wall clock in the live pipeline; silences that began within
        the rule's ``after`` + ``history``) and forget idle groups."""
        detections: list[Detection] = []
        cutoffs = {rule_id: self.watermark - self._horizon(rule) for rule_id, rule in self.rules.items()}
        expired = []
        for key, state in self.groups.items():
            if state.kind != "absence":
                if state.newest < cutoffs[key[0]]:
                    expired.append(key)
                continue
            assert isinstance(state, AbsenceState)
            hit = state.silent(now, recent_only=True)
            if hit is not None:
                self.stats.dirty.add(key)
                detection = self._fire(self.rules[key[0]], key[1], state, hit, now)
                if detection is not None:
                    detections.append(detection)
        for key in expired:
            self._remove(key)
        return detections

    @staticmethod
    def _horizon(rule: Rule) -> float:
        if rule.baseline is not None:
            return max(rule.baseline.period, rule.dedupe)
        if rule.burn_rate is not None:
            return max(max(window.long for window in rule.burn_rate.windows), rule.dedupe)
        return max(rule.threshold.window if rule.threshold is not None else 0.0, rule.dedupe)

    def _fire(
        self, rule: Rule, group: tuple[str, ...], state: GroupState, hit: Hit, time: float
    ) -> Detection | None:
        if state.last_fired is not None and time - state.last_fired < rule.dedupe:
            return None
        state.last_fired = time
        self._escalated.pop((rule.id, group), None)
        return Detection(
            rule,
            group_fields(rule.groups, group),
            time,
            hit.count,
            hit.first_time,
            hit.refs[-self.max_refs :],
            hit.expected,
            report=hit.report,
        )

    def _state(self, rule: Rule, key: GroupKey) -> GroupState:
        state = self.groups.get(key)
        if state is not None:
            self.groups.move_to_end(key)
            return state
        state = new_state(rule)
        self.groups[key] = state
        while len(self.groups) > self.max_groups:
            oldest, _ = self.groups.popitem(last=False)
            self._escalated.pop(oldest, None)
            self.stats.dirty.discard(oldest)
            self.stats.removed.add(oldest)
            self.stats.shed += 1
        return state

    def _remove(self, key: GroupKey) -> None:
        del self.groups[key]
        self._escalated.pop(key, None)
        self.stats.dirty.discard(key)
        self.stats.removed.add(key)

    def changes(self) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
        """Group states changed and removed since the last call, as rows ``(rule, group, state JSON)``."""
        rows = [
            (key[0], json.dumps(list(key[1])), json.dumps({"kind": state.kind, **state.dump()}))
            for key in self.stats.dirty
            if (state := self.groups.get(key)) is not None
        ]
        removed = [(rule, json.dumps(list(group))) for rule, group in self.stats.removed]
        self.stats.dirty.clear()
        self.stats.removed.clear()
        return rows, removed

    def restore(self, rows: Iterable[tuple[str, str, str]], now: float | None = None) -> int:
        """Load saved group states of rules that still exist with the same kind; returns how many.

        With ``now`` (and :attr:`max_ahead`), a state newer than ``now`` + ``max_ahead`` (saved by a
        version that let a future-dated event advance it) is dropped, not resumed."""
        loaded = 0
        for rule_id, group, data in rows:
            rule = self.rules.get(rule_id)
            if rule is None:
                continue
            state = new_state(rule)
            saved = json.loads(data)
            if saved.get("kind") != state.kind:
                continue
            try:
                state.load(saved)
            except (KeyError, TypeError, ValueError, IndexError):
                continue
            if now is not None and self.max_ahead is not None and state.newest > now + self.max_ahead:
                self.stats.removed.add((rule_id, tuple(json.loads(group))))
                continue
            self.groups[(rule_id, tuple(json.loads(group)))] = state
            self.watermark = max(self.watermark, state.newest)
            loaded += 1
        while len(self.groups) > self.max_groups:
            self.groups.popitem(last=False)
            self.stats.shed += 1
        return loaded


def new_state(rule: Rule) -> GroupState:
    """Empty state for one group of ``rule``."""
    if rule.threshold is not None:
        return ThresholdState(rule.threshold)
    if rule.baseline is not None:
        return BaselineState(rule.baseline)
    if rule.absence is not None:
        return AbsenceState(rule.absence)
    if rule.burn_rate is not None:
        return BurnRateState(rule.burn_rate)
    return SingleState()


def run(engine: DetectionEngine, events: Iterable[Observed], now: float) -> list[Detection]:
    """Every detection of ``events`` processed in order."""
    detections: list[Detection] = []
    for observed in events:
        detections.extend(engine.process(observed, now))
    return detections


def as_observed(events: Iterable[Event]) -> list[Observed]:
    """Auth0 events without trace context."""
    return [Observed(event) for event in events]
