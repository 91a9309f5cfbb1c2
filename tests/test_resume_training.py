"""Kill ``lrlab train`` with SIGKILL at random moments, resume, compare.

A run on 6,000 training and 1,000 test images of the bundled MNIST (about
10 ms an epoch) is killed several times: after a random delay once some
checkpoints exist, and as soon as a checkpoint is being written (its
temporary file is seen). Each time it is resumed with ``--resume``. The
end must equal an uninterrupted run bit for bit: the final weights, the
generator state, and every epoch's lr, loss and accuracy, each epoch once
in the metrics file. The delays are random; a failure prints them.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import write_idx

from lrlab.checkpoint import checkpoint_files, load_checkpoint
from lrlab.cli import main
from lrlab.data import load_mnist

EPOCHS = 30
OPTIONS = ("--epochs", str(EPOCHS), "--schedule", "step(step_size=4, gamma=0.7)")
OPTIONS += ("--lr", "0.2", "--batch-size", "50", "--seed", "11")


@pytest.fixture(scope="module")
def subset(tmp_path_factory) -> Path:
    """6,000 training and 1,000 test images of the bundled MNIST, as IDX."""
    mnist = load_mnist()
    folder = tmp_path_factory.mktemp("subset")
    for prefix, split, count in (
        ("train", mnist.train, 6000),
        ("t10k", mnist.test, 1000),
    ):
        write_idx(folder / f"{prefix}-images-idx3-ubyte", split.images[:count])
        write_idx(folder / f"{prefix}-labels-idx1-ubyte", split.labels[:count])
    return folder


def run_here(*argv: str) -> tuple[int, str, str]:
    """``lrlab`` in this process, leaving the global random states alone."""
    out, err = io.StringIO(), io.StringIO()
    python_state, numpy_state = random.getstate(), np.random.get_state()
    with (
        torch.random.fork_rng(devices=[]),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        code = main(list(argv))
    random.setstate(python_state)
    np.random.set_state(numpy_state)
    return code, out.getvalue(), err.getvalue()


def start(*argv: str) -> subprocess.Popen:
    script = Path(sys.executable).with_name("lrlab")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "lrlab.cli"]
    return subprocess.Popen(
        [*command, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def wait_until(condition, process: subprocess.Popen, timeout: float = 120) -> bool:
    """Poll ``condition`` until true (True) or the process ends (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if process.poll() is not None:
            return False
    raise AssertionError("the run neither ended nor got there in time")


def temporary_files(folder: Path) -> list[str]:
    try:
        return [name for name in os.listdir(folder) if name.endswith(".tmp")]
    except FileNotFoundError:
        return []


def newest_epoch(folder: Path) -> int:
    """The newest checkpoint's epoch, from its name; 0 if there is none."""
    files = checkpoint_files(folder)
    return int(files[-1].stem.split("-")[1]) if files else 0


def kill(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)


def outcome(folder: Path, metrics: Path) -> dict:
    """What must match: weights, generator, records (all but seconds)."""
    last = load_checkpoint(checkpoint_files(folder)[-1])
    rows = [json.loads(line) for line in metrics.read_text().splitlines()]
    return {
        "epoch": last.epoch,
        "weight": last.weight,
        "bias": last.bias,
        "generator": last.generator_state,
        "records": [
            (r.epoch, r.lr, r.train_loss, r.test_accuracy) for r in last.records[0]
        ],
        "metrics": [
            (r["epoch"], r["lr"], r["train_loss"], r["test_accuracy"]) for r in rows
        ],
    }


def test_killed_and_resumed_runs_equal_an_uninterrupted_one(subset, tmp_path):
    reference_dir, reference_metrics = tmp_path / "reference", tmp_path / "ref.jsonl"
    code, _, err = run_here(
        "train",
        "--data-dir",
        str(subset),
        *OPTIONS,
        "--checkpoint-dir",
        str(reference_dir),
        "--metrics",
        str(reference_metrics),
        "--quiet",
    )
    assert (code, err) == (0, "")
    expected = outcome(reference_dir, reference_metrics)
    assert expected["epoch"] == EPOCHS

    folder, metrics = tmp_path / "killed", tmp_path / "killed.jsonl"
    common = ("--data-dir", str(subset), *OPTIONS, "--metrics", str(metrics))
    rng = random.Random()
    plan = [
        ("delay", rng.uniform(0, 0.15)),
        ("writing", 0),
        ("delay", rng.uniform(0, 0.3)),
        ("delay", rng.uniform(0, 0.05)),
    ]
    history = []
    first = ("--checkpoint-dir", str(folder))
    for kind, delay in plan:
        done_before = newest_epoch(folder)
        process = start("train", *common, *first)
        first = ("--resume", str(folder))
        if kind == "writing":
            stale = set(temporary_files(folder))  # the resumed run removes them
            seen = wait_until(
                lambda stale=stale: set(temporary_files(folder)) - stale, process
            )
        else:
            seen = wait_until(
                lambda done=done_before: newest_epoch(folder) > done, process
            )
            time.sleep(delay)
        kill(process)
        history.append(
            (kind, round(delay, 3), seen, process.returncode, temporary_files(folder))
        )

    code, out, err = run_here("train", *common, "--resume", str(folder))
    assert code == 0, (history, err)
    assert "resuming from" in out
    assert temporary_files(folder) == [], history
    got = outcome(folder, metrics)
    assert got["epoch"] == EPOCHS, history
    assert torch.equal(got["weight"], expected["weight"]), history
    assert torch.equal(got["bias"], expected["bias"]), history
    assert torch.equal(got["generator"], expected["generator"]), history
    assert got["records"] == expected["records"], history
    assert got["metrics"] == expected["metrics"] == expected["records"], history
    assert [row[0] for row in got["metrics"]] == list(range(1, EPOCHS + 1))


def test_printed_rows_of_a_resumed_run_are_those_of_a_whole_run(subset, tmp_path):
    common = ("train", "--data-dir", str(subset), "--epochs", "4", "--seed", "2")
    _, whole, _ = run_here(*common)
    run_here(
        *common[:-4],
        "--epochs",
        "2",
        "--seed",
        "2",
        "--checkpoint-dir",
        str(tmp_path / "c"),
        "--quiet",
    )
    code, resumed, _ = run_here(*common, "--resume", str(tmp_path / "c"))

    assert code == 0
    rows = [line for line in whole.splitlines() if line[:5].strip().isdigit()]
    assert [line for line in resumed.splitlines() if line[:5].strip().isdigit()] == rows
    assert resumed.splitlines()[-1] == whole.splitlines()[-1]
