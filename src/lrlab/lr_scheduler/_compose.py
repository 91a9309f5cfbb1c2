"""SequentialLR and ChainedScheduler: schedulers made of schedulers."""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

from torch.optim import Optimizer

from . import _base, _checks, _groups
from ._plateau import ReduceLROnPlateau

__all__ = ["ChainedScheduler", "SequentialLR"]


def _needs_metrics(scheduler: Any) -> bool:
    if isinstance(scheduler, ReduceLROnPlateau):
        return True
    return any(_needs_metrics(child) for child in getattr(scheduler, "_schedulers", ()))


def _check_children(
    owner: str, schedulers: Any, optimizer: Optimizer | None
) -> tuple[list[_base.BaseScheduler], Optimizer]:
    if not isinstance(schedulers, Sequence) or isinstance(schedulers, str):
        raise TypeError(
            f"{owner} schedulers must be a list of schedulers, "
            f"got {type(schedulers).__name__}"
        )
    if len(schedulers) == 0:
        raise ValueError(f"{owner} schedulers must hold at least one, got none")
    for index, scheduler in enumerate(schedulers):
        if not isinstance(scheduler, _base.BaseScheduler):
            raise TypeError(
                f"{owner} schedulers[{index}] must be an lrlab.lr_scheduler "
                f"scheduler, got {type(scheduler).__module__}."
                f"{type(scheduler).__name__}"
            )
    if optimizer is None:
        optimizer = schedulers[0].optimizer
    _groups.check_optimizer(optimizer)
    for index, scheduler in enumerate(schedulers):
        if scheduler.optimizer is not optimizer:
            raise ValueError(
                f"{owner} schedulers[{index}] must drive the same optimizer "
                f"as the others, got {type(scheduler).__name__} on another one"
            )
    return list(schedulers), optimizer


def _step_child(child: Any, metrics: Any) -> None:
    if _needs_metrics(child):
        child.step(metrics)
    else:
        child.step()


class ChainedScheduler(_base.BaseScheduler):
    """Apply several schedulers at once: their effects on the lr multiply.

    ``step()`` steps each scheduler in order. When one of them is a
    ``ReduceLROnPlateau`` (torch refuses it; lrlab accepts it), call
    ``step(metric)``: the metric goes to every plateau inside.

    Args:
        schedulers: lrlab schedulers of one optimizer, applied in order.
        optimizer: that optimizer (default: the first scheduler's).

    Raises:
        TypeError: a scheduler that is not from ``lrlab.lr_scheduler``.
        ValueError: no scheduler, or schedulers of different optimizers.
    """

    def __init__(
        self,
        schedulers: Sequence[_base.BaseScheduler],
        optimizer: Optimizer | None = None,
    ) -> None:
        children, optimizer = _check_children("ChainedScheduler", schedulers, optimizer)
        self._schedulers = children
        self.optimizer = optimizer
        _base.adopt(self, children)
        self._write()

    def _apply(self, lrs: list[float] | None) -> list[float]:
        for child in self._schedulers:
            lrs = child._apply(lrs)
        return lrs

    def _write_extras(self) -> None:
        for child in self._schedulers:
            child._write_extras()

    def _advance(self, step: int, metrics: Any = None) -> None:
        for child in self._schedulers:
            child._advance(step, metrics)

    def _seek(self, step: int) -> None:
        for child in self._schedulers:
            child._seek(step)

    def step(self, metrics: Any = None) -> None:
        """Step every scheduler; ``metrics`` goes to the plateaus inside."""
        if metrics is None and _needs_metrics(self):
            raise TypeError(
                "ChainedScheduler contains a ReduceLROnPlateau: call "
                "step(metrics), got no metric"
            )
        if metrics is not None and not _needs_metrics(self):
            raise TypeError(
                "ChainedScheduler.step() takes a metric only when it contains "
                f"a ReduceLROnPlateau, got {metrics!r}"
            )
        for child in self._schedulers:
            _step_child(child, metrics)
        self._write()

    def state_dict(self) -> dict[str, Any]:
        """The state of every scheduler, in order."""
        return {"_schedulers": [child.state_dict() for child in self._schedulers]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore every scheduler and write the lr they give."""
        states = state_dict["_schedulers"]
        if len(states) != len(self._schedulers):
            raise ValueError(
                f"state holds {len(states)} schedulers, this chain has "
                f"{len(self._schedulers)}"
            )
        for child, state in zip(self._schedulers, states, strict=True):
            child.load_state_dict(state)
        self._write()


class SequentialLR(_base.BaseScheduler):
    """Run schedulers one after another, switching at the milestones.

    Scheduler ``i`` runs from step ``milestones[i - 1]`` (0 for the first),
    and starts there from its own step 0. The position is computed from
    ``last_epoch`` alone, so a scheduler rebuilt with ``last_epoch=k``
    continues exactly where an uninterrupted run would be (torch's restarts
    from the first scheduler).

    Args:
        optimizer: the optimizer all the schedulers drive.
        schedulers: lrlab schedulers, in the order they run.
        milestones: steps where the next scheduler takes over, strictly
            increasing, one fewer than ``schedulers``.
        last_epoch: the last step done, -1 for a fresh start.

    Raises:
        TypeError: a scheduler that is not from ``lrlab.lr_scheduler``.
        ValueError: no scheduler, another optimizer, or bad milestones.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        schedulers: Sequence[_base.BaseScheduler],
        milestones: Sequence[int],
        last_epoch: int = -1,
    ) -> None:
        _groups.check_optimizer(optimizer)
        children, optimizer = _check_children("SequentialLR", schedulers, optimizer)
        self._milestones = _check_milestones(milestones, len(children))
        start = _checks.last_epoch(last_epoch)

        self._schedulers = children
        self.optimizer = optimizer
        self.base_lrs = list(getattr(children[0], "base_lrs", []))
        _base.adopt(self, children)
        self._seek(start + 1)
        self._write()

    def _active(self) -> tuple[Any, int]:
        index = bisect_right(self._milestones, self.last_epoch)
        start = self._milestones[index - 1] if index > 0 else 0
        return self._schedulers[index], self.last_epoch - start

    def _activate(self, metrics: Any) -> None:
        child, local = self._active()
        child._advance(local, metrics if local > 0 else None)

    def _apply(self, lrs: list[float] | None) -> list[float]:
        return self._active()[0]._apply(lrs)

    def _write_extras(self) -> None:
        self._active()[0]._write_extras()

    def _advance(self, step: int, metrics: Any = None) -> None:
        self.last_epoch = step
        self._activate(metrics)

    def _seek(self, step: int) -> None:
        self.last_epoch = step
        child, local = self._active()
        child._seek(local)

    def step(self, metrics: Any = None) -> None:
        """Move to the next step; ``metrics`` goes to an active plateau."""
        if metrics is not None and not _needs_metrics(self):
            raise TypeError(
                "SequentialLR.step() takes a metric only when it contains "
                f"a ReduceLROnPlateau, got {metrics!r}"
            )
        self._check_order()
        self.last_epoch += 1
        self._activate(metrics)
        self._write()

    def state_dict(self) -> dict[str, Any]:
        """The current step and the state of every scheduler."""
        return {
            "last_epoch": self.last_epoch,
            "_schedulers": [child.state_dict() for child in self._schedulers],
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the step and every scheduler; write the lr they give."""
        states = state_dict["_schedulers"]
        if len(states) != len(self._schedulers):
            raise ValueError(
                f"state holds {len(states)} schedulers, this SequentialLR has "
                f"{len(self._schedulers)}"
            )
        for child, state in zip(self._schedulers, states, strict=True):
            child.load_state_dict(state)
        self._seek(_checks.integer("last_epoch", state_dict["last_epoch"], minimum=0))
        self._write()


def _check_milestones(milestones: Any, count: int) -> list[int]:
    if not isinstance(milestones, Sequence) or isinstance(milestones, str):
        raise TypeError(
            f"milestones must be a list of integers, got {type(milestones).__name__}"
        )
    if len(milestones) != count - 1:
        raise ValueError(
            "milestones must hold one fewer value than schedulers "
            f"({count - 1}), got {len(milestones)}"
        )
    values = [_checks.integer("milestones", m, minimum=0) for m in milestones]
    for before, after in itertools.pairwise(values):
        if after <= before:
            raise ValueError(
                f"milestones must be strictly increasing, got {list(milestones)}"
            )
    return values
