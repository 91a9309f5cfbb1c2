"""``lrlab train``: the two lessons end to end, metrics files, bad input.

The lessons run on the full bundled MNIST (a few seconds each). A reference
implementation reaches about 0.919 (exponential) and 0.921 (step) test
accuracy with these settings; 0.915 leaves room for the rounding of other
machines and thread counts.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import tiny_mnist, write_idx
from test_readme import assert_same_table, shown_lesson

from lrlab.cli import main

EXPONENTIAL = "exponential(gamma=0.8)"
STEP = "step(step_size=5, gamma=0.5)"
FIELDS = ["epoch", "lr", "train_loss", "test_accuracy", "seconds"]
MIN_ACCURACY = 0.915


def closed_form(spec: str, epoch: int) -> float:
    if spec == EXPONENTIAL:
        return 0.1 * 0.8 ** (epoch - 1)
    return 0.1 * 0.5 ** ((epoch - 1) // 5)


def run(*argv: str) -> tuple[int, str, str]:
    """Run ``lrlab`` in this process; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as stop:
            code = stop.code
    return code, out.getvalue(), err.getvalue()


def epoch_rows(out: str) -> list[list[str]]:
    """The per-epoch lines, split into columns."""
    return [line.split() for line in out.splitlines() if line[:5].strip().isdigit()]


def final_accuracy(out: str) -> float:
    last = out.splitlines()[-1]
    assert last.startswith("final test accuracy: ")
    return float(last.rsplit(" ", 1)[1])


@pytest.fixture(scope="module")
def lessons(tmp_path_factory):
    """Each lesson once; exponential twice (metrics as .jsonl, then .csv)."""
    folder = tmp_path_factory.mktemp("metrics")
    jsonl, csv_path = folder / "exp.jsonl", folder / "exp.csv"
    lesson = ("train", "--seed", "0", "--schedule")
    return {
        "exp": run(*lesson, EXPONENTIAL, "--metrics", str(jsonl)),
        "exp again": run(*lesson, EXPONENTIAL, "--metrics", str(csv_path)),
        "step": run(*lesson, STEP),
        "jsonl": jsonl,
        "csv": csv_path,
    }


# --- the lessons -------------------------------------------------------------


@pytest.mark.parametrize(("name", "spec"), [("exp", EXPONENTIAL), ("step", STEP)])
def test_lesson_reaches_the_reference_accuracy(lessons, name, spec):
    code, out, err = lessons[name]

    assert (code, err) == (0, "")
    rows = epoch_rows(out)
    assert [int(row[0]) for row in rows] == list(range(1, 16))
    assert final_accuracy(out) >= MIN_ACCURACY
    assert float(rows[-1][3]) == final_accuracy(out)


@pytest.mark.parametrize(("name", "spec"), [("exp", EXPONENTIAL), ("step", STEP)])
def test_printed_lrs_are_the_closed_forms(lessons, name, spec):
    rows = epoch_rows(lessons[name][1])
    printed = [row[1] for row in rows]
    assert printed == [f"{closed_form(spec, epoch):.6g}" for epoch in range(1, 16)]


def test_printed_lrs_of_the_exponential_lesson_by_hand(lessons):
    printed = [row[1] for row in epoch_rows(lessons["exp"][1])]
    assert printed[:5] == ["0.1", "0.08", "0.064", "0.0512", "0.04096"]
    assert printed[-1] == "0.00439805"


@pytest.mark.parametrize(("name", "spec"), [("exp", EXPONENTIAL), ("step", STEP)])
def test_the_readme_shows_this_output(lessons, name, spec):
    assert_same_table(lessons[name][1].splitlines(), shown_lesson(spec))


def test_output_names_the_setup(lessons):
    out = lessons["step"][1]
    assert "60000 training, 10000 test images" in out
    assert "schedule step(step_size=5, gamma=0.5), lr 0.1, 15 epochs" in out
    assert "batch 100, seed 0" in out


def test_same_seed_same_output(lessons):
    assert lessons["exp"][1] == lessons["exp again"][1]


# --- metrics files -----------------------------------------------------------


def read_metrics(path: Path) -> list[dict]:
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text().splitlines()]
    with path.open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == FIELDS
    return [
        {
            "epoch": int(row["epoch"]),
            **{name: float(row[name]) for name in FIELDS[1:]},
        }
        for row in rows
    ]


@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_metrics_file_has_one_exact_record_per_epoch(lessons, kind):
    records = read_metrics(lessons[kind])
    printed = epoch_rows(lessons["exp"][1])

    assert len(records) == 15
    assert all(list(record) == FIELDS for record in records)
    assert [r["epoch"] for r in records] == list(range(1, 16))
    assert [r["lr"] for r in records] == [
        closed_form(EXPONENTIAL, e) for e in range(1, 16)
    ]
    for record, row in zip(records, printed, strict=True):
        assert f"{record['train_loss']:.4f}" == row[2]
        assert f"{record['test_accuracy']:.4f}" == row[3]
        assert 0 < record["seconds"] < 60


def test_jsonl_and_csv_hold_the_same_values(lessons):
    def values(records):
        return [{k: v for k, v in r.items() if k != "seconds"} for r in records]

    assert values(read_metrics(lessons["jsonl"])) == values(
        read_metrics(lessons["csv"])
    )


def test_metrics_file_is_replaced_and_no_temporary_file_is_left(tiny_dir, tmp_path):
    target = tmp_path / "out" / "run.csv"
    target.parent.mkdir()
    target.write_text("old contents\n")

    code, _, _ = run(
        "train", "--data-dir", str(tiny_dir), "--epochs", "3", "--metrics", str(target)
    )

    assert code == 0
    assert len(read_metrics(target)) == 3
    assert os.listdir(target.parent) == ["run.csv"]


# --- other options -----------------------------------------------------------


def test_quiet_prints_only_the_final_accuracy(tiny_dir):
    code, out, err = run(
        "train", "--data-dir", str(tiny_dir), "--epochs", "2", "--quiet"
    )
    assert (code, err) == (0, "")
    assert out.count("\n") == 1
    assert out.startswith("final test accuracy: ")


def test_data_dir_options_reach_the_training(tiny_dir):
    code, out, _ = run(
        "train",
        "--data-dir",
        str(tiny_dir),
        "--schedule",
        STEP,
        "--epochs",
        "6",
        "--lr",
        "0.5",
        "--batch-size",
        "30",
        "--seed",
        "3",
    )

    assert code == 0
    assert f"{tiny_dir}: 300 training, 100 test images; Linear(36, 10)" in out
    assert [row[1] for row in epoch_rows(out)] == ["0.5"] * 5 + ["0.25"]
    assert "lr 0.5, 6 epochs, batch 30, seed 3" in out


def test_default_schedule_is_the_exponential_lesson(tiny_dir):
    _, out, _ = run("train", "--data-dir", str(tiny_dir), "--epochs", "2")
    assert f"schedule {EXPONENTIAL}" in out


def test_other_seed_other_output(tiny_dir):
    _, first, _ = run("train", "--data-dir", str(tiny_dir), "--seed", "1")
    _, second, _ = run("train", "--data-dir", str(tiny_dir), "--seed", "2")
    assert epoch_rows(first) != epoch_rows(second)


def test_help_explains_every_option_and_its_default(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())

    assert stop.value.code == 0
    for option, default in [
        ("--schedule", f"(default: '{EXPONENTIAL}'"),
        ("--epochs", "(default: 15)"),
        ("--lr", "(default: 0.1)"),
        ("--batch-size", "(default: 100)"),
        ("--seed", "(default: 0)"),
        ("--data-dir", "(default: the copy bundled with lrlab)"),
        ("--metrics", "(default: none)"),
        ("--quiet", "(default: off)"),
    ]:
        assert option in text
        assert default in text


def test_top_level_help_lists_train(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "train" in capsys.readouterr().out


# --- bad input: one line on stderr naming the option and value, exit 2 --------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--schedule", "exponential(gamma=0)"],
            "argument --schedule: gamma must be a positive number, got 0 "
            "(in 'exponential(gamma=0)')",
        ),
        (
            ["--schedule", "exponential(gamma=-0.8)"],
            "argument --schedule: gamma must be a positive number, got -0.8",
        ),
        (
            ["--schedule", "step(step_size=0)"],
            "argument --schedule: step_size must be a positive integer, got 0",
        ),
        (
            ["--schedule", "exponentail(gamma=0.8)"],
            "argument --schedule: invalid spec 'exponentail(gamma=0.8)' at "
            "position 0: unknown schedule 'exponentail'",
        ),
        (
            ["--schedule", "exponential(gama=0.8)"],
            "exponential() has no argument 'gama'",
        ),
        (
            ["--epoch", "3"],
            "unrecognized arguments: --epoch 3 (did you mean --epochs?)",
        ),
        (["--epochs", "0"], "argument --epochs: must be a positive integer, got 0"),
        (
            ["--batch-size", "0"],
            "argument --batch-size: must be a positive integer, got 0",
        ),
        (["--lr", "-1"], "argument --lr: must be a positive number, got -1"),
        (["--lr", "nan"], "argument --lr: must be a positive number, got nan"),
        (
            ["--seed", "-1"],
            "argument --seed: must be an integer from 0 to 2**63 - 1, got -1",
        ),
        (
            ["--data-dir", "no/such/folder"],
            "argument --data-dir: directory does not exist, got 'no/such/folder'",
        ),
        (["--data-dir", ""], "argument --data-dir: must name a directory, got ''"),
        (
            ["--data-dir", __file__],
            f"argument --data-dir: not a directory, got {__file__!r}",
        ),
        (
            ["--metrics", "run.txt"],
            "argument --metrics: metrics file must end in .jsonl or .csv, "
            "got 'run.txt'",
        ),
        (
            ["--metrics", "no/such/folder/run.csv"],
            "argument --metrics: folder 'no/such/folder' does not exist",
        ),
        (
            ["--batch-size", "60001"],
            "argument --batch-size: must be at most the number of training "
            "images (60000), got 60001",
        ),
    ],
)
def test_bad_input(argv, message):
    code, out, err = run("train", *argv)

    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("lrlab train: error: ")
    assert message in err


def test_corrupt_file_in_data_dir(tmp_path):
    folder = tiny_mnist(tmp_path / "d")
    labels = folder / "train-labels-idx1-ubyte.gz"
    labels.write_bytes(labels.read_bytes()[:-12])

    code, out, err = run("train", "--data-dir", str(folder))

    assert (code, out) == (2, "")
    assert err == (
        f"lrlab train: error: argument --data-dir: {labels}: truncated gzip data\n"
    )


def test_mismatched_counts_in_data_dir(tmp_path):
    folder = tiny_mnist(tmp_path / "d", gz=False)
    write_idx(folder / "t10k-labels-idx1-ubyte", [1, 2, 3])

    code, _, err = run("train", "--data-dir", str(folder))

    assert code == 2
    assert "3 labels but t10k-images-idx3-ubyte has 100 images" in err


# Through the installed console script: proves no traceback reaches the user.


def lrlab_process(*argv: str) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("lrlab")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "lrlab.cli"]
    return subprocess.run(
        [*command, *argv], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--schedule", "exponential(gamma=0)"],
            "lrlab train: error: argument --schedule: gamma must be a positive "
            "number, got 0 (in 'exponential(gamma=0)')\n",
        ),
        (
            ["--epochs", "0"],
            "lrlab train: error: argument --epochs: must be a positive integer, "
            "got 0\n",
        ),
    ],
)
def test_console_script_bad_input_is_one_line_and_exit_2(argv, message):
    done = lrlab_process("train", *argv)

    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == message


def test_console_script_runs_the_lesson_on_a_folder(tiny_dir):
    done = lrlab_process("train", "--data-dir", str(tiny_dir), "--epochs", "2")

    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert len(epoch_rows(done.stdout)) == 2


def lrlab_popen(*argv: str) -> subprocess.Popen:
    script = Path(sys.executable).with_name("lrlab")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "lrlab.cli"]
    return subprocess.Popen(
        [*command, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_reader_going_away_is_not_an_error_message(tiny_dir):
    # Enough output to fill the pipe, so that writing fails once it is closed.
    process = lrlab_popen(
        "train", "--data-dir", str(tiny_dir), "--epochs", "5000", "--batch-size", "300"
    )
    process.stdout.readline()
    process.stdout.close()

    assert process.wait(timeout=120) == 1
    assert process.stderr.read() == ""


def test_interrupt_is_one_line(tiny_dir):
    process = lrlab_popen(
        "train",
        "--data-dir",
        str(tiny_dir),
        "--epochs",
        "100000",
        "--batch-size",
        "300",
    )
    for _ in range(5):
        process.stdout.readline()
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)

    assert process.returncode == 130
    assert err == "lrlab train: interrupted\n"
