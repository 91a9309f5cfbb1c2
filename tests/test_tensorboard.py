"""``--tensorboard DIR``: real runs, read back with TensorBoard's own reader.

Every run here trains on the small dataset of ``conftest.tiny_mnist``. The
event files are read with ``EventAccumulator``, which shows what the
TensorBoard app shows (purged events hidden), and compared with the
metrics files of the same run: lr exactly as float32, epochs as steps.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lrlab.cli import main
from lrlab.tensorboard_log import TAGS, run_name

HAS_TENSORBOARD = importlib.util.find_spec("tensorboard") is not None
needs_tensorboard = pytest.mark.skipif(
    not HAS_TENSORBOARD, reason="the tensorboard package is not installed"
)

EXPONENTIAL = "exponential(gamma=0.8)"
STEP = "step(step_size=2, gamma=0.5)"
HINT = "needs the tensorboard package (pip install tensorboard)"
WITH_TENSORBOARD = "import sys; from lrlab.cli import main; sys.exit(main())"
# Runs the command line with the tensorboard package made unimportable.
WITHOUT_TENSORBOARD = (
    "import sys; sys.modules['tensorboard'] = None; "
    "from lrlab.cli import main; sys.exit(main())"
)


@pytest.fixture
def tiny(tiny_dir: Path) -> list[str]:
    """Options that train on the small dataset, quickly."""
    return ["--data-dir", str(tiny_dir), "--batch-size", "20"]


def lrlab(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    try:
        code = main([str(arg) for arg in argv])
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def scalars(folder: Path) -> dict[str, list[tuple[int, float]]]:
    """Each tag's (step, value) pairs, as TensorBoard shows them."""
    from tensorboard.backend.event_processing.event_accumulator import (
        EventAccumulator,
    )

    accumulator = EventAccumulator(str(folder))
    accumulator.Reload()
    assert sorted(accumulator.Tags()["scalars"]) == sorted(TAGS)
    return {
        tag: [(event.step, event.value) for event in accumulator.Scalars(tag)]
        for tag in TAGS
    }


def expected(rows: list[dict[str, object]]) -> dict[str, list[tuple[int, float]]]:
    """The metrics rows as TensorBoard stores them: float32 at step = epoch."""
    return {
        tag: [(row["epoch"], float(np.float32(row[tag]))) for row in rows]
        for tag in TAGS
    }


def jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def event_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("events.out.tfevents.*"))


# --- lrlab train --------------------------------------------------------------


@needs_tensorboard
def test_train_logs_each_epoch_as_the_metrics_file_has_it(tmp_path, capsys, tiny):
    board, metrics = tmp_path / "tb" / "exp", tmp_path / "m.jsonl"

    code, _, err = lrlab(
        capsys, "train", *tiny, "--epochs", 4, "--schedule", EXPONENTIAL,
        "--metrics", metrics, "--tensorboard", board,
    )  # fmt: skip

    assert code == 0, err
    assert err == ""
    rows = jsonl(metrics)
    assert [row["epoch"] for row in rows] == [1, 2, 3, 4]
    logged = scalars(board)
    assert logged == expected(rows)
    assert [lr for _, lr in logged["lr"]] == [
        float(np.float32(0.1 * 0.8**k)) for k in range(4)
    ]
    assert len(event_files(board)) == 1


@needs_tensorboard
def test_train_resumed_logs_only_the_epochs_after_the_checkpoint(
    tmp_path, capsys, tiny
):
    board, metrics, ck = tmp_path / "tb", tmp_path / "m.jsonl", tmp_path / "ck"
    first = ["train", *tiny, "--schedule", STEP, "--tensorboard", board]
    assert lrlab(capsys, *first, "--epochs", 2, "--checkpoint-dir", ck)[0] == 0
    before = scalars(board)

    code, _, err = lrlab(
        capsys, *first, "--epochs", 5, "--resume", ck, "--metrics", metrics
    )

    assert code == 0, err
    logged = scalars(board)
    assert logged == expected(jsonl(metrics))
    assert [step for step, _ in logged["lr"]] == [1, 2, 3, 4, 5]
    assert {tag: values[:2] for tag, values in logged.items()} == before
    # No epoch is written twice: the resumed run's file starts at epoch 3.
    newest = scalars_in_file(event_files(board)[-1])
    assert [step for step, _ in newest["lr"]] == [3, 4, 5]


def scalars_in_file(path: Path) -> dict[str, list[tuple[int, float]]]:
    """The scalars of one event file, all of them, purged or not."""
    from tensorboard.backend.event_processing.event_file_loader import (
        EventFileLoader,
    )

    found: dict[str, list[tuple[int, float]]] = {}
    for event in EventFileLoader(str(path)).Load():
        for value in event.summary.value:
            found.setdefault(value.tag, []).append((event.step, value.simple_value))
    return found


@needs_tensorboard
def test_train_resumed_from_an_older_checkpoint_hides_the_later_epochs(
    tmp_path, capsys, tiny
):
    # The newest checkpoint is gone (as when it is damaged): the run goes on
    # from epoch 2, and TensorBoard shows epoch 3 once, from the new run.
    board, metrics, ck = tmp_path / "tb", tmp_path / "m.jsonl", tmp_path / "ck"
    argv = ["train", *tiny, "--schedule", STEP, "--tensorboard", board]
    assert lrlab(capsys, *argv, "--epochs", 3, "--checkpoint-dir", ck,
                 "--keep-checkpoints", 3)[0] == 0  # fmt: skip
    (ck / "checkpoint-000003.pt").unlink()

    code, _, err = lrlab(
        capsys, *argv, "--epochs", 4, "--resume", ck, "--metrics", metrics
    )

    assert code == 0, err
    logged = scalars(board)
    assert [step for step, _ in logged["lr"]] == [1, 2, 3, 4]
    assert logged == expected(jsonl(metrics))


@needs_tensorboard
def test_train_resumed_into_a_new_folder_logs_the_whole_run(tmp_path, capsys, tiny):
    metrics, ck = tmp_path / "m.jsonl", tmp_path / "ck"
    argv = ["train", *tiny, "--schedule", EXPONENTIAL]
    assert lrlab(capsys, *argv, "--epochs", 2, "--checkpoint-dir", ck)[0] == 0

    code, _, err = lrlab(
        capsys, *argv, "--epochs", 3, "--resume", ck, "--metrics", metrics,
        "--tensorboard", tmp_path / "new",
    )  # fmt: skip

    assert code == 0, err
    assert scalars(tmp_path / "new") == expected(jsonl(metrics))


@needs_tensorboard
def test_a_fresh_run_replaces_what_the_folder_showed(tmp_path, capsys, tiny):
    board, metrics = tmp_path / "tb", tmp_path / "m.jsonl"
    argv = ["train", *tiny, "--tensorboard", board]
    assert lrlab(capsys, *argv, "--epochs", 3, "--schedule", EXPONENTIAL)[0] == 0

    code, _, err = lrlab(
        capsys, *argv, "--epochs", 2, "--schedule", STEP, "--metrics", metrics
    )

    assert code == 0, err
    assert scalars(board) == expected(jsonl(metrics))


@needs_tensorboard
def test_a_diverged_train_run_keeps_the_epochs_before(tmp_path, capsys, tiny):
    board, metrics = tmp_path / "tb", tmp_path / "m.jsonl"

    code, _, err = lrlab(
        capsys, "train", *tiny, "--epochs", 3, "--schedule",
        "exponential(gamma=1e300)", "--metrics", metrics, "--tensorboard", board,
    )  # fmt: skip

    assert code == 3
    assert "training diverged at epoch 2" in err
    assert [row["epoch"] for row in jsonl(metrics)] == [1]
    assert scalars(board) == expected(jsonl(metrics))


@needs_tensorboard
def test_an_interrupted_run_has_its_epochs_on_disk(tmp_path, tiny):
    board = tmp_path / "tb"
    process = subprocess.Popen(
        [sys.executable, "-c", WITH_TENSORBOARD, "train",
         *tiny, "--batch-size", "300", "--epochs", "100000",
         "--tensorboard", str(board)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    printed = []
    while len(printed) < 3:
        line = process.stdout.readline()
        if line[:5].strip().isdigit():
            printed.append(int(line.split()[0]))
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)

    assert process.returncode == 130, err
    assert err == "lrlab train: interrupted\n"
    steps = [step for step, _ in scalars(board)["lr"]]
    assert steps[:3] == printed
    assert steps == list(range(1, len(steps) + 1))


# --- lrlab compare ------------------------------------------------------------


@needs_tensorboard
def test_compare_logs_one_run_per_schedule(tmp_path, capsys, tiny):
    board, out = tmp_path / "tb", tmp_path / "out"
    specs = [EXPONENTIAL, STEP, "constant()"]  # as the metrics spell them

    code, _, err = lrlab(
        capsys, "compare", *specs, *tiny, "--epochs", 3, "--out", out,
        "--tensorboard", board, "--quiet",
    )  # fmt: skip

    assert code == 0, err
    names = [run_name(index, spec) for index, spec in enumerate(specs)]
    assert names == [
        "0-exponential_gamma=0.8", "1-step_step_size=2_gamma=0.5", "2-constant"
    ]  # fmt: skip
    assert sorted(os.listdir(board)) == names
    rows = jsonl(out / "metrics.jsonl")
    for name, spec in zip(names, specs, strict=True):
        mine = [row for row in rows if row["schedule"] == spec]
        assert scalars(board / name) == expected(mine)
    lrs = {name: [lr for _, lr in scalars(board / name)["lr"]] for name in names}
    tenth, twentieth = float(np.float32(0.1)), float(np.float32(0.05))
    assert lrs[names[1]] == [tenth, tenth, twentieth]
    assert lrs[names[2]] == [tenth] * 3


@needs_tensorboard
def test_compare_resumed_and_diverged(tmp_path, capsys, tiny):
    # One schedule diverges in epoch 2: its run stops at epoch 1, the other
    # goes on, before and after the resume.
    board, out, ck = tmp_path / "tb", tmp_path / "out", tmp_path / "ck"
    specs = ["constant()", "exponential(gamma=1e+300)"]
    argv = ["compare", *specs, *tiny, "--tensorboard", board, "--quiet"]
    code, _, err = lrlab(
        capsys, *argv, "--epochs", 2, "--out", tmp_path / "first",
        "--checkpoint-dir", ck,
    )  # fmt: skip
    assert code == 0, err

    code, _, err = lrlab(capsys, *argv, "--epochs", 4, "--out", out, "--resume", ck)

    assert code == 0, err
    rows = jsonl(out / "metrics.jsonl")
    for index, spec in enumerate(specs):
        mine = [row for row in rows if row["schedule"] == spec]
        assert scalars(board / run_name(index, spec)) == expected(mine)
    assert len(scalars(board / "0-constant")["lr"]) == 4
    assert len(scalars(board / "1-exponential_gamma=1e+300")["lr"]) == 1


def test_run_names_are_safe_short_and_sorted():
    assert run_name(3, "[" * 5000 + "]" * 5000) == "3-schedule"
    assert run_name(0, "a/b\\c:d*e") == "0-a_b_c_d_e"
    assert len(run_name(0, "constant(" + "1" * 500 + ")")) == 2 + 80
    names = [run_name(index, "constant", count=11) for index in range(11)]
    assert names == sorted(names)
    assert names[0] == "00-constant"


# --- bad input: one line, exit 2, before any training or file -----------------


def run_without_tensorboard(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_TENSORBOARD, *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "--metrics", "m.csv", "--checkpoint-dir", "ck"],
        ["compare", "constant", "--out", "out", "--checkpoint-dir", "ck"],
    ],
    ids=["train", "compare"],
)
def test_without_the_package_it_is_one_line_and_nothing_is_written(
    argv, tmp_path, tiny_dir
):
    work = tmp_path / "work"
    work.mkdir()
    argv = [*argv, "--data-dir", str(tiny_dir), "--tensorboard", "tb"]

    result = run_without_tensorboard(argv, work)

    assert result.returncode == 2, result.stderr
    assert result.stderr == f"lrlab {argv[0]}: error: argument --tensorboard: {HINT}\n"
    assert result.stdout == ""
    assert list(work.iterdir()) == []


def test_without_the_package_other_runs_go_on(tmp_path, tiny_dir):
    argv = ["train", "--data-dir", str(tiny_dir), "--epochs", "1", "--quiet"]

    result = run_without_tensorboard(argv, tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("final test accuracy: ")


def test_lrlab_and_train_without_the_option_do_not_import_tensorboard(tiny_dir):
    code = (
        "import sys, lrlab, lrlab.cli\n"
        "assert 'tensorboard' not in sys.modules\n"
        f"lrlab.cli.main(['train', '--data-dir', {str(tiny_dir)!r}, '--epochs', "
        "'1', '--quiet'])\n"
        "loaded = [name for name in sys.modules if name.startswith("
        "('tensorboard', 'torch.utils.tensorboard'))]\n"
        "assert loaded == [], loaded\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr


@needs_tensorboard
@pytest.mark.parametrize(
    ("command", "folder", "message"),
    [
        ("train", "{file}", "'{file}' is a file, not a folder"),
        ("train", "{file}/tb", "'{file}' is a file, not a folder, got '{file}/tb'"),
        ("train", "", "must name a folder, got ''"),
        ("compare", "{file}", "'{file}' is a file, not a folder"),
        ("compare", "out/tb", "must not be inside --out 'out', got 'out/tb'"),
        ("compare", "out", "must not be inside --out 'out', got 'out'"),
    ],
)
def test_a_bad_folder_is_one_line_before_training(
    command, folder, message, tmp_path, capsys, tiny, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    a_file = tmp_path / "a-file.txt"
    a_file.write_text("not a folder\n")
    folder, message = (text.format(file=a_file) for text in (folder, message))
    before = sorted(os.listdir(tmp_path))
    argv = [command, *tiny, "--tensorboard", folder]
    if command == "compare":
        argv += ["constant", "--out", "out"]

    code, out, err = lrlab(capsys, *argv)

    assert code == 2
    assert err == f"lrlab {command}: error: argument --tensorboard: {message}\n"
    assert out == ""
    assert sorted(os.listdir(tmp_path)) == before


@needs_tensorboard
@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_an_unwritable_folder_is_one_line_before_training(tmp_path, capsys, tiny):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        code, _, err = lrlab(capsys, "train", *tiny, "--tensorboard", locked / "tb")
    finally:
        locked.chmod(0o755)

    assert code == 2
    assert err.startswith(
        f"lrlab train: error: argument --tensorboard: cannot create a folder in "
        f"'{locked}': Permission denied"
    )
    assert list(locked.iterdir()) == []
