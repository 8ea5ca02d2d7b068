"""ECMA-262 regular expressions, the dialect of JSON Schema's `pattern`, checked with Python's `re`.

Descriptions write patterns for JavaScript: named groups `(?<name>...)`, `\\k<name>`, Unicode
properties `\\p{L}`, `\\u{1F600}`, lookbehinds of any width. Python's `re` refuses these, so the
validator (which checks `format: regex` with `re` unless the optional `regress` is installed) would
refuse a valid description. `is_ecma_regex` rewrites the ECMA-only syntax into Python syntax of the
same shape and compiles that: a syntax check, not a translation that keeps the meaning.
"""

from __future__ import annotations

import re

# ECMA-only constructs, each with the Python syntax of the same shape.
_ECMA_ONLY = re.compile(
    r"\\[pP]\{[^{}]*\}"          # Unicode property escape
    r"|\\k<[^<>]*>"              # named backreference
    r"|\\u\{[0-9A-Fa-f]+\}"      # code point escape
    r"|\\c[A-Za-z]"              # control escape
    r"|\\."                      # any other escape, kept as it is
    r"|\(\?<(?![=!])"            # named group
    r"|\(\?<[=!]"                # lookbehind (any width in ECMA, fixed in Python)
    r"|\[\^\]"                   # an empty negated class: any character
)


def _python_syntax(match: re.Match[str]) -> str:
    token = match[0]
    if token[:2] in ("\\p", "\\P"):
        return "\\w" if token[1] == "p" else "\\W"
    if token.startswith("\\k<"):
        return f"(?P={token[3:-1]})"
    if token.startswith("\\u{"):
        return f"\\U{int(token[3:-1], 16):08X}" if int(token[3:-1], 16) <= 0x10FFFF else token
    if token.startswith("\\c"):
        return "\\x01"
    if token == "(?<":
        return "(?P<"
    if token in ("(?<=", "(?<!"):
        return "(?" + token[-1]
    if token == "[^]":
        return "[\\s\\S]"
    return token


def is_ecma_regex(pattern: object) -> bool:
    """Whether `pattern` is a regular expression in Python's syntax or in ECMA-262's."""
    if not isinstance(pattern, str):
        return False
    for candidate in (pattern, _ECMA_ONLY.sub(_python_syntax, pattern)):
        try:
            re.compile(candidate)
        except (re.error, OverflowError, RecursionError):
            continue
        return True
    return False
