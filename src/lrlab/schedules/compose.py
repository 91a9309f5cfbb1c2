"""Schedules built from other schedules, still in closed form.

``Sequence`` switches schedules at boundaries, ``Product`` multiplies them,
``Warmup`` puts a linear ramp in front, ``Scale`` and ``Floor`` adjust the
values, and ``Repeat`` restarts a schedule every ``period_steps``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from lrlab.schedules._base import (
    Schedule,
    check_schedule,
    check_schedule_list,
    warmup_ramp,
)
from lrlab.schedules._validate import (
    check_int,
    check_int_list,
    check_number,
    check_start_factor,
    fail,
)

__all__ = ["Floor", "Product", "Repeat", "Scale", "Sequence", "Warmup"]


@dataclass(frozen=True)
class Sequence(Schedule):
    """Run schedules one after the other, switching at boundary steps.

    ``schedules[k]`` runs from ``boundaries[k-1]`` (0 for the first) up to
    ``boundaries[k]`` and sees its own local step, counted from 0 at its
    start: ``f(t) = schedules[k](t - boundaries[k-1])``. The last schedule
    runs forever and holds its own final value past its own end.

    Args:
        schedules: the schedules in order, a non-empty list.
        boundaries: the steps where the next schedule takes over, strictly
            increasing positive integers, one fewer than the schedules.
            Default ``[]`` (only valid with one schedule).

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if the boundaries are not strictly increasing positive
            integers or do not number one fewer than the schedules.

    >>> from lrlab.schedules import Constant, Linear
    >>> s = Sequence([Constant(0.5), Linear(total_steps=4)], boundaries=[2])
    >>> [s(t) for t in (0, 1, 2, 3, 6, 9)]
    [0.5, 0.5, 1.0, 0.75, 0.0, 0.0]
    """

    name: ClassVar[str] = "sequence"

    schedules: tuple[Schedule, ...]
    boundaries: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        schedules = check_schedule_list("schedules", self.schedules)
        self._set("schedules", schedules)
        boundaries = check_int_list("boundaries", self.boundaries, 1, min_length=0)
        if len(boundaries) != len(schedules) - 1:
            rule = f"a list of {len(schedules) - 1} step(s), one fewer than schedules"
            fail("boundaries", rule, self.boundaries)
        self._set("boundaries", boundaries)

    def _values(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        starts = (0, *self.boundaries)
        piece = np.searchsorted(self.boundaries, t, side="right")

        values = np.empty_like(t)
        for k, (start, schedule) in enumerate(zip(starts, self.schedules, strict=True)):
            here = piece == k
            if here.any():
                values[here] = schedule._values(t[here] - start)
        return values


@dataclass(frozen=True)
class Product(Schedule):
    """Multiply the factors of several schedules.

    ``f(t) = schedules[0](t) * schedules[1](t) * ...``, every schedule
    seeing the same step. Past the end each holds its own final value.

    Args:
        schedules: the schedules to multiply, a non-empty list.

    Raises:
        TypeError: if ``schedules`` is not a list of schedules.
        ValueError: if ``schedules`` is empty.

    >>> from lrlab.schedules import Linear, Step
    >>> s = Product([Step(step_size=2, gamma=0.5), Linear(total_steps=4)])
    >>> [s(t) for t in (0, 1, 2, 4)]
    [1.0, 0.75, 0.25, 0.0]
    """

    name: ClassVar[str] = "product"

    schedules: tuple[Schedule, ...]

    def __post_init__(self) -> None:
        self._set("schedules", check_schedule_list("schedules", self.schedules))

    def _values(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        values = np.ones_like(t)
        for schedule in self.schedules:
            values = values * schedule._values(t)
        return values


@dataclass(frozen=True)
class Warmup(Schedule):
    """Put a linear warmup in front of a schedule.

    For ``t < W = warmup_steps`` the factor climbs in a straight line to
    ``s(0)``, the first value of the wrapped schedule ``s``; from ``W`` on
    the wrapped schedule runs, shifted, so it starts at its own step 0::

        f(t) = s(0) * (t + 1) / (W + 1)        for t < W  (start_factor none)
        f(t) = a + (s(0) - a) * t / W          for t < W  (start_factor a)
        f(t) = s(t - W)                        for t >= W

    By default the ramp starts one step up: step 0 has ``s(0) / (W + 1)``
    and each step adds as much, so ``warmup_steps=3`` gives 1/4, 2/4, 3/4
    of ``s(0)``, then ``s(0)``. The whole schedule is ``W`` steps longer
    than ``s``: ``warmup(cosine(total_steps=100), warmup_steps=5)`` reaches
    its minimum at step 105. ``warmup_steps=0`` gives ``s`` itself. Past
    the end of ``s`` it does what ``s`` does (holds, or repeats if ``s``
    repeats).

    Note:
        ``start_factor=0`` makes the factor 0 at step 0: the first update
        (the whole first epoch, when the schedule is stepped per epoch)
        does not learn. The default ``None`` never gives 0 at step 0
        unless ``s(0)`` is 0.

    Args:
        schedule: the schedule that follows the warmup.
        warmup_steps: length of the warmup, a non-negative integer.
        start_factor: the factor at step 0, >= 0, or ``None``. Default
            ``None``: ``s(0) / (warmup_steps + 1)``, the first step of a
            ramp from 0.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if ``warmup_steps < 0`` or ``start_factor < 0``.

    >>> from lrlab.schedules import Constant
    >>> s = Warmup(Constant(0.8), warmup_steps=3)
    >>> [round(s(t), 12) for t in (0, 1, 2, 3, 100)]
    [0.2, 0.4, 0.6, 0.8, 0.8]
    >>> s = Warmup(Constant(0.8), warmup_steps=4, start_factor=0)
    >>> [round(s(t), 12) for t in (0, 1, 2, 4, 100)]
    [0.0, 0.2, 0.4, 0.8, 0.8]
    """

    name: ClassVar[str] = "warmup"

    schedule: Schedule
    warmup_steps: int
    start_factor: float | None = None

    def __post_init__(self) -> None:
        self._set("schedule", check_schedule("schedule", self.schedule))
        self._set("warmup_steps", check_int("warmup_steps", self.warmup_steps, 0))
        self._set("start_factor", check_start_factor(self.start_factor))

    def _values(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        warmup = self.warmup_steps
        after = self.schedule._values(np.maximum(t - warmup, 0.0))
        if warmup == 0:
            return after

        target = self.schedule._values(np.zeros(1))[0]
        ramp = warmup_ramp(t, warmup, self.start_factor, target)
        return np.where(t < warmup, ramp, after)


@dataclass(frozen=True)
class Scale(Schedule):
    """Multiply a schedule by a constant factor.

    ``f(t) = factor * s(t)``. Past the end of ``s`` it does what ``s``
    does.

    Args:
        schedule: the schedule to scale.
        factor: the multiplier, >= 0.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if ``factor`` is negative, NaN or infinite.

    >>> from lrlab.schedules import Step
    >>> s = Scale(Step(step_size=1, gamma=0.5), factor=4)
    >>> [s(t) for t in (0, 1, 2)]
    [4.0, 2.0, 1.0]
    """

    name: ClassVar[str] = "scale"

    schedule: Schedule
    factor: float

    def __post_init__(self) -> None:
        self._set("schedule", check_schedule("schedule", self.schedule))
        self._set("factor", check_number("factor", self.factor, 0))

    def _values(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        return self.factor * self.schedule._values(t)


@dataclass(frozen=True)
class Floor(Schedule):
    """Keep a schedule from going below a minimum factor.

    ``f(t) = max(s(t), min_factor)``. Past the end of ``s`` it does what
    ``s`` does.

    Args:
        schedule: the schedule to bound from below.
        min_factor: the smallest factor allowed, >= 0.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if ``min_factor`` is negative, NaN or infinite.

    >>> from lrlab.schedules import Step
    >>> s = Floor(Step(step_size=1, gamma=0.5), min_factor=0.3)
    >>> [s(t) for t in (0, 1, 2, 10)]
    [1.0, 0.5, 0.3, 0.3]
    """

    name: ClassVar[str] = "floor"

    schedule: Schedule
    min_factor: float

    def __post_init__(self) -> None:
        self._set("schedule", check_schedule("schedule", self.schedule))
        self._set("min_factor", check_number("min_factor", self.min_factor, 0))

    def _values(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.maximum(self.schedule._values(t), self.min_factor)


@dataclass(frozen=True)
class Repeat(Schedule):
    """Restart a schedule every ``period_steps`` steps, forever.

    ``f(t) = s(t mod period_steps)``. Unlike every other schedule this one
    never holds a final value: it repeats by request.

    Args:
        schedule: the schedule to repeat.
        period_steps: the length of one repetition, a positive integer.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if ``period_steps < 1``.

    >>> from lrlab.schedules import Linear
    >>> s = Repeat(Linear(total_steps=4), period_steps=4)
    >>> [s(t) for t in (0, 1, 3, 4, 5, 8)]
    [1.0, 0.75, 0.25, 1.0, 0.75, 1.0]
    """

    name: ClassVar[str] = "repeat"

    schedule: Schedule
    period_steps: int

    def __post_init__(self) -> None:
        self._set("schedule", check_schedule("schedule", self.schedule))
        self._set("period_steps", check_int("period_steps", self.period_steps, 1))

    def _values(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        return self.schedule._values(np.mod(t, self.period_steps))
