"""Where the shared test inputs are, and golden-file comparison with a readable failure."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
GOLDEN = REPO / "golden_outputs"
REFRESH = "make goldens   (or: .venv/bin/python -m pytest tests/test_golden.py --update-goldens)"


def corpus_file(relative: str) -> Path:
    """A file of ../shared/corpus; skipped loudly (failed under CI) when it is absent."""
    path = CORPUS / relative
    if not path.exists():
        message = f"!!! corpus file missing: {path} (../shared/corpus must lie beside the repository) !!!"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


def read_tree(root: Path) -> dict[str, str]:
    """Every file below root by relative POSIX path."""
    return {
        path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def write_tree(root: Path, files: dict[str, str]) -> None:
    """Replace root with exactly `files`."""
    if root.exists():
        for path in sorted(root.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
    for relative, text in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def assert_tree_matches(actual: dict[str, str], golden: Path, update: bool) -> None:
    """Compare a generated tree with its golden directory: missing, extra, and a unified diff."""
    if update:
        write_tree(golden, actual)
        return
    expected = read_tree(golden) if golden.exists() else {}
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    changed = sorted(p for p in set(actual) & set(expected) if actual[p] != expected[p])
    if not (missing or extra or changed):
        return
    lines = [f"generated output differs from {golden.relative_to(REPO)}:"]
    lines += [f"  missing (in golden, not generated): {p}" for p in missing]
    lines += [f"  extra (generated, not in golden): {p}" for p in extra]
    for path in changed[:5]:
        diff = difflib.unified_diff(
            expected[path].splitlines(keepends=True), actual[path].splitlines(keepends=True),
            f"golden/{path}", f"generated/{path}",
        )
        lines.append("".join(list(diff)[:80]))
    if len(changed) > 5:
        lines.append(f"  ... and {len(changed) - 5} more changed files")
    lines.append(f"If the change is intended, refresh with: {REFRESH}")
    pytest.fail("\n".join(lines), pytrace=False)
