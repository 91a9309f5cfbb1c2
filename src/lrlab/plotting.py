"""Pictures of learning rates: image files with matplotlib, charts as text.

matplotlib is imported inside the functions that draw, so importing this
module is cheap, and figures are built with ``matplotlib.figure.Figure``
(the Agg renderer, no pyplot, no display needed). Files are written
atomically: into a temporary file in the same folder, then renamed over
the target, so a reader never sees half a file.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lrlab._files import write_atomically

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from lrlab.find_lr import LRFinderResult

__all__ = [
    "COLOURS",
    "IMAGE_FORMATS",
    "LINESTYLES",
    "line_style",
    "lr_finder_figure",
    "save_figure",
    "schedule_figure",
    "text_chart",
]

IMAGE_FORMATS = ("png", "svg", "pdf")

# The line colours, in the order curves get them: ten that stay apart on
# screen and in print (matplotlib's "tab10").
COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
# The line styles: solid for the first ten curves, then dashed, ...
LINESTYLES = ("-", "--", ":", "-.")

# Text charts: one marker per curve; a cell two curves share shows _SHARED.
_MARKERS = "*o+x@%&$"
_SHARED = "#"


def line_style(index: int) -> tuple[str, str]:
    """The colour and line style of the ``index``-th curve (from 0).

    Every lrlab plot draws its curves in this order, so the same schedule
    looks the same in each: the colours of ``COLOURS`` in turn, solid, then
    again dashed, dotted and dash-dot (forty curves before a repeat).

    >>> line_style(0), line_style(1), line_style(10)
    (('#1f77b4', '-'), ('#ff7f0e', '-'), ('#1f77b4', '--'))
    """
    colour = COLOURS[index % len(COLOURS)]
    return colour, LINESTYLES[index // len(COLOURS) % len(LINESTYLES)]


def save_figure(figure: Figure, path: str | os.PathLike[str]) -> None:
    """Save ``figure`` atomically in the format named by the file extension.

    Raises:
        ValueError: when the extension is not one of ``IMAGE_FORMATS``.
    """
    image_format = Path(path).suffix.lower().lstrip(".")
    if image_format not in IMAGE_FORMATS:
        raise ValueError(
            f"image file must end in one of "
            f"{', '.join('.' + f for f in IMAGE_FORMATS)}, got {str(path)!r}"
        )

    buffer = io.BytesIO()
    figure.savefig(buffer, format=image_format, dpi=100)

    write_atomically(path, buffer.getvalue())


def schedule_figure(
    curves: Mapping[str, Sequence[float] | np.ndarray],
    *,
    base_lr: float,
    log: bool = False,
    steps_per_epoch: int | None = None,
) -> Figure:
    """Draw learning rates against steps (or epochs), one line per curve.

    Args:
        curves: label -> the lr at steps 0, 1, ... (all the same length);
            the labels go in the legend.
        base_lr: the base lr the values were scaled by, for the title.
        log: draw the lr axis on a log scale; zero lrs are left out.
        steps_per_epoch: when given, the x axis counts epochs,
            ``step / steps_per_epoch``.

    Each lr is drawn as held for its whole step, from ``step`` to
    ``step + 1``, which is how an optimizer uses it.
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 5), layout="constrained")
    axes = figure.add_subplot()

    for i, (label, values) in enumerate(curves.items()):
        lrs = np.asarray(values, dtype=np.float64)
        if len(lrs) == 0:  # e.g. a run that diverged in its first epoch
            continue
        x, y, drawstyle = _drawn_points(lrs)
        if steps_per_epoch is not None:
            x = x / steps_per_epoch
        colour, linestyle = line_style(i)
        axes.plot(
            x,
            y,
            drawstyle=drawstyle,
            color=colour,
            linestyle=linestyle,
            linewidth=2,
            label=label,
        )

    if log:
        axes.set_yscale("log", nonpositive="mask")
    axes.set_xlabel("step" if steps_per_epoch is None else "epoch")
    axes.set_ylabel("learning rate" + (" (log scale)" if log else ""))
    times = "\N{MULTIPLICATION SIGN}"
    axes.set_title(f"learning rate = {base_lr:g} {times} schedule(step)")
    axes.grid(True, which="both", alpha=0.3)
    if axes.lines:
        figure.legend(loc="outside lower center", fontsize="small")

    return figure


def _drawn_points(lrs: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
    """The points that draw ``lrs`` (one per step) as a line: x, y, drawstyle.

    Each lr is held from its step to the next, so only the steps where the
    lr changes are needed (a step schedule over a million steps is a
    handful of points), plus the end of the last step. When more than
    ``_MAX_POINTS`` remain, a few thousand per pixel column, the line is
    drawn from its outline instead: the steps are cut into
    ``_MAX_POINTS // 2`` equal spans, and each span becomes a vertical
    stroke from its highest to its lowest lr, which covers the same pixels
    as every point of the span would. Drawing ten million points one by
    one took gigabytes of memory in matplotlib.
    """
    count = len(lrs)
    changed = np.flatnonzero(lrs[1:] != lrs[:-1]) + 1  # nan != nan: kept
    if len(changed) < _MAX_POINTS:
        starts = np.concatenate(([0], changed))
        x = np.append(starts, count).astype(np.float64)
        # Repeat the last lr so the last step is drawn as wide as the others.
        y = np.append(lrs[starts], lrs[-1])
        return x, y, "steps-post"
    edges = np.linspace(0, count, _MAX_POINTS // 2 + 1).astype(np.int64)[:-1]
    high = np.maximum.reduceat(lrs, edges)
    low = np.minimum.reduceat(lrs, edges)
    x = np.append(np.repeat(edges, 2), count).astype(np.float64)
    y = np.append(np.column_stack((high, low)).ravel(), lrs[-1])
    return x, y, "default"


# A line with more changes of lr than this is drawn from its outline.
_MAX_POINTS = 20_000


def lr_finder_figure(result: LRFinderResult) -> Figure:
    """Draw a range test: loss against lr (log axis), suggestions marked.

    The lr axis is logarithmic whatever the test's mode. The loss axis
    runs from the lowest loss to a little above the first one, so a loss
    that shoots up at the end leaves the picture instead of flattening it.

    Raises:
        ValueError: when the test recorded fewer than 2 steps (there is no
            suggestion to mark).
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 5), layout="constrained")
    axes = figure.add_subplot()

    axes.plot(result.lrs, result.losses, color="#bbbbbb", linewidth=1, label="loss")
    axes.plot(
        result.lrs,
        result.smoothed_losses,
        color=COLOURS[0],
        linewidth=2,
        label="smoothed loss",
    )
    suggestions = (
        ("steepest descent", result.suggested_lr, COLOURS[3]),
        ("min loss / 10", result.min_loss_suggestion, COLOURS[2]),
    )
    for name, lr, colour in suggestions:
        axes.axvline(
            lr, color=colour, linestyle="--", linewidth=1.5, label=f"{name}: {lr:.3g}"
        )
    steepest = result.lrs.index(result.suggested_lr)
    axes.plot(
        result.suggested_lr,
        result.smoothed_losses[steepest],
        "o",
        color=COLOURS[3],
        markersize=8,
    )

    axes.set_xscale("log")
    axes.set_xlabel("learning rate (log scale)")
    axes.set_ylabel("training loss")
    title = "learning-rate range test"
    if result.diverged:
        title += f" (stopped at lr {result.lrs[-1]:.3g}: loss diverged)"
    axes.set_title(title)
    axes.grid(True, alpha=0.3)
    axes.legend(loc="best", fontsize="small")
    # The raw loss can shoot up at the end; keep the interesting part in view.
    low = min(result.losses)
    high = max(result.smoothed_losses[0], result.losses[0])
    if high > low:
        axes.set_ylim(low - 0.05 * (high - low), high + 0.3 * (high - low))

    return figure


def text_chart(
    curves: Mapping[str, Sequence[float] | np.ndarray],
    *,
    log: bool = False,
    steps_per_epoch: int | None = None,
    width: int = 64,
    height: int = 12,
) -> str:
    """Render curves as a small text chart, one marker per curve.

    Args:
        curves: label -> the lr at steps 0, 1, ... (all the same length).
        log: space the rows on a log scale; zero lrs are left out.
        steps_per_epoch: when given, the x axis counts epochs.
        width: the most columns the plot area takes. With fewer steps than
            that, each step gets the same whole number of columns; with
            more, the columns show evenly spaced steps, the first and the
            last included.
        height: rows in the plot area, >= 2.

    Returns:
        The chart, lines joined by newlines: the plot area with lr labels
        on the left, the x axis below it, then a legend line per curve with
        its first and last lr. With the defaults it fits in 80 columns
        (plus the length of the longest label in the legend).

    >>> print(text_chart({"halve": [0.1, 0.05, 0.025]}, width=6, height=3))
              0.1 |**
                  |  **
            0.025 |    **
                  +------
                   0 step 2
      * halve: 0.1 -> 0.025
    """
    table = np.array([np.asarray(v, dtype=np.float64) for v in curves.values()])
    num_steps = table.shape[1]

    # Columns to steps: widen short runs, sample long ones.
    if num_steps <= width:
        repeat = width // num_steps
        steps = np.repeat(np.arange(num_steps), repeat)
    else:
        steps = np.rint(np.linspace(0, num_steps - 1, width)).astype(int)
    shown = table[:, steps]

    # Values to rows, row 0 at the top.
    drawable = np.isfinite(shown) & ((shown > 0) if log else True)
    scale = np.log10 if log else (lambda v: v)
    with np.errstate(divide="ignore", invalid="ignore"):
        level = scale(np.where(drawable, shown, np.nan))
    low, high = _span(level[drawable])
    rows = np.full(shown.shape, -1)
    if high > low:
        fraction = (level - low) / (high - low)
        rows[drawable] = np.rint((1 - fraction[drawable]) * (height - 1))
    else:
        rows[drawable] = (height - 1) // 2

    grid = [[" "] * len(steps) for _ in range(height)]
    for marker, curve_rows in zip(_markers(len(table)), rows, strict=True):
        for column, row in enumerate(curve_rows):
            if row < 0:
                continue
            cell = grid[row][column]
            grid[row][column] = marker if cell in (" ", marker) else _SHARED

    # Label the top, middle and bottom rows; a flat chart only its one level.
    middle = (height - 1) // 2
    if high > low:
        labelled_rows = [0, middle, height - 1] if height >= 5 else [0, height - 1]
    else:
        labelled_rows = [middle] if drawable.any() else []
    labelled = {}
    for row in labelled_rows:
        value = high - (high - low) * row / (height - 1)
        labelled[row] = 10**value if log else value
    lines = [
        (
            f"{_number(labelled[r]) if r in labelled else '':>13} |" + "".join(cells)
        ).rstrip()
        for r, cells in enumerate(grid)
    ]

    # The x axis: first and last step (or epoch), the unit in the middle.
    lines.append(" " * 14 + "+" + "-" * len(steps))
    first, last = _x_value(0, steps_per_epoch), _x_value(num_steps - 1, steps_per_epoch)
    unit = "step" if steps_per_epoch is None else "epoch"
    gap = max(len(steps) - len(first) - len(last), len(unit) + 2)
    left = (gap - len(unit)) // 2
    lines.append(
        " " * 15 + first + " " * left + unit + " " * (gap - left - len(unit)) + last
    )

    markers = _markers(len(table))
    for marker, (label, values) in zip(markers, curves.items(), strict=True):
        lines.append(
            f"  {marker} {label}: {_number(values[0])} -> {_number(values[-1])}"
        )
    if any(_SHARED in cells for cells in grid):
        lines.append(f"  {_SHARED} where curves overlap")
    if log and not drawable.all():
        lines.append("  (zero lrs are left out on the log scale)")

    return "\n".join(lines)


def _markers(count: int) -> str:
    return (_MARKERS * (count // len(_MARKERS) + 1))[:count]


def _span(levels: np.ndarray) -> tuple[float, float]:
    if levels.size == 0:
        return 0.0, 0.0
    return float(levels.min()), float(levels.max())


def _x_value(step: int, steps_per_epoch: int | None) -> str:
    if steps_per_epoch is None:
        return str(step)
    return f"{step / steps_per_epoch:g}"


def _number(value: float) -> str:
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    return f"{value:.3g}"
