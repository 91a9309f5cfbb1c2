"""Bad input to plot, find-lr and tune: one line on stderr, exit code 2.

Each case here once ended in a traceback, a second line on stderr (a
numpy or Python warning), or a run that went ahead with a value it could
not honour.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lrlab.cli import main

pytestmark = pytest.mark.filterwarnings("error")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_line_error(code: int, err: str, prog: str) -> str:
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"{prog}: error: "), err
    return lines[0]


@pytest.fixture
def existing_png(tmp_path: Path) -> Path:
    path = tmp_path / "existing.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n an earlier picture")
    return path


# --- plot: lrs that overflow, or that matplotlib cannot draw.


def test_plot_an_lr_too_large_to_draw(
    capsys: pytest.CaptureFixture[str], existing_png: Path
) -> None:
    before = existing_png.read_bytes()
    argv = ["plot", "constant", "--lr", "1e308", "-o", str(existing_png)]
    code, _, err = run(argv, capsys)
    line = one_line_error(code, err, "lrlab plot")
    assert "argument --lr" in line and "1e+308" in line
    assert existing_png.read_bytes() == before


@pytest.mark.parametrize("output", [[], ["--format", "json"], ["--format", "csv"]])
def test_plot_a_schedule_that_overflows_names_the_step(
    capsys: pytest.CaptureFixture[str], output: list[str]
) -> None:
    argv = ["plot", "exponential(gamma=2)", "--steps", "3000", *output]
    code, out, err = run(argv, capsys)
    line = one_line_error(code, err, "lrlab plot")
    assert "'exponential(gamma=2)'" in line
    assert "step 1024 is inf" in line and "--steps 1024 or fewer" in line
    assert out == ""  # no JSON with Infinity in it, no half table


def test_plot_an_overflowing_schedule_into_an_image_keeps_the_old_one(
    capsys: pytest.CaptureFixture[str], existing_png: Path
) -> None:
    before = existing_png.read_bytes()
    argv = ["plot", "step(1, gamma=1e308)", "--steps", "5", "-o", str(existing_png)]
    code, _, err = run(argv, capsys)
    assert "step 2 is inf" in one_line_error(code, err, "lrlab plot")
    assert existing_png.read_bytes() == before


def test_plot_up_to_the_last_finite_step_still_works(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "ok.png"
    argv = ["plot", "exponential(gamma=2)", "--steps", "1024", "--log"]
    code, _, err = run([*argv, "-o", str(path)], capsys)
    assert (code, err) == (0, "")
    assert path.read_bytes().startswith(b"\x89PNG")


# --- find-lr: an lr the float32 model cannot take.


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["--start-lr", "1e-300", "--end-lr", "1e300"], "--end-lr"),
        (["--start-lr", "1e39", "--end-lr", "1e40"], "--start-lr"),
    ],
)
def test_find_lr_beyond_float32(
    capsys: pytest.CaptureFixture[str], argv: list[str], option: str
) -> None:
    code, out, err = run(["find-lr", *argv, "--steps", "3"], capsys)
    line = one_line_error(code, err, "lrlab find-lr")
    assert f"argument {option}: must be at most 3.403e+38" in line
    assert out == ""
