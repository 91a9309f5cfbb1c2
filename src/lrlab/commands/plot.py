"""``lrlab plot``: draw schedules, print their values, or chart them as text.

    lrlab plot "exponential(gamma=0.8)" "step(step_size=5, gamma=0.5)" \\
        --steps 15 -o schedules.png

The lr plotted at step ``t`` is ``base_lr * schedule(t)`` for
``t = 0 .. steps - 1``. Where the output goes depends on ``-o`` and
``--format``:

- ``-o FILE.png`` (or ``.svg``, ``.pdf``): an image;
- ``--format csv|json`` or ``-o FILE.csv|.json``: the values, to stdout or
  the file;
- neither: a text chart on stdout.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys

import numpy as np

from lrlab import plotting
from lrlab._files import write_atomically
from lrlab.commands import (
    CommandError,
    fail,
    output_format,
    positive_float,
    positive_int,
    writing,
)
from lrlab.spec import SpecError, parse_schedule

__all__ = ["DEFAULT_BASE_LR", "DEFAULT_STEPS", "register", "run", "schedule_table"]

DEFAULT_BASE_LR = 0.1
DEFAULT_STEPS = 100
# Ten million steps take a few seconds to draw and a few hundred MB of csv;
# more would only run out of memory.
MAX_STEPS = 10_000_000
VALUE_FORMATS = ("csv", "json")
PROG = "lrlab plot"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``plot`` subcommand to ``subparsers``."""
    parser = subparsers.add_parser(
        "plot",
        help="draw learning-rate schedules, or print their values",
        description=(
            "Draw one or more schedules on one figure: the lr at step t is "
            "LR * schedule(t). Without -o or --format, prints a text chart."
        ),
    )
    parser.add_argument(
        "specs",
        nargs="+",
        metavar="SPEC",
        help='a schedule spec, e.g. "cosine(total_steps=100)"',
    )
    parser.add_argument(
        "--steps",
        type=positive_int,
        default=DEFAULT_STEPS,
        help=f"evaluate steps 0 to STEPS - 1 (default {DEFAULT_STEPS})",
    )
    parser.add_argument(
        "--lr",
        type=positive_float,
        default=DEFAULT_BASE_LR,
        help=f"base learning rate the schedules scale (default {DEFAULT_BASE_LR})",
    )
    parser.add_argument("--log", action="store_true", help="log scale for the lr axis")
    parser.add_argument(
        "--steps-per-epoch",
        type=positive_int,
        metavar="N",
        help="show epochs (step / N) on the x axis instead of steps",
    )
    parser.add_argument(
        "--format",
        choices=VALUE_FORMATS,
        help="print the values as csv or json instead of drawing",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE: .png, .svg, .pdf (image), .csv or .json (values)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Carry out ``lrlab plot``; returns the exit code."""
    try:
        return _run(args)
    except CommandError as error:
        return fail(PROG, error)


def _run(args: argparse.Namespace) -> int:
    if args.steps > MAX_STEPS:
        raise CommandError(
            f"argument --steps: must be at most {MAX_STEPS:,}, got {args.steps:,}"
        )
    kind = _output_kind(args.format, args.output)
    curves = schedule_table(args.specs, args.steps, args.lr)
    if args.log and kind not in VALUE_FORMATS:
        _check_some_positive(curves)

    if kind in VALUE_FORMATS:
        text = _values_text(kind, curves, args.lr, args.steps_per_epoch)
        if args.output is None:
            sys.stdout.write(text)
            return 0
        with writing(args.output):
            write_atomically(args.output, text.encode())
        print(f"wrote {args.output}")
        return 0

    if kind == "text":
        chart = plotting.text_chart(
            curves, log=args.log, steps_per_epoch=args.steps_per_epoch
        )
        print(chart)
        return 0

    try:
        # Lrs near the largest float overflow inside matplotlib's axis code.
        with np.errstate(all="ignore"):
            figure = plotting.schedule_figure(
                curves,
                base_lr=args.lr,
                log=args.log,
                steps_per_epoch=args.steps_per_epoch,
            )
            with writing(args.output):
                plotting.save_figure(figure, args.output)
    except (ValueError, OverflowError) as error:
        peak = max(float(values.max()) for values in curves.values())
        raise CommandError(
            f"argument --lr: cannot draw lrs as large as {peak:g} "
            f"(--lr {args.lr:g} times the schedules): {error}"
        ) from None
    print(f"wrote {args.output}")
    return 0


def schedule_table(
    specs: list[str], steps: int, base_lr: float
) -> dict[str, np.ndarray]:
    """Parse each spec and evaluate ``base_lr * schedule(t)`` for t < steps.

    Raises:
        CommandError: naming the spec, when one does not parse or build,
            is given twice (the curves are keyed by their spec), or gives
            an lr that is not a finite number (a growing schedule
            overflows after enough steps: ``exponential(gamma=2)`` at
            step 1024).
    """
    t = np.arange(steps)
    curves = {}
    for text in specs:
        if text in curves:
            raise CommandError(f"argument SPEC: {text!r} is given twice")
        try:
            schedule = parse_schedule(text)
        except SpecError as error:
            # A SpecError already quotes the spec and points into it.
            raise CommandError(f"argument SPEC: {error}") from None
        except (ValueError, TypeError) as error:
            raise CommandError(f"argument SPEC {text!r}: {error}") from None
        with np.errstate(all="ignore"):
            values = base_lr * schedule(t)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            step = int(bad[0])
            raise CommandError(
                f"argument SPEC {text!r}: the lr at step {step} is "
                f"{values[step]:g} (--lr {base_lr:g} times the factor "
                f"{schedule(step)!r}), which cannot be shown; use --steps "
                f"{step} or fewer"
            )
        curves[text] = values
    return curves


def _check_some_positive(curves: dict[str, np.ndarray]) -> None:
    """A log axis needs at least one lr above zero to show."""
    if not any((values > 0).any() for values in curves.values()):
        raise CommandError(
            "argument --log: every lr is 0, and a log axis cannot show 0; drop --log"
        )


def _output_kind(value_format: str | None, output: str | None) -> str:
    """Decide what to produce: ``csv``, ``json``, ``text`` or an image format."""
    if output is None:
        return value_format or "text"

    extension = output_format(output, (*plotting.IMAGE_FORMATS, *VALUE_FORMATS))
    if value_format is not None and extension != value_format:
        raise CommandError(
            f"argument -o/--output: --format {value_format} needs a "
            f".{value_format} file, got {output!r}"
        )
    return extension


def _values_text(
    value_format: str,
    curves: dict[str, np.ndarray],
    base_lr: float,
    steps_per_epoch: int | None,
) -> str:
    steps = len(next(iter(curves.values())))
    epochs = None
    if steps_per_epoch is not None:
        epochs = [step / steps_per_epoch for step in range(steps)]

    if value_format == "json":
        document = {
            "base_lr": base_lr,
            "steps_per_epoch": steps_per_epoch,
            "step": list(range(steps)),
            **({"epoch": epochs} if epochs is not None else {}),
            "schedules": [
                {"spec": text, "lr": values.tolist()} for text, values in curves.items()
            ],
        }
        return json.dumps(document) + "\n"

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = ["step", *(["epoch"] if epochs is not None else []), *curves]
    writer.writerow(header)
    for step in range(steps):
        row = [str(step)]
        if epochs is not None:
            row.append(repr(epochs[step]))
        row.extend(repr(float(values[step])) for values in curves.values())
        writer.writerow(row)
    return buffer.getvalue()
