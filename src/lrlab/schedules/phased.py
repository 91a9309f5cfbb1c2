"""Schedules made of phases: warmup-stable-decay and piecewise tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from lrlab.schedules._base import Schedule, warmup_ramp
from lrlab.schedules._validate import (
    check_choice,
    check_int,
    check_int_list,
    check_number,
    check_number_list,
    check_start_factor,
    fail,
)

__all__ = ["WSD", "PiecewiseConstant", "PiecewiseLinear"]

_WSD_ANNEALS = ("linear", "cos", "sqrt")


@dataclass(frozen=True)
class WSD(Schedule):
    """Warm up, hold at 1, then decay to ``min_factor`` (warmup-stable-decay).

    With ``W, S, D`` the three phase lengths and ``m = min_factor``::

        f(t) = (t + 1) / (W + 1)        for t < W  (start_factor none)
        f(t) = a + (1 - a) * t / W      for t < W  (start_factor a)
        f(t) = 1                        for W <= t < W + S
        f(t) = m + (1 - m) * g(u),  u = min((t - W - S) / D, 1)   after

    where ``g(u)`` is ``1 - u`` (``anneal="linear"``), ``(1 + cos(pi*u))/2``
    (``"cos"``) or ``1 - sqrt(u)`` (``"sqrt"``). By default the warmup
    starts one step up: ``W = 3`` gives 0.25, 0.5, 0.75, then 1. From step
    ``W + S + D`` on the factor holds ``min_factor``. Any phase may have
    length 0.

    Note:
        ``start_factor=0`` makes the factor 0 at step 0 when there is a
        warmup: the first update (the whole first epoch, when the
        schedule is stepped per epoch) does not learn. The default
        ``None`` never gives 0 at step 0.

    Args:
        warmup_steps: length of the warmup, a non-negative integer.
        stable_steps: length of the stable phase, a non-negative integer.
        decay_steps: length of the decay, a non-negative integer; 0 drops
            straight to ``min_factor``. The three lengths must not all be 0.
        min_factor: the factor at the end of the decay, >= 0. Default 0.0.
        start_factor: the factor at step 0 when there is a warmup, >= 0,
            or ``None``. Default ``None``: ``1 / (warmup_steps + 1)``, the
            first step of a ramp from 0.
        anneal: the shape of the decay, ``"linear"``, ``"cos"`` or
            ``"sqrt"``. Default ``"linear"``.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if a length is negative, all lengths are 0, a factor is
            negative or ``anneal`` is unknown.

    >>> s = WSD(warmup_steps=3, stable_steps=2, decay_steps=4, min_factor=0.2)
    >>> [round(s(t), 12) for t in (0, 1, 2, 3, 5, 7, 9, 50)]
    [0.25, 0.5, 0.75, 1.0, 1.0, 0.6, 0.2, 0.2]
    >>> WSD(2, 3, 4, start_factor=0)(0)
    0.0
    """

    name: ClassVar[str] = "wsd"

    warmup_steps: int
    stable_steps: int
    decay_steps: int
    min_factor: float = 0.0
    start_factor: float | None = None
    anneal: str = "linear"

    def __post_init__(self) -> None:
        for arg in ("warmup_steps", "stable_steps", "decay_steps"):
            self._set(arg, check_int(arg, getattr(self, arg), 0))
        if self.warmup_steps + self.stable_steps + self.decay_steps == 0:
            fail("decay_steps", "positive when the other two lengths are 0", 0)
        self._set("min_factor", check_number("min_factor", self.min_factor, 0))
        self._set("start_factor", check_start_factor(self.start_factor))
        self._set("anneal", check_choice("anneal", self.anneal, _WSD_ANNEALS))

    def _values(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        warmup, decay = self.warmup_steps, self.decay_steps
        decay_start = warmup + self.stable_steps

        ramp = warmup_ramp(t, warmup, self.start_factor, 1.0)
        done = np.clip((t - decay_start) / max(decay, 1), 0, 1)
        if decay == 0:
            done = np.ones_like(t)
        if self.anneal == "linear":
            left = 1 - done
        elif self.anneal == "cos":
            left = (1 + np.cos(np.pi * done)) / 2
        else:
            left = 1 - np.sqrt(done)
        tail = self.min_factor + (1 - self.min_factor) * left

        values = np.where(t < decay_start, 1.0, tail)
        return np.where(t < warmup, ramp, values)


@dataclass(frozen=True)
class PiecewiseConstant(Schedule):
    """A table of factors, switched at boundary steps.

    ``f(t) = factors[k]`` where ``k`` is the number of boundaries ``<= t``:
    ``factors[0]`` before ``boundaries[0]``, ``factors[1]`` from
    ``boundaries[0]`` up to ``boundaries[1]``, and so on. From the last
    boundary on the factor holds ``factors[-1]``.

    Args:
        boundaries: the steps where the factor changes, a non-empty list of
            strictly increasing positive integers (out of order is
            rejected, not sorted).
        factors: the factor of each piece, one more than the boundaries,
            each >= 0.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if the boundaries are not strictly increasing positive
            integers, or ``factors`` has the wrong length or a negative
            value.

    >>> s = PiecewiseConstant(boundaries=[2, 5], factors=[1.0, 0.5, 0.1])
    >>> [s(t) for t in (0, 1, 2, 4, 5, 99)]
    [1.0, 1.0, 0.5, 0.5, 0.1, 0.1]
    """

    name: ClassVar[str] = "piecewise_constant"

    boundaries: tuple[int, ...]
    factors: tuple[float, ...]

    def __post_init__(self) -> None:
        boundaries = check_int_list("boundaries", self.boundaries, 1)
        self._set("boundaries", boundaries)
        count = len(boundaries) + 1
        self._set("factors", _factors(self.factors, count, "one more than boundaries"))

    def _values(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        piece = np.searchsorted(self.boundaries, t, side="right")
        return np.asarray(self.factors, dtype=np.float64)[piece]


@dataclass(frozen=True)
class PiecewiseLinear(Schedule):
    """Straight lines through the points ``(boundaries[i], factors[i])``.

    Between two boundaries the factor is interpolated linearly. Before the
    first boundary it holds ``factors[0]``; from the last one on it holds
    ``factors[-1]``.

    Args:
        boundaries: the steps of the points, a non-empty list of strictly
            increasing non-negative integers.
        factors: the factor at each point, as many as boundaries, each >= 0.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if the boundaries are not strictly increasing
            non-negative integers, or ``factors`` has the wrong length or a
            negative value.

    >>> s = PiecewiseLinear(boundaries=[0, 4, 8], factors=[0.0, 1.0, 0.5])
    >>> [s(t) for t in (0, 1, 4, 6, 8, 20)]
    [0.0, 0.25, 1.0, 0.75, 0.5, 0.5]
    """

    name: ClassVar[str] = "piecewise_linear"

    boundaries: tuple[int, ...]
    factors: tuple[float, ...]

    def __post_init__(self) -> None:
        boundaries = check_int_list("boundaries", self.boundaries, 0)
        self._set("boundaries", boundaries)
        count = len(boundaries)
        self._set("factors", _factors(self.factors, count, "as many as boundaries"))

    def _values(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.interp(t, self.boundaries, self.factors)


def _factors(value: object, count: int, why: str) -> tuple[float, ...]:
    """Check a list of ``count`` non-negative factors."""
    factors = check_number_list("factors", value, 0)
    if len(factors) != count:
        fail("factors", f"a list of {count} numbers ({why})", value)
    return factors
