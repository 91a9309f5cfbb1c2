"""``lrlab compare --checkpoint-dir / --resume``: all models in one file."""

from __future__ import annotations

import contextlib
import csv
import io

from conftest import tiny_mnist

from lrlab.checkpoint import checkpoint_files, load_checkpoint
from lrlab.cli import main

SPECS = ("constant", "step(step_size=2, gamma=0.5)")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def metrics(folder):
    with (folder / "metrics.csv").open(newline="") as file:
        return [
            {k: v for k, v in row.items() if k != "seconds"}
            for row in csv.DictReader(file)
        ]


def test_resumed_comparison_equals_a_whole_one(tmp_path):
    data = tiny_mnist(tmp_path / "data", num_train=250)
    common = ("compare", *SPECS, "--data-dir", str(data), "--batch-size", "25")
    common += ("--quiet",)
    ck = tmp_path / "ck"

    run(
        *common,
        "--epochs",
        "2",
        "--checkpoint-dir",
        str(ck),
        "--out",
        str(tmp_path / "a"),
    )
    saved = load_checkpoint(checkpoint_files(ck)[-1])
    code, _, err = run(
        *common, "--epochs", "4", "--resume", str(ck), "--out", str(tmp_path / "b")
    )
    run(*common, "--epochs", "4", "--out", str(tmp_path / "c"))

    assert saved.schedules == ("constant()", "step(step_size=2, gamma=0.5)")
    assert tuple(saved.weight.shape) == (2, 10, 36)
    assert (code, err) == (0, "")
    assert metrics(tmp_path / "b") == metrics(tmp_path / "c")
    assert [p.name for p in checkpoint_files(ck)][-1] == "checkpoint-000004.pt"


def test_other_schedules_are_refused(tmp_path):
    data = tiny_mnist(tmp_path / "data", num_train=250)
    ck = tmp_path / "ck"
    run(
        "compare",
        *SPECS,
        "--data-dir",
        str(data),
        "--epochs",
        "1",
        "--quiet",
        "--checkpoint-dir",
        str(ck),
        "--out",
        str(tmp_path / "a"),
    )

    code, out, err = run(
        "compare",
        "constant",
        "cosine(total_steps=4)",
        "--data-dir",
        str(data),
        "--epochs",
        "2",
        "--resume",
        str(ck),
        "--out",
        str(tmp_path / "b"),
    )

    assert (code, out) == (2, "")
    assert err == (
        "lrlab compare: error: argument --resume: checkpoint was made with "
        "schedules=['constant()', 'step(step_size=2, gamma=0.5)'], this run has "
        "schedules=['constant()', 'cosine(total_steps=4)']; pass "
        "--allow-config-change to continue anyway\n"
    )
