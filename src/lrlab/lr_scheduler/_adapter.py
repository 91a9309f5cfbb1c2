"""Drive any lrlab schedule on any torch optimizer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch.optim import Optimizer

from ..schedules import Schedule
from . import _base, _checks, _groups

__all__ = ["ScheduleAdapter"]

_HYPER_KEYS = ("momentum", "weight_decay")


def _check_schedule(name: str, value: Any) -> Schedule:
    if not isinstance(value, Schedule):
        raise TypeError(
            f"{name} must be an lrlab.schedules.Schedule, got {type(value).__name__}"
        )
    return value


class ScheduleAdapter(_base.BaseScheduler):
    """Write ``base_lr * schedule(step)`` into every param group.

    The adapter counts optimizer steps: call ``step()`` once after each
    ``optimizer.step()``. With ``steps_per_epoch`` the schedule is read in
    epochs instead, at the fractional epoch ``step / steps_per_epoch``, so an
    epoch-based schedule moves smoothly within each epoch.

    A group's base lr is its ``initial_lr`` entry, recorded from its lr when
    the adapter is built (torch does the same), or ``base_lr`` when given.
    Momentum (``betas[0]`` for Adam-like optimizers) and weight decay can
    follow their own schedules, as multipliers of the group's value when
    the adapter is built (kept as ``initial_momentum`` and
    ``initial_weight_decay`` in the group).

    The only state is the step count, so ``state_dict()`` is
    ``{"step": n}`` and a resume continues exactly.

    Args:
        optimizer: the torch optimizer to drive.
        schedule: lr multiplier, one schedule or one per param group.
        steps_per_epoch: optimizer steps per epoch when ``schedule`` is in
            epochs; None (default) when it is in steps.
        momentum: multiplier of each group's momentum (or beta1), optional.
        weight_decay: multiplier of each group's weight decay, optional.
        base_lr: base lr, one value or one per group; default: each group's
            ``initial_lr`` (its lr when first scheduled).

    Raises:
        TypeError: a schedule that is not an ``lrlab.schedules.Schedule``.
        ValueError: a bad ``steps_per_epoch`` or ``base_lr``, a list whose
            length is not the number of param groups, or a momentum schedule
            for an optimizer without momentum.

    Example:
        >>> import torch
        >>> from lrlab.schedules import Exponential
        >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        >>> adapter = ScheduleAdapter(opt, Exponential(gamma=0.5))
        >>> for _ in range(3):
        ...     opt.step()
        ...     adapter.step()
        >>> adapter.current_step, round(opt.param_groups[0]["lr"], 6)
        (3, 0.0125)
    """

    def __init__(
        self,
        optimizer: Optimizer,
        schedule: Schedule | Sequence[Schedule],
        *,
        steps_per_epoch: int | None = None,
        momentum: Schedule | Sequence[Schedule] | None = None,
        weight_decay: Schedule | Sequence[Schedule] | None = None,
        base_lr: float | Sequence[float] | None = None,
    ) -> None:
        self.optimizer = _groups.check_optimizer(optimizer)
        self._schedules = _groups.per_group(
            "schedule", schedule, optimizer, check=_check_schedule
        )
        if steps_per_epoch is not None:
            steps_per_epoch = _checks.integer(
                "steps_per_epoch", steps_per_epoch, minimum=1
            )
        self.steps_per_epoch = steps_per_epoch
        self._hyper = self._hyper_schedules(momentum, weight_decay)
        if base_lr is not None:
            lrs = _groups.per_group("base_lr", base_lr, optimizer, check=_check_base_lr)
            for group, lr in zip(optimizer.param_groups, lrs, strict=True):
                group["initial_lr"] = lr

        self.base_lrs = _groups.initial_lrs(optimizer, resuming=False)
        self._bases = {key: self._record_bases(key) for key in self._hyper}
        self._step = 0
        _base.attach(self)
        self._write()

    def _hyper_schedules(
        self, momentum: Any, weight_decay: Any
    ) -> dict[str, list[Schedule]]:
        hyper = {}
        for key, value in zip(_HYPER_KEYS, (momentum, weight_decay), strict=True):
            if value is None:
                continue
            hyper[key] = _groups.per_group(
                key, value, self.optimizer, check=_check_schedule
            )
        for index, group in enumerate(self.optimizer.param_groups):
            if (
                "momentum" in hyper
                and "momentum" not in group
                and ("betas" not in group)
            ):
                raise ValueError(
                    "momentum schedule needs param groups with 'momentum' or "
                    f"'betas', param_groups[{index}] has neither"
                )
            if "weight_decay" in hyper and "weight_decay" not in group:
                raise ValueError(
                    "weight_decay schedule needs param groups with "
                    f"'weight_decay', param_groups[{index}] has none"
                )
        return hyper

    def _record_bases(self, key: str) -> list[float]:
        bases = []
        for group in self.optimizer.param_groups:
            if f"initial_{key}" not in group:
                group[f"initial_{key}"] = _groups.copy_value(_current(group, key))
            bases.append(float(group[f"initial_{key}"]))
        return bases

    @property
    def current_step(self) -> int:
        """The number of ``step()`` calls since the start of training."""
        return self._step

    @property
    def epoch(self) -> float:
        """The (fractional) epoch the schedule is read at."""
        return self._time()

    def _time(self) -> float | int:
        if self.steps_per_epoch is None:
            return self._step
        return self._step / self.steps_per_epoch

    def _factors(self, schedules: list[Schedule]) -> list[float]:
        time = self._time()
        cache: dict[int, float] = {}
        for schedule in schedules:
            if id(schedule) not in cache:
                cache[id(schedule)] = schedule(time)
        return [cache[id(schedule)] for schedule in schedules]

    def _apply(self, lrs: list[float] | None) -> list[float]:
        lrs = self._apply_base(lrs)
        factors = self._factors(self._schedules)
        return [lr * factor for lr, factor in zip(lrs, factors, strict=True)]

    def _write_extras(self) -> None:
        for key, schedules in self._hyper.items():
            factors = self._factors(schedules)
            groups = self.optimizer.param_groups
            for group, base, factor in zip(
                groups, self._bases[key], factors, strict=True
            ):
                _set_current(group, key, base * factor)

    def _advance(self, step: int, metrics: Any = None) -> None:
        self._step = step

    def _seek(self, step: int) -> None:
        self._step = step

    def step(self) -> None:
        """Count one more optimizer step and write the new values."""
        self._check_order()
        self._step += 1
        self._write()

    def state_dict(self) -> dict[str, Any]:
        """``{"step": n}``: all that is needed to resume."""
        return {"step": self._step}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Go to the saved step and write its values into the optimizer."""
        self._step = _checks.integer("step", state_dict["step"], minimum=0)
        self._write()


def _check_base_lr(name: str, value: Any) -> float:
    return _checks.real(name, value, low=0)


def _current(group: dict[str, Any], key: str) -> Any:
    if key == "momentum" and "momentum" not in group:
        return group["betas"][0]
    return group[key]


def _set_current(group: dict[str, Any], key: str, value: float) -> None:
    if key == "momentum" and "momentum" not in group:
        beta1 = group["betas"][0]
        if hasattr(beta1, "fill_"):
            beta1.fill_(value)
        else:
            group["betas"] = (value, *group["betas"][1:])
        return
    _groups.write(group, key, value)
