"""Drop-in classes whose lr is the base lr times a factor of the step.

Each holds one pure schedule from ``lrlab.schedules`` and writes
``lr_in * factor(last_epoch)``, where ``lr_in`` is the group's base lr, or
the lr of the scheduler before it when composed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from torch.optim import Optimizer

from ..schedules import (
    Constant,
    Exponential,
    Linear,
    MultiStep,
    PiecewiseConstant,
    Polynomial,
    Step,
)
from . import _checks, _groups
from ._stepped import FactorScheduler

__all__ = [
    "ConstantLR",
    "ExponentialLR",
    "LinearLR",
    "MultiStepLR",
    "PolynomialLR",
    "StepLR",
]


class StepLR(FactorScheduler):
    """lr = base_lr * gamma ** (step // step_size).

    Args:
        optimizer: the torch optimizer to drive.
        step_size: steps between two decays, a positive integer.
        gamma: multiplier at each decay, > 0. Default 0.1.
        last_epoch: the last step done, -1 for a fresh start.

    Raises:
        ValueError: ``step_size < 1`` or ``gamma <= 0`` (torch accepts
            ``step_size=0`` and fails with ZeroDivisionError at a step).

    Example:
        >>> import torch
        >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = StepLR(opt, step_size=2, gamma=0.5)
        >>> lrs = []
        >>> for _ in range(5):
        ...     lrs.append(s.get_last_lr()[0])
        ...     opt.step()
        ...     s.step()
        >>> lrs
        [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        step_size: int,
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        self.step_size = _checks.integer("step_size", step_size, minimum=1)
        self.gamma = _checks.real("gamma", gamma, low=0, low_open=True)
        schedule = Step(step_size=self.step_size, gamma=self.gamma)
        self._set_schedules([schedule] * _group_count(optimizer))
        self._setup(optimizer, last_epoch)


class ExponentialLR(FactorScheduler):
    """lr = base_lr * gamma ** step.

    Args:
        optimizer: the torch optimizer to drive.
        gamma: multiplier per step, > 0 (torch accepts a negative gamma,
            which makes the lr change sign at every step).
        last_epoch: the last step done, -1 for a fresh start.

    Raises:
        ValueError: ``gamma <= 0``.

    Example:
        >>> import torch
        >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = ExponentialLR(opt, gamma=0.5)
        >>> for _ in range(2):
        ...     opt.step()
        ...     s.step()
        >>> s.get_last_lr()
        [0.25]
    """

    def __init__(
        self, optimizer: Optimizer, gamma: float, last_epoch: int = -1
    ) -> None:
        self.gamma = _checks.real("gamma", gamma, low=0, low_open=True)
        schedule = Exponential(gamma=self.gamma)
        self._set_schedules([schedule] * _group_count(optimizer))
        self._setup(optimizer, last_epoch)


class LinearLR(FactorScheduler):
    """lr = base_lr * factor, the factor going in a line over total_iters.

    ``factor(t) = start + (end - start) * min(t, total_iters) / total_iters``

    With ``total_iters=0`` there is no ramp: the factor is ``end_factor``
    from the start (torch stays at ``start_factor`` forever).

    Args:
        optimizer: the torch optimizer to drive.
        start_factor: the factor at step 0, in (0, 1]. Default 1/3.
        end_factor: the factor from ``total_iters`` on, in [0, 1].
            Default 1.0.
        total_iters: steps of the ramp, >= 0. Default 5.
        last_epoch: the last step done, -1 for a fresh start.

    Raises:
        ValueError: a factor outside its range or a negative
            ``total_iters``.

    Example:
        >>> import torch
        >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = LinearLR(opt, start_factor=0.5, total_iters=2)
        >>> lrs = []
        >>> for _ in range(4):
        ...     lrs.append(s.get_last_lr()[0])
        ...     opt.step()
        ...     s.step()
        >>> lrs
        [0.5, 0.75, 1.0, 1.0]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        self.start_factor = _checks.real(
            "start_factor", start_factor, low=0, high=1, low_open=True
        )
        self.end_factor = _checks.real("end_factor", end_factor, low=0, high=1)
        self.total_iters = _checks.integer("total_iters", total_iters, minimum=0)
        if self.total_iters == 0:
            schedule = Constant(self.end_factor)
        else:
            schedule = Linear(
                total_steps=self.total_iters,
                start_factor=self.start_factor,
                end_factor=self.end_factor,
            )
        self._set_schedules([schedule] * _group_count(optimizer))
        self._setup(optimizer, last_epoch)


class PolynomialLR(FactorScheduler):
    """lr = base_lr * (1 - min(step, total_iters) / total_iters) ** power.

    Args:
        optimizer: the torch optimizer to drive.
        total_iters: steps of the decay to 0, a positive integer. Default 5.
        power: the exponent, > 0. Default 1.0.
        last_epoch: the last step done, -1 for a fresh start.

    Raises:
        ValueError: ``total_iters < 1`` (with no decay phase the lr would be
            0 from the start; torch keeps the base lr forever) or
            ``power <= 0``.

    Example:
        >>> import torch
        >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = PolynomialLR(opt, total_iters=2, power=2.0)
        >>> opt.step()
        >>> s.step()
        >>> s.get_last_lr()
        [0.25]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        total_iters: int = 5,
        power: float = 1.0,
        last_epoch: int = -1,
    ) -> None:
        self.total_iters = _checks.integer("total_iters", total_iters, minimum=1)
        self.power = _checks.real("power", power, low=0, low_open=True)
        schedule = Polynomial(total_steps=self.total_iters, power=self.power)
        self._set_schedules([schedule] * _group_count(optimizer))
        self._setup(optimizer, last_epoch)


def _group_count(optimizer: Any) -> int:
    return len(_groups.check_optimizer(optimizer).param_groups)


class MultiStepLR(FactorScheduler):
    """lr = base_lr * gamma ** (number of milestones <= step).

    Args:
        optimizer: the torch optimizer to drive.
        milestones: steps where the lr is multiplied by ``gamma``, strictly
            increasing positive integers (may be empty).
        gamma: multiplier at each milestone, > 0. Default 0.1.
        last_epoch: the last step done, -1 for a fresh start.

    Raises:
        ValueError: milestones out of order, repeated or < 1 (torch counts a
            repeated milestone twice), or ``gamma <= 0``.

    Example:
        >>> import torch
        >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = MultiStepLR(opt, milestones=[1, 3], gamma=0.5)
        >>> lrs = []
        >>> for _ in range(4):
        ...     lrs.append(s.get_last_lr()[0])
        ...     opt.step()
        ...     s.step()
        >>> lrs
        [1.0, 0.5, 0.5, 0.25]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Iterable[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        self.gamma = _checks.real("gamma", gamma, low=0, low_open=True)
        if isinstance(milestones, (str, bytes)) or not isinstance(milestones, Iterable):
            raise TypeError(
                "milestones must be a list of integers, "
                f"got {type(milestones).__name__}"
            )
        self.milestones = list(milestones)
        if self.milestones:
            schedule = MultiStep(milestones=self.milestones, gamma=self.gamma)
        else:
            schedule = Constant(1.0)
        self._set_schedules([schedule] * _group_count(optimizer))
        self._setup(optimizer, last_epoch)


class ConstantLR(FactorScheduler):
    """lr = base_lr * factor until total_iters, then base_lr.

    With ``total_iters=0`` the lr is the base lr from the start (torch
    stays at ``factor * lr`` forever).

    Args:
        optimizer: the torch optimizer to drive.
        factor: the multiplier before ``total_iters``, in (0, 1].
            Default 1/3.
        total_iters: steps with the reduced lr, >= 0. Default 5.
        last_epoch: the last step done, -1 for a fresh start.

    Raises:
        ValueError: ``factor`` outside (0, 1] (torch accepts 0, then fails
            with ZeroDivisionError at ``total_iters``) or a negative
            ``total_iters``.

    Example:
        >>> import torch
        >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = ConstantLR(opt, factor=0.5, total_iters=2)
        >>> lrs = []
        >>> for _ in range(3):
        ...     lrs.append(s.get_last_lr()[0])
        ...     opt.step()
        ...     s.step()
        >>> lrs
        [0.5, 0.5, 1.0]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        factor: float = 1.0 / 3,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        self.factor = _checks.real("factor", factor, low=0, high=1, low_open=True)
        self.total_iters = _checks.integer("total_iters", total_iters, minimum=0)
        if self.total_iters == 0:
            schedule = Constant(1.0)
        else:
            schedule = PiecewiseConstant(
                boundaries=[self.total_iters], factors=[self.factor, 1.0]
            )
        self._set_schedules([schedule] * _group_count(optimizer))
        self._setup(optimizer, last_epoch)
