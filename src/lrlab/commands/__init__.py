"""Subcommands of the ``lrlab`` command line, one module each.

Each module has ``register(subparsers)``, which adds its parser with
``set_defaults(func=run)``, and ``run(args) -> int``, which returns the
exit code. :func:`register_all` adds them all. This package also holds the
argument checks they share: a bad value ends the command with one line on
stderr, ``lrlab <command>: error: ...``, and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "COMMANDS",
    "CommandError",
    "fail",
    "folder_name",
    "output_format",
    "output_path",
    "positive_float",
    "positive_int",
    "register_all",
    "seed",
    "writing",
]

COMMANDS = ("plot", "find_lr", "tune", "compare")

USAGE_ERROR = 2


def register_all(subparsers: argparse._SubParsersAction) -> None:
    """Add every subcommand in :data:`COMMANDS` to ``subparsers``."""
    for name in COMMANDS:
        module = importlib.import_module(f"{__name__}.{name}")
        module.register(subparsers)


class CommandError(Exception):
    """Bad input to a command; the message is one line naming the option."""


def fail(prog: str, error: Exception) -> int:
    """Print ``error`` as one line on stderr; return the usage-error code."""
    message = " ".join(str(error).split("\n"))
    print(f"{prog}: error: {message}", file=sys.stderr)
    return USAGE_ERROR


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1.

    >>> positive_int("15")
    15
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a positive integer, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0.

    >>> positive_float("1e-3")
    0.001
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a positive number, got {text!r}"
        ) from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def seed(text: str) -> int:
    """argparse type: a seed for ``torch.Generator``, 0 to 2**63 - 1.

    >>> seed("7")
    7
    """
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(
            f"must be an integer from 0 to 2**63 - 1, got {text!r}"
        )
    return value


def folder_name(text: str) -> Path:
    """argparse type: a folder's name; an empty one would mean the current folder."""
    if not text:
        raise argparse.ArgumentTypeError("must name a folder, got ''")
    if "\0" in text:
        raise argparse.ArgumentTypeError(f"must be a valid folder name, got {text!r}")
    return Path(text)


def output_path(text: str, option: str = "-o/--output") -> Path:
    """Check that a file can be created at ``text``: its folder exists.

    Raises:
        CommandError: when the folder is missing, is not a folder, is not
            writable, or the path is itself a folder.
    """
    path = Path(text)
    folder = path.parent
    if not folder.exists():
        raise CommandError(
            f"argument {option}: folder {str(folder)!r} does not exist, got {text!r}"
        )
    if not folder.is_dir():
        raise CommandError(
            f"argument {option}: {str(folder)!r} is not a folder, got {text!r}"
        )
    if path.is_dir():
        raise CommandError(f"argument {option}: {text!r} is a folder, not a file")
    if not _writable(folder):
        raise CommandError(
            f"argument {option}: folder {str(folder)!r} is not writable, got {text!r}"
        )
    return path


def output_format(
    text: str, extensions: Sequence[str], option: str = "-o/--output"
) -> str:
    """The format an output file's extension names, lowercase, without the dot.

    Raises:
        CommandError: when the file cannot be created (see
            :func:`output_path`) or its extension is not in ``extensions``.
    """
    extension = output_path(text, option).suffix.lower().lstrip(".")
    if extension not in extensions:
        raise CommandError(
            f"argument {option}: file must end in "
            f"{', '.join('.' + e for e in extensions)}, got {text!r}"
        )
    return extension


@contextmanager
def writing(text: str, option: str = "-o/--output") -> Iterator[None]:
    """Turn an ``OSError`` while writing ``text`` into a :class:`CommandError`."""
    try:
        yield
    except OSError as error:
        reason = error.strerror or str(error)
        raise CommandError(
            f"argument {option}: cannot write {text!r}: {reason}"
        ) from None


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK)
