"""``lrlab compare``: train the MNIST lesson under several schedules at once.

    lrlab compare "exponential(gamma=0.8)" "step(step_size=5, gamma=0.5)" \\
        "cosine(total_steps=15)" --epochs 15 --out runs/cmp1

Each schedule trains the same model from the same initial weights through
the same batches; they train together as one batched model. Prints a
table (final and best test accuracy, final training loss, time) and
writes metrics, a summary, plots and ``report.html`` into ``--out``.
Settings can come from a TOML file (``--config``, see
:mod:`lrlab.config`); options given on the command line override it.
"""

from __future__ import annotations

import argparse
import contextlib
from datetime import datetime
from pathlib import Path
from typing import Any

from lrlab.commands import CommandError, fail, folder_name, positive_int
from lrlab.commands._progress import epoch_bar
from lrlab.commands._resume import (
    add_checkpoint_options,
    checkpoint_folder,
    resumed_checkpoint,
)
from lrlab.commands._tensorboard import (
    add_tensorboard_option,
    check_tensorboard,
    log_epoch,
    open_log,
)
from lrlab.config import CompareConfig, ConfigError, canonical_spec, read_config
from lrlab.spec import format_schedule, parse_schedule
from lrlab.tensorboard_log import run_name
from lrlab.training import EpochRecord, TensorData, TrainConfig

__all__ = ["format_table", "register", "run"]

PROG = "lrlab compare"
DIVERGED = 3  # exit code: every schedule diverged
_DEFAULTS = TrainConfig()


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``compare`` subcommand to ``subparsers``."""
    parser = subparsers.add_parser(
        "compare",
        help="train the MNIST lesson under several schedules and compare them",
        description=(
            "Train Linear(784, 10) on MNIST under each schedule, from the same "
            "initial weights through the same batches, so that the schedule "
            "is the only difference. Prints a table and writes metrics, plots "
            "and report.html into --out."
        ),
        epilog=(
            "A schedule whose loss becomes nan or infinite stops there (the "
            "table says where) and the others go on. Exit status: 0 when done, "
            f"2 for bad input, {DIVERGED} when every schedule diverged (the "
            "report is written all the same), 130 when interrupted."
        ),
    )
    parser.add_argument(
        "specs",
        nargs="*",
        metavar="SPEC",
        help=(
            "a schedule, stepped once per epoch, as a spec string such as "
            "'cosine(total_steps=15)'; these replace the schedules of --config"
        ),
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help=(
            "read settings and schedules from a TOML file; options given here "
            "override it (see docs/compare.md)"
        ),
    )
    parser.add_argument(
        "--epochs",
        type=positive_int,
        help=f"passes over the training set (default: {_DEFAULTS.epochs})",
    )
    parser.add_argument(
        "--lr",
        type=_lr,
        help=f"base learning rate, > 0 (default: {_DEFAULTS.lr:g})",
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        help=f"images per SGD step (default: {_DEFAULTS.batch_size})",
    )
    parser.add_argument(
        "--seed",
        type=_seed,
        help=(
            "seeds the initial weights and the shuffling, shared by all "
            f"schedules (default: {_DEFAULTS.seed})"
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
        "--out",
        metavar="DIR",
        type=folder_name,
        help=(
            "output folder, created if missing "
            "(default: runs/compare-YYYYMMDD-HHMMSS, the current time)"
        ),
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace a previous run in --out (only once the new one is complete)",
    )
    add_checkpoint_options(parser, schedule="schedules")
    add_tensorboard_option(
        parser,
        runs=(
            "one run folder per schedule in DIR, named by its index and spec, "
            "e.g. 0-exponential_gamma=0.8"
        ),
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="print only the table and the report's path, no progress bar",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Carry out ``lrlab compare``; returns the exit code."""
    try:
        return _run(args)
    except CommandError as error:
        return fail(PROG, error)


def _run(args: argparse.Namespace) -> int:
    from lrlab.compare import (
        OutputFolderError,
        check_output_folder,
        run_comparison,
        write_comparison,
    )

    settings = _file_settings(args.config)
    config = _config(args, settings)
    out = Path(args.out or settings.get("out") or _default_out())
    try:
        check_output_folder(out, overwrite=args.overwrite)
    except OutputFolderError as error:
        raise CommandError(f"argument --out: {error}") from None
    tensorboard = _tensorboard_folder(args.tensorboard, out)
    if args.data_dir is not None:
        source = "argument --data-dir"
    elif "data_dir" in settings:
        source = "argument --config: data_dir"
    else:
        source = "bundled data"
    data = _load(config.data_dir, source)

    if config.batch_size > len(data.train):
        where = "--batch-size" if args.batch_size is not None else "--config"
        name = "" if args.batch_size is not None else "batch_size "
        raise CommandError(
            f"argument {where}: {name}must be at most the number of training "
            f"images ({len(data.train)}), got {config.batch_size}"
        )

    resumed = None
    if args.resume is not None:
        specs = [format_schedule(parse_schedule(spec)) for spec in config.schedules]
        tensors = TensorData.from_mnist(data)
        resumed = resumed_checkpoint(PROG, args, config.train_config(), specs, tensors)
    elif args.allow_config_change:
        raise CommandError("argument --allow-config-change: needs --resume")
    checkpoint_dir = checkpoint_folder(args, resumed)

    if not args.quiet:
        print(_header(config, data))
        if resumed is not None:
            print(f"resuming from {resumed.path} (epoch {resumed.epoch} done)")
    if resumed is not None:
        resumed.restore_global_rng()
    done = 0 if resumed is None else resumed.epoch
    runs = [
        run_name(index, spec, len(config.schedules))
        for index, spec in enumerate(config.schedules)
    ]
    log = open_log(tensorboard, runs, resumed)
    # Closing the log writes its last events, also after Ctrl-C.
    with (
        log or contextlib.nullcontext(),
        epoch_bar(
            config.epochs - done, description="compare", enabled=not args.quiet
        ) as bar,
    ):

        def on_epoch(records: tuple[EpochRecord | None, ...]) -> None:
            log_epoch(log, records)
            best = max(r.test_accuracy for r in records if r is not None)
            bar.set_postfix_str(f"best test accuracy {best:.4f}", refresh=False)
            bar.update(1)

        try:
            comparison = run_comparison(
                config,
                data,
                on_epoch=on_epoch,
                checkpoint_dir=checkpoint_dir,
                keep_checkpoints=args.keep_checkpoints,
                resume_from=resumed,
                allow_config_change=True,  # checked above, with the options' names
            )
        except ValueError as error:  # a schedule gave a negative factor
            raise CommandError(f"argument SPEC: {error}") from None
        except BrokenPipeError:
            raise
        except OSError as error:
            reason = error.strerror or str(error)
            raise CommandError(
                f"argument --checkpoint-dir: cannot write {str(checkpoint_dir)!r}: "
                f"{reason}"
            ) from None

    print(format_table(comparison))
    try:
        files = write_comparison(comparison, out, overwrite=args.overwrite)
    except OutputFolderError as error:
        raise CommandError(f"argument --out: {error}") from None
    except OSError as error:
        reason = error.strerror or str(error)
        message = f"argument --out: cannot write {str(out)!r}: {reason}"
        raise CommandError(message) from None
    print(f"wrote {files[-1]}")
    if all(result.divergence is not None for result in comparison.results):
        return DIVERGED
    return 0


def format_table(comparison: Any) -> str:
    """The side-by-side table that ``lrlab compare`` prints."""
    width = max(len("schedule"), *(len(r.spec) for r in comparison.results))
    lines = [
        f"{'schedule':<{width}}  {'final acc':>9}  {'best acc (epoch)':>16}  "
        f"{'final loss':>10}  {'time s':>6}"
    ]
    for result in comparison.results:
        best = f"{result.best_test_accuracy:.4f} ({result.best_epoch})"
        lines.append(
            f"{result.spec:<{width}}  {result.final_test_accuracy:>9.4f}  "
            f"{best:>16}  {result.final_train_loss:>10.4f}  {result.seconds:>6.1f}"
        )
    for result in comparison.results:
        if result.divergence is not None:
            lines.append(f"{result.spec}: {result.divergence}")
    count = len(comparison.results)
    if count == 1:
        lines.append(f"trained in {comparison.seconds:.1f} s")
    else:
        lines.append(
            f"{count} schedules trained together in {comparison.seconds:.1f} s; "
            f"time s is each one's share"
        )
    return "\n".join(lines)


def _file_settings(path: str | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        return read_config(path)
    except ConfigError as error:
        raise CommandError(f"argument --config: {error}") from None


def _config(args: argparse.Namespace, settings: dict[str, Any]) -> CompareConfig:
    """The file's settings with the command line's options on top."""
    if args.specs:
        try:
            schedules = tuple(canonical_spec(text, "SPEC") for text in args.specs)
        except ConfigError as error:
            raise CommandError(f"argument {error}") from None
        option = "SPEC"
    else:
        schedules = settings.get("schedules", ())
        option = "--config"
    if not schedules:
        raise CommandError(
            "argument SPEC: give at least one schedule (or schedules in "
            "--config), got none"
        )

    values = {
        key: settings[key]
        for key in ("epochs", "lr", "batch_size", "seed", "data_dir", "title")
        if key in settings
    }
    for key in ("epochs", "lr", "batch_size", "seed", "data_dir"):
        value = getattr(args, key)
        if value is not None:
            values[key] = str(value.resolve()) if key == "data_dir" else value
    try:
        return CompareConfig(schedules=schedules, **values)
    except ConfigError as error:
        raise CommandError(f"argument {option}: {error}") from None


def _tensorboard_folder(folder: Path | None, out: Path) -> Path | None:
    """The --tensorboard folder, checked; never inside --out, which is replaced."""
    folder = check_tensorboard(folder)
    if folder is None:
        return None
    inside = folder.resolve()
    if inside == out.resolve() or out.resolve() in inside.parents:
        raise CommandError(
            f"argument --tensorboard: must not be inside --out {str(out)!r}, "
            f"got {str(folder)!r}"
        )
    return folder


def _header(config: CompareConfig, data: Any) -> str:
    source = config.data_dir or "bundled MNIST"
    features = data.train.images[0].size
    count = len(config.schedules)
    return (
        f"{source}: {len(data.train)} training, {len(data.test)} test images; "
        f"Linear({features}, 10), SGD, cross-entropy\n"
        f"{count} schedule{'s' if count > 1 else ''}, lr {config.lr:g}, "
        f"{config.epochs} epochs, batch {config.batch_size}, seed {config.seed}"
    )


def _load(data_dir: str | None, source: str) -> Any:
    from lrlab.data import DataError, load_mnist

    try:
        return load_mnist(data_dir)
    except DataError as error:
        raise CommandError(f"{source}: {error}") from None


def _default_out() -> str:
    return f"runs/compare-{datetime.now().strftime('%Y%m%d-%H%M%S')}"


# --- argparse types: each raises ArgumentTypeError with the value received.


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
