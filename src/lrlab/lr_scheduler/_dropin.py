"""Drop-in classes whose lr is the base lr times a factor of the step.

Each holds one pure schedule from ``lrlab.schedules`` (or the user's
function) and writes ``lr_in * factor(last_epoch)``, where ``lr_in`` is the
group's base lr, or the lr of the scheduler before it when composed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch.optim import Optimizer

from ..schedules import Exponential, Step
from . import _checks, _groups
from ._stepped import FactorScheduler, SteppedScheduler

__all__ = ["ExponentialLR", "LambdaLR", "MultiplicativeLR", "StepLR"]

LrLambda = Callable[[int], float]


def _check_lambdas(value: Any, optimizer: Optimizer) -> list[LrLambda]:
    _groups.check_optimizer(optimizer)

    def check(name: str, item: Any) -> LrLambda:
        if not callable(item):
            raise TypeError(
                f"{name} must be a function of the step, got {type(item).__name__}"
            )
        return item

    return _groups.per_group("lr_lambda", value, optimizer, check=check)


class LambdaLR(SteppedScheduler):
    """lr = base_lr * lr_lambda(step), for a function of the integer step.

    Args:
        optimizer: the torch optimizer to drive.
        lr_lambda: a function of the step (an int) returning the factor, or
            one such function per param group.
        last_epoch: the last step done, -1 for a fresh start.

    Raises:
        TypeError: ``lr_lambda`` is not callable.
        ValueError: a list of functions of the wrong length.

    Note:
        The function itself is not part of ``state_dict()`` (torch saves
        the attributes of callable objects; lrlab saves only the step):
        build the scheduler with the same function before loading.

    Example:
        >>> import torch
        >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5)
        >>> s = LambdaLR(opt, lambda step: 1 / (step + 1))
        >>> s.step()
        >>> s.get_last_lr()
        [0.25]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: LrLambda | list[LrLambda],
        last_epoch: int = -1,
    ) -> None:
        self.lr_lambdas = _check_lambdas(lr_lambda, optimizer)
        self._setup(optimizer, last_epoch)

    def _map(self, lrs: list[float], step: int) -> list[float]:
        return [lr * fn(step) for lr, fn in zip(lrs, self.lr_lambdas, strict=True)]


class MultiplicativeLR(SteppedScheduler):
    """Multiply the lr by ``lr_lambda(step)`` at every step.

    ``lr(t) = base_lr * lr_lambda(1) * lr_lambda(2) * ... * lr_lambda(t)``

    This class is a product over the steps by nature, so it keeps the
    running product; it is still computed from the base lr, and jumping to a
    step (``load_state_dict``, ``last_epoch``) recomputes the product, which
    calls ``lr_lambda`` once per step up to there.

    Args:
        optimizer: the torch optimizer to drive.
        lr_lambda: a function of the step (an int) returning the multiplier,
            or one such function per param group.
        last_epoch: the last step done, -1 for a fresh start.

    Raises:
        TypeError: ``lr_lambda`` is not callable.
        ValueError: a list of functions of the wrong length.

    Example:
        >>> import torch
        >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = MultiplicativeLR(opt, lambda step: 0.5)
        >>> s.step(); s.step()
        >>> s.get_last_lr()
        [0.25]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: LrLambda | list[LrLambda],
        last_epoch: int = -1,
    ) -> None:
        self.lr_lambdas = _check_lambdas(lr_lambda, optimizer)
        self._products: list[float] | None = None
        self._setup(optimizer, last_epoch)

    def _move(self, step: int) -> None:
        if self._products is not None and step == self.last_epoch + 1:
            self._products = [
                product * fn(step)
                for product, fn in zip(self._products, self.lr_lambdas, strict=True)
            ]
        else:
            products = [1.0] * len(self.lr_lambdas)
            for k in range(1, step + 1):
                products = [
                    p * fn(k) for p, fn in zip(products, self.lr_lambdas, strict=True)
                ]
            self._products = products
        self.last_epoch = step

    def _map(self, lrs: list[float], step: int) -> list[float]:
        return [lr * p for lr, p in zip(lrs, self._products, strict=True)]


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
        self._set_schedules([schedule] * len(optimizer.param_groups))
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
        >>> s.step(); s.step()
        >>> s.get_last_lr()
        [0.25]
    """

    def __init__(
        self, optimizer: Optimizer, gamma: float, last_epoch: int = -1
    ) -> None:
        self.gamma = _checks.real("gamma", gamma, low=0, low_open=True)
        schedule = Exponential(gamma=self.gamma)
        self._set_schedules(
            [schedule] * len(_groups.check_optimizer(optimizer).param_groups)
        )
        self._setup(optimizer, last_epoch)
