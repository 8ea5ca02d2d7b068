"""Sample values for the tests' rows: each a function of a counter `n`, JSON-ready as the API takes it.

codegen evaluates the same functions when it reflects a database, to pick for each column one that the
table's CHECK constraints accept and that its unique keys keep apart (distinct for distinct `n`).
"""

from __future__ import annotations

import base64
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

EPOCH = datetime(2020, 1, 1, 12, 0, 0)
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def text(n: int, length: int | None = None) -> str:
    """A string unique for `n`, at most `length` characters."""
    value = f"v{n}"
    return value[-length:] if length else value


def letters(n: int, width: int) -> str:
    """Exactly `width` capital letters, unique for `n` below 26 ** width."""
    word = ""
    for _ in range(width):
        n, digit = divmod(n, 26)
        word = LETTERS[digit] + word
    return word


def lower(n: int, width: int) -> str:
    """Exactly `width` small letters, unique for `n` below 26 ** width."""
    return letters(n, width).lower()


def digits(n: int, width: int) -> str:
    """Exactly `width` decimal digits, unique for `n` below 10 ** width."""
    return str(n % 10**width).zfill(width)


def email(n: int) -> str:
    """An e-mail address unique for `n`."""
    return f"v{n}@example.com"


def number(n: int, low: int, high: int) -> int:
    """An integer in [low, high], unique for `n` below high - low + 1."""
    return low + n % (high - low + 1)


def decimal(n: int, precision: int, scale: int, low: int = 0) -> str:
    """A decimal that fits NUMERIC(precision, scale), unique for small `n`, at least `low`."""
    span = 10 ** max(precision - scale, 0) - max(low, 0)
    whole = low + n % span if span > 0 else 0
    return str(Decimal(whole) + (Decimal(5) / Decimal(10) if scale else 0))


def day(n: int, offset: int = 0) -> str:
    """A date unique for `n`, `offset` days later."""
    return (date(2020, 1, 1) + timedelta(days=n + offset)).isoformat()


def moment(n: int, tz: bool = False, offset: int = 0) -> str:
    """A timestamp unique for `n` (`offset` minutes later), with a UTC offset when the column keeps
    time zones."""
    value = EPOCH + timedelta(minutes=n + offset)
    return (value.replace(tzinfo=timezone.utc) if tz else value).isoformat()


def clock(n: int) -> str:
    """A time of day, unique for `n` below 86,400."""
    return time(n // 3600 % 24, n // 60 % 60, n % 60).isoformat()


def duration(n: int) -> str:
    """An ISO 8601 duration of `n` minutes."""
    return f"PT{n}M"


def uuid(n: int) -> str:
    """A UUID unique for `n`."""
    return str(UUID(int=n))


def blob(n: int, length: int | None = None) -> str:
    """Binary content of at most `length` bytes, base64-encoded as the API expects."""
    data = f"b{n}".encode()
    return base64.b64encode(data[-length:] if length else data).decode()


def pick(n: int, values: tuple[Any, ...]) -> Any:
    """One of `values` (read from the source database's rows), in turn."""
    return values[n % len(values)]
