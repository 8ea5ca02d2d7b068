"""Three-way line merge: the pristine base, the user's file, the new output."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

OURS_MARK = "<<<<<<< yours"
SEPARATOR = "======="
THEIRS_MARK = ">>>>>>> codegen"


@dataclass(frozen=True)
class _Change:
    """Lines base[start:end] replaced by `lines` on one side."""

    start: int
    end: int
    lines: tuple[str, ...]
    side: int


@dataclass(frozen=True)
class MergeResult:
    """The merged text and how many hunks conflicted."""

    text: str
    conflicts: int


def _changes(base: list[str], other: list[str], side: int) -> list[_Change]:
    matcher = SequenceMatcher(None, base, other, autojunk=False)
    return [
        _Change(i1, i2, tuple(other[j1:j2]), side)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def _touches(a: _Change, b: _Change) -> bool:
    """True when two changes affect overlapping base lines or insert at the same place."""
    if a.start < b.end and b.start < a.end:
        return True
    if a.start == a.end and b.start <= a.start <= b.end:
        return True
    return b.start == b.end and a.start <= b.start <= a.end


def _clusters(changes: list[_Change]) -> list[list[_Change]]:
    clusters: list[list[_Change]] = []
    for change in sorted(changes, key=lambda c: (c.start, c.end, c.side)):
        if clusters and any(_touches(change, other) for other in clusters[-1]):
            clusters[-1].append(change)
        else:
            clusters.append([change])
    return clusters


def _apply(base: list[str], start: int, end: int, changes: list[_Change]) -> list[str]:
    """base[start:end] with one side's changes (all inside the range) applied."""
    result: list[str] = []
    position = start
    for change in sorted(changes, key=lambda c: (c.start, c.end)):
        result.extend(base[position : change.start])
        result.extend(change.lines)
        position = change.end
    result.extend(base[position:end])
    return result


def _ensure_newline(lines: list[str]) -> list[str]:
    if lines and not lines[-1].endswith("\n"):
        return [*lines[:-1], lines[-1] + "\n"]
    return lines


def merge3(base: str, ours: str, theirs: str) -> MergeResult:
    """Merge `theirs` (new output) into `ours` (the user's file) relative to `base`.

    Hunks only one side changed are taken from that side; hunks both sides changed the same
    way are taken once; anything else is a conflict with both versions between markers, so
    no line of the user's is ever dropped silently.
    """
    if ours == base:
        return MergeResult(theirs, 0)
    if theirs == base or ours == theirs:
        return MergeResult(ours, 0)
    base_lines = base.splitlines(keepends=True)
    changes = _changes(base_lines, ours.splitlines(keepends=True), 0)
    changes += _changes(base_lines, theirs.splitlines(keepends=True), 1)
    output: list[str] = []
    position = 0
    conflicts = 0
    for cluster in _clusters(changes):
        start = min(c.start for c in cluster)
        end = max(c.end for c in cluster)
        output.extend(base_lines[position:start])
        mine = [c for c in cluster if c.side == 0]
        new = [c for c in cluster if c.side == 1]
        ours_part = _apply(base_lines, start, end, mine)
        theirs_part = _apply(base_lines, start, end, new)
        if not new or ours_part == theirs_part:
            output.extend(ours_part)
        elif not mine:
            output.extend(theirs_part)
        else:
            conflicts += 1
            output.append(OURS_MARK + "\n")
            output.extend(_ensure_newline(ours_part))
            output.append(SEPARATOR + "\n")
            output.extend(_ensure_newline(theirs_part))
            output.append(THEIRS_MARK + "\n")
        position = end
    output.extend(base_lines[position:])
    return MergeResult("".join(output), conflicts)
