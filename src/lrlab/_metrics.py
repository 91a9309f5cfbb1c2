"""Per-epoch metrics files: JSON Lines or CSV, chosen by the extension.

Each record has the fields of :class:`lrlab.training.EpochRecord`: epoch,
lr, train_loss, test_accuracy, seconds. Floats are written in full (the
shortest text that reads back to the same float), so the lr in the file
equals the lr used. The file is replaced atomically: it is written to a
temporary file in the same folder, then renamed over the target, so a
reader never sees half a file.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from lrlab._files import write_atomically

__all__ = ["FIELDS", "METRICS_FORMATS", "metrics_format", "write_metrics"]

FIELDS = ("epoch", "lr", "train_loss", "test_accuracy", "seconds")
METRICS_FORMATS = (".jsonl", ".csv")


class _Record(Protocol):
    epoch: int
    lr: float
    train_loss: float
    test_accuracy: float
    seconds: float


def metrics_format(path: str | Path) -> str:
    """The format for ``path``, ``".jsonl"`` or ``".csv"`` (case ignored).

    >>> metrics_format("runs/lesson.CSV")
    '.csv'

    Raises:
        ValueError: any other extension.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in METRICS_FORMATS:
        raise ValueError(
            f"metrics file must end in {' or '.join(METRICS_FORMATS)}, "
            f"got {str(path)!r}"
        )
    return suffix


def write_metrics(path: str | Path, records: Iterable[_Record]) -> None:
    """Write ``records`` to ``path``, replacing it atomically.

    Raises:
        ValueError: the extension is not .jsonl or .csv.
        OSError: the folder is missing or not writable.
    """
    path = Path(path)
    rows = [{name: getattr(record, name) for name in FIELDS} for record in records]
    if metrics_format(path) == ".jsonl":
        text = "".join(json.dumps(row) + "\n" for row in rows)
    else:
        text = _csv_text(rows)
    write_atomically(path, text.encode("utf-8"))


def _csv_text(rows: list[dict[str, object]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
