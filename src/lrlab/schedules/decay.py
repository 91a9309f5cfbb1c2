"""Schedules without an end: constant, step, multi-step, exponential, rsqrt."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from lrlab.schedules._base import Schedule, power, warmup_ramp
from lrlab.schedules._validate import (
    check_bool,
    check_int,
    check_int_list,
    check_number,
    check_start_factor,
)

__all__ = ["Constant", "Exponential", "InverseSqrt", "MultiStep", "Step"]


@dataclass(frozen=True)
class Constant(Schedule):
    """The same factor at every step.

    ``f(t) = factor``

    Args:
        factor: the multiplier of the base lr, >= 0. Default 1.0.

    Raises:
        TypeError: if ``factor`` is not a number.
        ValueError: if ``factor`` is negative, NaN or infinite.

    >>> s = Constant(0.5)
    >>> s(0), s(1000)
    (0.5, 0.5)
    """

    name: ClassVar[str] = "constant"

    factor: float = 1.0

    def __post_init__(self) -> None:
        self._set("factor", check_number("factor", self.factor, 0))

    def _values(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.full_like(t, self.factor)


@dataclass(frozen=True)
class Step(Schedule):
    """Multiply by ``gamma`` every ``step_size`` steps.

    ``f(t) = gamma ** floor(t / step_size)``

    The schedule has no end: it keeps decaying (or growing, for
    ``gamma > 1``) for as long as it is evaluated.

    Note:
        With ``gamma > 1`` the factor grows without bound and becomes
        ``inf`` where it passes the float range (about 1.8e308), as
        ``2.0 ** 2000`` does in Python: ``step(1, gamma=2)`` at step 1024.
        With ``gamma < 1`` it reaches 0 in the same way.

    Args:
        step_size: steps between two multiplications, a positive integer.
        gamma: the multiplier applied at each multiple of ``step_size``,
            > 0 (``gamma > 1`` grows). Default 0.1.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if ``step_size < 1`` or ``gamma <= 0``.

    >>> s = Step(step_size=5, gamma=0.5)
    >>> [s(t) for t in (0, 4, 5, 9, 10, 15)]
    [1.0, 1.0, 0.5, 0.5, 0.25, 0.125]
    """

    name: ClassVar[str] = "step"

    step_size: int
    gamma: float = 0.1

    def __post_init__(self) -> None:
        self._set("step_size", check_int("step_size", self.step_size, 1))
        self._set("gamma", check_number("gamma", self.gamma, 0, open_low=True))

    def _values(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        return power(self.gamma, np.floor(t / self.step_size))


@dataclass(frozen=True)
class Exponential(Schedule):
    """Multiply by ``gamma`` every ``transition_steps`` steps, smoothly.

    ``f(t) = gamma ** (t / transition_steps)``, or with ``staircase=True``
    ``f(t) = gamma ** floor(t / transition_steps)`` (as Keras and optax
    define it). With the default ``transition_steps=1`` this is exactly
    ``gamma ** t``. The schedule has no end.

    Note:
        With ``gamma > 1`` the factor grows without bound and becomes
        ``inf`` where it passes the float range (about 1.8e308), as
        ``2.0 ** 2000`` does in Python: ``exponential(gamma=2)`` at step
        1024. With ``gamma < 1`` it reaches 0 in the same way.

    Args:
        gamma: the multiplier per ``transition_steps`` steps, > 0
            (``gamma > 1`` grows).
        transition_steps: steps over which the factor is multiplied by
            ``gamma``, a positive integer. Default 1.
        staircase: if true, the exponent is floored, so the factor changes
            only at multiples of ``transition_steps``. Default false.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if ``gamma <= 0`` or ``transition_steps < 1``.

    >>> s = Exponential(gamma=0.5)
    >>> [s(t) for t in (0, 1, 2, 3)]
    [1.0, 0.5, 0.25, 0.125]
    >>> s = Exponential(gamma=0.25, transition_steps=2)
    >>> [s(t) for t in (0, 1, 2)]
    [1.0, 0.5, 0.25]
    >>> s = Exponential(gamma=0.25, transition_steps=2, staircase=True)
    >>> [s(t) for t in (0, 1, 2, 3)]
    [1.0, 1.0, 0.25, 0.25]
    """

    name: ClassVar[str] = "exponential"

    gamma: float
    transition_steps: int = 1
    staircase: bool = False

    def __post_init__(self) -> None:
        self._set("gamma", check_number("gamma", self.gamma, 0, open_low=True))
        steps = check_int("transition_steps", self.transition_steps, 1)
        self._set("transition_steps", steps)
        self._set("staircase", check_bool("staircase", self.staircase))

    def _values(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        exponent = t / self.transition_steps
        if self.staircase:
            exponent = np.floor(exponent)
        return power(self.gamma, exponent)


@dataclass(frozen=True)
class MultiStep(Schedule):
    """Multiply by ``gamma`` at each milestone step.

    ``f(t) = gamma ** k`` where ``k`` is the number of milestones ``<= t``.
    After the last milestone the factor holds ``gamma ** len(milestones)``.

    Args:
        milestones: the steps where the factor is multiplied by ``gamma``,
            a non-empty list of strictly increasing positive integers. A
            list out of order or with a repeated step is rejected, not
            sorted: it is more likely a typo than a wish.
        gamma: the multiplier applied at each milestone, > 0. Default 0.1.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if a milestone is not a positive integer, the
            milestones are not strictly increasing, or ``gamma <= 0``.

    >>> s = MultiStep(milestones=[2, 5], gamma=0.5)
    >>> [s(t) for t in (0, 1, 2, 4, 5, 100)]
    [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """

    name: ClassVar[str] = "multistep"

    milestones: tuple[int, ...]
    gamma: float = 0.1

    def __post_init__(self) -> None:
        self._set("milestones", check_int_list("milestones", self.milestones, 1))
        self._set("gamma", check_number("gamma", self.gamma, 0, open_low=True))

    def _values(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        passed = np.searchsorted(self.milestones, t, side="right")
        return power(self.gamma, passed.astype(np.float64))


@dataclass(frozen=True)
class InverseSqrt(Schedule):
    """Linear warmup to 1, then decay as one over the square root of the step.

    With ``W = warmup_steps``::

        f(t) = (t + 1) / (W + 1)        for t < W  (start_factor none)
        f(t) = a + (1 - a) * t / W      for t < W  (start_factor a)
        f(t) = sqrt(W / t)              for t >= W

    The peak 1 is reached at ``t = W`` and the factor halves each time the
    step quadruples. By default the warmup starts one step up:
    ``warmup_steps=3`` gives 0.25, 0.5, 0.75, then 1. The schedule has no
    end: it keeps decaying towards 0.

    Note:
        ``start_factor=0`` makes the factor 0 at step 0: the first update
        (the whole first epoch, when the schedule is stepped per epoch)
        does not learn. The default ``None`` never gives 0 at step 0.

    Args:
        warmup_steps: steps of linear warmup, also the step where the
            inverse square root is 1; a positive integer.
        start_factor: the factor at step 0, >= 0, or ``None``. Default
            ``None``: ``1 / (warmup_steps + 1)``, the first step of a ramp
            from 0.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if ``warmup_steps < 1`` or ``start_factor < 0``.

    >>> s = InverseSqrt(warmup_steps=4)
    >>> [s(t) for t in (0, 1, 3, 4, 16, 64)]
    [0.2, 0.4, 0.8, 1.0, 0.5, 0.25]
    >>> s = InverseSqrt(warmup_steps=4, start_factor=0)
    >>> [s(t) for t in (0, 2, 4, 16)]
    [0.0, 0.5, 1.0, 0.5]
    """

    name: ClassVar[str] = "inverse_sqrt"

    warmup_steps: int
    start_factor: float | None = None

    def __post_init__(self) -> None:
        self._set("warmup_steps", check_int("warmup_steps", self.warmup_steps, 1))
        self._set("start_factor", check_start_factor(self.start_factor))

    def _values(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        warmup = self.warmup_steps
        ramp = warmup_ramp(t, warmup, self.start_factor, 1.0)
        decay = np.sqrt(warmup / np.maximum(t, warmup))
        return np.where(t < warmup, ramp, decay)
