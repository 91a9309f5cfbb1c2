"""The checkpoint options that ``lrlab train`` and ``lrlab compare`` share.

``--checkpoint-dir``, ``--keep-checkpoints``, ``--resume`` and
``--allow-config-change``: their parser entries and their checks, which
end the command with one line naming the option.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from lrlab.checkpoint import (
    Checkpoint,
    CheckpointError,
    CheckpointMismatch,
    CheckpointWarning,
    check_resume,
    checkpoint_files,
    data_fingerprint,
    latest_checkpoint,
)
from lrlab.commands import CommandError, folder_name, positive_int
from lrlab.training import TensorData, TrainConfig

__all__ = [
    "add_checkpoint_options",
    "checkpoint_folder",
    "last_checkpoint",
    "resumed_checkpoint",
]


def add_checkpoint_options(
    parser: argparse.ArgumentParser, schedule: str = "schedule"
) -> None:
    """Add the four checkpoint options; ``schedule`` names what may change."""
    parser.add_argument(
        "--checkpoint-dir",
        type=folder_name,
        metavar="DIR",
        help=(
            "save a checkpoint into DIR after every epoch (weights, schedule, "
            "random states, records so far), created if missing; it must not "
            "hold another run's checkpoints (default: none, or the --resume "
            "folder)"
        ),
    )
    parser.add_argument(
        "--keep-checkpoints",
        type=positive_int,
        default=2,
        metavar="N",
        help="keep the newest N checkpoints, delete older ones (default: 2)",
    )
    parser.add_argument(
        "--resume",
        type=folder_name,
        metavar="DIR",
        help=(
            "continue the run whose checkpoints are in DIR from the newest "
            "one that loads, exactly as if it had not stopped; give the same "
            "options as that run (a larger --epochs extends it) "
            "(default: start afresh)"
        ),
    )
    parser.add_argument(
        "--allow-config-change",
        action="store_true",
        help=(
            f"with --resume: continue even if the {schedule}, lr, batch size, "
            "seed, a smaller --epochs or the data differ from the checkpoint's "
            "(default: off, refused)"
        ),
    )


def resumed_checkpoint(
    prog: str,
    args: argparse.Namespace,
    config: TrainConfig,
    specs: list[str],
    data: TensorData,
) -> Checkpoint | None:
    """The checkpoint to continue from, checked against the options.

    A damaged newer checkpoint is a warning line on stderr; what cannot be
    resumed is a :class:`~lrlab.commands.CommandError`.
    """
    if args.resume is None:
        if args.allow_config_change:
            raise CommandError("argument --allow-config-change: needs --resume")
        return None
    if not args.resume.is_dir():
        problem = "not a folder" if args.resume.exists() else "folder does not exist"
        raise CommandError(f"argument --resume: {problem}, got {str(args.resume)!r}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CheckpointWarning)
        try:
            resumed = latest_checkpoint(args.resume)
        except CheckpointError as error:
            raise CommandError(f"argument --resume: {error}") from None
    for warning in caught:
        print(f"{prog}: warning: {warning.message}", file=sys.stderr)

    try:
        check_resume(
            resumed,
            config,
            specs,
            data_fingerprint(data),
            allow_config_change=args.allow_config_change,
        )
    except CheckpointMismatch as error:
        raise CommandError(
            f"argument --resume: {error}; pass --allow-config-change to continue anyway"
        ) from None
    except CheckpointError as error:
        raise CommandError(f"argument --resume: {error}") from None
    return resumed


def checkpoint_folder(
    args: argparse.Namespace, resumed: Checkpoint | None
) -> Path | None:
    """Where to save: --checkpoint-dir, else the --resume folder."""
    folder = args.checkpoint_dir
    if folder is None:
        return args.resume
    if folder.exists() and not folder.is_dir():
        raise CommandError(
            f"argument --checkpoint-dir: not a directory, got {str(folder)!r}"
        )
    existing = checkpoint_files(folder)
    if existing and not (
        resumed is not None and folder.resolve() == resumed.path.parent.resolve()
    ):
        raise CommandError(
            f"argument --checkpoint-dir: {str(folder)!r} already holds the "
            f"checkpoints of a run (newest {existing[-1].name}); pass --resume "
            f"{folder} to continue it, or choose another folder"
        )
    return folder


def last_checkpoint(folder: Path | None) -> str:
    """Where the last good checkpoint is, for the divergence message."""
    if folder is None:
        return ""
    files = checkpoint_files(folder)
    if not files:
        return "; no checkpoint was written"
    return f"; the last good checkpoint is {files[-1]}"
