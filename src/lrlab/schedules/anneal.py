"""Schedules that anneal over a fixed length: linear, polynomial, cosine.

Each reaches its final value at ``t = total_steps`` and holds it after.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from lrlab.schedules._base import Schedule
from lrlab.schedules._validate import check_int, check_number

__all__ = ["Cosine", "Linear", "Polynomial"]


def _progress(t: NDArray[np.float64], total_steps: int) -> NDArray[np.float64]:
    """Fraction of the schedule done, in [0, 1]; 1 from ``total_steps`` on."""
    return np.minimum(t, total_steps) / total_steps


@dataclass(frozen=True)
class Linear(Schedule):
    """Go in a straight line from ``start_factor`` to ``end_factor``.

    ``f(t) = start_factor + (end_factor - start_factor) * min(t, T) / T``
    with ``T = total_steps``. Past ``T`` the factor holds ``end_factor``.
    Either direction works: a decay (the default) or a ramp up.

    Args:
        total_steps: steps to go from start to end, a positive integer.
        start_factor: the factor at step 0, >= 0. Default 1.0.
        end_factor: the factor from step ``total_steps`` on, >= 0.
            Default 0.0.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if ``total_steps < 1`` or a factor is negative.

    >>> s = Linear(total_steps=4)
    >>> [s(t) for t in (0, 1, 2, 4, 5)]
    [1.0, 0.75, 0.5, 0.0, 0.0]
    >>> s = Linear(total_steps=2, start_factor=0.5, end_factor=1.0)
    >>> [s(t) for t in (0, 1, 2, 3)]
    [0.5, 0.75, 1.0, 1.0]
    """

    name: ClassVar[str] = "linear"

    total_steps: int
    start_factor: float = 1.0
    end_factor: float = 0.0

    def __post_init__(self) -> None:
        self._set("total_steps", check_int("total_steps", self.total_steps, 1))
        start = check_number("start_factor", self.start_factor, 0)
        self._set("start_factor", start)
        self._set("end_factor", check_number("end_factor", self.end_factor, 0))

    def _values(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        done = _progress(t, self.total_steps)
        return self.start_factor + (self.end_factor - self.start_factor) * done


@dataclass(frozen=True)
class Polynomial(Schedule):
    """Decay from 1 to ``end_factor`` along a power curve.

    ``f(t) = end_factor + (1 - end_factor) * (1 - min(t, T) / T) ** power``
    with ``T = total_steps``. ``power=1`` is a straight line; ``power > 1``
    drops fast first, ``power < 1`` late. Past ``T`` it holds
    ``end_factor``.

    Args:
        total_steps: steps to decay over, a positive integer.
        power: the exponent of the curve, > 0. Default 1.0.
        end_factor: the factor from step ``total_steps`` on, >= 0.
            Default 0.0.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if ``total_steps < 1``, ``power <= 0`` or
            ``end_factor < 0``.

    >>> s = Polynomial(total_steps=4, power=2)
    >>> [s(t) for t in (0, 1, 2, 4, 9)]
    [1.0, 0.5625, 0.25, 0.0, 0.0]
    >>> s = Polynomial(total_steps=2, power=1, end_factor=0.5)
    >>> [s(t) for t in (0, 1, 2)]
    [1.0, 0.75, 0.5]
    """

    name: ClassVar[str] = "polynomial"

    total_steps: int
    power: float = 1.0
    end_factor: float = 0.0

    def __post_init__(self) -> None:
        self._set("total_steps", check_int("total_steps", self.total_steps, 1))
        self._set("power", check_number("power", self.power, 0, open_low=True))
        self._set("end_factor", check_number("end_factor", self.end_factor, 0))

    def _values(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        left = 1 - _progress(t, self.total_steps)
        return self.end_factor + (1 - self.end_factor) * left**self.power


@dataclass(frozen=True)
class Cosine(Schedule):
    """Decay from 1 to ``min_factor`` along half a cosine wave.

    ``f(t) = m + (1 - m) * (1 + cos(pi * min(t, T) / T)) / 2`` with
    ``T = total_steps`` and ``m = min_factor``. Past ``T`` the factor holds
    ``min_factor`` (it does not climb back up the cosine).

    Args:
        total_steps: steps to decay over, a positive integer.
        min_factor: the factor from step ``total_steps`` on, >= 0.
            Default 0.0.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if ``total_steps < 1`` or ``min_factor < 0``.

    >>> s = Cosine(total_steps=4, min_factor=0.2)
    >>> [round(s(t), 12) for t in (0, 2, 4, 10)]
    [1.0, 0.6, 0.2, 0.2]
    """

    name: ClassVar[str] = "cosine"

    total_steps: int
    min_factor: float = 0.0

    def __post_init__(self) -> None:
        self._set("total_steps", check_int("total_steps", self.total_steps, 1))
        self._set("min_factor", check_number("min_factor", self.min_factor, 0))

    def _values(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        wave = (1 + np.cos(np.pi * _progress(t, self.total_steps))) / 2
        return self.min_factor + (1 - self.min_factor) * wave
