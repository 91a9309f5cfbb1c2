"""Argument validators shared by every schedule.

Every message follows one template, ``{name} must be {rule}, got {value!r}``,
so a user reads the argument, the rule and the value received, in that
order. A value of the wrong type raises ``TypeError``; a value of the right
type outside its range raises ``ValueError``.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Sequence
from typing import Any, NoReturn

import numpy as np

__all__ = [
    "check_bool",
    "check_choice",
    "check_int",
    "check_int_list",
    "check_number",
    "check_number_list",
    "check_start_factor",
    "fail",
    "shorten",
]


def fail(
    name: str, rule: str, value: Any, error: type[Exception] = ValueError
) -> NoReturn:
    """Raise ``error`` with the one message template used everywhere.

    >>> fail("step_size", "a positive integer", 0)
    Traceback (most recent call last):
    ...
    ValueError: step_size must be a positive integer, got 0
    """
    if isinstance(value, np.generic):
        value = value.item()  # show 0.5, not np.float64(0.5)
    raise error(f"{name} must be {rule}, got {shorten(repr(value))}")


def shorten(text: str, limit: int = 80) -> str:
    """``text``, or its start and its length when longer than ``limit``.

    A message stays one readable line whatever the user passed:

    >>> shorten(repr(10**100), limit=20)
    '1000000000... (101 characters)'
    """
    if len(text) <= limit:
        return text
    return f"{text[: limit // 2]}... ({len(text)} characters)"


def _interval(low: float | None, high: float | None, open_low: bool, open_high: bool):
    """Describe an interval the way a reader expects, e.g. ``in (0, 1]``."""
    if low is not None and high is not None:
        left = "(" if open_low else "["
        right = ")" if open_high else "]"
        return f"in {left}{low:g}, {high:g}{right}"
    if low is not None:
        if low == 0:
            return "a positive number" if open_low else "a non-negative number"
        return f"a number {'>' if open_low else '>='} {low:g}"
    if high is not None:
        return f"a number {'<' if open_high else '<='} {high:g}"
    return "a finite number"


def check_number(
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    open_low: bool = False,
    open_high: bool = False,
) -> float:
    """Return ``value`` as a float after checking its type and range.

    ``low`` and ``high`` bound the value (inclusive unless ``open_low`` or
    ``open_high``). NaN and infinities are always rejected.
    """
    rule = _interval(low, high, open_low, open_high)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        fail(name, "a number", value, TypeError)
    number = _as_float(name, value, rule)

    if not math.isfinite(number):
        fail(name, rule if low is not None or high is not None else "finite", value)
    too_low = low is not None and (number <= low if open_low else number < low)
    too_high = high is not None and (number >= high if open_high else number > high)
    if too_low or too_high:
        fail(name, rule, value)

    return number


def check_start_factor(value: Any) -> float | None:
    """Return a warmup's ``start_factor``: ``None`` or a number >= 0.

    ``None`` means the default ramp, which starts one step up from 0.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        fail("start_factor", "a number or none", value, TypeError)
    return check_number("start_factor", value, 0)


def _as_float(name: str, value: numbers.Real, rule: str) -> float:
    """``float(value)``; an int beyond the float range is a bad value."""
    try:
        return float(value)
    except OverflowError:
        fail(name, f"{rule} within the float range (about 1.8e308)", value)


def check_int(name: str, value: Any, minimum: int = 0) -> int:
    """Return ``value`` as an int, at least ``minimum``.

    A float with an integral value (``1e3``) is accepted and converted, so
    spec strings may write counts in any number form.
    """
    if minimum == 0:
        rule = "a non-negative integer"
    elif minimum == 1:
        rule = "a positive integer"
    else:
        rule = f"an integer >= {minimum}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        fail(name, "an integer", value, TypeError)
    number = _as_float(name, value, rule)

    if not number.is_integer() or number < minimum:
        fail(name, rule, value)

    return int(number)


def check_bool(name: str, value: Any) -> bool:
    """Return ``value`` if it is a bool (``true``/``false`` in a spec)."""
    if not isinstance(value, bool):
        fail(name, "true or false", value, TypeError)
    return value


def check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    """Return ``value`` if it is one of the strings in ``choices``."""
    rule = "one of " + ", ".join(repr(choice) for choice in choices)
    if not isinstance(value, str):
        fail(name, rule, value, TypeError)
    if value not in choices:
        fail(name, rule, value)
    return value


def _as_sequence(name: str, value: Any, what: str) -> Sequence[Any]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        fail(name, f"a list of {what}", value, TypeError)
    return value


def check_int_list(
    name: str, value: Any, minimum: int = 0, *, min_length: int = 1
) -> tuple[int, ...]:
    """Return a strictly increasing tuple of ints, each at least ``minimum``."""
    items = _as_sequence(name, value, "integers")
    if len(items) < min_length:
        fail(name, f"a list of at least {min_length} integer(s)", value)
    ints = tuple(
        check_int(f"{name}[{i}]", item, minimum) for i, item in enumerate(items)
    )

    if any(b <= a for a, b in itertools.pairwise(ints)):
        fail(name, "strictly increasing", value)

    return ints


def check_number_list(
    name: str, value: Any, low: float | None = None
) -> tuple[float, ...]:
    """Return a non-empty tuple of finite floats, each at least ``low``."""
    items = _as_sequence(name, value, "numbers")
    if len(items) == 0:
        fail(name, "a non-empty list of numbers", value)
    return tuple(
        check_number(f"{name}[{i}]", item, low) for i, item in enumerate(items)
    )
