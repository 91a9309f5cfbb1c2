"""``lrlab tune``: search a schedule's hyperparameters with Optuna.

    lrlab tune "step(step_size=int(1, 10), gamma=float(0.1, 0.9))" \\
        --lr "float(1e-3, 1, log)" --trials 40 --epochs 15

Each trial trains the MNIST lesson on the training set less a held-out
validation split and scores the validation accuracy; the best trial is
then trained on the whole training set and tested once. Trials are kept
in --storage, so the same command run again continues the study, and
workers that share a database URL and --study share the work.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from lrlab.commands import CommandError, fail, positive_int, seed
from lrlab.data import DataError, load_mnist
from lrlab.training import TensorData, TrainConfig
from lrlab.tune import PRUNERS, TuneConfig

if TYPE_CHECKING:
    import optuna

    from lrlab.search_space import SearchSpace
    from lrlab.tune import Best, Tuner

__all__ = ["DEFAULT_STORAGE", "register", "run"]

PROG = "lrlab tune"
DEFAULT_STORAGE = "lrlab-tune.db"
INTERRUPTED_CODE = 130
_DEFAULTS = TuneConfig()
_BASE_LR = TrainConfig().lr


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``tune`` subcommand to ``subparsers``."""
    parser = subparsers.add_parser(
        "tune",
        help="search a schedule's hyperparameters with Optuna",
        description=(
            "Search the ranges in a schedule spec (int(low, high), "
            "float(low, high, log), choice(a, b)) for the highest validation "
            "accuracy of the MNIST lesson, then train the best on the whole "
            "training set and test it once. Trials are stored in --storage: "
            "run the same command again to continue, or on several machines "
            "with one database URL to share the work."
        ),
    )
    parser.add_argument(
        "space",
        metavar="SPACE",
        help=(
            "the schedule with ranges where numbers may stand, e.g. "
            "'step(step_size=int(1, 10), gamma=float(0.1, 0.9))'"
        ),
    )
    parser.add_argument(
        "--lr",
        default=repr(_BASE_LR),
        metavar="SPACE",
        help=(
            "base learning rate: a number or a range such as "
            f"'float(1e-3, 1, log)' (default: {_BASE_LR:g})"
        ),
    )
    parser.add_argument(
        "--trials",
        type=positive_int,
        default=_DEFAULTS.trials,
        help=(
            "trials in the whole study, counting those of earlier runs and "
            f"other workers (default: {_DEFAULTS.trials})"
        ),
    )
    parser.add_argument(
        "--epochs",
        type=positive_int,
        default=_DEFAULTS.epochs,
        help=f"epochs of each trial and of the final run (default: {_DEFAULTS.epochs})",
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=_DEFAULTS.batch_size,
        help=f"images per SGD step (default: {_DEFAULTS.batch_size})",
    )
    parser.add_argument(
        "--seed",
        type=seed,
        default=_DEFAULTS.seed,
        help=(
            "seeds the validation split, every trial's weights and shuffling, "
            f"and the sampler (default: {_DEFAULTS.seed})"
        ),
    )
    parser.add_argument(
        "--val-fraction",
        type=_fraction,
        default=_DEFAULTS.val_fraction,
        help=(
            "share of the training set held out to score trials "
            f"(default: {_DEFAULTS.val_fraction:g})"
        ),
    )
    parser.add_argument(
        "--pruner",
        choices=PRUNERS,
        default=_DEFAULTS.pruner,
        help=(
            "median: stop a trial whose accuracy after an epoch is below the "
            "median of earlier trials there (from the 6th trial on); none: "
            f"run every trial to the end (default: {_DEFAULTS.pruner})"
        ),
    )
    parser.add_argument(
        "--storage",
        default=DEFAULT_STORAGE,
        metavar="URL",
        help=(
            "an Optuna storage URL (postgresql://..., sqlite:///...) or a "
            f"SQLite file path (default: {DEFAULT_STORAGE})"
        ),
    )
    parser.add_argument(
        "--study",
        metavar="NAME",
        help="the study's name in the storage (default: the schedule's name)",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="folder for the result files (default: tune-STUDY)",
    )
    parser.add_argument(
        "--train-size",
        type=positive_int,
        metavar="N",
        help="use only the first N training images (default: all)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="read the MNIST IDX files from DIR (default: the bundled copy)",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="print only the result (default: one line per trial too)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Carry out ``lrlab tune``; returns the exit code."""
    try:
        return _run(args)
    except CommandError as error:
        return fail(PROG, error)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return INTERRUPTED_CODE


def _run(args: argparse.Namespace) -> int:
    space = _space(args.space, args.lr)
    _check_storage(args.storage)
    for option, value in (("--study", args.study), ("--out", args.out)):
        if value is not None and not value.strip():
            raise CommandError(f"argument {option}: must not be empty, got {value!r}")
    study_name = args.study or space.schedule_text.strip().split("(")[0].strip()
    try:
        out = _out_folder(args.out or f"tune-{study_name}")
    except CommandError as error:
        if args.out is not None:
            raise
        raise CommandError(
            f"{error} (the default for the study {study_name!r}; give --out DIR)"
        ) from None
    data, label = _data(args.data_dir, args.train_size)

    import optuna

    from lrlab import tune

    optuna.logging.set_verbosity(
        optuna.logging.ERROR if args.quiet else optuna.logging.WARNING
    )
    try:
        config = tune.TuneConfig(
            trials=args.trials,
            epochs=args.epochs,
            batch_size=args.batch_size,
            seed=args.seed,
            val_fraction=args.val_fraction,
            pruner=args.pruner,
        )
        search_data = tune.holdout_split(data, config.val_fraction, config.seed)
    except ValueError as error:
        raise CommandError(f"argument --val-fraction: {error}") from None
    if config.batch_size > len(search_data.train_labels):
        raise CommandError(
            f"argument --batch-size: must be at most the "
            f"{len(search_data.train_labels)} images left for training, "
            f"got {config.batch_size}"
        )
    url = tune.storage_url(args.storage)

    try:
        tuner = tune.Tuner(space, config, url, study_name, data_label=label)
    except tune.StorageError as error:
        raise CommandError(f"argument --storage: {error}") from None
    except tune.StudyMismatchError as error:
        raise CommandError(f"argument --study: {error}") from None
    with tuner:
        return _search(args, tuner, config, data, search_data, out)


def _search(
    args: argparse.Namespace,
    tuner: Tuner,
    config: TuneConfig,
    data: TensorData,
    search_data: TensorData,
    out: Path,
) -> int:
    from lrlab import _tune_files, tune

    study = tuner.study
    before = tune.count_trials(study.get_trials(deepcopy=False))
    if not args.quiet:
        print(
            f"study {study.study_name!r} in {tune.hide_password(args.storage)}: "
            f"{before} of "
            f"{config.trials} trials done; training on "
            f"{len(search_data.train_labels)} images, validating on "
            f"{len(search_data.test_labels)}, {_epochs(config.epochs)} each"
        )

    def on_trial(trial: optuna.trial.FrozenTrial) -> None:
        if not args.quiet:
            print(_trial_line(trial), flush=True)

    try:
        tuner.search(search_data, on_trial=on_trial)
    except KeyboardInterrupt:
        done = tune.count_trials(study.get_trials(deepcopy=False))
        print(
            f"{PROG}: interrupted with {done} of {config.trials} trials in the "
            f"study; run the same command again to continue",
            file=sys.stderr,
        )
        return INTERRUPTED_CODE

    trials = study.get_trials(deepcopy=False)
    if not args.quiet:
        print(_summary(trials))
    running = sum(1 for t in trials if t.state.name == "RUNNING")
    if running and not args.quiet:
        print(
            f"note: {running} trial(s) still running in other workers; run "
            f"the same command again when they end for the final result"
        )

    best = None
    if tuner.best() is not None:
        if not args.quiet:
            print(
                f"training the best trial again on all "
                f"{len(data.train_labels)} training images...",
                flush=True,
            )
        best = tuner.retrain_best(data)
        _print_best(best, len(data.train_labels))
    else:
        print("no trial completed: nothing to retrain")

    import matplotlib

    matplotlib.use("Agg")
    try:
        data_dir = None if args.data_dir is None else str(args.data_dir.resolve())
        # Optuna's plots switch matplotlib to its "ggplot" style for good;
        # keep that to these files, not to later plots in the process.
        with matplotlib.rc_context():
            written = _tune_files.write_results(out, study, config, best, data_dir)
    except OSError as error:
        reason = error.strerror or str(error)
        message = f"argument --out: cannot write {str(out)!r}: {reason}"
        raise CommandError(message) from None
    if not args.quiet:
        for note in written.notes:
            print(f"note: {note}")
        print(f"wrote {', '.join(str(path) for path in written.files)}")
    return 0 if best is not None else 1


def _trial_line(trial: optuna.trial.FrozenTrial) -> str:
    value = "" if trial.value is None else f"{trial.value:.4f}"
    epochs = len(trial.intermediate_values)
    seconds = ""
    if trial.datetime_start and trial.datetime_complete:
        elapsed = trial.datetime_complete - trial.datetime_start
        seconds = f"{elapsed.total_seconds():.1f} s"
    detail = trial.user_attrs.get("error", "")
    if not detail:
        lr = trial.user_attrs.get("lr")
        detail = f"{trial.user_attrs.get('schedule', '')}  lr {lr:.4g}"
    return (
        f"trial {trial.number:>3}  {trial.state.name:<8}  {value:>6}  "
        f"{epochs:>2} ep  {seconds:>7}  {detail}"
    )


def _epochs(count: int) -> str:
    return "1 epoch" if count == 1 else f"{count} epochs"


def _summary(trials: list[optuna.trial.FrozenTrial]) -> str:
    counts: dict[str, int] = {}
    for trial in trials:
        counts[trial.state.name.lower()] = counts.get(trial.state.name.lower(), 0) + 1
    parts = ", ".join(f"{n} {state}" for state, n in counts.items())
    return f"{len(trials)} trials in the study ({parts})"


def _print_best(best: Best, train_images: int) -> None:
    print(f"best trial {best.trial}: {best.schedule}, lr {best.lr:.6g}")
    print(f"validation accuracy {best.val_accuracy:.4f} (search)")
    print(
        f"test accuracy {best.test_accuracy:.4f} "
        f"(trained on all {train_images} training images)"
    )


# --- checks of the options, each naming the option and the value received.


def _space(schedule_text: str, lr_text: str) -> SearchSpace:
    from lrlab.search_space import parse_space

    try:
        parse_space(schedule_text, "1")
    except (ValueError, TypeError) as error:
        raise CommandError(f"argument SPACE: {error}") from None
    try:
        space = parse_space(schedule_text, lr_text)
    except (ValueError, TypeError) as error:
        raise CommandError(f"argument --lr: {error}") from None
    if not space.dimensions():
        raise CommandError(
            f"argument SPACE: nothing to search: neither SPACE nor --lr holds a "
            f"range such as int(1, 10), got {schedule_text!r} and --lr "
            f"{lr_text!r} (lrlab train runs a single schedule)"
        )
    return space


# The first 16 bytes of every SQLite database file.
_SQLITE_HEADER = b"SQLite format 3\x00"


def _check_storage(text: str) -> None:
    """Refuse a storage that would lose the trials or overwrite a file.

    SQLite takes a file shorter than one page for an empty database and
    writes over it, so a small text file given by mistake would be lost.
    """
    if text.startswith("sqlite:///"):
        path_text = text[len("sqlite:///") :]
    elif "://" in text and text != "sqlite://":
        return  # a database server: nothing on this disk to check
    else:
        path_text = "" if text == "sqlite://" else text
    if not path_text.strip() or path_text == ":memory:":
        raise CommandError(
            f"argument --storage: needs a file or a database URL (an in-memory "
            f"database would lose the trials), got {text!r}"
        )
    path = Path(path_text)
    if path.is_dir():
        raise CommandError(f"argument --storage: {text!r} is a folder, not a file")
    try:
        with path.open("rb") as file:
            header = file.read(len(_SQLITE_HEADER))
    except FileNotFoundError:
        return
    except OSError as error:
        raise CommandError(
            f"argument --storage: cannot read {text!r}: {error.strerror}"
        ) from None
    if header and header != _SQLITE_HEADER:
        raise CommandError(
            f"argument --storage: {text!r} exists and is not a SQLite database "
            f"(left as it is)"
        )


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not 0 < value < 1:
        raise argparse.ArgumentTypeError(
            f"must be a number between 0 and 1 (both excluded), got {text!r}"
        )
    return value


def _out_folder(text: str) -> Path:
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise CommandError(f"argument --out: {text!r} exists and is not a folder")
    if not path.parent.is_dir():
        raise CommandError(
            f"argument --out: folder {str(path.parent)!r} does not exist, got {text!r}"
        )
    return path


def _data(data_dir: Path | None, train_size: int | None) -> tuple[TensorData, str]:
    where = "bundled data" if data_dir is None else "argument --data-dir"
    try:
        mnist = load_mnist(data_dir)
    except DataError as error:
        raise CommandError(f"{where}: {error}") from None
    data = TensorData.from_mnist(mnist)

    count = len(data.train_labels)
    if train_size is not None:
        if train_size > count:
            raise CommandError(
                f"argument --train-size: must be at most the {count} training "
                f"images, got {train_size}"
            )
        data = TensorData(
            data.train_images[:train_size],
            data.train_labels[:train_size],
            data.test_images,
            data.test_labels,
        )
    source = "bundled MNIST" if data_dir is None else str(data_dir.resolve())
    if train_size is None:
        return data, f"{source}, {count} training images"
    return data, f"{source}, first {train_size} training images"
