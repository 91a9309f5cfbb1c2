"""Bad input to plot, find-lr and tune: one line on stderr, exit code 2.

Each case here once ended in a traceback, a second line on stderr (a
numpy or Python warning), or a run that went ahead with a value it could
not honour.
"""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys
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


# --- tune: storages that would lose the trials or overwrite a file.

SPACE = "step(step_size=int(1, 5))"


@pytest.mark.parametrize(
    "storage", ["", " ", ":memory:", "sqlite://", "sqlite:///", "sqlite:///:memory:"]
)
def test_tune_refuses_an_in_memory_storage(
    capsys: pytest.CaptureFixture[str], storage: str
) -> None:
    code, _, err = run(["tune", SPACE, "--storage", storage], capsys)
    line = one_line_error(code, err, "lrlab tune")
    assert "argument --storage: needs a file or a database URL" in line
    assert f"got {storage!r}" in line


@pytest.mark.parametrize("content", [b"x", b"my notes\n" * 500])
@pytest.mark.parametrize("prefix", ["", "sqlite:///"])
def test_tune_never_writes_over_a_file_that_is_not_a_database(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes, prefix: str
) -> None:
    # SQLite takes a file shorter than a page for an empty database.
    notes = tmp_path / "notes.txt"
    notes.write_bytes(content)
    argv = ["tune", SPACE, "--storage", prefix + str(notes), "--trials", "1"]
    code, _, err = run([*argv, "--out", str(tmp_path / "out")], capsys)
    line = one_line_error(code, err, "lrlab tune")
    assert "exists and is not a SQLite database" in line
    assert notes.read_bytes() == content
    assert not (tmp_path / "out").exists()


def test_tune_storage_that_is_a_folder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(["tune", SPACE, "--storage", str(tmp_path)], capsys)
    assert "is a folder, not a file" in one_line_error(code, err, "lrlab tune")


@pytest.mark.parametrize("option", ["--study", "--out"])
@pytest.mark.parametrize("value", ["", "  "])
def test_tune_empty_study_or_out(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, option: str, value: str
) -> None:
    storage = str(tmp_path / "t.db")
    code, _, err = run(["tune", SPACE, "--storage", storage, option, value], capsys)
    line = one_line_error(code, err, "lrlab tune")
    assert line.endswith(f"argument {option}: must not be empty, got {value!r}")
    assert not Path(storage).exists()


# --- train: an empty folder name is the current folder, where nothing may go.


@pytest.mark.parametrize(
    "option",
    [
        "--data-dir",
        "--resume",
        "--checkpoint-dir",
    ],
)
def test_train_refuses_an_empty_folder_name(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    option: str,
) -> None:
    from conftest import tiny_mnist

    data = tiny_mnist(tmp_path / "data")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    argv = ["train", "--data-dir", str(data), "--epochs", "1", option, ""]
    code, _, err = run(argv, capsys)
    one_line_error(code, err, "lrlab train")
    assert list(work.iterdir()) == []  # no checkpoint in the current folder


# --- output that cannot be written: one line, exit code 1.


class FullStream(io.StringIO):
    """Standard output on a full disk."""

    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize(
    "argv",
    [
        ["plot", "constant", "--steps", "3"],
        ["plot", "constant", "--steps", "3", "--format", "json"],
    ],
)
def test_standard_output_on_a_full_disk(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
) -> None:
    monkeypatch.setattr(sys, "stdout", FullStream())
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 1
    assert err == (
        f"lrlab {argv[0]}: error: cannot write standard output: "
        "No space left on device\n"
    )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_the_script_on_a_full_disk_shows_no_traceback(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("lrlab")
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [str(script), "plot", "constant", "--steps", "3"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
            timeout=120,
        )
    assert result.returncode == 1
    assert result.stderr == (
        "lrlab plot: error: cannot write standard output: No space left on device\n"
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["plot", "constant", "--steps", "3", "--format", "csv"],
        ["train", "--epochs", "1", "--metrics", "m.csv"],
    ],
)
def test_the_script_with_standard_output_closed(tmp_path: Path, argv) -> None:
    # Nothing is trained or written: the results would have nowhere to go.
    script = Path(sys.executable).with_name("lrlab")
    result = subprocess.run(
        [str(script), *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        timeout=120,
        # Close descriptor 1 in the child before it starts.
        preexec_fn=lambda: os.close(1),
    )
    assert result.returncode == 1
    assert result.stderr == (
        f"lrlab {argv[0]}: error: cannot write standard output: it is closed\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_compare_refuses_an_empty_out(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(["compare", "constant", "--out", ""], capsys)
    line = one_line_error(code, err, "lrlab compare")
    assert line.endswith("argument --out: must name a folder, got ''")
    assert list(tmp_path.iterdir()) == []


def test_find_lr_steps_beyond_the_cap(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["find-lr", "--steps", "1000000000000"], capsys)
    line = one_line_error(code, err, "lrlab find-lr")
    assert line.endswith(
        "argument --steps: must be at most 1,000,000, got 1,000,000,000,000"
    )


def test_compare_config_that_is_not_utf8(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "bin.toml"
    config.write_bytes(b"\xff\xfe")
    code, _, err = run(["compare", "--config", str(config)], capsys)
    line = one_line_error(code, err, "lrlab compare")
    assert line.endswith(
        f"argument --config: {config}: not valid TOML: not UTF-8 text "
        "(byte 0 is b'\\xff')"
    )


@pytest.mark.parametrize("study", ["a/b", "../x"])
def test_tune_default_out_from_a_study_name_with_a_slash(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, study: str
) -> None:
    storage = str(tmp_path / "t.db")
    code, _, err = run(["tune", SPACE, "--storage", storage, "--study", study], capsys)
    line = one_line_error(code, err, "lrlab tune")
    assert f"argument --out: folder 'tune-{study.split('/')[0]}' does not" in line
    assert line.endswith(f"(the default for the study {study!r}; give --out DIR)")
    assert not Path(storage).exists()


def test_tune_leaves_the_matplotlib_style_as_it_was(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Optuna's plots call plt.style.use("ggplot"): later figures drawn in
    # the same process (lrlab plot after lrlab tune) would be grey.
    import matplotlib
    from conftest import tiny_mnist

    data = tiny_mnist(tmp_path / "data")
    before = dict(matplotlib.rcParams)
    argv = ["tune", SPACE, "--trials", "2", "--epochs", "1", "--quiet"]
    argv += ["--data-dir", str(data), "--storage", str(tmp_path / "t.db")]
    code, _, err = run([*argv, "--out", str(tmp_path / "out")], capsys)
    assert (code, err) == (0, "")
    assert (tmp_path / "out" / "history.png").exists()
    changed = {
        key for key, value in matplotlib.rcParams.items() if before[key] != value
    }
    assert changed <= {"backend", "backend_fallback"}  # tune draws with Agg
