"""Base of the drop-in classes driven by a step count (all but the plateau).

Such a scheduler's whole state is ``last_epoch``, the index of the current
step (torch's name: it counts whatever the caller steps per, batches or
epochs). The value at a step is computed in closed form from the step, never
from the previous lr, so any step can be reached directly and a resume
continues exactly.
"""

from __future__ import annotations

import warnings
from typing import Any

from torch.optim import Optimizer

from . import _base, _checks, _groups

__all__: list[str] = []


class SteppedScheduler(_base.BaseScheduler):
    """A drop-in scheduler whose lr is a function of ``last_epoch``."""

    last_epoch: int

    def _setup(
        self,
        optimizer: Optimizer,
        last_epoch: Any,
        *,
        base_lrs: list[float] | None = None,
    ) -> None:
        """Attach to ``optimizer`` and take torch's first step.

        The constructor of a torch scheduler moves to step ``last_epoch + 1``
        and writes its lr; so does this one.
        """
        self.optimizer = _groups.check_optimizer(optimizer)
        start = _checks.last_epoch(last_epoch)
        if base_lrs is None:
            base_lrs = _groups.initial_lrs(optimizer, resuming=start >= 0)
        self.base_lrs = base_lrs
        self.last_epoch = start
        self._step_count = 0
        _base.attach(self)
        self._move(start + 1)
        self._step_count = 1
        self._write()

    def _map(self, lrs: list[float], step: int) -> list[float]:
        """The lrs at ``step`` given the lrs this scheduler starts from."""
        raise NotImplementedError

    def _apply(self, lrs: list[float] | None) -> list[float]:
        return self._map(self._apply_base(lrs), self.last_epoch)

    def _move(self, step: int) -> None:
        """Go to ``step`` (without writing anything)."""
        self.last_epoch = step

    def _advance(self, step: int, metrics: Any = None) -> None:
        self._move(step)

    def _seek(self, step: int) -> None:
        self._move(step)

    def step(self, epoch: int | None = None) -> None:
        """Move to the next step and write its lr into the optimizer.

        Call it after ``optimizer.step()``.

        Args:
            epoch: deprecated (as in torch): jump to this step instead.
        """
        self._check_order()
        if epoch is None:
            target = self.last_epoch + 1
        else:
            warnings.warn(
                "step(epoch) is deprecated: call step() once per step, or "
                "load_state_dict({'last_epoch': epoch}) to jump",
                UserWarning,
                stacklevel=2,
            )
            target = _checks.integer("epoch", epoch, minimum=0)
        self._move(target)
        self._step_count += 1
        self._write()

    def state_dict(self) -> dict[str, Any]:
        """The state needed to resume: the current step."""
        return {"last_epoch": self.last_epoch}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Go to the saved step and write its lr into the optimizer.

        A state saved by the matching ``torch.optim.lr_scheduler`` class is
        accepted too: only its ``last_epoch`` entry is read.
        """
        step = _checks.integer("last_epoch", state_dict["last_epoch"], minimum=0)
        self._move(step)
        self._write()


class FactorScheduler(SteppedScheduler):
    """lr = lr_in * factor(step), one pure schedule per param group."""

    def _set_schedules(self, schedules: list[Any]) -> None:
        self._schedules = schedules

    def _map(self, lrs: list[float], step: int) -> list[float]:
        cache: dict[int, float] = {}
        out = []
        for lr, schedule in zip(lrs, self._schedules, strict=True):
            key = id(schedule)
            if key not in cache:
                cache[key] = schedule(step)
            out.append(lr * cache[key])
        return out
