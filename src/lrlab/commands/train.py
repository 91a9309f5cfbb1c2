"""``lrlab train``: the classic MNIST lesson under a learning-rate schedule.

    lrlab train --schedule "exponential(gamma=0.8)"
    lrlab train --schedule "step(step_size=5, gamma=0.5)" --metrics run.csv

One ``Linear(784, 10)`` layer, cross-entropy, SGD at ``--lr`` times the
schedule's factor for the epoch, batches of ``--batch-size`` shuffled
images. It prints one line per epoch (epoch, lr, mean training loss, test
accuracy) and the final test accuracy; the output depends only on the
options, never on timing.

    lrlab train --checkpoint-dir runs/a          # a checkpoint per epoch
    lrlab train --resume runs/a                  # continue after a stop

With ``--checkpoint-dir`` it saves a checkpoint after every epoch (see
:mod:`lrlab.checkpoint`); ``--resume`` continues from the newest one that
loads, with the same results as a run that never stopped. Exit status 3
means training diverged (a loss became nan or infinite).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from lrlab import _metrics
from lrlab.commands import CommandError, fail, output_path, positive_int
from lrlab.commands._resume import (
    add_checkpoint_options,
    checkpoint_folder,
    last_checkpoint,
    resumed_checkpoint,
)
from lrlab.commands._tensorboard import (
    add_tensorboard_option,
    check_tensorboard,
    log_epoch,
    open_log,
)
from lrlab.data import MNIST, DataError, load_mnist
from lrlab.spec import format_schedule, parse_schedule
from lrlab.training import (
    EpochRecord,
    TensorData,
    TrainConfig,
    TrainingDiverged,
    train,
)

__all__ = ["DEFAULT_SCHEDULE", "DIVERGED", "register", "run"]

PROG = "lrlab train"
DIVERGED = 3  # exit code: the loss became nan or infinite
DEFAULT_SCHEDULE = "exponential(gamma=0.8)"
_DEFAULTS = TrainConfig()


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``train`` subcommand to ``subparsers``."""
    parser = subparsers.add_parser(
        "train",
        help="train the MNIST lesson under a schedule",
        description=(
            "Train a single-layer perceptron, Linear(784, 10), on MNIST with "
            "SGD and cross-entropy. The lr of epoch e (1-based) is "
            "--lr * schedule(e - 1). Prints one line per epoch and the final "
            "test accuracy."
        ),
        epilog=(
            "Exit status: 0 when training is done, 2 for bad input (one line "
            f"on stderr), {DIVERGED} when training diverged (a loss became nan "
            "or infinite: the message names the epoch, the step and the lr; "
            "the checkpoints and metrics of the epochs before stay), 130 when "
            "interrupted."
        ),
    )
    parser.add_argument(
        "--schedule",
        type=_schedule,
        default=DEFAULT_SCHEDULE,
        metavar="SPEC",
        help=(
            "the schedule, stepped once per epoch, as a spec string such as "
            "'step(step_size=5, gamma=0.5)' "
            f"(default: {DEFAULT_SCHEDULE!r}, the classic lesson)"
        ),
    )
    parser.add_argument(
        "--epochs",
        type=positive_int,
        default=_DEFAULTS.epochs,
        help=f"passes over the training set (default: {_DEFAULTS.epochs})",
    )
    parser.add_argument(
        "--lr",
        type=_lr,
        default=_DEFAULTS.lr,
        help=f"base learning rate, > 0 (default: {_DEFAULTS.lr:g})",
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=_DEFAULTS.batch_size,
        help=(
            "images per SGD step; the last partial batch of an epoch is "
            f"dropped (default: {_DEFAULTS.batch_size})"
        ),
    )
    parser.add_argument(
        "--seed",
        type=_seed,
        default=_DEFAULTS.seed,
        help=(
            "seeds the initial weights and the shuffling; the same seed "
            f"prints the same output (default: {_DEFAULTS.seed})"
        ),
    )
    parser.add_argument(
        "--data-dir",
        type=_directory,
        metavar="DIR",
        help=(
            "read the four MNIST IDX files (raw or .gz) from DIR "
            "(default: the copy bundled with lrlab)"
        ),
    )
    parser.add_argument(
        "--metrics",
        metavar="PATH",
        help=(
            "also write one record per epoch (epoch, lr, train_loss, "
            "test_accuracy, seconds) to PATH, as JSON Lines if it ends in "
            ".jsonl or CSV if it ends in .csv (default: none)"
        ),
    )
    add_checkpoint_options(parser)
    add_tensorboard_option(parser, runs="the run's event files go into DIR")
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="print only the final test accuracy (default: off)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Carry out ``lrlab train``; returns the exit code."""
    try:
        return _run(args)
    except CommandError as error:
        return fail(PROG, error)


def _run(args: argparse.Namespace) -> int:
    metrics = _metrics_path(args.metrics)
    tensorboard = check_tensorboard(args.tensorboard)
    config = TrainConfig(
        epochs=args.epochs, lr=args.lr, batch_size=args.batch_size, seed=args.seed
    )
    mnist = _load(args.data_dir)
    if config.batch_size > len(mnist.train):
        raise CommandError(
            f"argument --batch-size: must be at most the number of training "
            f"images ({len(mnist.train)}), got {config.batch_size}"
        )
    data = TensorData.from_mnist(mnist)
    spec = format_schedule(args.schedule)
    resumed = resumed_checkpoint(PROG, args, config, [spec], data)
    checkpoint_dir = checkpoint_folder(args, resumed)

    # Closing the log writes its last events, also after exit 3 or Ctrl-C.
    log = open_log(tensorboard, resumed=resumed)
    with log or contextlib.nullcontext():
        if not args.quiet:
            print(_header(args, config, mnist))
            if resumed is not None:
                print(f"resuming from {resumed.path} (epoch {resumed.epoch} done)")
            print(
                f"{'epoch':>5}  {'lr':<10}  {'train loss':>10}  {'test accuracy':>13}"
            )
        records: list[EpochRecord] = []

        def on_epoch(record: EpochRecord) -> None:
            records.append(record)
            log_epoch(log, (record,))
            if metrics is not None:
                _write_metrics(metrics, records)
            if not args.quiet:
                print(_row(record), flush=True)

        if resumed is not None:
            resumed.restore_global_rng()
            records.extend(resumed.records[0])
            if metrics is not None:
                _write_metrics(metrics, records)
            if not args.quiet:
                for record in records:
                    print(_row(record))
        try:
            result = train(
                config,
                data,
                args.schedule,
                on_epoch=on_epoch,
                checkpoint_dir=checkpoint_dir,
                keep_checkpoints=args.keep_checkpoints,
                resume_from=resumed,
                allow_config_change=True,  # checked above, with the options' names
            )
        except TrainingDiverged as error:
            print(
                f"{PROG}: error: {error}{last_checkpoint(checkpoint_dir)}",
                file=sys.stderr,
            )
            return DIVERGED
        except BrokenPipeError:
            raise  # the reader of stdout went away: lrlab.cli ends quietly
        except OSError as error:
            reason = error.strerror or str(error)
            folder = str(checkpoint_dir)
            raise CommandError(
                f"argument --checkpoint-dir: cannot write {folder!r}: {reason}"
            ) from None
        print(f"final test accuracy: {result.final_test_accuracy:.4f}")
        return 0


def _header(args: argparse.Namespace, config: TrainConfig, data: MNIST) -> str:
    source = "bundled MNIST" if args.data_dir is None else str(args.data_dir)
    features = data.train.images[0].size
    return (
        f"{source}: {len(data.train)} training, {len(data.test)} test images; "
        f"Linear({features}, 10), SGD, cross-entropy\n"
        f"schedule {format_schedule(args.schedule)}, lr {config.lr:g}, "
        f"{config.epochs} epochs, batch {config.batch_size}, seed {config.seed}"
    )


def _row(record: EpochRecord) -> str:
    return (
        f"{record.epoch:>5}  {record.lr:<10.6g}  {record.train_loss:>10.4f}  "
        f"{record.test_accuracy:>13.4f}"
    )


def _load(data_dir: Path | None) -> MNIST:
    try:
        return load_mnist(data_dir)
    except DataError as error:
        where = "bundled data" if data_dir is None else "argument --data-dir"
        raise CommandError(f"{where}: {error}") from None


def _metrics_path(text: str | None) -> Path | None:
    if text is None:
        return None
    try:
        _metrics.metrics_format(text)
    except ValueError as error:
        raise CommandError(f"argument --metrics: {error}") from None
    return output_path(text, "--metrics")


def _write_metrics(path: Path, records: list[EpochRecord]) -> None:
    try:
        _metrics.write_metrics(path, records)
    except OSError as error:
        reason = error.strerror or str(error)
        raise CommandError(
            f"argument --metrics: cannot write {str(path)!r}: {reason}"
        ) from None


# --- argparse types: each raises ArgumentTypeError with the value received.


def _schedule(text: str):
    try:
        return parse_schedule(text)
    except (ValueError, TypeError) as error:
        message = str(error)
        if text not in message:
            message += f" (in {text!r})"
        raise argparse.ArgumentTypeError(message) from None


def _lr(text: str) -> float:
    try:
        return TrainConfig(lr=float(text)).lr
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a positive number, got {_shown(text, float)}"
        ) from None


def _seed(text: str) -> int:
    try:
        return TrainConfig(seed=int(text)).seed
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be an integer from 0 to 2**63 - 1, got {_shown(text, int)}"
        ) from None


def _shown(text: str, kind: type) -> str:
    """``text`` as received: bare if it reads as a ``kind``, else quoted."""
    try:
        kind(text)
    except ValueError:
        return repr(text)
    return text


def _directory(text: str) -> Path:
    if not text:
        raise argparse.ArgumentTypeError("must name a directory, got ''")
    path = Path(text)
    if not path.is_dir():
        problem = "not a directory" if path.exists() else "directory does not exist"
        raise argparse.ArgumentTypeError(f"{problem}, got {text!r}")
    return path
