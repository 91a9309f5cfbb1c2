"""Drop-ins driven by the user's function of the step: LambdaLR, MultiplicativeLR."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from torch.optim import Optimizer

from . import _groups
from ._stepped import SteppedScheduler

__all__ = ["LambdaLR", "MultiplicativeLR"]

LrLambda = Callable[[int], float]


def _call(fn: LrLambda, step: int) -> float:
    """``fn(step)`` as a float, which must be a non-negative finite number."""
    value = float(fn(step))
    if not (value >= 0 and math.isfinite(value)):
        raise ValueError(
            f"lr_lambda({step}) must be a non-negative finite number, got {value}"
        )
    return value


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
        >>> opt.step()
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

    def _apply(self, lrs: list[float] | None) -> list[float]:
        # torch's LambdaLR sets the lr from the base lr, whatever the
        # schedulers before it did: in a chain it replaces their lr.
        return self._map(self.base_lrs, self.last_epoch)

    def _map(self, lrs: list[float], step: int) -> list[float]:
        factors = [_call(fn, step) for fn in self.lr_lambdas]
        return [lr * f for lr, f in zip(lrs, factors, strict=True)]


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
        >>> for _ in range(2):
        ...     opt.step()
        ...     s.step()
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
        following = self._products is not None and step == self.last_epoch + 1
        if following and step >= 1:
            self._products = [
                product * _call(fn, step)
                for product, fn in zip(self._products, self.lr_lambdas, strict=True)
            ]
        else:
            products = [1.0] * len(self.lr_lambdas)
            for k in range(1, step + 1):
                products = [
                    p * _call(fn, k)
                    for p, fn in zip(products, self.lr_lambdas, strict=True)
                ]
            self._products = products
        self.last_epoch = step

    def _map(self, lrs: list[float], step: int) -> list[float]:
        return [lr * p for lr, p in zip(lrs, self._products, strict=True)]
