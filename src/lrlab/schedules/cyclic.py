"""Schedules that go up and down: cosine with restarts, cyclic, one-cycle."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from lrlab.schedules._base import Schedule, power
from lrlab.schedules._validate import (
    check_bool,
    check_choice,
    check_int,
    check_number,
    fail,
)

__all__ = ["CosineRestarts", "Cyclic", "OneCycle"]


def _half_cosine(start, end, done):
    """Go from ``start`` (done=0) to ``end`` (done=1) along half a cosine."""
    return end + (start - end) / 2.0 * (np.cos(np.pi * done) + 1)


def _line(start, end, done):
    """Go from ``start`` (done=0) to ``end`` (done=1) in a straight line."""
    return (end - start) * done + start


@dataclass(frozen=True)
class CosineRestarts(Schedule):
    """Cosine decay that restarts, with longer periods and lower peaks.

    Period ``i`` (from 0) lasts ``T_i = period_steps * period_mult ** i``
    steps and starts at ``S_i = sum of T_j for j < i``. Within it, with
    ``u = (t - S_i) / T_i`` and ``m = min_factor``::

        f(t) = m + (gamma ** i - m) * (1 + cos(pi * u)) / 2

    The schedule never ends: it restarts forever. With a non-integer
    ``period_mult`` the periods have fractional lengths and a restart can
    fall between two integer steps; the formula is the same, with
    ``S_i = period_steps * (period_mult ** i - 1) / (period_mult - 1)``
    computed in float64 exactly as Python computes it.

    Args:
        period_steps: length of the first period, a positive integer.
        period_mult: each period is this many times longer than the one
            before, a number >= 1 (integer or not). Default 1.0.
        min_factor: the factor the cosine reaches at the end of each
            period, >= 0. Default 0.0.
        gamma: the peak of period ``i`` is ``gamma ** i``, > 0.
            Default 1.0 (every restart goes back to 1).

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if ``period_steps < 1``, ``period_mult < 1``,
            ``min_factor < 0`` or ``gamma <= 0``.

    >>> s = CosineRestarts(period_steps=2, period_mult=2, gamma=0.5)
    >>> [round(s(t), 12) for t in (0, 1, 2, 3, 4, 5, 6)]
    [1.0, 0.5, 0.5, 0.426776695297, 0.25, 0.073223304703, 0.25]
    """

    name: ClassVar[str] = "cosine_restarts"

    period_steps: int
    period_mult: float = 1.0
    min_factor: float = 0.0
    gamma: float = 1.0

    def __post_init__(self) -> None:
        self._set("period_steps", check_int("period_steps", self.period_steps, 1))
        self._set("period_mult", check_number("period_mult", self.period_mult, 1))
        self._set("min_factor", check_number("min_factor", self.min_factor, 0))
        self._set("gamma", check_number("gamma", self.gamma, 0, open_low=True))

    def _start(self, i: NDArray[np.float64]) -> NDArray[np.float64]:
        """The step where period ``i`` starts."""
        mult = self.period_mult
        if mult == 1:
            return self.period_steps * i
        return self.period_steps * (power(mult, i) - 1) / (mult - 1)

    def _values(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        first, mult = self.period_steps, self.period_mult
        if mult == 1:
            i = np.floor(t / first)
        else:
            i = np.floor(np.log1p(t * (mult - 1) / first) / math.log(mult))
            # The logarithm can land one period off near a restart: fix it.
            i = np.where(t < self._start(i), i - 1, i)
            i = np.where(t >= self._start(i + 1), i + 1, i)

        done = (t - self._start(i)) / (first * power(mult, i))
        peak = power(self.gamma, i)
        return (
            self.min_factor + (peak - self.min_factor) * (1 + np.cos(np.pi * done)) / 2
        )


_CYCLIC_MODES = ("triangular", "triangular2", "exp_range")


@dataclass(frozen=True)
class Cyclic(Schedule):
    """Go up and down between two factors in a triangle wave (Smith, 2017).

    A cycle lasts ``C = up_steps + down_steps``. With ``c = floor(t / C)``
    (the cycle, from 0) and ``x = t / C - c`` (the place in it), the wave
    ``w`` rises from 0 to 1 over ``up_steps`` and falls back over
    ``down_steps``::

        w = x / r            if x <= r,   r = up_steps / C
        w = (1 - x) / (1 - r)  otherwise
        f(t) = min_factor + (max_factor - min_factor) * w * a

    The amplitude ``a`` is 1 for ``mode="triangular"``, ``1 / 2 ** c`` for
    ``"triangular2"`` (halved each cycle) and ``gamma ** t`` for
    ``"exp_range"``. The values match ``torch.optim.lr_scheduler.CyclicLR``.
    The schedule never ends: it cycles forever.

    Args:
        min_factor: the factor at the bottom of each cycle, >= 0.
        max_factor: the factor at the top of the first cycle,
            >= ``min_factor``.
        up_steps: steps from bottom to top, a positive integer.
        down_steps: steps from top back to bottom, a non-negative integer
            (0 gives a sawtooth). Default None: the same as ``up_steps``.
        mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``.
            Default ``"triangular"``.
        gamma: the amplitude decay per step for ``"exp_range"``, in
            (0, 1]. Default 1.0; any other value needs ``"exp_range"``.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if a factor is negative, ``max_factor < min_factor``,
            ``up_steps < 1``, ``down_steps < 0``, ``mode`` is unknown, or
            ``gamma`` is out of range or set for a mode that ignores it.

    >>> s = Cyclic(min_factor=0.1, max_factor=0.5, up_steps=2)
    >>> [round(s(t), 12) for t in (0, 1, 2, 3, 4, 6)]
    [0.1, 0.3, 0.5, 0.3, 0.1, 0.5]
    >>> s = Cyclic(0.0, 1.0, up_steps=1, mode="triangular2")
    >>> [s(t) for t in (1, 3, 5)]
    [1.0, 0.5, 0.25]
    """

    name: ClassVar[str] = "cyclic"

    min_factor: float
    max_factor: float
    up_steps: int
    down_steps: int | None = None
    mode: str = "triangular"
    gamma: float = 1.0

    def __post_init__(self) -> None:
        low = check_number("min_factor", self.min_factor, 0)
        self._set("min_factor", low)
        high = check_number("max_factor", self.max_factor)
        if high < low:
            fail("max_factor", f"at least min_factor ({low:g})", self.max_factor)
        self._set("max_factor", high)
        self._set("up_steps", check_int("up_steps", self.up_steps, 1))
        if self.down_steps is not None:
            self._set("down_steps", check_int("down_steps", self.down_steps, 0))
        self._set("mode", check_choice("mode", self.mode, _CYCLIC_MODES))
        gamma = check_number("gamma", self.gamma, 0, 1, open_low=True)
        if gamma != 1 and self.mode != "exp_range":
            fail("gamma", "1 unless mode is 'exp_range'", self.gamma)
        self._set("gamma", gamma)

    def _values(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        up = float(self.up_steps)
        down = up if self.down_steps is None else float(self.down_steps)
        length = up + down
        rise = up / length

        cycle = np.floor(1 + t / length)
        x = 1.0 + t / length - cycle
        with np.errstate(divide="ignore", invalid="ignore"):
            wave = np.where(x <= rise, x / rise, (x - 1) / (rise - 1))
        if self.mode == "triangular":
            amplitude = 1.0
        elif self.mode == "triangular2":
            amplitude = 1 / power(2.0, cycle - 1)
        else:
            amplitude = power(self.gamma, t)

        return self.min_factor + (self.max_factor - self.min_factor) * wave * amplitude


@dataclass(frozen=True)
class OneCycle(Schedule):
    """Warm up to a peak, then anneal far below the start (Smith, 2018).

    Starts at ``i = max_factor / div_factor``, rises to ``max_factor`` and
    anneals to ``m = i / final_div_factor``. With ``T = total_steps`` and
    ``p = pct_start`` the phases end at steps (as in
    ``torch.optim.lr_scheduler.OneCycleLR``, whose values this matches for
    steps 0 .. T-1)::

        two phases:    i -> max  until p*T - 1,   max -> m  until T - 1
        three phases:  i -> max  until p*T - 1,   max -> i  until 2*p*T - 2,
                       i -> m    until T - 1

    Within a phase from ``a`` to ``b`` with progress ``u`` in [0, 1] the
    factor is ``b + (a - b) * (1 + cos(pi * u)) / 2`` for ``anneal="cos"``
    and ``a + (b - a) * u`` for ``anneal="linear"``. From step ``T - 1`` on
    the factor holds ``m``.

    Args:
        total_steps: length of the cycle, an integer >= 2.
        max_factor: the peak factor, > 0. Default 1.0.
        pct_start: fraction of the steps spent rising; every phase must
            last more than one step, so ``1/T < pct_start < 1`` (three
            phases: ``< (T + 1) / (2 * T)``). Default 0.3.
        anneal: ``"cos"`` or ``"linear"``. Default ``"cos"``.
        div_factor: the start is ``max_factor / div_factor``, > 0.
            Default 25.0.
        final_div_factor: the end is the start / ``final_div_factor``,
            > 0. Default 1e4.
        three_phase: if true, come back down to the start before the final
            anneal. Default false.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if an argument is out of range.

    >>> s = OneCycle(total_steps=10, pct_start=0.5, anneal="linear",
    ...              div_factor=10, final_div_factor=100)
    >>> [round(s(t), 12) for t in (0, 2, 4, 6.5, 9, 20)]
    [0.1, 0.55, 1.0, 0.5005, 0.001, 0.001]
    """

    name: ClassVar[str] = "one_cycle"

    total_steps: int
    max_factor: float = 1.0
    pct_start: float = 0.3
    anneal: str = "cos"
    div_factor: float = 25.0
    final_div_factor: float = 1e4
    three_phase: bool = False

    def __post_init__(self) -> None:
        total = check_int("total_steps", self.total_steps, 2)
        self._set("total_steps", total)
        self._set(
            "max_factor", check_number("max_factor", self.max_factor, 0, open_low=True)
        )
        three = check_bool("three_phase", self.three_phase)
        self._set("three_phase", three)
        high = (total + 1) / (2 * total) if three else 1.0
        pct = check_number("pct_start", self.pct_start, 0, 1)
        self._set("pct_start", pct)
        ends = self._phase_ends()
        # Test the phase ends themselves, as computed: rounding can put
        # pct_start * total_steps exactly on 1 for a pct_start just over 1/T.
        if not all(a < b for a, b in itertools.pairwise((0.0, *ends))):
            rule = f"in ({1 / total:g}, {high:g}) for total_steps={total}"
            message = rule + ", so every phase lasts more than one step"
            fail("pct_start", message, self.pct_start)
        self._set("anneal", check_choice("anneal", self.anneal, ("cos", "linear")))
        div = check_number("div_factor", self.div_factor, 0, open_low=True)
        self._set("div_factor", div)
        final = check_number(
            "final_div_factor", self.final_div_factor, 0, open_low=True
        )
        self._set("final_div_factor", final)

    def _phase_ends(self) -> tuple[float, ...]:
        """The step where each phase ends, computed as torch does."""
        total, pct = self.total_steps, self.pct_start
        rise_end = float(pct * total) - 1
        if self.three_phase:
            return rise_end, float(2 * pct * total) - 2, total - 1.0
        return rise_end, total - 1.0

    def _values(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        move = _half_cosine if self.anneal == "cos" else _line
        peak = self.max_factor
        start = peak / self.div_factor
        end = start / self.final_div_factor
        ends = self._phase_ends()
        t = np.minimum(t, ends[-1])

        levels = (start, peak, start, end) if self.three_phase else (start, peak, end)
        values = np.empty_like(t)
        for k in reversed(range(len(ends))):
            first = ends[k - 1] if k else 0.0
            done = (t - first) / (ends[k] - first)
            values = np.where(
                t <= ends[k], move(levels[k], levels[k + 1], done), values
            )
        return values
