"""Time per step: a pure schedule on 10**6 steps at once vs torch stepping.

For each curve (cosine, one-cycle, exponential, warmup + cosine) this
prints the time per step of

- ``vector``: the schedule evaluated on ``np.arange(10**6)`` in one call;
- ``scalar``: the schedule called once per step with a Python int (how a
  training loop driving it step by step uses it);
- ``torch``: the matching ``torch.optim.lr_scheduler`` class stepped one
  step at a time (``scheduler.step()``), over fewer steps because it is
  slow, with the per-step time extrapolated;

and the ratios torch / vector and torch / scalar (above 1: the pure
schedule is faster). It also prints the largest relative difference
between the two curves on the steps torch ran. (``exponential`` is slower
than the others in one call because it rounds ``gamma ** t`` exactly as
Python's ``**`` does, one ``pow`` per distinct step.)

A scalar call at a whole step evaluates a block of steps at once and keeps
it (``Schedule`` explains), so ``scalar`` is mostly a look-up. The
``fractional`` column calls at ``step + 0.5`` instead, which takes the
plain path (numpy on a one-element array): what every scalar call cost
before the blocks, and what non-whole steps still cost (the torch adapter
with ``steps_per_epoch``).

Usage: python bench/bench_schedules.py [--steps N] [--torch-steps N]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import torch
from torch.optim import lr_scheduler

from lrlab.schedules import Cosine, Exponential, OneCycle, Schedule, Warmup


def best_of(repeats: int, fn) -> float:
    """The shortest of ``repeats`` timings of ``fn()``, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def torch_curve(make, steps: int) -> tuple[float, np.ndarray]:
    """Step a torch scheduler ``steps`` times; return seconds and the lrs."""
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = make(optimizer)
        lrs = np.empty(steps)
        start = time.perf_counter()
        for step in range(steps):
            lrs[step] = optimizer.param_groups[0]["lr"]
            scheduler.step()
        seconds = time.perf_counter() - start
    return seconds, lrs


def cases(steps: int):
    """(label, pure schedule, torch scheduler factory) for each curve."""
    warmup = steps // 100

    def sequential(optimizer):
        ramp = lr_scheduler.LinearLR(optimizer, 1e-8, 1.0, total_iters=warmup)
        decay = lr_scheduler.CosineAnnealingLR(optimizer, steps - warmup)
        return lr_scheduler.SequentialLR(optimizer, [ramp, decay], [warmup])

    yield (
        "cosine",
        Cosine(total_steps=steps),
        lambda o: lr_scheduler.CosineAnnealingLR(o, steps),
    )
    yield (
        "one_cycle",
        OneCycle(total_steps=steps),
        lambda o: lr_scheduler.OneCycleLR(
            o, max_lr=1.0, total_steps=steps, cycle_momentum=False
        ),
    )
    yield (
        "exponential",
        Exponential(gamma=0.99999),
        lambda o: lr_scheduler.ExponentialLR(o, 0.99999),
    )
    yield (
        "warmup+cosine",
        Warmup(Cosine(total_steps=steps - warmup), warmup, start_factor=1e-8),
        sequential,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10**6)
    parser.add_argument("--torch-steps", type=int, default=20_000)
    parser.add_argument("--scalar-steps", type=int, default=20_000)
    args = parser.parse_args()

    t = np.arange(args.steps)
    print(f"{args.steps} steps at once; torch stepped {args.torch_steps} times")
    header = f"{'schedule':<14} {'vector':>10} {'scalar':>10} {'fractional':>10}"
    header += f" {'torch':>10} {'torch/vector':>13} {'torch/scalar':>13}"
    print(header + f" {'torch/fract.':>13} {'max rel diff':>13}")
    few = args.scalar_steps // 10
    for label, schedule, make in cases(args.steps):
        vector = best_of(3, lambda s=schedule: s(t)) / args.steps
        scalar = best_of(1, lambda s=schedule: _loop(s, args.scalar_steps))
        scalar /= args.scalar_steps
        fractional = best_of(1, lambda s=schedule: _loop(s, few, 0.5)) / few
        seconds, lrs = torch_curve(make, args.torch_steps)
        per_torch = seconds / args.torch_steps

        ours = schedule(t[: args.torch_steps])
        diff = np.max(np.abs(ours - lrs) / np.maximum(np.abs(lrs), 1e-300))
        print(
            f"{label:<14} {vector * 1e9:>8.1f}ns {scalar * 1e6:>8.2f}us "
            f"{fractional * 1e6:>8.2f}us {per_torch * 1e6:>8.2f}us "
            f"{per_torch / vector:>12.0f}x {per_torch / scalar:>12.1f}x "
            f"{per_torch / fractional:>12.2f}x {diff:>13.1e}"
        )


def _loop(schedule: Schedule, steps: int, offset: float = 0) -> None:
    for step in range(steps):
        schedule(step + offset)


if __name__ == "__main__":
    main()
