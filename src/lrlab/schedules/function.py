"""``Lambda``: a schedule from any Python function of the step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from lrlab.schedules._base import Schedule
from lrlab.schedules._validate import fail

__all__ = ["Lambda"]


@dataclass(frozen=True)
class Lambda(Schedule):
    """Wrap a Python function of the step as a schedule.

    ``f(t) = fn(t)``. ``fn`` receives float steps: a Python float for a
    single step, a float64 array when the schedule is called with several.
    If ``fn`` raises on the array or returns an array of another shape (say
    it uses ``if t < 10``), it is called once per step instead
    (``numpy.vectorize``), which is correct but slow for millions of steps.
    Whatever ``fn`` does past any end is what the schedule does. ``fn`` is
    only ever called at the steps asked for: unlike the other schedules, a
    ``Lambda`` (and any schedule built on one) is not evaluated a block of
    steps ahead.

    Note:
        ``Lambda`` has no spec name: a Python function cannot be written in
        a spec string, so ``format_schedule`` raises ``ValueError`` for it.

    Args:
        fn: a callable taking a step and returning a non-negative finite
            factor.

    Raises:
        TypeError: if ``fn`` is not callable.
        ValueError: when called, if ``fn`` returns a negative, NaN or
            infinite factor.

    >>> s = Lambda(lambda t: 1.0 if t < 2 else 0.5)
    >>> s(0), s(3)
    (1.0, 0.5)
    >>> s([0, 1, 2, 3])
    array([1. , 1. , 0.5, 0.5])
    """

    evaluates_ahead: ClassVar[bool] = False

    fn: Callable[[Any], Any]

    def __post_init__(self) -> None:
        if not callable(self.fn):
            fail("fn", "a callable", self.fn, TypeError)

    def _values(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        if t.size == 1:
            one = np.asarray(self.fn(float(t.ravel()[0])), dtype=np.float64)
            values = np.broadcast_to(one, t.shape)
        else:
            values = self._on_array(t)

        bad = ~(np.isfinite(values) & (values >= 0))
        if bad.any():
            where = np.flatnonzero(bad.ravel())[0]
            step = float(t.ravel()[where])
            value = float(values.ravel()[where])
            fail(f"fn({step:g})", "a non-negative finite number", value)
        return values.reshape(t.shape)

    def _on_array(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        try:
            values = np.asarray(self.fn(t), dtype=np.float64)
        except Exception:
            values = None
        if values is not None and values.shape in (t.shape, ()):
            return np.broadcast_to(values, t.shape).copy()

        return np.vectorize(self.fn, otypes=[np.float64])(t)
