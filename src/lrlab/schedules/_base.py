"""The ``Schedule`` base class and the registry of spec names."""

from __future__ import annotations

import abc
import dataclasses
import math
import numbers
from typing import Any, ClassVar, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lrlab.schedules._validate import fail

__all__ = [
    "BLOCK_STEPS",
    "Schedule",
    "check_schedule",
    "check_schedule_list",
    "fields",
    "power",
    "registry",
    "warmup_ramp",
]

_REGISTRY: dict[str, type[Schedule]] = {}

# A scalar call at a whole step evaluates this many steps at once.
BLOCK_STEPS = 64
# Beyond this, whole steps are no longer exact in float64 (2 ** 53).
_LARGEST_BLOCKED = 2**53 - BLOCK_STEPS


def registry() -> dict[str, type[Schedule]]:
    """Return a copy of the map from spec name to schedule class."""
    return dict(sorted(_REGISTRY.items()))


class Schedule(abc.ABC):
    """A learning-rate multiplier as a pure function of the step.

    ``schedule(step)`` returns the factor ``f`` such that
    ``lr = base_lr * f``. ``step`` is a 0-based count (optimizer updates,
    or epochs when the caller steps once per epoch). Subclasses are frozen
    dataclasses: they hold only their arguments, checked when built, and
    compute every value in closed form from the step alone.

    A subclass that sets the class attribute ``name`` is registered under
    that spec name (see ``lrlab.spec``). It implements ``_values(t)`` for a
    float64 array ``t`` of valid steps, without a Python loop per step.

    A call with one whole step (``schedule(5)``, as a training loop makes
    once per step) evaluates the block of 64 steps around it (steps 0 to
    63, 64 to 127, ...) in one array call and keeps it for the next calls.
    The values are those of the array, bit for bit, and a loop stepping
    through them pays a look-up per step instead of a dozen numpy calls on
    a one-element array. So ``_values`` may be asked for steps nobody asked
    for. A subclass whose values must not be computed ahead (``Lambda``,
    which calls user code) sets ``evaluates_ahead = False``; a schedule
    holding one (in a field, or a tuple field) is not evaluated ahead
    either.
    """

    name: ClassVar[str]
    evaluates_ahead: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("name")
        if name is None:
            return
        if name in _REGISTRY:
            raise RuntimeError(f"spec name {name!r} is already registered")
        _REGISTRY[name] = cls

    @overload
    def __call__(self, step: float) -> float: ...

    @overload
    def __call__(self, step: NDArray[Any]) -> NDArray[np.float64]: ...

    def __call__(self, step: float | ArrayLike) -> float | NDArray[np.float64]:
        """Return the factor at ``step`` (a float, or an array for an array).

        Raises:
            TypeError: if ``step`` is not a number or an array of numbers.
            ValueError: if a step is negative, NaN or infinite.
        """
        whole = type(step) is int or (type(step) is float and step.is_integer())
        if whole and 0 <= step < _LARGEST_BLOCKED:
            value = self._from_block(int(step))
            if value is not None:
                return value

        t, scalar = _as_steps(step)

        values = self._values(t)

        if scalar:
            return float(values[0])
        return values

    def _from_block(self, step: int) -> float | None:
        """The factor at ``step`` from its block, or None to use the plain path.

        None for a schedule that must not be evaluated ahead, and where the
        value is not finite (so the plain path warns about the overflow).
        """
        block = self.__dict__.get("_block")
        if block is None:
            block = () if _evaluates_ahead(self) else False
            object.__setattr__(self, "_block", block)
        if block is False:
            return None

        start = step - step % BLOCK_STEPS
        if not block or block[0] != start:
            t = np.arange(start, start + BLOCK_STEPS, dtype=np.float64)
            with np.errstate(all="ignore"):
                # Steps nobody asked for may overflow: no warning for them.
                values = self._values(t).tolist()
            # One attribute, replaced whole: a reader never sees half a block.
            block = (start, values)
            object.__setattr__(self, "_block", block)

        value = block[1][step - start]
        return value if math.isfinite(value) else None

    @abc.abstractmethod
    def _values(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return the factors for the valid float64 steps ``t``."""

    def _set(self, name: str, value: Any) -> None:
        """Store a normalized argument on the frozen instance."""
        object.__setattr__(self, name, value)


def _evaluates_ahead(schedule: Schedule) -> bool:
    """Whether ``schedule`` and every schedule inside it may be evaluated
    at steps that were not asked for."""
    if not type(schedule).evaluates_ahead:
        return False
    if not dataclasses.is_dataclass(schedule):
        return True
    for field in dataclasses.fields(schedule):
        value = getattr(schedule, field.name)
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, Schedule) and not _evaluates_ahead(item):
                return False
    return True


def _as_steps(step: Any) -> tuple[NDArray[np.float64], bool]:
    """Return ``step`` as a float64 array and whether it was a scalar."""
    rule = "a non-negative finite number"
    if isinstance(step, (bool, np.bool_)):
        fail("step", "a number or an array of numbers", step, TypeError)
    if type(step) in (int, float) or isinstance(step, numbers.Real):
        value = float(step)
        if not (value >= 0 and math.isfinite(value)):
            fail("step", rule, step)
        # A one-element array, not a 0-d one: numpy may round a 0-d
        # operation differently in the last bit, and a scalar must give
        # exactly what the same step gives inside an array.
        return np.array([value]), True

    array = np.asarray(step)
    if array.dtype.kind not in "iuf":
        fail("step", "a number or an array of numbers", step, TypeError)
    t = array.astype(np.float64)
    bad = ~(np.isfinite(t) & (t >= 0))
    if bad.any():
        fail("step", rule, float(t[bad].flat[0]))
    return t, False


def power(base: float, exponent: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return ``base ** exponent`` elementwise, rounded as Python's ``**``.

    numpy's own ``power`` can differ from the C library's correctly rounded
    ``pow`` in the last bit; this keeps ``Exponential(g)(t) == g ** t``
    exact. Integral exponents no larger than the number of steps (a long
    run of steps, or few distinct exponents) go through a table of
    ``base ** k``; others through ``pow`` per element.
    """
    flat = exponent.ravel()
    if flat.size == 0:
        return np.ones_like(exponent)
    top = float(flat.max())
    try:
        if top < flat.size and np.all(flat == np.floor(flat)):
            table = np.array([base**k for k in range(int(top) + 1)])
            return table[flat.astype(np.intp)].reshape(exponent.shape)
        return np.asarray(_POW(base, exponent), dtype=np.float64)
    except OverflowError:
        # Element by element, so a value that does not overflow is the
        # same whatever else is in the array.
        with np.errstate(over="ignore"):
            return np.asarray(_POW_OR_INF(base, exponent), dtype=np.float64)


def _pow_or_inf(base: float, exponent: float) -> float:
    """``base ** exponent``, or inf where it overflows (base > 0 here)."""
    try:
        return pow(base, exponent)
    except OverflowError:
        return math.inf


_POW = np.frompyfunc(pow, 2, 1)
_POW_OR_INF = np.frompyfunc(_pow_or_inf, 2, 1)


def warmup_ramp(
    t: NDArray[np.float64],
    warmup_steps: int,
    start_factor: float | None,
    target: float,
) -> NDArray[np.float64]:
    """The straight line a warmup climbs, for the steps ``t < warmup_steps``.

    With ``start_factor=None`` the line starts one step up from 0::

        f(t) = target * (t + 1) / (W + 1)

    so step 0 already has ``target / (W + 1)`` and each step adds as much;
    with a number ``a`` it goes from ``a`` at step 0 to ``target`` at ``W``::

        f(t) = a + (target - a) * t / W

    Either way it reaches ``target`` at step ``W = warmup_steps``. Values at
    steps from ``W`` on are not meaningful: the caller uses its own formula
    there. ``W = 0`` is allowed (there is then no step to ramp over).

    >>> warmup_ramp(np.arange(3.0), 3, None, 1.0).tolist()
    [0.25, 0.5, 0.75]
    >>> warmup_ramp(np.arange(3.0), 3, 0.0, 1.0).tolist()
    [0.0, 0.3333333333333333, 0.6666666666666666]
    """
    if start_factor is None:
        return target * (t + 1) / (warmup_steps + 1)
    return start_factor + (target - start_factor) * t / max(warmup_steps, 1)


def check_schedule(name: str, value: Any) -> Schedule:
    """Return ``value`` if it is a ``Schedule``.

    A spec name where a schedule belongs is a bare word in a spec (a
    string): the message says to write the call.
    """
    if isinstance(value, str) and value in _REGISTRY:
        rule = f"a schedule (in a spec, write {value}() with parentheses)"
        fail(name, rule, value, TypeError)
    if not isinstance(value, Schedule):
        fail(name, "a schedule", value, TypeError)
    return value


def check_schedule_list(name: str, value: Any) -> tuple[Schedule, ...]:
    """Return ``value`` as a non-empty tuple of schedules."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        fail(name, "a list of schedules", value, TypeError)
    if len(value) == 0:
        fail(name, "a non-empty list of schedules", value)
    return tuple(check_schedule(f"{name}[{i}]", item) for i, item in enumerate(value))


def fields(cls: type[Schedule]) -> tuple[dataclasses.Field[Any], ...]:
    """Return the constructor arguments of a schedule class, in order.

    Each is a ``dataclasses.Field``: ``name``, and ``default`` (or
    ``dataclasses.MISSING`` for a required argument).

    >>> from lrlab.schedules import Step
    >>> [f.name for f in fields(Step)], fields(Step)[1].default
    (['step_size', 'gamma'], 0.1)
    """
    return tuple(f for f in dataclasses.fields(cls) if f.init)  # type: ignore[arg-type]
