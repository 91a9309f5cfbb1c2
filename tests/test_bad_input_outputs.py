"""Output files survive failed and interrupted runs.

A run that fails (bad input, a full disk) or is interrupted (Ctrl-C) never
leaves a half-written CSV, JSON, PNG or HTML that looks complete, never
damages a file that was already at the path, and leaves no temporary
files behind. Each case checks the bytes of what was there before.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import tiny_mnist

from lrlab.cli import main

OLD = {
    ".png": b"\x89PNG\r\n\x1a\n an earlier picture",
    ".svg": b"<svg>an earlier drawing</svg>",
    ".csv": b"step,old\n0,0.1\n",
    ".json": b'{"old": true}\n',
    ".jsonl": b'{"epoch": 1, "old": true}\n',
}


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exit_:
            code = exit_.code
    return code, out.getvalue(), err.getvalue()


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) and its bytes."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def existing(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_bytes(OLD[path.suffix])
    return path


def fail_on_replace(
    monkeypatch: pytest.MonkeyPatch,
    error: BaseException,
    when: Callable[[Path], bool],
    after: int = 0,
) -> list[Path]:
    """Make ``os.replace`` raise ``error`` for targets ``when`` accepts.

    The first ``after`` such replacements go through. Returns the targets
    that were refused.
    """
    real_replace = os.replace
    seen: list[Path] = []
    refused: list[Path] = []

    def replace(source, target, *args, **kwargs):
        if when(Path(target)):
            seen.append(Path(target))
            if len(seen) > after:
                refused.append(Path(target))
                raise error
        return real_replace(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    return refused


def one_line(code: int, err: str, prog: str, expected_code: int = 2) -> str:
    assert code == expected_code, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"{prog}: "), err
    return lines[0]


# --- lrlab plot -o


@pytest.mark.parametrize("name", ["existing.png", "existing.svg", "e.csv", "e.json"])
@pytest.mark.parametrize(
    "argv",
    [
        ["unknown("],
        ["constant", "--steps", "0"],
        ["constant", "--lr", "nan"],
        ["exponential(gamma=2)", "--steps", "2000"],
        ["constant", "constant"],
        ["constant", "--format", "csv"],
    ],
    ids=["spec", "steps", "lr", "overflow", "twice", "format"],
)
def test_plot_that_fails_leaves_the_file_as_it_was(
    tmp_path: Path, name: str, argv: list[str]
) -> None:
    path = existing(tmp_path, name)
    before = snapshot(tmp_path)
    code, _, err = run(["plot", *argv, "-o", str(path)])
    if argv[-2:] == ["--format", "csv"] and name == "e.csv":
        assert code == 0  # the one valid combination: it is rewritten
        assert path.read_bytes().startswith(b"step,constant\n")
        return
    one_line(code, err, "lrlab plot")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("name", ["existing.png", "e.csv", "e.json"])
@pytest.mark.parametrize(
    ("error", "code", "message"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), 2, "No space left"),
        (KeyboardInterrupt(), 130, "interrupted"),
    ],
    ids=["disk-full", "ctrl-c"],
)
def test_plot_whose_write_fails_leaves_the_file_and_no_temporary(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    error: BaseException,
    code: int,
    message: str,
) -> None:
    path = existing(tmp_path, name)
    before = snapshot(tmp_path)
    fail_on_replace(monkeypatch, error, lambda target: target == path)
    result, _, err = run(["plot", "cosine(total_steps=10)", "-o", str(path)])
    line = one_line(result, err, "lrlab plot", code)
    assert message in line
    assert snapshot(tmp_path) == before  # no .tmp file left either


def test_plot_output_is_complete(tmp_path: Path) -> None:
    for name in ("p.csv", "p.json", "p.png", "p.svg"):
        code, _, err = run(
            ["plot", "cosine(total_steps=10)", "-o", str(tmp_path / name)]
        )
        assert (code, err) == (0, "")
    rows = list(csv.reader((tmp_path / "p.csv").open()))
    assert len(rows) == 101 and rows[0] == ["step", "cosine(total_steps=10)"]
    assert len(json.loads((tmp_path / "p.json").read_text())["step"]) == 100
    assert (tmp_path / "p.png").read_bytes().endswith(b"IEND\xaeB`\x82")
    assert (tmp_path / "p.svg").read_text().rstrip().endswith("</svg>")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "p.csv",
        "p.json",
        "p.png",
        "p.svg",
    ]


# --- lrlab find-lr -o


@pytest.mark.parametrize(
    "argv",
    [
        ["--steps", "1"],
        ["--start-lr", "1", "--end-lr", "0.1"],
        ["--end-lr", "1e300"],
        ["--mode", "log"],
    ],
)
def test_find_lr_that_fails_leaves_the_picture(tmp_path: Path, argv: list[str]) -> None:
    path = existing(tmp_path, "existing.png")
    before = snapshot(tmp_path)
    code, _, err = run(["find-lr", *argv, "-o", str(path)])
    one_line(code, err, "lrlab find-lr")
    assert snapshot(tmp_path) == before


# --- lrlab train --metrics


@pytest.fixture
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_mnist(tmp_path_factory.mktemp("data") / "tiny")


@pytest.mark.parametrize("name", ["m.csv", "m.jsonl"])
@pytest.mark.parametrize(
    "argv",
    [
        ["--schedule", "unknown("],
        ["--epochs", "0"],
        ["--batch-size", "100000"],
        ["--data-dir", "{missing}"],
    ],
)
def test_train_that_fails_leaves_the_metrics_file(
    tmp_path: Path, data: Path, name: str, argv: list[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    path = existing(out, name)
    before = snapshot(out)
    argv = [a.format(missing=tmp_path / "missing") for a in argv]
    code, _, err = run(
        ["train", "--data-dir", str(data), *argv, "--metrics", str(path)]
    )
    one_line(code, err, "lrlab train")
    assert snapshot(out) == before


@pytest.mark.parametrize("name", ["m.csv", "m.jsonl"])
@pytest.mark.parametrize(
    ("error", "code", "message"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), 2, "No space left"),
        (KeyboardInterrupt(), 130, "interrupted"),
    ],
    ids=["disk-full", "ctrl-c"],
)
def test_train_stopped_while_writing_metrics_keeps_the_finished_epochs(
    tmp_path: Path,
    data: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    error: BaseException,
    code: int,
    message: str,
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    path = out / name
    refused = fail_on_replace(monkeypatch, error, lambda t: t == path, after=2)
    argv = ["train", "--data-dir", str(data), "--epochs", "5", "--quiet"]
    result, _, err = run([*argv, "--metrics", str(path)])

    assert refused == [path]  # the third epoch's write
    line = one_line(result, err, "lrlab train", code)
    assert message in line
    assert sorted(p.name for p in out.iterdir()) == [name]  # no temporary
    if name.endswith(".csv"):
        rows = list(csv.DictReader(path.open()))
        assert [row["epoch"] for row in rows] == ["1", "2"]
        assert all(float(row["seconds"]) >= 0 for row in rows)
    else:
        records = [json.loads(line) for line in path.read_text().splitlines()]
        assert [record["epoch"] for record in records] == [1, 2]


# --- lrlab tune --out and --storage


TUNE = ["tune", "step(step_size=int(1, 3))", "--trials", "1", "--epochs", "1"]


@pytest.fixture
def tune_out(tmp_path: Path) -> Path:
    out = tmp_path / "tune-out"
    out.mkdir()
    (out / "trials.csv").write_bytes(b"number,state\n0,COMPLETE\n")
    (out / "best.toml").write_bytes(b'schedules = ["step(step_size=2)"]\n')
    return out


@pytest.mark.parametrize(
    "argv",
    [
        ["--storage", "{notes}"],
        ["--lr", "0"],
        ["--batch-size", "100000"],
        ["--data-dir", "{missing}"],
        ["--train-size", "100000"],
    ],
)
def test_tune_that_fails_leaves_the_earlier_results(
    tmp_path: Path, data: Path, tune_out: Path, argv: list[str]
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    argv = [a.format(notes=notes, missing=tmp_path / "missing") for a in argv]
    before = snapshot(tmp_path)
    storage = ["--storage", str(tmp_path / "t.db")]
    code, _, err = run(
        [*TUNE, "--data-dir", str(data), *storage, "--out", str(tune_out), *argv]
    )
    one_line(code, err, "lrlab tune")
    assert snapshot(tmp_path) == before


def test_tune_whose_write_fails_leaves_complete_files(
    tmp_path: Path, data: Path, tune_out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(tune_out)
    full = OSError(errno.ENOSPC, "No space left on device")
    refused = fail_on_replace(
        monkeypatch, full, lambda t: t.name == "best.toml", after=0
    )
    storage = ["--storage", str(tmp_path / "t.db")]
    code, _, err = run(
        [*TUNE, "--data-dir", str(data), *storage, "--out", str(tune_out), "--quiet"]
    )
    assert refused == [tune_out / "best.toml"]
    line = one_line(code, err, "lrlab tune")
    assert "argument --out: cannot write" in line and "No space left" in line
    after = snapshot(tune_out)
    assert after["best.toml"] == before["best.toml"]  # the old one, whole
    rows = list(csv.DictReader(io.StringIO(after["trials.csv"].decode())))
    assert [row["state"] for row in rows] == ["COMPLETE"]  # the new one, whole
    assert not [name for name in after if name.endswith(".tmp")]


# --- lrlab compare --out


def test_compare_that_fails_leaves_the_earlier_run(tmp_path: Path, data: Path) -> None:
    out = tmp_path / "cmp"
    argv = ["compare", "constant", "--data-dir", str(data), "--epochs", "1"]
    code, _, err = run([*argv, "--quiet", "--out", str(out)])
    assert code == 0, err
    before = snapshot(tmp_path)

    for bad in (
        ["unknown("],
        ["--epochs", "0"],
        ["--batch-size", "100000"],
        ["--data-dir", str(tmp_path / "missing")],
    ):
        code, _, err = run([*argv, *bad, "--out", str(out), "--overwrite"])
        assert code == 2 and len(err.splitlines()) == 1, err
        assert snapshot(tmp_path) == before

    # Without --overwrite a second run is refused before any training.
    code, _, err = run([*argv, "--out", str(out)])
    assert code == 2 and "argument --out" in err
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("earlier", [True, False])
def test_find_lr_without_a_curve_says_the_picture_is_not_written(
    tmp_path: Path, earlier: bool
) -> None:
    # An lr this large diverges at the first step: nothing to draw.
    path = tmp_path / "curve.png"
    if earlier:
        existing(tmp_path, "curve.png")
    before = snapshot(tmp_path)
    argv = ["find-lr", "--start-lr", "3e38", "--end-lr", "3.4e38", "--steps", "5"]
    code, out, err = run([*argv, "-o", str(path)])
    assert (code, err) == (0, "")
    note = f"note: {path} not written: no curve to draw"
    kept = " (the file there is left as it was)" if earlier else ""
    assert out.splitlines()[-1] == note + kept
    assert snapshot(tmp_path) == before
