"""Learning-rate range test: train briefly while the lr grows, watch the loss.

Starting from the model's current weights, the test takes ``num_steps``
optimizer steps while the learning rate rises from ``start_lr`` to
``end_lr`` (geometrically or linearly), and records the training loss of
each batch. The loss is smoothed with a bias-corrected exponential moving
average; the test stops early once the smoothed loss exceeds
``diverge_factor`` times the best smoothed loss seen so far.

Two suggestions come out of the curve:

- ``suggested_lr``: the lr where the smoothed loss falls fastest, i.e. the
  most negative slope of the smoothed loss against log(lr);
- ``min_loss_suggestion``: the lr of the lowest smoothed loss, divided
  by 10.

The model and optimizer are handed back exactly as they came in: weights,
buffers, gradients, train/eval mode, optimizer state (momentum buffers,
step counts) and the lr of every param group are restored bit for bit,
and the global random number generators are left as they were.
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

# torch is imported where it is used, so that the command line can read
# this module's defaults without paying for torch.
if TYPE_CHECKING:
    import torch

__all__ = ["LRFinderResult", "lr_range_test", "range_test_lrs"]

MODES = ("exp", "linear")


@dataclass(frozen=True)
class LRFinderResult:
    """What a range test saw, one entry per optimizer step taken.

    Attributes:
        lrs: the learning rate used at each step.
        losses: the raw training loss of each step's batch, measured before
            that step's update.
        smoothed_losses: the bias-corrected exponential moving average of
            ``losses``.
        diverged: True when the test stopped early because the smoothed
            loss passed ``diverge_factor`` times its best value, or the loss
            stopped being finite.
        num_steps: the number of steps the test was asked to take.
    """

    lrs: tuple[float, ...]
    losses: tuple[float, ...]
    smoothed_losses: tuple[float, ...]
    diverged: bool
    num_steps: int

    @property
    def suggested_lr(self) -> float:
        """The lr where the smoothed loss falls fastest against log(lr).

        Raises:
            ValueError: when fewer than 2 steps were recorded.
        """
        self._check_enough_steps()
        log_lrs = np.log(np.asarray(self.lrs, dtype=np.float64))
        with np.errstate(divide="ignore", invalid="ignore"):
            slopes = np.gradient(np.asarray(self.smoothed_losses), log_lrs)
        # Neighbours with the same lr (a range too narrow for its step
        # count) have no slope; they are never the steepest.
        slopes[~np.isfinite(slopes)] = np.inf
        return self.lrs[int(np.argmin(slopes))]

    @property
    def min_loss_lr(self) -> float:
        """The lr at which the smoothed loss was lowest.

        Raises:
            ValueError: when fewer than 2 steps were recorded.
        """
        self._check_enough_steps()
        return self.lrs[int(np.argmin(self.smoothed_losses))]

    @property
    def min_loss_suggestion(self) -> float:
        """``min_loss_lr / 10``: a step back from where the loss bottoms out."""
        return self.min_loss_lr / 10

    def _check_enough_steps(self) -> None:
        if len(self.lrs) < 2:
            raise ValueError(
                f"no lr can be suggested from {len(self.lrs)} recorded "
                f"step(s): the loss diverged at once; lower start_lr"
            )


def range_test_lrs(
    start_lr: float, end_lr: float, num_steps: int, mode: str = "exp"
) -> np.ndarray:
    """The lr of each step of a range test, ``start_lr`` first, ``end_lr`` last.

    ``exp`` spaces the lrs geometrically,
    ``lr_i = start_lr * (end_lr / start_lr) ** (i / (num_steps - 1))``;
    ``linear`` spaces them evenly.

    >>> range_test_lrs(0.001, 10.0, 5).tolist()
    [0.001, 0.01, 0.1, 1.0, 10.0]
    >>> range_test_lrs(1.0, 3.0, 3, mode="linear").tolist()
    [1.0, 2.0, 3.0]
    """
    _check_range(start_lr, end_lr, num_steps, mode)

    if mode == "exp":
        return np.geomspace(start_lr, end_lr, num_steps)
    return np.linspace(start_lr, end_lr, num_steps)


def _check_range(start_lr: float, end_lr: float, num_steps: int, mode: str) -> None:
    for name, value in (("start_lr", start_lr), ("end_lr", end_lr)):
        _check_number(name, value)
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a positive finite number, got {value}")
    if start_lr >= end_lr:
        raise ValueError(
            f"start_lr must be less than end_lr, got start_lr={start_lr} "
            f"and end_lr={end_lr}"
        )
    if isinstance(num_steps, bool) or not isinstance(num_steps, numbers.Integral):
        raise TypeError(f"num_steps must be an integer, got {num_steps!r}")
    if num_steps < 2:
        raise ValueError(f"num_steps must be an integer >= 2, got {num_steps}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")


def _check_number(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")


def lr_range_test(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[Any, Any], torch.Tensor],
    batches: Iterable[Any],
    start_lr: float = 1e-6,
    end_lr: float = 10.0,
    num_steps: int = 100,
    mode: str = "exp",
    smoothing: float = 0.98,
    diverge_factor: float = 4.0,
) -> LRFinderResult:
    """Run a learning-rate range test and hand the model back untouched.

    Step ``i`` sets the lr of every param group to ``lrs[i]`` (see
    :func:`range_test_lrs`), computes ``loss_fn(model(inputs), targets)``
    on the next batch, records it, and takes one optimizer step. The
    smoothed loss after ``i + 1`` losses is
    ``avg_i / (1 - smoothing ** (i + 1))`` with
    ``avg_i = smoothing * avg_(i-1) + (1 - smoothing) * loss_i``.

    Args:
        model: any ``torch.nn.Module``; it is put in train mode for the test.
        optimizer: an optimizer over (some of) the model's parameters.
        loss_fn: ``loss_fn(outputs, targets) -> scalar tensor``.
        batches: an iterable of ``(inputs, targets)`` pairs, e.g. a
            ``DataLoader``. It is iterated again from the start whenever it
            runs out, so a short loader is cycled. Tensors are moved to the
            device of the model's first parameter.
        start_lr: the first lr, > 0. Default 1e-6.
        end_lr: the last lr, > ``start_lr``. Default 10.
        num_steps: how many steps to take (at most), >= 2. Default 100.
        mode: ``"exp"`` (geometric spacing, default) or ``"linear"``.
        smoothing: the moving-average factor in [0, 1); 0 means no
            smoothing. Default 0.98.
        diverge_factor: stop once the smoothed loss exceeds this many times
            its best value so far, > 1. Default 4.

    Returns:
        An :class:`LRFinderResult` with the lrs, raw and smoothed losses and
        the two suggestions.

    Raises:
        ValueError: for a bad argument (the message names it), or when
            ``batches`` yields no batch, or is a one-shot iterator that runs
            out before the test is done.
        TypeError: for an argument of the wrong type.

    Note:
        A step whose loss is NaN or infinite ends the test (as diverged)
        and is not recorded. The smoothed loss trails the raw one: with
        ``smoothing=0.98`` it averages about the last 50 steps, so on a
        100-step test its steepest descent comes late, near where the raw
        loss bottoms out. Use more steps or less smoothing for a closer
        look, or ``min_loss_suggestion``.
    """
    _check_range(start_lr, end_lr, num_steps, mode)
    _check_number("smoothing", smoothing)
    _check_number("diverge_factor", diverge_factor)
    if not (0 <= smoothing < 1):
        raise ValueError(f"smoothing must be in [0, 1), got {smoothing}")
    if not (diverge_factor > 1 and math.isfinite(diverge_factor)):
        raise ValueError(
            f"diverge_factor must be a finite number > 1, got {diverge_factor}"
        )
    lrs = range_test_lrs(start_lr, end_lr, num_steps, mode).tolist()

    with _restored(model, optimizer):
        model.train()
        device = _device_of(model)
        batch_stream = _cycle(batches)
        used_lrs: list[float] = []
        losses: list[float] = []
        smoothed: list[float] = []
        average = 0.0
        best = math.inf
        diverged = False

        for i, lr in enumerate(lrs):
            for group in optimizer.param_groups:
                group["lr"] = lr
            inputs, targets = _to_device(next(batch_stream), device)

            # The loss is measured on the batch before the update it drives.
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), targets)
            value = float(loss.item())
            if not math.isfinite(value):
                diverged = True
                break
            loss.backward()
            optimizer.step()

            # Bias-corrected moving average: the first values are not pulled
            # towards the zero the average starts from.
            average = smoothing * average + (1 - smoothing) * value
            smooth = average / (1 - smoothing ** (i + 1))
            used_lrs.append(lr)
            losses.append(value)
            smoothed.append(smooth)

            # Divergence: the smoothed loss has run away from its best.
            best = min(best, smooth)
            if smooth > diverge_factor * best:
                diverged = True
                break

    return LRFinderResult(
        lrs=tuple(used_lrs),
        losses=tuple(losses),
        smoothed_losses=tuple(smoothed),
        diverged=diverged,
        num_steps=num_steps,
    )


@contextmanager
def _restored(
    model: torch.nn.Module, optimizer: torch.optim.Optimizer
) -> Iterator[None]:
    """Snapshot a model and optimizer, run the body, put them back.

    ``state_dict()`` hands out the live tensors (momentum buffers are
    updated in place), so the snapshots are deep copies.
    """
    import torch

    model_state = copy.deepcopy(model.state_dict())
    optimizer_state = copy.deepcopy(optimizer.state_dict())
    grads = [None if p.grad is None else p.grad.clone() for p in model.parameters()]
    modes = [module.training for module in model.modules()]

    try:
        with torch.random.fork_rng(devices=_cuda_devices(model)):
            yield
    finally:
        model.load_state_dict(model_state)
        optimizer.load_state_dict(optimizer_state)
        for p, grad in zip(model.parameters(), grads, strict=True):
            p.grad = grad
        for module, training in zip(model.modules(), modes, strict=True):
            module.training = training


def _cuda_devices(model: torch.nn.Module) -> list[int]:
    return sorted(
        {p.device.index or 0 for p in model.parameters() if p.device.type == "cuda"}
    )


def _device_of(model: torch.nn.Module) -> torch.device | None:
    for p in model.parameters():
        return p.device
    return None


def _to_device(batch: Any, device: torch.device | None) -> tuple[Any, Any]:
    import torch

    # Only a tuple or list: a tensor of 2 rows or a dict of 2 keys would
    # unpack too, into the wrong things.
    if not isinstance(batch, (tuple, list)):
        raise ValueError(
            f"each batch must be an (inputs, targets) pair, got {type(batch).__name__}"
        )
    if len(batch) != 2:
        raise ValueError(
            f"each batch must be an (inputs, targets) pair, "
            f"got {type(batch).__name__} of length {len(batch)}"
        )
    inputs, targets = batch
    if device is not None:
        if isinstance(inputs, torch.Tensor):
            inputs = inputs.to(device)
        if isinstance(targets, torch.Tensor):
            targets = targets.to(device)
    return inputs, targets


def _cycle(batches: Iterable[Any]) -> Iterator[Any]:
    """Yield from ``batches`` forever, starting it again when it runs out."""
    while True:
        count = 0
        for batch in batches:
            count += 1
            yield batch
        if count == 0:
            raise ValueError(
                "batches must yield at least one batch each time it is "
                "iterated; it yielded none (a one-shot iterator that ran out "
                "cannot be restarted: pass a DataLoader or a list)"
            )
