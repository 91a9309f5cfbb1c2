"""Argument checks shared by the drop-in classes.

Each check returns the value (converted to a plain Python number) or raises
with a message that names the argument, the rule and the value received.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import torch

__all__: list[str] = []


def _number(name: str, value: Any) -> float:
    if isinstance(value, torch.Tensor) and value.ndim == 0:
        # torch accepts 0-dim tensors wherever it takes an lr.
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def integer(name: str, value: Any, *, minimum: int) -> int:
    """An integer >= minimum; a float with an integral value is accepted."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    integral = isinstance(value, numbers.Integral) or (
        math.isfinite(value) and float(value).is_integer()
    )
    if not integral:
        raise ValueError(f"{name} must be an integer, got {value}")
    value = int(value)
    if value < minimum:
        rule = {0: "a non-negative integer", 1: "a positive integer"}.get(
            minimum, f"an integer >= {minimum}"
        )
        raise ValueError(f"{name} must be {rule}, got {value}")
    return value


def real(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """A finite float inside the given bounds (closed unless said open)."""
    value = _number(name, value)
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        raise ValueError(
            f"{name} must be {_rule(low, high, low_open, high_open)}, got {value}"
        )
    return value


def _rule(low, high, low_open, high_open) -> str:
    if high is None:
        if low == 0:
            return "positive" if low_open else "non-negative"
        return f"{'>' if low_open else '>='} {low}"
    if low is None:
        return f"{'<' if high_open else '<='} {high}"
    left = "(" if low_open else "["
    right = ")" if high_open else "]"
    return f"in {left}{low:g}, {high:g}{right}"


def choice(name: str, value: Any, options: tuple[str, ...]) -> str:
    """One of ``options``."""
    if value not in options:
        listed = ", ".join(repr(option) for option in options)
        raise ValueError(f"{name} must be one of {listed}, got {value!r}")
    return value


def last_epoch(value: Any) -> int:
    """torch's ``last_epoch``: -1 for a fresh start, else the last step done."""
    return integer("last_epoch", value, minimum=-1)
