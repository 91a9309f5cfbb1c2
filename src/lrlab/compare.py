"""Compare schedules: train the MNIST lesson under each, side by side.

Every schedule trains the same model on the same data, from the same
initial weights and through the same batches in the same order, so that
the schedule is the only difference. The models train together as one
batched model (:func:`lrlab.training.train_many`), which costs much less
than one run each.

:func:`run_comparison` trains and returns the results; it never prints.
:func:`write_comparison` writes them into an output folder:

- ``metrics.csv`` and ``metrics.jsonl``: one row per schedule and epoch
  (schedule, epoch, lr, train_loss, test_accuracy, seconds);
- ``summary.json``: the settings, versions and one summary per schedule;
- ``config.toml``: the settings, for ``lrlab compare --config`` to repeat
  the run;
- ``lr.png``, ``train_loss.png``, ``test_accuracy.png``: one line per
  schedule against epochs;
- ``report.html``: one page with the table and the plots, which opens
  offline.

The folder is built beside the target under a temporary name and renamed
into place once complete, so an interrupted or failed run never leaves a
half-written report behind, and an old run it replaces stays whole until
then.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from lrlab._files import creation_problem, default_mode
from lrlab.config import CompareConfig
from lrlab.data import MNIST, load_mnist
from lrlab.spec import parse_schedule
from lrlab.training import Divergence, EpochRecord, TensorData, train_many

if TYPE_CHECKING:
    from lrlab.checkpoint import Checkpoint

__all__ = [
    "FILES",
    "METRIC_FIELDS",
    "Comparison",
    "OutputFolderError",
    "ScheduleResult",
    "check_output_folder",
    "run_comparison",
    "write_comparison",
]

METRIC_FIELDS = ("schedule", "epoch", "lr", "train_loss", "test_accuracy", "seconds")
# The files of a run, report.html last: it is what marks a run as complete.
FILES = (
    "metrics.csv",
    "metrics.jsonl",
    "summary.json",
    "config.toml",
    "lr.png",
    "train_loss.png",
    "test_accuracy.png",
    "report.html",
)
_RUN_MARKERS = ("summary.json", "report.html")


class OutputFolderError(ValueError):
    """An output folder that cannot be used; the message says why."""


@dataclass(frozen=True)
class ScheduleResult:
    """One schedule's run: its canonical spec and its per-epoch records.

    A schedule that diverged (a loss became nan or infinite) has the
    records of the epochs before and ``divergence`` says where; if it
    diverged in the first epoch, its values are nan and its best epoch 0.
    """

    spec: str
    records: tuple[EpochRecord, ...]
    divergence: Divergence | None = None

    @property
    def final_test_accuracy(self) -> float:
        return self.records[-1].test_accuracy if self.records else math.nan

    @property
    def best_epoch(self) -> int:
        """The first epoch with the highest test accuracy (1-based)."""
        if not self.records:
            return 0
        best = max(self.records, key=lambda record: record.test_accuracy)
        return best.epoch

    @property
    def best_test_accuracy(self) -> float:
        if not self.records:
            return math.nan
        return self.records[self.best_epoch - 1].test_accuracy

    @property
    def final_train_loss(self) -> float:
        return self.records[-1].train_loss if self.records else math.nan

    @property
    def seconds(self) -> float:
        """This schedule's share of the training time."""
        return sum(record.seconds for record in self.records)

    def summary(self) -> dict[str, object]:
        return {
            "schedule": self.spec,
            "final_test_accuracy": self.final_test_accuracy,
            "best_test_accuracy": self.best_test_accuracy,
            "best_epoch": self.best_epoch,
            "final_train_loss": self.final_train_loss,
            "seconds": self.seconds,
            "diverged": None if self.divergence is None else str(self.divergence),
        }


@dataclass(frozen=True)
class Comparison:
    """The results of all schedules and what is needed to repeat them.

    Attributes:
        config: the settings, schedules included.
        results: one per schedule, in the order of ``config.schedules``.
        seconds: wall time of the training, all schedules together.
        started: when training started, ISO 8601 in UTC.
        versions: of lrlab, torch, numpy and Python.
        data_source: the folder the MNIST files were read from.
    """

    config: CompareConfig
    results: tuple[ScheduleResult, ...]
    seconds: float
    started: str
    versions: Mapping[str, str] = field(default_factory=dict)
    data_source: str = ""

    def summary(self) -> dict[str, object]:
        """What ``summary.json`` holds."""
        return {
            "config": self.config.as_dict(),
            "versions": dict(self.versions),
            "data_source": self.data_source,
            "started": self.started,
            "seconds": self.seconds,
            "results": [result.summary() for result in self.results],
        }


def run_comparison(
    config: CompareConfig,
    data: TensorData | MNIST | None = None,
    *,
    on_epoch: Callable[[tuple[EpochRecord | None, ...]], None] | None = None,
    checkpoint_dir: str | Path | None = None,
    keep_checkpoints: int = 2,
    resume_from: Checkpoint | None = None,
    allow_config_change: bool = False,
) -> Comparison:
    """Train the lesson under every schedule of ``config``, together.

    Args:
        config: the settings and the schedules.
        data: the dataset; None loads it from ``config.data_dir`` (or the
            bundled copy).
        on_epoch: called after each epoch with one record per schedule
            (None for a schedule that has diverged).
        checkpoint_dir, keep_checkpoints, resume_from, allow_config_change:
            save a checkpoint of all models after every epoch, or continue
            from one, as :func:`lrlab.training.train_many` does.

    A schedule whose loss becomes nan or infinite stops there and the
    others go on (see :class:`ScheduleResult`).

    Raises:
        lrlab.data.DataError: the data cannot be loaded.
        ValueError: a schedule gives a bad factor, or the batch size is
            larger than the training set.
    """
    schedules = [parse_schedule(spec) for spec in config.schedules]
    source = ""
    if data is None:
        data = load_mnist(config.data_dir)
    if isinstance(data, MNIST):
        source = str(data.source)
        data = TensorData.from_mnist(data)

    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    start = time.perf_counter()
    runs = train_many(
        config.train_config(),
        data,
        schedules,
        on_epoch=on_epoch,
        checkpoint_dir=checkpoint_dir,
        keep_checkpoints=keep_checkpoints,
        resume_from=resume_from,
        allow_config_change=allow_config_change,
    )
    seconds = time.perf_counter() - start

    results = tuple(
        ScheduleResult(spec, run.records, run.divergence)
        for spec, run in zip(config.schedules, runs, strict=True)
    )
    return Comparison(
        config=config,
        results=results,
        seconds=seconds,
        started=started,
        versions=_versions(),
        data_source=source,
    )


def check_output_folder(out: str | Path, *, overwrite: bool = False) -> Path:
    """Check that a run can be written to ``out``, before training starts.

    ``out`` may be missing (it is created, with its parents), an empty
    folder, or, with ``overwrite``, the folder of a previous run. A folder
    holding anything else is never replaced.

    Raises:
        OutputFolderError: ``out`` is a file, holds a previous run (and
            ``overwrite`` is false), holds other files, or its parent
            cannot be written to.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputFolderError(f"{str(out)!r} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not _is_run(out):
            raise OutputFolderError(
                f"{str(out)!r} holds files that are not an lrlab compare run; "
                f"choose a new or empty folder"
            )
        if not overwrite:
            raise OutputFolderError(
                f"{str(out)!r} holds a previous run; use --overwrite to replace it"
            )

    problem = creation_problem(out.absolute().parent)
    if problem is not None:
        raise OutputFolderError(problem)
    return out


def write_comparison(
    comparison: Comparison,
    out: str | Path,
    *,
    overwrite: bool = False,
) -> list[Path]:
    """Write the files of a run into ``out``, all or none.

    The files are written into a new folder beside ``out``, which is then
    renamed to ``out``; an old run there (``overwrite``) is removed only
    after that.

    Returns:
        The paths of the files written, ``report.html`` last.

    Raises:
        OutputFolderError: as :func:`check_output_folder`.
        OSError: the files cannot be written; nothing is left behind.
    """
    from lrlab import report

    out = check_output_folder(out, overwrite=overwrite)
    parent = out.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)

    staging = Path(tempfile.mkdtemp(dir=parent, prefix=f".{out.name}.", suffix=".new"))
    try:
        files = _file_contents(comparison, report)
        for name, data in files.items():
            (staging / name).write_bytes(data)
        os.chmod(staging, default_mode(0o777))
        _swap_into_place(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [out / name for name in files]


def _file_contents(comparison: Comparison, report: ModuleType) -> dict[str, bytes]:
    images = report.plot_images(comparison)
    files = {
        "metrics.csv": _metrics_csv(comparison).encode(),
        "metrics.jsonl": _metrics_jsonl(comparison).encode(),
        "summary.json": (_json(comparison.summary(), indent=2) + "\n").encode(),
        "config.toml": comparison.config.to_toml().encode(),
        **{f"{name}.png": data for name, data in images.items()},
    }
    files["report.html"] = report.render_html(comparison, images).encode()
    return files


def _swap_into_place(staging: Path, out: Path) -> None:
    """Rename ``staging`` to ``out``; an old ``out`` goes once that is done."""
    if not out.exists():
        os.rename(staging, out)
        return
    old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".old"))
    os.rmdir(old)
    os.rename(out, old)
    try:
        os.rename(staging, out)
    except BaseException:
        os.rename(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _metrics_rows(comparison: Comparison) -> list[dict[str, object]]:
    return [
        {
            "schedule": result.spec,
            **{name: getattr(record, name) for name in METRIC_FIELDS[1:]},
        }
        for result in comparison.results
        for record in result.records
    ]


def _metrics_csv(comparison: Comparison) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=METRIC_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(_metrics_rows(comparison))
    return buffer.getvalue()


def _metrics_jsonl(comparison: Comparison) -> str:
    return "".join(_json(row) + "\n" for row in _metrics_rows(comparison))


def _json(value: object, indent: int | None = None) -> str:
    """Strict JSON: a loss that overflowed (nan, inf) is written as null."""
    return json.dumps(_finite(value), indent=indent, allow_nan=False)


def _finite(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def _is_run(folder: Path) -> bool:
    return any((folder / name).is_file() for name in _RUN_MARKERS)


def _versions() -> dict[str, str]:
    import numpy
    import torch

    from lrlab import __version__

    return {
        "lrlab": __version__,
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "python": platform.python_version(),
    }
