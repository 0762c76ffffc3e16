"""A generated Markdown section kept between two markers in a document.

Used by the modules that render parts of docs/ (``convert.catalog_doc``, ``detections.rules_doc``):
each declares its markers and renderer once and gets the read, replace and command-line helpers.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DocSection:
    """The text ``render()`` produces, kept between ``start`` and ``end`` markers."""

    start: str
    end: str
    render: Callable[[], str]

    def in_document(self, text: str) -> str:
        """The text between the markers of ``text``."""
        start = text.index(self.start) + len(self.start)
        return text[start : text.index(self.end, start)].strip("\n") + "\n"

    def replace(self, text: str) -> str:
        """``text`` with the section between its markers regenerated."""
        start = text.index(self.start) + len(self.start)
        end = text.index(self.end, start)
        return f"{text[:start]}\n{self.render()}{text[end:]}"

    def main(self, argv: list[str]) -> int:
        """Print the section, or rewrite it in the document named by the first argument."""
        if not argv:
            sys.stdout.write(self.render())
            return 0
        path = Path(argv[0])
        path.write_text(self.replace(path.read_text(encoding="utf-8")), encoding="utf-8")
        return 0
