"""What every lrlab scheduler shares: the attachment to an optimizer.

Several schedulers may drive one optimizer at once (torch allows stepping two
of them, and ``ChainedScheduler`` is built on that). lrlab composes them in
closed form: each scheduler is a map ``lr_in -> lr_out`` at its current
state, and the lr written into a param group is the composition of the maps
of every scheduler attached to the optimizer, in the order they were built,
starting from the first one's base lrs. A scheduler that is part of a
container (``SequentialLR``, ``ChainedScheduler``) is reached through that
container. Whenever any of them changes state, the lrs are recomputed from
scratch, so no error accumulates and a resume is exact.
"""

from __future__ import annotations

import warnings
import weakref
from typing import Any

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

from . import _groups

__all__: list[str] = []

_ATTACHED: weakref.WeakKeyDictionary[Optimizer, list[weakref.ref]] = (
    weakref.WeakKeyDictionary()
)


def _live(optimizer: Optimizer) -> list[BaseScheduler]:
    """The schedulers attached to ``optimizer``, forgetting collected ones."""
    refs = _ATTACHED.get(optimizer, [])
    alive = [ref() for ref in refs]
    if any(s is None for s in alive):
        _ATTACHED[optimizer] = [
            ref for ref, s in zip(refs, alive, strict=True) if s is not None
        ]
    return [s for s in alive if s is not None]


_HOOKED: weakref.WeakSet[Optimizer] = weakref.WeakSet()
_STEPPED: weakref.WeakSet[Optimizer] = weakref.WeakSet()


def _mark_stepped(optimizer: Optimizer, args: Any, kwargs: Any) -> None:
    _STEPPED.add(optimizer)


def attach(scheduler: BaseScheduler) -> None:
    """Make ``scheduler`` one of the maps composed on its optimizer."""
    optimizer = scheduler.optimizer
    if optimizer not in _HOOKED:
        optimizer.register_step_post_hook(_mark_stepped)
        _HOOKED.add(optimizer)
    _ATTACHED.setdefault(optimizer, []).append(weakref.ref(scheduler))


def adopt(container: BaseScheduler, children: list[BaseScheduler]) -> None:
    """Replace ``children`` by ``container`` in their optimizer's composition.

    The container takes the place of its earliest attached child.
    """
    for child in children:
        child._container = container
    optimizer = container.optimizer
    top = _live(optimizer)
    ids = {id(child) for child in children}
    kept: list[BaseScheduler] = []
    placed = False
    for scheduler in top:
        if id(scheduler) in ids or scheduler is container:
            if not placed:
                kept.append(container)
                placed = True
            continue
        kept.append(scheduler)
    if not placed:
        kept.append(container)
    _ATTACHED[optimizer] = [weakref.ref(s) for s in kept]


def refresh(optimizer: Optimizer) -> None:
    """Write the composed lrs (and other scheduled values) into the groups."""
    lrs: list[float] | None = None
    for scheduler in _live(optimizer):
        lrs = scheduler._apply(lrs)
        scheduler._write_extras()
    if lrs is None:
        return
    _groups.check_group_count(optimizer, lrs)
    for group, lr in zip(optimizer.param_groups, lrs, strict=True):
        _groups.write(group, "lr", lr)


class BaseScheduler(LRScheduler):
    """Base of the adapter and the drop-in classes (not used directly).

    It subclasses torch's ``LRScheduler`` only so that code checking
    ``isinstance(s, torch.optim.lr_scheduler.LRScheduler)`` accepts lrlab's
    schedulers; none of torch's implementation is used.
    """

    optimizer: Optimizer
    base_lrs: list[float]
    _last_lr: list[Any]
    _container: BaseScheduler | None = None
    _checked_order: bool = False

    def _apply(self, lrs: list[float] | None) -> list[float]:
        """The lrs after this scheduler, given those before it (or None)."""
        raise NotImplementedError

    def _write_extras(self) -> None:
        """Write scheduled values other than the lr (momentum...)."""

    def _advance(self, step: int, metrics: Any = None) -> None:
        """Take one step to ``step`` (with the metric, for a plateau).

        Called by a container that owns this scheduler.
        """
        raise NotImplementedError

    def _seek(self, step: int) -> None:
        """Go to ``step`` without taking a metric (a plateau stays put).

        Called by a container that is built or loaded at ``step``.
        """
        raise NotImplementedError

    def _check_order(self) -> None:
        """Warn if the first ``step()`` comes before any ``optimizer.step()``."""
        if self._checked_order:
            return
        self._checked_order = True
        if self.optimizer not in _STEPPED:
            warnings.warn(
                f"{type(self).__name__}.step() was called before "
                "optimizer.step(): the first value of the schedule is "
                "skipped; call optimizer.step() first",
                UserWarning,
                stacklevel=3,
            )

    def _write(self) -> None:
        if self.optimizer not in _ATTACHED:
            # A copy (deepcopy, pickle) has a new optimizer: attach to it.
            top = self
            while top._container is not None:
                top = top._container
            attach(top)
        refresh(self.optimizer)
        self._last_lr = _groups.values(self.optimizer, "lr")

    def get_last_lr(self) -> list[Any]:
        """The lr of each param group after this scheduler's last update.

        Tensors are returned as copies, so changing them changes nothing.
        """
        return self._last_lr

    def get_lr(self) -> list[float]:
        """The lrs this scheduler alone sets at its current step."""
        return self._apply(None)

    def _apply_base(self, lrs: list[float] | None) -> list[float]:
        return list(self.base_lrs) if lrs is None else lrs
