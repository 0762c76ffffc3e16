"""The outcome of one readiness check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Status = Literal["pass", "fail", "skip"]


@dataclass(frozen=True)
class CheckResult:
    """``checked`` says what was looked at, ``evidence`` what was found, ``fix`` one line on what to do."""

    id: str
    title: str
    status: Status
    checked: str
    evidence: dict[str, Any] | str
    fix: str = ""

    @property
    def message(self) -> str:
        """One line: what is wrong and how to fix it (or why the check was skipped)."""
        found = self.evidence if isinstance(self.evidence, str) else _short(self.evidence)
        if self.status == "pass":
            return f"{self.title}: ok ({found})"
        if self.status == "skip":
            return f"{self.title}: skipped: {found}"
        return f"{self.title}: {found}. Fix: {self.fix}"


def _short(evidence: dict[str, Any]) -> str:
    return "; ".join(f"{key}={value}" for key, value in evidence.items())


def passed(id: str, title: str, checked: str, evidence: dict[str, Any] | str) -> CheckResult:
    """A passing result."""
    return CheckResult(id, title, "pass", checked, evidence)


def failed(id: str, title: str, checked: str, evidence: dict[str, Any] | str, fix: str) -> CheckResult:
    """A failing result with its one-line fix."""
    return CheckResult(id, title, "fail", checked, evidence, fix)


def skipped(id: str, title: str, checked: str, reason: str) -> CheckResult:
    """A check that could not run here (not configured, not applicable)."""
    return CheckResult(id, title, "skip", checked, reason)
