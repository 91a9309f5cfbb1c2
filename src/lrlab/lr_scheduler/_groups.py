"""Reading and writing hyperparameters in an optimizer's param groups.

A group value may be a Python number or a 0-dim tensor (torch allows a tensor
lr, e.g. for compiled optimizers). Tensors are written in place with
``fill_`` so that anything holding a reference to them sees the new value;
numbers are replaced.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch.optim import Optimizer

__all__: list[str] = []


def check_optimizer(optimizer: Any) -> Optimizer:
    """Return ``optimizer`` if it is a torch optimizer, else raise TypeError."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}"
        )
    return optimizer


def copy_value(value: Any) -> Any:
    """A copy of a group value that never aliases the group's tensor."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    return value


def read(group: dict[str, Any], key: str) -> float:
    """The value of ``group[key]`` as a Python float."""
    return float(group[key])


def write(group: dict[str, Any], key: str, value: float) -> None:
    """Set ``group[key]`` to ``value``, in place when it holds a tensor."""
    current = group.get(key)
    if isinstance(current, torch.Tensor):
        current.fill_(value)
    else:
        group[key] = value


def values(optimizer: Optimizer, key: str) -> list[Any]:
    """Copies of ``group[key]`` for every group, keeping tensors as tensors."""
    return [copy_value(group[key]) for group in optimizer.param_groups]


def per_group(name: str, value: Any, optimizer: Optimizer, *, check=None) -> list[Any]:
    """One value per param group: a list of that length, or a broadcast scalar.

    ``check(name, item)`` validates each item and returns it (possibly
    converted).
    """
    count = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != count:
            raise ValueError(
                f"{name} must have one value per param group ({count}), "
                f"got {len(value)} values"
            )
        items = list(value)
    else:
        items = [value] * count
    if check is not None:
        items = [check(name, item) for item in items]
    return items


def initial_lrs(optimizer: Optimizer, *, resuming: bool) -> list[float]:
    """The base lr of every group, from its ``initial_lr`` entry.

    A fresh start records each group's current lr as its ``initial_lr`` (when
    the group has none yet); a resume needs the entry to exist already, since
    the current lr has been changed by the schedule.
    """
    for index, group in enumerate(optimizer.param_groups):
        if "initial_lr" in group:
            continue
        if resuming:
            raise KeyError(
                f"param_groups[{index}] has no 'initial_lr': resuming with "
                "last_epoch >= 0 needs the optimizer state saved with the "
                "scheduler (load it with optimizer.load_state_dict first)"
            )
        group["initial_lr"] = copy_value(group["lr"])
    return [read(group, "initial_lr") for group in optimizer.param_groups]


def check_group_count(optimizer: Optimizer, expected: Sequence[Any]) -> None:
    """Raise if param groups were added or removed since construction."""
    count = len(optimizer.param_groups)
    if count != len(expected):
        raise ValueError(
            f"the optimizer has {count} param groups but the scheduler was "
            f"built for {len(expected)}; build a new scheduler after "
            "add_param_group"
        )
