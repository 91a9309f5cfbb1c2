"""The ``--tensorboard`` option that ``lrlab train`` and ``lrlab compare`` share.

Its parser entry, the checks made before any training starts (the
``tensorboard`` package imports, the folder can be created), and the log
itself, opened once the other options have passed their checks.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lrlab._files import creation_problem
from lrlab.commands import CommandError, folder_name

if TYPE_CHECKING:
    from lrlab.checkpoint import Checkpoint
    from lrlab.tensorboard_log import EpochLog
    from lrlab.training import EpochRecord

__all__ = ["add_tensorboard_option", "check_tensorboard", "log_epoch", "open_log"]

OPTION = "--tensorboard"


def add_tensorboard_option(parser: argparse.ArgumentParser, runs: str) -> None:
    """Add ``--tensorboard DIR``; ``runs`` says where in DIR the runs go."""
    parser.add_argument(
        OPTION,
        type=folder_name,
        metavar="DIR",
        help=(
            "also log lr, train_loss and test_accuracy per epoch for "
            f"TensorBoard, the epoch as its step: {runs}, created if missing. From the "
            "first epoch it logs on, the run replaces what DIR showed; with "
            "--resume that is the epoch after the checkpoint. Needs the "
            "tensorboard package (pip install tensorboard) (default: none)"
        ),
    )


def check_tensorboard(folder: Path | None) -> Path | None:
    """Check, before training, that a log can be written into ``folder``.

    Nothing is written: the ``tensorboard`` package is imported, and
    ``folder`` (or the nearest folder above it that exists) is checked to
    be a folder that accepts new files.

    Raises:
        CommandError: the package is missing, or ``folder`` is a file,
            lies under a file, or cannot be written.
    """
    if folder is None:
        return None
    from lrlab.tensorboard_log import TensorBoardUnavailable, check_available

    try:
        check_available()
    except TensorBoardUnavailable as error:
        raise CommandError(f"argument {OPTION}: {error}") from None

    shown = str(folder)
    if folder.exists() and not folder.is_dir():
        raise CommandError(f"argument {OPTION}: {shown!r} is a file, not a folder")
    problem = creation_problem(folder)
    if problem is not None:
        raise CommandError(f"argument {OPTION}: {problem}, got {shown!r}")
    return folder


def open_log(
    folder: Path | None,
    runs: Sequence[str] | None = None,
    resumed: Checkpoint | None = None,
) -> EpochLog | None:
    """The log in ``folder``: the folder itself, or one subfolder per name.

    Raises:
        CommandError: a folder cannot be created or written.
    """
    if folder is None:
        return None
    from lrlab.tensorboard_log import EpochLog

    folders = [folder] if runs is None else [folder / name for name in runs]
    try:
        return EpochLog(folders, resume_from=resumed)
    except OSError as error:
        reason = error.strerror or str(error)
        raise CommandError(
            f"argument {OPTION}: cannot write {str(folder)!r}: {reason}"
        ) from None


def log_epoch(log: EpochLog | None, records: Sequence[EpochRecord | None]) -> None:
    """Log one epoch's records, if there is a log.

    Raises:
        CommandError: the events cannot be written.
    """
    if log is None:
        return
    try:
        log.write(records)
    except OSError as error:
        reason = error.strerror or str(error)
        where = "" if error.filename is None else f" {str(error.filename)!r}"
        raise CommandError(
            f"argument {OPTION}: cannot write{where}: {reason}"
        ) from None
