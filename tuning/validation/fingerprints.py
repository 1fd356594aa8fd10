"""Fingerprints of examples: duplicates and conflicting answers inside a file, and validation
(or eval) examples that leak from the training file.

An example splits into its prompt (every message before the last assistant message; for
preference data, the input messages) and its answer (the rest; for preference data, both
outputs). Each half is hashed after normalisation (A-Z lower-cased, spaces, tabs and line
breaks removed), so "Paris." and " paris.\n" match; counting.TextReader, which reads every string
once, computes the digest of each message. Two 64-bit digests per example are all that is kept,
with the line number: 20 bytes per example, in flat arrays, and the questions (same example?
same prompt, other answer? in the training file?) are answered once per file by sorting, not by
a hash table per example.

Normalisation folds the case of ASCII letters only: Unicode lower-casing would cost a fifth of
validation time on non-ASCII text, and near-duplicates that differ only in the case of accented
capitals are rare. The digests are Python's own (SipHash) hashes: fast, 64-bit, and stable
within one process and the worker processes it forks, which is all that ever compares them
(validate_files runs in one process; the thread or fork workers of parallel.py share its hash
key). They are never stored or sent elsewhere.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = [
    "BYTES_PER_EXAMPLE",
    "MAX_FINGERPRINTS",
    "Fingerprints",
    "TrainingIndex",
    "normalized",
    "split_digests",
    "text_digest",
]

# Line number (4 bytes) and two digests (8 bytes each).
BYTES_PER_EXAMPLE = 20
# 40 MB of fingerprints; a file with more examples compares only its first MAX_FINGERPRINTS.
MAX_FINGERPRINTS = 2_000_000
_ASCII_WHITESPACE = b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"
_U64 = (1 << 64) - 1
_ASCII_LOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")
_MIX = np.uint64(0x9E3779B97F4A7C15)  # an odd constant: multiplying by it is a bijection

U64 = npt.NDArray[np.uint64]


def normalized(text: str) -> bytes:
    """`text` as fingerprints compare it: its UTF-8 with A-Z lower-cased and ASCII whitespace
    (spaces, tabs, line breaks) removed, in one byte-table pass."""
    return text.encode().translate(_ASCII_LOWER, _ASCII_WHITESPACE)


def text_digest(text: str) -> int:
    """A 64-bit digest of the normalised text."""
    return hash(normalized(text))


def split_digests(digests: Sequence[int], prompt_length: int) -> tuple[int, int]:
    """(prompt digest, answer digest), unsigned 64-bit, from the digests of an example (two per
    message) whose first `prompt_length` messages are its prompt."""
    cut = 2 * prompt_length
    return hash(tuple(digests[:cut])) & _U64, hash(tuple(digests[cut:])) & _U64


def _pairs(prompts: U64, answers: U64) -> U64:
    """One 8-byte key per (prompt, answer)."""
    return prompts ^ (answers * _MIX)


def _groups(keys: U64) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_], npt.NDArray[np.intp]]:
    """Positions in key order (stable: line order within equal keys), where each group of equal
    keys starts, and each ordered position's group number."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    starts = np.ones(len(keys), dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    return order, starts, np.cumsum(starts) - 1


def _first_lines(lines: npt.NDArray[np.uint32], keys: U64) -> npt.NDArray[np.uint32]:
    """For each position, the line where its key first occurs."""
    order, starts, group = _groups(keys)
    first = np.empty_like(lines)
    first[order] = lines[order][starts][group]
    return first


def _answered_otherwise_before(prompts: U64, answers: U64) -> npt.NDArray[np.bool_]:
    """For each position, whether an earlier position has the same prompt and another answer."""
    order, starts, group = _groups(prompts)
    answer = answers[order]
    differs = answer != answer[starts][group]  # from the group's first answer
    before = np.cumsum(differs) - differs  # how many earlier positions differ from their first
    conflict = differs | (before - before[starts][group] > 0)
    result = np.empty(len(prompts), dtype=bool)
    result[order] = conflict
    return result


def _numbers(lines: npt.NDArray[np.uint32]) -> list[int]:
    return [int(line) for line in lines]


def _line_pairs(lines: npt.NDArray[np.uint32], earlier: npt.NDArray[np.uint32]) -> list[tuple[int, int]]:
    return list(zip(_numbers(lines), _numbers(earlier), strict=True))


@dataclass(frozen=True)
class TrainingIndex:
    """The training file's (prompt, answer) keys, sorted and unique: 8 bytes per example."""

    keys: U64

    @property
    def nbytes(self) -> int:
        return int(self.keys.nbytes)


@dataclass
class Fingerprints:
    """The fingerprints of one file's valid examples, in line order."""

    lines: array[int] = field(default_factory=lambda: array("I"))
    prompts: array[int] = field(default_factory=lambda: array("Q"))
    answers: array[int] = field(default_factory=lambda: array("Q"))

    def add(self, line: int, prompt: int, answer: int) -> None:
        if len(self.lines) < MAX_FINGERPRINTS:
            self.lines.append(line)
            self.prompts.append(prompt)
            self.answers.append(answer)

    def __len__(self) -> int:
        return len(self.lines)

    @property
    def nbytes(self) -> int:
        return sum(len(column) * column.itemsize for column in (self.lines, self.prompts, self.answers))

    def _columns(self) -> tuple[npt.NDArray[np.uint32], U64, U64]:
        return (
            np.frombuffer(self.lines, dtype=np.uint32),
            np.frombuffer(self.prompts, dtype=np.uint64),
            np.frombuffer(self.answers, dtype=np.uint64),
        )

    def repeats(self) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """(line, earlier line) of the examples that repeat an earlier example, and of those that
        answer an earlier prompt otherwise (the earlier line is the prompt's first)."""
        if not self.lines:
            return [], []
        lines, prompts, answers = self._columns()
        first_example = _first_lines(lines, _pairs(prompts, answers))
        duplicate = first_example != lines
        conflicting = _answered_otherwise_before(prompts, answers)
        return (
            _line_pairs(lines[duplicate], first_example[duplicate]),
            _line_pairs(lines[conflicting], _first_lines(lines, prompts)[conflicting]),
        )

    def index(self) -> TrainingIndex:
        _, prompts, answers = self._columns()
        return TrainingIndex(np.unique(_pairs(prompts, answers)))

    def overlaps(self, training: TrainingIndex) -> list[int]:
        """Lines whose prompt and answer are also in the training file."""
        if not self.lines:
            return []
        lines, prompts, answers = self._columns()
        return _numbers(lines[np.isin(_pairs(prompts, answers), training.keys)])
