"""The items of a webhook body (JSON array, JSON lines or one object), one bad item never costing the rest.

The whole body is parsed at once when it can be (the fast path). When that fails because one item is
nested too deeply or the body holds bytes that are not UTF-8, the items are found without parsing
(:func:`_array_spans` walks strings and brackets of a JSON array; JSON lines split at newlines) and
parsed one by one: the item at fault becomes a :class:`BadItem` (to be parked), the others go on.
Where item boundaries cannot be recovered, the body is refused with a 400 naming the problem.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from otel_auth0.convert.events import loads


class RejectedRequest(Exception):
    """A request answered with a 4xx/5xx status and a JSON reason."""

    def __init__(self, status: int, error: str, reason: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.error = error
        self.reason = reason
        self.headers = headers or {}


class TooLarge(Exception):
    """Decompressing would give more than the room left."""


class GzipMembers:
    """Decompresses every member of a gzip body (RFC 1952 allows several, concatenated); bytes after a
    member that do not start another member are refused, as is a member cut short."""

    def __init__(self) -> None:
        self._member = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._members = 1

    def decompress(self, data: bytes, room: int) -> bytes:
        """What ``data`` decompresses to; raises :class:`TooLarge` beyond ``room`` bytes (at least 1),
        :class:`RejectedRequest` for trailing bytes, ``zlib.error`` for what is not gzip."""
        out = bytearray()
        while data:
            if self._member.eof:
                if not GZIP_MAGIC.startswith(data[:2]):
                    raise RejectedRequest(
                        400,
                        "bad_gzip",
                        f"trailing bytes after the gzip stream (after member {self._members}) "
                        "are not another gzip member",
                    )
                self._member = zlib.decompressobj(16 + zlib.MAX_WBITS)
                self._members += 1
            out += self._member.decompress(data, max(1, room - len(out)))
            if self._member.unconsumed_tail or len(out) > room:
                raise TooLarge
            data = self._member.unused_data if self._member.eof else b""
        return bytes(out)

    def finish(self) -> None:
        """Raise :class:`RejectedRequest` when the last member is cut short."""
        if not self._member.eof:
            raise RejectedRequest(400, "bad_gzip", f"gzip stream is truncated (member {self._members})")


@dataclass(frozen=True, slots=True)
class BadItem:
    """An item that cannot be parsed (``where``: "item 7", "line 3"); parked, the others go on."""

    where: str
    text: str  # its source, at most 1000 characters
    problem: str
    log_id: str | None = None  # when its source shows one


GZIP_MAGIC = b"\x1f\x8b"
_SPACE = re.compile(r"\s*")
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.S)
_SCALAR_END = re.compile(r"[,\]\s]")
_LOG_ID = re.compile(r'"log_id"\s*:\s*"([0-9A-Za-z_-]{1,100})"')
# What ``surrogateescape`` makes of bytes that are not UTF-8.
_BAD_BYTE = re.compile("[\udc80-\udcff]")


def iter_items(body: bytes) -> Iterator[object]:
    """The items of a JSONARRAY / JSONLINES / JSONOBJECT body (a ``{"logs": [...]}`` page too). A body
    that is not JSON at all raises :class:`RejectedRequest` before the first item; an item that is
    nested too deeply, holds bytes that are not UTF-8, or (in JSON lines after the first) is not
    JSON comes as a :class:`BadItem`."""
    try:
        text = body.decode("utf-8-sig")
        bad_at = None
    except UnicodeDecodeError as error:
        text = body.decode("utf-8-sig", "surrogateescape")
        bad_at = error.start
    if not text.strip():
        raise RejectedRequest(400, "empty_body", "empty body; expected a JSON array, JSON lines or an object")
    if bad_at is None:
        try:
            document = loads(text)
        except RecursionError:
            pass  # one item nested too deeply: find the items without parsing
        except ValueError:
            return _iter_lines(text, None)
        else:
            if isinstance(document, list):
                return iter(document)
            if isinstance(document, dict) and isinstance(document.get("logs"), list):
                return iter(document["logs"])
            return iter([document])
    if text.lstrip().startswith("["):
        try:
            spans = _array_spans(text)
        except ValueError as error:
            if bad_at is not None:
                reason = f"body is not UTF-8 (byte {bad_at}) and its items cannot be told apart ({error})"
                raise RejectedRequest(400, "bad_encoding", reason) from None
            raise RejectedRequest(400, "bad_json", f"body is not JSON: {error}") from None
        return _iter_spans(text, spans)
    return _iter_lines(text, bad_at)


def _iter_spans(text: str, spans: list[tuple[int, int]]) -> Iterator[object]:
    for index, (start, end) in enumerate(spans):
        yield _parse_item(text[start:end], f"item {index}")


def _parse_item(source: str, where: str) -> object:
    """The parsed item, or a :class:`BadItem` saying why not."""
    bad = _BAD_BYTE.search(source)
    if bad is not None:
        problem = f"a byte that is not UTF-8 at character {bad.start()} of the item"
        return _bad(source, where, problem)
    try:
        return loads(source)
    except RecursionError:
        return _bad(source, where, "JSON nested too deeply")
    except ValueError as error:
        return _bad(source, where, f"not JSON ({getattr(error, 'msg', None) or error})")


def _bad(source: str, where: str, problem: str) -> BadItem:
    log_id = _LOG_ID.search(source)
    return BadItem(where, source[:1000], problem, log_id.group(1) if log_id else None)


def _iter_lines(text: str, bad_at: int | None) -> Iterator[object]:
    start, number, first = 0, 0, True
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end == -1 else end
        line, start, number = text[start:end], end + 1, number + 1
        if not line.strip():
            continue
        item = _parse_item(line, f"line {number}")
        if first and isinstance(item, BadItem) and not _is_json(line):
            if bad_at is not None:
                reason = f"body is not UTF-8 (byte {bad_at}) and not JSON"
                raise RejectedRequest(400, "bad_encoding", reason)
            raise RejectedRequest(400, "bad_json", f"body is not JSON: line {number}: {item.problem}")
        first = False
        yield item


def _is_json(line: str) -> bool:
    """Whether ``line`` is JSON once bytes that are not UTF-8 are replaced (nested too deeply is JSON)."""
    try:
        loads(line.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))
    except RecursionError:
        return True
    except ValueError:
        return False
    return True


def _array_spans(text: str) -> list[tuple[int, int]]:
    """Where each item of the JSON array ``text`` starts and ends, found from its strings and brackets
    alone (no recursion, so depth does not matter); ValueError when the array itself is broken."""
    pos = _SPACE.match(text).end()  # type: ignore[union-attr]
    if text[pos : pos + 1] != "[":
        raise ValueError("not a JSON array")
    pos = _SPACE.match(text, pos + 1).end()  # type: ignore[union-attr]
    spans: list[tuple[int, int]] = []
    if text[pos : pos + 1] != "]":
        while True:
            end = _value_end(text, pos)
            spans.append((pos, end))
            pos = _SPACE.match(text, end).end()  # type: ignore[union-attr]
            if text[pos : pos + 1] == ",":
                pos = _SPACE.match(text, pos + 1).end()  # type: ignore[union-attr]
                continue
            if text[pos : pos + 1] == "]":
                break
            raise ValueError(f"expected ',' or ']' at character {pos}")
    if text[pos + 1 :].strip():
        raise ValueError(f"text after the array at character {pos + 1}")
    return spans


def _value_end(text: str, pos: int) -> int:
    head = text[pos : pos + 1]
    if head == '"':
        string = _STRING.match(text, pos)
        if string is None:
            raise ValueError(f"unterminated string at character {pos}")
        return string.end()
    if head in ("[", "{"):
        depth = 0
        for token in _TOKEN.finditer(text, pos):
            mark = token.group()
            if mark in ("[", "{"):
                depth += 1
            elif mark in ("]", "}"):
                depth -= 1
                if depth == 0:
                    return token.end()
        raise ValueError(f"unterminated array or object at character {pos}")
    scalar = _SCALAR_END.search(text, pos)
    end = scalar.start() if scalar is not None else len(text)
    if end == pos:
        raise ValueError(f"missing value at character {pos}")
    return end
