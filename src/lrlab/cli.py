"""The ``lrlab`` command line: parse, call the library, print.

Each subcommand lives in :mod:`lrlab.commands` as a module with
``register(subparsers)`` and ``run(args) -> int``; adding one is one module
and one line in :data:`lrlab.commands.COMMANDS`. Bad input ends any
command with one line on stderr, ``lrlab <command>: error: ...``, and exit
code 2.
"""

from __future__ import annotations

import argparse
import difflib
import gc
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from lrlab import __version__
from lrlab.commands import register_all
from lrlab.commands import train as train_command

__all__ = ["build_parser", "main"]

USAGE_ERROR = 2
INTERRUPTED = 130  # 128 + SIGINT, as shells report it


class ArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr, exit code 2.

    argparse prints the usage before the error; here the error alone is
    printed, and ``--help`` has the rest.
    """

    def error(self, message: str) -> NoReturn:
        message = " ".join(message.split())
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message}\n")


def build_parser() -> ArgumentParser:
    """The ``lrlab`` parser with every subcommand registered."""
    parser = ArgumentParser(
        prog="lrlab",
        description=(
            "Learning-rate schedules for PyTorch: train the MNIST lesson "
            "under a schedule, draw schedules, compare them."
        ),
        epilog="Run 'lrlab COMMAND --help' for the options of a command.",
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=__version__)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    train_command.register(subparsers)
    register_all(subparsers)
    for subparser in subparsers.choices.values():
        subparser.allow_abbrev = False
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``lrlab`` with ``argv`` (default: ``sys.argv[1:]``); the exit code."""
    if argv is None:
        # Run as the program: what start-up made (torch's modules, mostly)
        # lives until exit, so the garbage collector need not scan it again.
        # That saves about 0.3 s of every command, most of it at exit.
        gc.freeze()
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        _unrecognized(parser, args.command, unknown)

    if sys.stdout is None:
        # Started with standard output closed (``lrlab train >&-``): say so
        # before any work, rather than train and print nowhere.
        if sys.stderr is not None:
            print(
                f"lrlab {args.command}: error: cannot write standard output: "
                f"it is closed",
                file=sys.stderr,
            )
        return 1

    try:
        code = args.func(args)
        if sys.stdout is not None:
            sys.stdout.flush()  # a full disk shows here, not in Python's exit
        return code
    except KeyboardInterrupt:
        print(f"lrlab {args.command}: interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``lrlab train | head``): stop quietly. Python
        # flushes stdout again at exit, so point it somewhere that accepts.
        _silence_stdout()
        return 1
    except OSError as error:
        # Commands report the files they write; what is left is the output
        # itself (``lrlab plot > /dev/full``): one line, not a traceback.
        _silence_stdout()
        reason = error.strerror or str(error)
        if error.filename is None:
            problem = f"cannot write standard output: {reason}"
        else:
            problem = f"{error.filename}: {reason}"
        print(f"lrlab {args.command}: error: {problem}", file=sys.stderr)
        return 1


def _silence_stdout() -> None:
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, descriptor)
    os.close(devnull)


def _unrecognized(parser: ArgumentParser, command: str, unknown: list[str]) -> NoReturn:
    """Report unknown arguments on the subcommand, with a suggestion."""
    subparser = _subparsers(parser)[command]
    options = [
        option for action in subparser._actions for option in action.option_strings
    ]
    first = unknown[0].split("=", 1)[0]
    close = difflib.get_close_matches(first, options, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    subparser.error(f"unrecognized arguments: {' '.join(unknown)}{hint}")


def _subparsers(parser: ArgumentParser) -> dict[str, ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices
    raise AssertionError("the lrlab parser has no subcommands")


if __name__ == "__main__":
    sys.exit(main())
