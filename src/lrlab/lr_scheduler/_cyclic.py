"""Drop-ins that set absolute lrs and cycle momentum: CyclicLR, OneCycleLR."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal

from torch.optim import Optimizer

from ..schedules import Cyclic, OneCycle, Schedule
from . import _checks, _groups
from ._stepped import SteppedScheduler

__all__ = ["CyclicLR", "OneCycleLR"]


def _non_negative(name: str, value: Any) -> float:
    return _checks.real(name, value, low=0)


def _unit(name: str, value: Any) -> float:
    return _checks.real(name, value, low=0, high=1)


class _MomentumCycle(SteppedScheduler):
    """Shared by both classes: absolute lrs, momentum opposite to the lr.

    ``momentum = max_momentum - (max_momentum - base_momentum) * shape(t)``
    where ``shape`` goes from 0 (lr low) to 1 (lr at its peak).
    """

    _lr_schedules: list[Schedule]
    cycle_momentum: bool

    def _setup_momentum(
        self,
        optimizer: Optimizer,
        cycle_momentum: Any,
        base_momentum: Any,
        max_momentum: Any,
        fresh: bool,
    ) -> None:
        if not isinstance(cycle_momentum, bool):
            raise TypeError(
                "cycle_momentum must be True or False, "
                f"got {type(cycle_momentum).__name__}"
            )
        self.cycle_momentum = cycle_momentum
        if not cycle_momentum:
            return
        defaults = optimizer.defaults
        if "momentum" not in defaults and "betas" not in defaults:
            raise ValueError(
                "cycle_momentum=True needs an optimizer with momentum or "
                f"betas, got {type(optimizer).__name__}; pass "
                "cycle_momentum=False"
            )
        self.use_beta1 = "betas" in defaults
        bases = _groups.per_group(
            "base_momentum", base_momentum, optimizer, check=_unit
        )
        tops = _groups.per_group("max_momentum", max_momentum, optimizer, check=_unit)
        for base, top in zip(bases, tops, strict=True):
            if base > top:
                raise ValueError(
                    f"base_momentum must be at most max_momentum ({top:g}), "
                    f"got {base:g}"
                )
        self.base_momentums, self.max_momentums = bases, tops
        if fresh:
            for group, base, top in zip(
                optimizer.param_groups, bases, tops, strict=True
            ):
                group["base_momentum"] = base
                group["max_momentum"] = top

    def _shape(self, step: float) -> float:
        raise NotImplementedError

    def _lr(self, index: int, step: float) -> float:
        return self._lr_schedules[index](step)

    def _apply(self, lrs: list[float] | None) -> list[float]:
        # Absolute lrs: in a chain they replace the lr of those before.
        return self._map(self.base_lrs, self.last_epoch)

    def _map(self, lrs: list[float], step: int) -> list[float]:
        return [self._lr(index, step) for index in range(len(lrs))]

    def _write_extras(self) -> None:
        if not self.cycle_momentum:
            return
        shape = self._shape(self.last_epoch)
        groups = self.optimizer.param_groups
        pairs = zip(self.base_momentums, self.max_momentums, strict=True)
        for group, (base, top) in zip(groups, pairs, strict=True):
            momentum = top - (top - base) * shape
            if self.use_beta1:
                group["betas"] = (momentum, *group["betas"][1:])
            else:
                group["momentum"] = momentum


class CyclicLR(_MomentumCycle):
    """Cycle the lr between ``base_lr`` and ``max_lr`` in a triangle wave.

    The values are torch's (Smith, 2017): the wave rises over
    ``step_size_up`` steps and falls over ``step_size_down``; ``mode``
    scales its height (``"triangular"``: 1, ``"triangular2"``: halved each
    cycle, ``"exp_range"``: ``gamma ** step``), or ``scale_fn`` does. With
    ``cycle_momentum`` the momentum (beta1 for Adam) moves the opposite
    way, between ``max_momentum`` and ``base_momentum``.

    Args:
        optimizer: the torch optimizer to drive.
        base_lr: the lowest lr, >= 0, one value or one per group.
        max_lr: the highest lr, >= base_lr, one value or one per group.
        step_size_up: steps of the rise, a positive integer. Default 2000.
        step_size_down: steps of the fall, >= 0. Default: step_size_up.
        mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``.
        gamma: the height decay per step for ``"exp_range"``, in (0, 1];
            ignored by the other modes (as in torch). Default 1.0.
        scale_fn: a function of the cycle (from 1) or of the step giving
            the height multiplier in [0, 1]; replaces ``mode``.
        scale_mode: what ``scale_fn`` receives: ``"cycle"`` or
            ``"iterations"``. Default ``"cycle"``.
        cycle_momentum: whether to cycle the momentum. Default True.
        base_momentum: momentum at the lr's peak, in [0, 1]. Default 0.8.
        max_momentum: momentum at the lr's bottom, in [0, 1]. Default 0.9.
        last_epoch: the last step done, -1 for a fresh start.

    Raises:
        ValueError: an argument outside its range, e.g.
            ``step_size_up=0`` (torch fails with ZeroDivisionError).
        TypeError: ``scale_fn`` not callable.

    Note:
        ``scale_fn`` is not part of ``state_dict()``: build the scheduler
        with the same function before loading.

    Example:
        >>> import torch
        >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = CyclicLR(opt, base_lr=0.1, max_lr=0.5, step_size_up=2,
        ...              cycle_momentum=False)
        >>> lrs = []
        >>> for _ in range(5):
        ...     lrs.append(round(s.get_last_lr()[0], 12))
        ...     opt.step()
        ...     s.step()
        >>> lrs
        [0.1, 0.3, 0.5, 0.3, 0.1]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        base_lr: float | list[float],
        max_lr: float | list[float],
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: Literal["triangular", "triangular2", "exp_range"] = "triangular",
        gamma: float = 1.0,
        scale_fn: Callable[[float], float] | None = None,
        scale_mode: Literal["cycle", "iterations"] = "cycle",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.8,
        max_momentum: float | list[float] = 0.9,
        last_epoch: int = -1,
    ) -> None:
        _groups.check_optimizer(optimizer)
        lows = _groups.per_group("base_lr", base_lr, optimizer, check=_non_negative)
        highs = _groups.per_group("max_lr", max_lr, optimizer, check=_non_negative)
        for low, high in zip(lows, highs, strict=True):
            if high < low:
                raise ValueError(
                    f"max_lr must be at least base_lr ({low:g}), got {high:g}"
                )
        self.max_lrs = highs
        up = _checks.integer("step_size_up", step_size_up, minimum=1)
        down = up
        if step_size_down is not None:
            down = _checks.integer("step_size_down", step_size_down, minimum=0)
        self.total_size = float(up + down)
        self.step_ratio = up / self.total_size
        if scale_fn is None:
            self.mode = _checks.choice(
                "mode", mode, ("triangular", "triangular2", "exp_range")
            )
        elif not callable(scale_fn):
            raise TypeError(
                f"scale_fn must be a function or None, got {type(scale_fn).__name__}"
            )
        else:
            self.mode = mode
        self.gamma = _checks.real("gamma", gamma, low=0, low_open=True)
        if scale_fn is None and self.mode == "exp_range":
            self.gamma = _checks.real("gamma", gamma, low=0, high=1, low_open=True)
        self.scale_mode = _checks.choice(
            "scale_mode", scale_mode, ("cycle", "iterations")
        )
        self._scale_fn_custom = scale_fn
        start = _checks.last_epoch(last_epoch)
        self._setup_momentum(
            optimizer, cycle_momentum, base_momentum, max_momentum, start == -1
        )

        wave_mode = "triangular" if scale_fn is not None else self.mode
        wave_gamma = self.gamma if wave_mode == "exp_range" else 1.0
        self._lr_schedules = [
            Cyclic(low, high, up, down, mode=wave_mode, gamma=wave_gamma)
            for low, high in zip(lows, highs, strict=True)
        ]
        self._wave = Cyclic(0.0, 1.0, up, down, mode=wave_mode, gamma=wave_gamma)
        if start == -1:
            for group, low in zip(optimizer.param_groups, lows, strict=True):
                _groups.write(group, "lr", low)
            _groups.initial_lrs(optimizer, resuming=False)
        self._setup(optimizer, start, base_lrs=lows)

    def _scale(self, step: float) -> float:
        fn = self._scale_fn_custom
        if fn is None:
            return 1.0
        if self.scale_mode == "cycle":
            return float(fn(math.floor(1 + step / self.total_size)))
        return float(fn(step))

    def _lr(self, index: int, step: float) -> float:
        cyclic = self._lr_schedules[index](step)
        if self._scale_fn_custom is None:
            return cyclic
        low = self.base_lrs[index]
        return low + (cyclic - low) * self._scale(step)

    def _shape(self, step: float) -> float:
        return self._wave(step) * self._scale(step)


class OneCycleLR(_MomentumCycle):
    """The 1cycle policy: warm up to ``max_lr``, then anneal far below.

    The values are torch's (Smith, 2018) for steps ``0 .. total_steps - 1``:
    from ``max_lr / div_factor`` up to ``max_lr`` until step
    ``pct_start * total_steps - 1``, then down to
    ``max_lr / div_factor / final_div_factor`` at ``total_steps - 1`` (with
    ``three_phase``, back to the start first). Past the last step the lr
    holds its final value: it never leaves [final lr, max_lr] (torch's
    next step raises or, in between, extrapolates below 0 with ``linear``).
    Momentum (beta1 for Adam) moves the opposite way.

    Args:
        optimizer: the torch optimizer to drive.
        max_lr: the peak lr, > 0, one value or one per group.
        total_steps: steps of the cycle, an integer >= 2; or give
            ``epochs`` and ``steps_per_epoch``.
        epochs: epochs of the cycle (with ``steps_per_epoch``).
        steps_per_epoch: steps per epoch (with ``epochs``).
        pct_start: fraction of the steps spent rising; each phase must
            last more than one step. Default 0.3.
        anneal_strategy: ``"cos"`` or ``"linear"``. Default ``"cos"``.
        cycle_momentum: whether to cycle the momentum. Default True.
        base_momentum: momentum at the peak lr, in [0, 1]. Default 0.85.
        max_momentum: momentum at the start and end, in [0, 1].
            Default 0.95.
        div_factor: start lr = max_lr / div_factor, > 0. Default 25.
        final_div_factor: final lr = start lr / final_div_factor, > 0.
            Default 1e4.
        three_phase: come back to the start lr before the final anneal.
        last_epoch: the last step done, -1 for a fresh start.

    Raises:
        ValueError: an argument outside its range, or no length given.

    Example:
        >>> import torch
        >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = OneCycleLR(opt, max_lr=1.0, total_steps=10,
        ...                anneal_strategy="linear", cycle_momentum=False)
        >>> lrs = []
        >>> for _ in range(11):
        ...     lrs.append(round(s.get_last_lr()[0], 7))
        ...     opt.step()
        ...     s.step()
        >>> lrs[:4], lrs[-2:]
        ([0.04, 0.52, 1.0, 0.8571434], [4e-06, 4e-06])
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: Literal["cos", "linear"] = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        _groups.check_optimizer(optimizer)
        self.total_steps = _total_steps(total_steps, epochs, steps_per_epoch)
        pct_start = _checks.real("pct_start", pct_start, low=0, high=1)
        anneal = _checks.choice("anneal_strategy", anneal_strategy, ("cos", "linear"))
        div = _checks.real("div_factor", div_factor, low=0, low_open=True)
        final = _checks.real("final_div_factor", final_div_factor, low=0, low_open=True)
        peaks = _groups.per_group("max_lr", max_lr, optimizer, check=_positive)
        start = _checks.last_epoch(last_epoch)
        self._setup_momentum(
            optimizer, cycle_momentum, base_momentum, max_momentum, start == -1
        )

        common = {
            "total_steps": self.total_steps,
            "pct_start": pct_start,
            "anneal": anneal,
            "three_phase": three_phase,
        }
        self._lr_schedules = [
            OneCycle(max_factor=peak, div_factor=div, final_div_factor=final, **common)
            for peak in peaks
        ]
        # Start and end at 1/2, peak at 1: 2 * value - 1 rises 0 -> 1 -> 0.
        self._wave = OneCycle(
            max_factor=1.0, div_factor=2.0, final_div_factor=1.0, **common
        )
        if start == -1:
            for group, peak in zip(optimizer.param_groups, peaks, strict=True):
                group["initial_lr"] = peak / div
                group["max_lr"] = peak
                group["min_lr"] = peak / div / final
        self._setup(optimizer, start, base_lrs=[peak / div for peak in peaks])

    def _shape(self, step: float) -> float:
        return 2.0 * self._wave(step) - 1.0


def _positive(name: str, value: Any) -> float:
    return _checks.real(name, value, low=0, low_open=True)


def _total_steps(total_steps: Any, epochs: Any, steps_per_epoch: Any) -> int:
    if total_steps is not None:
        return _checks.integer("total_steps", total_steps, minimum=2)
    if epochs is None or steps_per_epoch is None:
        raise ValueError(
            "OneCycleLR needs total_steps, or epochs and steps_per_epoch, "
            f"got total_steps=None, epochs={epochs}, "
            f"steps_per_epoch={steps_per_epoch}"
        )
    epochs = _checks.integer("epochs", epochs, minimum=1)
    per_epoch = _checks.integer("steps_per_epoch", steps_per_epoch, minimum=1)
    return _checks.integer("total_steps", epochs * per_epoch, minimum=2)
