"""ReduceLROnPlateau: cut the lr when a metric stops improving."""

from __future__ import annotations

import math
import warnings
from typing import Any, Literal, SupportsFloat

from torch.optim import Optimizer

from . import _base, _checks, _groups

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau(_base.BaseScheduler):
    """Multiply the lr by ``factor`` when a metric stops improving.

    Same arguments and decisions as torch's class: after more than
    ``patience`` calls of ``step(metric)`` without an improvement larger than
    ``threshold`` (relative or absolute), each group's lr becomes
    ``max(lr * factor, min_lr)``, unless that changes it by ``eps`` or less;
    then ``cooldown`` calls pass before bad calls count again.

    Unlike torch's, this one can be composed: inside ``ChainedScheduler`` or
    ``SequentialLR``, or beside other schedulers on the same optimizer, its
    cuts multiply the lr the others compute (``step(metric)`` of the
    container passes the metric on). Its state holds the cut factor of each
    group, so a resume restores the lr even without the optimizer's state.

    Args:
        optimizer: the torch optimizer to drive.
        mode: ``"min"`` if lower metrics are better, ``"max"`` if higher.
        factor: multiplier of the lr at each cut, in (0, 1). Default 0.1.
        patience: number of bad calls tolerated before a cut, >= 0.
        threshold: least improvement that counts, >= 0. Default 1e-4.
        threshold_mode: ``"rel"`` (relative to the best) or ``"abs"``.
        cooldown: calls to wait after a cut before counting again, >= 0.
        min_lr: lower bound of the lr, one value or one per group, >= 0.
        eps: smallest change of the lr that is applied, >= 0.

    Raises:
        ValueError: any argument outside its range, e.g. ``factor=0``.

    Example:
        >>> import torch
        >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
        >>> plateau = ReduceLROnPlateau(opt, factor=0.5, patience=0)
        >>> for loss in [1.0, 1.0, 0.5, 0.6]:
        ...     plateau.step(loss)
        ...     print(plateau.get_last_lr())
        [1.0]
        [0.5]
        [0.5]
        [0.25]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: Literal["min", "max"] = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: Literal["rel", "abs"] = "rel",
        cooldown: int = 0,
        min_lr: list[float] | float = 0,
        eps: float = 1e-8,
    ) -> None:
        self.optimizer = _groups.check_optimizer(optimizer)
        self.mode = _checks.choice("mode", mode, ("min", "max"))
        self.factor = _checks.real(
            "factor", factor, low=0, high=1, low_open=True, high_open=True
        )
        self.patience = _checks.integer("patience", patience, minimum=0)
        self.threshold = _checks.real("threshold", threshold, low=0)
        self.threshold_mode = _checks.choice(
            "threshold_mode", threshold_mode, ("rel", "abs")
        )
        self.cooldown = _checks.integer("cooldown", cooldown, minimum=0)
        self.min_lrs = _groups.per_group(
            "min_lr", min_lr, optimizer, check=_non_negative
        )
        self.eps = _checks.real("eps", eps, low=0)

        self.mode_worse = math.inf if self.mode == "min" else -math.inf
        self.base_lrs = _groups.initial_lrs(optimizer, resuming=False)
        self.last_epoch = 0
        self.best = self.mode_worse
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self._lr_factors = [1.0] * len(self.base_lrs)
        _base.attach(self)
        self._last_lr = _groups.values(optimizer, "lr")

    @property
    def in_cooldown(self) -> bool:
        """Whether a cut happened less than ``cooldown`` calls ago."""
        return self.cooldown_counter > 0

    def is_better(self, current: float, best: float) -> bool:
        """Whether ``current`` improves on ``best`` by more than the threshold."""
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return current < best * (1.0 - self.threshold)
            return current < best - self.threshold
        if self.threshold_mode == "rel":
            return current > best * (1.0 + self.threshold)
        return current > best + self.threshold

    def _apply(self, lrs: list[float] | None) -> list[float]:
        lrs = self._apply_base(lrs)
        return [lr * f for lr, f in zip(lrs, self._lr_factors, strict=True)]

    def _observe(self, metrics: Any) -> bool:
        """Take one metric; return whether the lr must be cut."""
        current = float(metrics)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs <= self.patience:
            return False
        self.cooldown_counter = self.cooldown
        self.num_bad_epochs = 0
        return True

    def _cut(self) -> None:
        groups = self.optimizer.param_groups
        _groups.check_group_count(self.optimizer, self._lr_factors)
        for index, group in enumerate(groups):
            old = _groups.read(group, "lr")
            new = max(old * self.factor, self.min_lrs[index])
            if old - new <= self.eps:
                continue
            ratio = self.factor if new == old * self.factor else new / old
            self._lr_factors[index] *= ratio

    def _seek(self, step: int) -> None:
        # Its state is the metrics it has seen, not a step.
        return

    def _advance(self, step: int, metrics: Any = None) -> None:
        if step == 0:
            # A container starts this plateau here: it has seen nothing yet.
            return
        if metrics is None:
            raise TypeError(
                "ReduceLROnPlateau needs the metric: call step(metrics) on "
                "the scheduler that contains it, got no metric"
            )
        if self._observe(metrics):
            self._cut()

    def step(self, metrics: SupportsFloat, epoch: int | None = None) -> None:
        """Take the metric of the epoch just finished; cut the lr if due.

        Args:
            metrics: the monitored value (a number or a 0-dim tensor).
            epoch: deprecated (as in torch): the index of this call.
        """
        if epoch is not None:
            warnings.warn(
                "step(metrics, epoch) is deprecated: call step(metrics)",
                UserWarning,
                stacklevel=2,
            )
            epoch = _checks.integer("epoch", epoch, minimum=0)
        self._advance(self.last_epoch + 1, metrics)
        if epoch is not None:
            self.last_epoch = epoch
        self._write()

    def state_dict(self) -> dict[str, Any]:
        """The counters, the best metric and each group's cut factor."""
        return {
            "last_epoch": self.last_epoch,
            "best": self.best,
            "num_bad_epochs": self.num_bad_epochs,
            "cooldown_counter": self.cooldown_counter,
            "lr_factors": list(self._lr_factors),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the state and write the lr it gives.

        A state saved by torch's class has no cut factors; they are then
        read off the optimizer's current lrs.
        """
        self.last_epoch = int(state_dict["last_epoch"])
        self.best = float(state_dict["best"])
        self.num_bad_epochs = int(state_dict["num_bad_epochs"])
        self.cooldown_counter = int(state_dict["cooldown_counter"])
        if "lr_factors" in state_dict:
            factors = [float(f) for f in state_dict["lr_factors"]]
        else:
            factors = [
                _groups.read(group, "lr") / base if base > 0 else 1.0
                for group, base in zip(
                    self.optimizer.param_groups, self.base_lrs, strict=True
                )
            ]
        _groups.check_group_count(self.optimizer, factors)
        self._lr_factors = factors
        self._write()


def _non_negative(name: str, value: Any) -> float:
    return _checks.real(name, value, low=0)
