"""README.md shows what lrlab does: its examples are run and compared.

- The ``>>>`` examples are doctests.
- Every ``lrlab`` command shown with a one-line error under it is run, and
  must print exactly that line on stderr and exit with status 2.
- The two lessons' tables match what ``lrlab train`` prints: the lr column
  exactly, loss and accuracy to within the rounding another machine may
  bring (the full runs are in test_cli_train.py, which checks the tables
  against these).
"""

from __future__ import annotations

import contextlib
import doctest
import io
import re
import shlex
from pathlib import Path

import pytest

from lrlab.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"


def console_blocks(text: str) -> list[list[tuple[str, list[str]]]]:
    """Each ```console block as a list of (command, output lines)."""
    blocks = []
    for body in re.findall(r"```console\n(.*?)```", text, flags=re.DOTALL):
        steps: list[tuple[str, list[str]]] = []
        for line in body.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            elif steps:
                steps[-1][1].append(line)
        blocks.append(steps)
    return blocks


def paths(command: str) -> set[str]:
    return {word for word in shlex.split(command) if "/" in word}


def shown_errors() -> list[tuple[str, str]]:
    """(command, its one line of output) where that line is an error.

    An error about a folder that a command before it in the same block
    made (``runs/cmp1``, ``runs/lesson``) depends on that run; those are
    left to the tests of their commands.
    """
    found = []
    for steps in console_blocks(README.read_text(encoding="utf-8")):
        made: set[str] = set()
        for command, output in steps:
            if (
                command.startswith("lrlab ")
                and len(output) == 1
                and ": error: " in output[0]
                and not paths(command) & made
            ):
                found.append((command, output[0]))
            made |= paths(command)
    return found


def shown_lesson(spec: str) -> list[str]:
    """The output README shows for ``lrlab train --schedule SPEC``."""
    for steps in console_blocks(README.read_text(encoding="utf-8")):
        for command, output in steps:
            if command.startswith(f'lrlab train --schedule "{spec}"'):
                return output
    raise AssertionError(f"README shows no run of {spec}")


def test_the_doctests_in_the_readme_pass():
    # The examples of every ```python block, as one session.
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    test = doctest.DocTestParser().get_doctest(
        "\n".join(blocks), {}, "README.md", str(README), 0
    )
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.tries >= 5
    assert runner.failures == 0


def test_the_readme_shows_errors():
    # The parsing above finds what it should: a test that finds nothing
    # would check nothing.
    commands = [command for command, _ in shown_errors()]
    assert 'lrlab train --schedule "exponential(gamma=0)"' in commands
    assert len(commands) >= 5


@pytest.mark.parametrize(("command", "line"), shown_errors())
def test_each_error_shown_is_what_the_command_prints(
    command, line, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(shlex.split(command)[1:])
        except SystemExit as stop:
            code = stop.code
    assert (code, out.getvalue(), err.getvalue()) == (2, "", line + "\n")


def table(lines: list[str]) -> list[list[str]]:
    return [line.split() for line in lines if line[:5].strip().isdigit()]


def assert_same_table(printed: list[str], shown: list[str]) -> None:
    """The lines agree; loss and accuracy to the last digit or two."""
    assert len(printed) == len(shown)
    assert table(printed) and len(table(printed)) == len(table(shown))
    for got, want in zip(table(printed), table(shown), strict=True):
        assert got[:2] == want[:2]  # epoch and lr
        assert abs(float(got[2]) - float(want[2])) <= 5e-4  # train loss
        assert abs(float(got[3]) - float(want[3])) <= 2e-3  # test accuracy
    others = [line for line in printed if not line[:5].strip().isdigit()]
    assert (
        others[:-1] == [line for line in shown if not line[:5].strip().isdigit()][:-1]
    )
