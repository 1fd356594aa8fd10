"""Splits a binary stream into numbered lines in one pass with bounded memory.

The byte-level facts of a file (BOM, CRLF, blank lines, absurdly long lines, the size limit)
are found here, before any parsing, and travel with the batch of lines they belong to so the
final report lists issues in line order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from tuning.validation.issues import Issue

__all__ = ["BATCH_BYTES", "BATCH_LINES", "MAX_LINE_BYTES", "READ_BYTES", "Batch", "LineReader"]

BOM = b"\xef\xbb\xbf"
READ_BYTES = 1 << 20
BATCH_BYTES = 1 << 20
BATCH_LINES = 2_000
# No model's per-example context comes near this many bytes of JSON, and a line is held whole
# in memory to be parsed, so longer lines are reported and skipped unparsed.
MAX_LINE_BYTES = 64 << 20


@dataclass(slots=True)
class Batch:
    """Non-blank lines (1-based number, bytes without the line ending) and the reader's notes."""

    lines: list[tuple[int, bytes]] = field(default_factory=list)
    notes: list[Issue] = field(default_factory=list)
    size: int = 0
    skipped: int = 0


@dataclass
class LineReader:
    """Reads `stream` with `.read(n)` only; stops once more than `max_bytes` have been read."""

    stream: BinaryIO
    max_bytes: int
    bytes_read: int = 0
    too_large: bool = False
    crlf_seen: bool = field(default=False, init=False)

    def batches(self) -> Iterator[Batch]:
        batch = Batch()
        for number, raw, skipped in self._lines():
            if skipped:
                batch.notes.append(
                    Issue(number, "line_too_long", f"line is longer than {MAX_LINE_BYTES} bytes")
                )
                batch.skipped += 1
                continue
            line = self._without_markers(number, raw, batch.notes)
            if not line or line.isspace():
                batch.notes.append(Issue(number, "blank_line", "blank line (skipped)"))
                continue
            batch.lines.append((number, line))
            batch.size += len(line)
            if batch.size >= BATCH_BYTES or len(batch.lines) >= BATCH_LINES:
                yield batch
                batch = Batch()
        if batch.lines or batch.notes or batch.skipped:
            yield batch

    def _without_markers(self, number: int, line: bytes, notes: list[Issue]) -> bytes:
        """The line without its CR (CRLF endings) and, on line 1, the BOM; each noted once."""
        if line.endswith(b"\r"):
            line = line[:-1]
            if not self.crlf_seen:
                self.crlf_seen = True
                notes.append(Issue(number, "crlf", "CRLF line endings (accepted)"))
        if number == 1 and line.startswith(BOM):
            line = line[len(BOM) :]
            notes.append(Issue(1, "bom", "UTF-8 byte order mark at the start of the file (accepted)"))
        return line

    def _lines(self) -> Iterator[tuple[int, bytes, bool]]:
        """(number, line, skipped) for each line; a final line without a newline counts. Lines
        are found with bytes.find, which scans with memchr, where bytes.split tests every byte."""
        number = 0
        tail: list[bytes] = []  # the current line's bytes so far, joined once it ends
        tail_bytes = 0
        skipping = False
        while chunk := self._read():
            start = 0
            while (end := chunk.find(b"\n", start)) >= 0:
                piece = chunk[start:end]
                if tail:
                    piece = b"".join([*tail, piece])
                    tail, tail_bytes = [], 0
                number += 1
                skipped = skipping or len(piece) > MAX_LINE_BYTES
                yield number, b"" if skipped else piece, skipped
                skipping = False
                start = end + 1
            last = chunk[start:]
            tail.append(last)
            tail_bytes += len(last)
            if tail_bytes > MAX_LINE_BYTES:
                skipping, tail, tail_bytes = True, [], 0
        if (skipping or tail_bytes) and not self.too_large:  # a cut-off last line is not a line
            yield number + 1, b"".join(tail), skipping

    def _read(self) -> bytes:
        if self.too_large:
            return b""
        chunk = self.stream.read(READ_BYTES)
        self.bytes_read += len(chunk)
        if self.bytes_read > self.max_bytes:
            self.too_large = True
        return chunk
