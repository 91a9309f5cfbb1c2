"""Per-epoch scalars for TensorBoard: lr, train loss and test accuracy.

:class:`EpochLog` writes each epoch's record into one TensorBoard run
folder per schedule, with ``torch.utils.tensorboard.SummaryWriter``, under
the tags ``lr``, ``train_loss`` and ``test_accuracy`` (the names of the
metrics files), with the 1-based epoch as TensorBoard's step. Point
``tensorboard --logdir`` at the parent of the run folders and their lines
share one chart.

The ``tensorboard`` package is optional and slow to import, so this module
imports it only in :func:`summary_writer`; :func:`check_available` tells
beforehand whether it will work.

A log starts with a purge mark at the first epoch it writes (TensorBoard's
``purge_step``): TensorBoard hides whatever earlier event files in the same
folder hold from that epoch on. A fresh run into a used folder therefore
replaces the old curves, and a run resumed from a checkpoint replaces the
epochs its stopped run logged after that checkpoint. The old event files
stay on disk; only their hidden part is ignored.

Note:
    Each epoch is logged just after its checkpoint is saved. A run stopped
    in between (a moment, but a Ctrl-C can land there) resumes after that
    checkpoint, so its log lacks that one epoch, unless the log folder is
    new: a resumed run logs the checkpoint's earlier epochs only into a
    folder that has no event file yet.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrlab.training import EpochRecord

if TYPE_CHECKING:
    from lrlab.checkpoint import Checkpoint

__all__ = [
    "INSTALL_HINT",
    "TAGS",
    "EpochLog",
    "TensorBoardUnavailable",
    "check_available",
    "run_name",
    "summary_writer",
]

TAGS = ("lr", "train_loss", "test_accuracy")
INSTALL_HINT = "pip install tensorboard"
_EVENT_FILES = "events.out.tfevents.*"
_NAME_LENGTH = 80  # characters of the spec kept in a run folder's name


class TensorBoardUnavailable(ImportError):
    """The ``tensorboard`` package is missing or cannot be imported."""


def summary_writer() -> type:
    """``torch.utils.tensorboard.SummaryWriter``, imported now.

    Raises:
        TensorBoardUnavailable: the ``tensorboard`` package is not
            installed, or is installed but cannot be imported; the message
            says which, with the command that installs it.
    """
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as error:
        if error.name == "tensorboard":
            message = f"needs the tensorboard package ({INSTALL_HINT})"
        else:
            message = (
                f"needs a working tensorboard package, got {error} "
                f"({INSTALL_HINT} --upgrade)"
            )
        raise TensorBoardUnavailable(message) from None
    return SummaryWriter


def check_available() -> None:
    """Raise :class:`TensorBoardUnavailable` unless a log can be written."""
    summary_writer()


def run_name(index: int, spec: str, count: int = 1) -> str:
    """A file-system-safe folder name for schedule ``index`` of ``count``.

    The index, zero-padded so that names sort in order, a dash, then the
    spec with each run of characters other than letters, digits and
    ``. = + -`` replaced by one ``_`` (none at either end), cut to 80
    characters. The index keeps names unique.

    >>> run_name(0, "exponential(gamma=0.8)")
    '0-exponential_gamma=0.8'
    >>> run_name(1, "step(step_size=5, gamma=0.5)", count=12)
    '01-step_step_size=5_gamma=0.5'
    >>> run_name(2, "warmup(cosine(total_steps=15), warmup_steps=2)")
    '2-warmup_cosine_total_steps=15_warmup_steps=2'
    """
    width = len(str(max(count - 1, 0)))
    safe = re.sub(r"[^A-Za-z0-9.=+-]+", "_", spec).strip("_")
    return f"{index:0{width}d}-{safe[:_NAME_LENGTH].rstrip('_') or 'schedule'}"


class EpochLog:
    """Write per-epoch records into TensorBoard run folders, one per schedule.

    Args:
        folders: one run folder per schedule, created if missing.
        resume_from: the checkpoint the run continues from, or None for a
            fresh run. The log then starts after the checkpoint's epoch;
            a folder with no event file yet also gets the checkpoint's
            records, so that it holds the whole run.

    Raises:
        TensorBoardUnavailable: as :func:`summary_writer`.
        OSError: a folder cannot be created or written.

    Use it as a context manager, or call :meth:`close`: the events are
    written to disk on :meth:`write` and when it closes.
    """

    def __init__(
        self,
        folders: Sequence[str | Path],
        *,
        resume_from: Checkpoint | None = None,
    ) -> None:
        writer_class = summary_writer()
        done = 0 if resume_from is None else resume_from.epoch
        self._writers: list[Any] = []
        try:
            for index, folder in enumerate(folders):
                folder = Path(folder)
                new = not any(folder.glob(_EVENT_FILES))
                writer = writer_class(str(folder), purge_step=done + 1)
                self._writers.append(writer)
                if resume_from is not None and new:
                    for record in resume_from.records[index]:
                        self._add(writer, record)
        except BaseException:
            self.close()
            raise
        self.flush()

    def write(self, records: Sequence[EpochRecord | None]) -> None:
        """Log one epoch: a record per folder, None for a diverged schedule."""
        if len(records) != len(self._writers):
            raise ValueError(
                f"records must hold one record per folder ({len(self._writers)}), "
                f"got {len(records)}"
            )

        for writer, record in zip(self._writers, records, strict=True):
            if record is not None:
                self._add(writer, record)
        self.flush()

    def flush(self) -> None:
        """Write the pending events to disk."""
        for writer in self._writers:
            writer.flush()

    def close(self) -> None:
        """Write the pending events and close the files; safe to repeat."""
        writers, self._writers = self._writers, []
        for writer in writers:
            writer.close()

    def __enter__(self) -> EpochLog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @staticmethod
    def _add(writer: Any, record: EpochRecord) -> None:
        for tag in TAGS:
            writer.add_scalar(tag, getattr(record, tag), record.epoch)
