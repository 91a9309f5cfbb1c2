"""Cosine annealing drop-ins: CosineAnnealingLR, CosineAnnealingWarmRestarts."""

from __future__ import annotations

import math
from typing import Any

from torch.optim import Optimizer

from ..schedules import Cosine, CosineRestarts
from . import _checks
from ._stepped import SteppedScheduler

__all__ = ["CosineAnnealingLR", "CosineAnnealingWarmRestarts"]


class CosineAnnealingLR(SteppedScheduler):
    """Anneal from the base lr to ``eta_min`` along half a cosine wave.

    ``lr(t) = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2``
    for ``t <= T_max``; from ``T_max`` on the lr holds ``eta_min``.

    Computed in closed form at every step, so it stays on the formula after
    any number of steps (torch updates the lr recursively, which drifts),
    and it does not climb back up after ``T_max`` as torch's does.

    Args:
        optimizer: the torch optimizer to drive.
        T_max: steps of the annealing, a positive integer.
        eta_min: the lr reached at ``T_max``, >= 0. Default 0.
        last_epoch: the last step done, -1 for a fresh start.

    Raises:
        ValueError: ``T_max < 1`` (torch fails with ZeroDivisionError) or
            ``eta_min < 0``.

    Example:
        >>> import torch
        >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = CosineAnnealingLR(opt, T_max=2, eta_min=0.1)
        >>> lrs = []
        >>> for _ in range(4):
        ...     lrs.append(round(s.get_last_lr()[0], 12))
        ...     opt.step()
        ...     s.step()
        >>> lrs
        [1.0, 0.55, 0.1, 0.1]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        T_max: int,
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        self.T_max = _checks.integer("T_max", T_max, minimum=1)
        self.eta_min = _checks.real("eta_min", eta_min, low=0)
        self._wave = Cosine(total_steps=self.T_max)
        self._setup(optimizer, last_epoch)

    def _map(self, lrs: list[float], step: int) -> list[float]:
        wave = self._wave(step)
        return [self.eta_min + (lr - self.eta_min) * wave for lr in lrs]


class CosineAnnealingWarmRestarts(SteppedScheduler):
    """Cosine annealing that restarts at the base lr (SGDR).

    Period ``i`` lasts ``T_0 * T_mult ** i`` epochs; within it, with
    ``u`` the fraction of the period done,
    ``lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * u)) / 2``.

    The position is computed from the epoch alone, so a scheduler rebuilt
    with ``last_epoch=k`` continues exactly (torch's restarts its period
    count). ``step(epoch)`` with a fractional epoch, as torch documents for
    stepping within an epoch, is supported and not deprecated here.

    Args:
        optimizer: the torch optimizer to drive.
        T_0: length of the first period, a positive integer.
        T_mult: growth of the period after each restart, an integer >= 1.
            Default 1.
        eta_min: the lr at the end of each period, >= 0. Default 0.
        last_epoch: the last epoch done, -1 for a fresh start.

    Raises:
        ValueError: ``T_0 < 1``, ``T_mult < 1`` or ``eta_min < 0``.

    Example:
        >>> import torch
        >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = CosineAnnealingWarmRestarts(opt, T_0=2)
        >>> lrs = []
        >>> for _ in range(4):
        ...     lrs.append(round(s.get_last_lr()[0], 12))
        ...     opt.step()
        ...     s.step()
        >>> lrs
        [1.0, 0.5, 1.0, 0.5]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        T_0: int,
        T_mult: int = 1,
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        self.T_0 = _checks.integer("T_0", T_0, minimum=1)
        self.T_mult = _checks.integer("T_mult", T_mult, minimum=1)
        self.eta_min = _checks.real("eta_min", eta_min, low=0)
        self._wave = CosineRestarts(period_steps=self.T_0, period_mult=self.T_mult)
        self._epoch = 0.0
        self._setup(optimizer, last_epoch)

    def _move(self, step: int) -> None:
        self.last_epoch = step
        self._epoch = float(step)

    def _apply(self, lrs: list[float] | None) -> list[float]:
        # torch's class sets the lr from the base lr, whatever the
        # schedulers before it did: in a chain it replaces their lr.
        return self._map(self.base_lrs, self.last_epoch)

    def _map(self, lrs: list[float], step: int) -> list[float]:
        # The position may be a fractional epoch (step(epoch=2.5)).
        wave = self._wave(self._epoch)
        return [self.eta_min + (lr - self.eta_min) * wave for lr in lrs]

    def step(self, epoch: float | None = None) -> None:
        """Move one epoch on, or to ``epoch`` (may be fractional).

        Args:
            epoch: the epoch to go to, e.g. ``epoch + batch / batches`` to
                step within an epoch; default: one more than now.
        """
        if epoch is None:
            self._check_order()
            position = self._epoch + 1
        else:
            position = _checks.real("epoch", epoch, low=0)
        self._epoch = position
        self.last_epoch = math.floor(position)
        self._step_count += 1
        self._write()

    def state_dict(self) -> dict[str, Any]:
        """The current epoch, which may be fractional."""
        return {"last_epoch": self.last_epoch, "epoch": self._epoch}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Go to the saved epoch and write its lr into the optimizer."""
        last = _checks.integer("last_epoch", state_dict["last_epoch"], minimum=0)
        self.last_epoch = last
        self._epoch = _checks.real("epoch", state_dict.get("epoch", last), low=0)
        self._write()
