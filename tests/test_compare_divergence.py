"""``lrlab compare``: a schedule that diverges stops alone, the others go on."""

from __future__ import annotations

import contextlib
import csv
import io
import json

from conftest import tiny_mnist

from lrlab.cli import main

JUMP = "piecewise_constant(boundaries=[2], factors=[1, 1e39])"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_a_diverged_schedule_is_marked_and_keeps_its_good_epochs(tmp_path):
    data = tiny_mnist(tmp_path / "data", num_train=250)
    out = tmp_path / "out"

    code, printed, err = run(
        "compare", "constant", JUMP, "--data-dir", str(data), "--lr", "0.5",
        "--batch-size", "25", "--epochs", "4", "--out", str(out), "--quiet",
    )  # fmt: skip

    assert (code, err) == (0, "")
    assert (
        "piecewise_constant(boundaries=[2], factors=[1.0, 1e+39]): training "
        "diverged at epoch 3, step 3: loss is nan at lr 5e+38"
    ) in printed
    summary = json.loads((out / "summary.json").read_text())
    assert [r["diverged"] for r in summary["results"]] == [
        None,
        "training diverged at epoch 3, step 3: loss is nan at lr 5e+38",
    ]
    with (out / "metrics.csv").open(newline="") as file:
        rows = list(csv.DictReader(file))
    epochs = {}
    for row in rows:
        epochs.setdefault(row["schedule"], []).append(int(row["epoch"]))
    assert list(epochs.values()) == [[1, 2, 3, 4], [1, 2]]
    assert "nan" not in (out / "metrics.csv").read_text()


def test_every_schedule_diverged_in_epoch_1_is_exit_3_with_a_report(tmp_path):
    data = tiny_mnist(tmp_path / "data", num_train=250)
    out = tmp_path / "out"

    code, printed, err = run(
        "compare", "constant", "exponential(gamma=2)", "--data-dir", str(data),
        "--lr", "1e300", "--epochs", "2", "--out", str(out), "--quiet",
    )  # fmt: skip

    assert code == 3
    assert err == ""
    assert printed.count("training diverged at epoch 1") == 2
    assert (out / "report.html").is_file()
    summary = json.loads((out / "summary.json").read_text())
    assert [r["final_test_accuracy"] for r in summary["results"]] == [None, None]
