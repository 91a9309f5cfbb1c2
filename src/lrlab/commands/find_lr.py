"""``lrlab find-lr``: a learning-rate range test on the bundled MNIST.

    lrlab find-lr --steps 100 -o find-lr.png

It trains the lesson's model (one ``Linear(784, 10)`` layer, plain SGD,
cross-entropy, batches of 100 shuffled training images) while the lr grows
from ``--start-lr`` to ``--end-lr``, then prints the two suggestions of
:func:`lrlab.find_lr.lr_range_test`; ``-o`` also draws the loss against
the lr.
"""

from __future__ import annotations

import argparse
import functools
import inspect
from collections.abc import Iterator
from os.path import exists
from typing import TYPE_CHECKING

from lrlab import find_lr, plotting
from lrlab.commands import (
    CommandError,
    fail,
    output_format,
    positive_float,
    positive_int,
    seed,
    writing,
)

if TYPE_CHECKING:
    import torch

    from lrlab.training import TensorData

__all__ = ["BATCH_SIZE", "MnistBatches", "mnist_tensors", "register", "run"]

PROG = "lrlab find-lr"
BATCH_SIZE = 100
# The model's weights are float32: torch's SGD refuses a larger lr.
FLOAT32_MAX = 3.4028234663852886e38
# A range test is a few hundred steps; a million (1,700 passes over MNIST,
# about ten minutes) is far past any use and still fits in memory.
MAX_STEPS = 1_000_000

_DEFAULTS = {
    name: parameter.default
    for name, parameter in inspect.signature(find_lr.lr_range_test).parameters.items()
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``find-lr`` subcommand to ``subparsers``."""
    parser = subparsers.add_parser(
        "find-lr",
        help="learning-rate range test on MNIST",
        description=(
            "Train the lesson's MNIST model (Linear(784, 10), SGD, batch "
            f"{BATCH_SIZE}) while the lr grows from --start-lr to --end-lr, "
            "and suggest an lr. The model starts from fresh weights each run."
        ),
    )
    parser.add_argument(
        "--start-lr",
        type=positive_float,
        metavar="LR",
        default=_DEFAULTS["start_lr"],
        help=f"first lr (default {_DEFAULTS['start_lr']:g})",
    )
    parser.add_argument(
        "--end-lr",
        type=positive_float,
        metavar="LR",
        default=_DEFAULTS["end_lr"],
        help=f"last lr (default {_DEFAULTS['end_lr']:g})",
    )
    parser.add_argument(
        "--steps",
        type=positive_int,
        default=_DEFAULTS["num_steps"],
        help=(
            f"optimizer steps, 2 to {MAX_STEPS:,} (default {_DEFAULTS['num_steps']})"
        ),
    )
    parser.add_argument(
        "--mode",
        choices=find_lr.MODES,
        default=_DEFAULTS["mode"],
        help=f"how the lr grows (default {_DEFAULTS['mode']})",
    )
    parser.add_argument(
        "--seed",
        type=seed,
        default=0,
        help="seed for the initial weights and the batch order (default 0)",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="draw loss against lr into FILE (.png, .svg or .pdf)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Carry out ``lrlab find-lr``; returns the exit code."""
    try:
        return _run(args)
    except CommandError as error:
        return fail(PROG, error)


def _run(args: argparse.Namespace) -> int:
    _check(args)

    import torch
    from torch import nn
    from torch.nn import functional as F

    from lrlab.data import DataError

    try:
        data = mnist_tensors()
    except DataError as error:
        # As lrlab train reports it: a damaged install, one line.
        raise CommandError(f"bundled data: {error}") from None
    torch.manual_seed(args.seed)
    model = nn.Linear(data.num_features, 10)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.start_lr)
    batches = MnistBatches(data, BATCH_SIZE, args.seed)

    result = find_lr.lr_range_test(
        model,
        optimizer,
        F.cross_entropy,
        batches,
        start_lr=args.start_lr,
        end_lr=args.end_lr,
        num_steps=args.steps,
        mode=args.mode,
    )

    print(_report(args, result))
    if args.output is None:
        return 0
    if len(result.lrs) < 2:
        # Say so: a picture left there by an earlier run is not this one.
        kept = " (the file there is left as it was)" if exists(args.output) else ""
        print(f"note: {args.output} not written: no curve to draw{kept}")
        return 0
    figure = plotting.lr_finder_figure(result)
    with writing(args.output):
        plotting.save_figure(figure, args.output)
    print(f"wrote {args.output}")
    return 0


def _check(args: argparse.Namespace) -> None:
    """Reject bad input before any work, naming the option."""
    if args.start_lr >= args.end_lr:
        raise CommandError(
            f"argument --start-lr: must be less than --end-lr, got "
            f"--start-lr {args.start_lr:g} and --end-lr {args.end_lr:g}"
        )
    for option, value in (("--start-lr", args.start_lr), ("--end-lr", args.end_lr)):
        if value > FLOAT32_MAX:
            raise CommandError(
                f"argument {option}: must be at most {FLOAT32_MAX:.4g} (the "
                f"largest float32, the model's precision), got {value:g}"
            )
    if args.steps < 2:
        raise CommandError(f"argument --steps: must be at least 2, got {args.steps}")
    if args.steps > MAX_STEPS:
        raise CommandError(
            f"argument --steps: must be at most {MAX_STEPS:,}, got {args.steps:,}"
        )
    if args.output is not None:
        output_format(args.output, plotting.IMAGE_FORMATS)


class MnistBatches:
    """Batches of the MNIST training set, in a new shuffled order each pass.

    Each batch is ``(images, labels)``: ``float32`` images of 784 values
    scaled to [0, 1] and ``int64`` labels; a last partial batch is dropped,
    as in ``lrlab train``. Iterating again starts a new pass, so a range
    test longer than an epoch goes on with fresh batches.
    """

    def __init__(self, data: TensorData, batch_size: int, seed: int) -> None:
        import torch

        self.images = data.train_images
        self.labels = data.train_labels
        self.batch_size = batch_size
        self.generator = torch.Generator().manual_seed(seed)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        import torch

        order = torch.randperm(len(self.labels), generator=self.generator)
        last = len(order) - self.batch_size
        for start in range(0, last + 1, self.batch_size):
            index = order[start : start + self.batch_size]
            yield self.images[index].to(torch.float32).div_(255), self.labels[index]


@functools.cache
def mnist_tensors() -> TensorData:
    """The bundled MNIST as tensors, read once per process."""
    from lrlab.data import load_mnist
    from lrlab.training import TensorData

    return TensorData.from_mnist(load_mnist())


def _report(args: argparse.Namespace, result: find_lr.LRFinderResult) -> str:
    lines = [
        f"range test: {len(result.lrs)} of {args.steps} steps, lr "
        f"{args.start_lr:g} -> {args.end_lr:g} ({args.mode}), "
        f"batch {BATCH_SIZE}, seed {args.seed}"
    ]
    if result.diverged:
        lines.append(
            f"stopped early at lr {result.lrs[-1]:.3g}: the loss diverged"
            if result.lrs
            else "stopped at the first step: the loss is not finite"
        )
    if len(result.lrs) < 2:
        lines.append("no suggestion: too few steps before the loss diverged")
        return "\n".join(lines)

    lines += [
        f"suggested lr (steepest descent of the smoothed loss): "
        f"{result.suggested_lr:.3g}",
        f"min-loss lr / 10: {result.min_loss_suggestion:.3g} "
        f"(smoothed loss lowest at lr {result.min_loss_lr:.3g})",
    ]
    return "\n".join(lines)
