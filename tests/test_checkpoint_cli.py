"""``lrlab train --checkpoint-dir / --resume``: messages, refusals, warnings."""

from __future__ import annotations

import contextlib
import io
import json
import random

import numpy as np
import pytest
import torch
from conftest import tiny_mnist

from lrlab.checkpoint import checkpoint_files
from lrlab.cli import main


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    python_state, numpy_state = random.getstate(), np.random.get_state()
    with (
        torch.random.fork_rng(devices=[]),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            code = main(list(argv))
        except SystemExit as stop:
            code = stop.code
    random.setstate(python_state)
    np.random.set_state(numpy_state)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def started(tiny_dir, tmp_path):
    """Three epochs of a run with checkpoints; returns its options and folder."""
    options = ("train", "--data-dir", str(tiny_dir), "--lr", "0.3", "--quiet")
    folder = tmp_path / "ck"
    code, _, err = run(*options, "--epochs", "3", "--checkpoint-dir", str(folder))
    assert (code, err) == (0, "")
    return options, folder


def error_line(err: str) -> str:
    assert err.count("\n") == 1
    return err


def test_resume_says_where_from_and_writes_every_epoch_once(started, tmp_path):
    options, folder = started
    metrics = tmp_path / "m.jsonl"
    metrics.write_text('{"epoch": 1}\n' * 9)  # left by the stopped run, say

    code, out, err = run(
        *options[:-1],
        "--epochs",
        "5",
        "--resume",
        str(folder),
        "--metrics",
        str(metrics),
    )

    assert (code, err) == (0, "")
    assert f"resuming from {folder / 'checkpoint-000003.pt'} (epoch 3 done)" in out
    rows = [json.loads(line) for line in metrics.read_text().splitlines()]
    assert [row["epoch"] for row in rows] == [1, 2, 3, 4, 5]
    assert [p.name for p in checkpoint_files(folder)] == [
        "checkpoint-000004.pt",
        "checkpoint-000005.pt",
    ]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ("--lr", "0.2", "--epochs", "3"),
            "argument --resume: checkpoint was made with lr=0.3, this run has "
            "lr=0.2; pass --allow-config-change to continue anyway",
        ),
        (
            ("--lr", "0.3", "--schedule", "constant"),
            "checkpoint was made with schedule='exponential(gamma=0.8)', this run "
            "has schedule='constant()'; pass --allow-config-change",
        ),
        (
            ("--lr", "0.3", "--epochs", "2"),
            "argument --resume: checkpoint-000003.pt has 3 epochs done, more than "
            "the 2 epochs asked for\n",
        ),
        (
            ("--lr", "0.5", "--epochs", "2"),
            "argument --resume: checkpoint-000003.pt has 3 epochs done, more than "
            "the 2 epochs asked for; checkpoint was made with lr=0.3, this run "
            "has lr=0.5\n",
        ),
    ],
)
def test_other_options_are_refused(started, extra, message):
    options, folder = started
    code, out, err = run(*options[:3], *extra, "--resume", str(folder))

    assert (code, out) == (2, "")
    assert message in error_line(err)


def test_allow_config_change_continues(started):
    options, folder = started
    code, _, err = run(
        *options[:3],
        "--lr",
        "0.2",
        "--epochs",
        "4",
        "--resume",
        str(folder),
        "--allow-config-change",
    )
    assert (code, err) == (0, "")


def test_other_data_is_refused(started, tmp_path):
    other = tiny_mnist(tmp_path / "other", seed=4)
    _, folder = started
    code, _, err = run(
        "train", "--data-dir", str(other), "--lr", "0.3", "--resume", str(folder)
    )
    assert code == 2
    assert "checkpoint was made with data=(300 training and 100 test images" in err
    assert "pass --allow-config-change" in error_line(err)


def test_damaged_newest_is_a_warning_and_the_previous_is_used(started):
    options, folder = started
    newest = folder / "checkpoint-000003.pt"
    newest.write_bytes(newest.read_bytes()[:-100])

    code, out, err = run(*options[:-1], "--resume", str(folder))

    assert code == 0
    assert err.startswith(
        f"lrlab train: warning: skipped {newest}: truncated or damaged ("
    )
    assert err.rstrip().endswith("; using checkpoint-000002.pt")
    assert err.count("\n") == 1
    assert "(epoch 2 done)" in out


def test_no_valid_checkpoint_is_one_line_exit_2(tmp_path, tiny_dir):
    (tmp_path / "checkpoint-000001.pt").write_bytes(b"junk")
    code, out, err = run(
        "train", "--data-dir", str(tiny_dir), "--resume", str(tmp_path)
    )

    assert (code, out) == (2, "")
    assert error_line(err).startswith(
        f"lrlab train: error: argument --resume: no valid checkpoint in "
        f"{str(tmp_path)!r}: {tmp_path / 'checkpoint-000001.pt'}: truncated or damaged"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ("--resume", "no/such/folder"),
            "argument --resume: folder does not exist, got 'no/such/folder'",
        ),
        (("--allow-config-change",), "argument --allow-config-change: needs --resume"),
        (("--resume", __file__), f"argument --resume: not a folder, got {__file__!r}"),
        (("--resume", ""), "argument --resume: must name a folder, got ''"),
        (
            ("--checkpoint-dir", ""),
            "argument --checkpoint-dir: must name a folder, got ''",
        ),
        (
            ("--keep-checkpoints", "0"),
            "argument --keep-checkpoints: must be a positive integer, got 0",
        ),
    ],
)
def test_bad_options(tiny_dir, argv, message):
    code, out, err = run("train", "--data-dir", str(tiny_dir), *argv)
    assert (code, out) == (2, "")
    assert error_line(err) == f"lrlab train: error: {message}\n"


def test_a_folder_with_another_run_is_refused(started):
    options, folder = started
    code, out, err = run(*options, "--checkpoint-dir", str(folder))

    assert (code, out) == (2, "")
    assert error_line(err) == (
        f"lrlab train: error: argument --checkpoint-dir: {str(folder)!r} already "
        f"holds the checkpoints of a run (newest checkpoint-000003.pt); pass "
        f"--resume {folder} to continue it, or choose another folder\n"
    )


def test_help_lists_the_checkpoint_options(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for option in (
        "--checkpoint-dir DIR",
        "--keep-checkpoints N",
        "--resume DIR",
        "--allow-config-change",
    ):
        assert option in text
    assert "(default: 2)" in text
