"""``lrlab find-lr`` on the bundled MNIST: the suggestion, the picture, errors.

The band the suggestion must fall in, and why: the lesson trains this model
(one Linear(784, 10) layer, plain SGD, batches of 100) well at lr 0.1, and
a range test is a rough tool that typically lands within about an order of
magnitude of a good lr. So the suggestion must be in [0.01, 1.0], one
decade either side of 0.1. With the default 100 steps from 1e-6 to 10 the
steepest descent of the smoothed loss comes out at 0.45-0.63 over seeds
0-4 (the smoothed loss bottoms out near 1-1.2 and blows up past 2), and
``min_loss_lr / 10`` at 0.10-0.12. The band is not enough on its own, so
one test also trains an epoch at the suggestion and checks it does at least
as well as the lesson's 0.1 (at seed 0: 0.918 against 0.902 test accuracy
after one epoch; 0.923 against 0.916 after three).
"""

from __future__ import annotations

import contextlib
import io
import os
import re

import numpy as np
import pytest
import torch
from matplotlib.image import imread
from test_find_lr import assert_same_bits, snapshot
from torch import nn
from torch.nn import functional as F

from lrlab.cli import main
from lrlab.commands.find_lr import MnistBatches, mnist_tensors
from lrlab.find_lr import lr_range_test
from lrlab.spec import parse_schedule
from lrlab.training import TrainConfig, train

BAND = (0.01, 1.0)

constant = parse_schedule("constant")


def lesson_batches(seed):
    return MnistBatches(mnist_tensors(), batch_size=100, seed=seed)


def lrlab(capsys, *argv):
    try:
        code = main(["find-lr", *argv])
    except SystemExit as stop:
        code = stop.code
    out, err = capsys.readouterr()
    return code, out, err


def suggestions(out):
    """The two lrs the command prints."""
    steepest = re.search(r"steepest descent of the smoothed loss\): (\S+)", out)
    min_loss = re.search(r"min-loss lr / 10: (\S+)", out)
    return float(steepest.group(1)), float(min_loss.group(1))


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    """One run with the defaults, drawn to a PNG; shared by several tests."""
    target = tmp_path_factory.mktemp("find-lr") / "find-lr.png"
    # capsys only lives as long as one test: capture this run by hand.
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["find-lr", "-o", str(target)])
    return code, out.getvalue(), err.getvalue(), target


def test_the_suggestions_fall_in_the_band(default_run):
    code, out, err, target = default_run

    assert (code, err) == (0, "")
    assert out.startswith("range test: 100 of 100 steps, lr 1e-06 -> 10 (exp)")
    assert out.endswith(f"wrote {target}\n")
    steepest, min_loss = suggestions(out)
    assert BAND[0] <= steepest <= BAND[1]
    assert BAND[0] <= min_loss <= BAND[1]


def test_the_picture_shows_the_curve_and_the_marks(default_run):
    *_, target = default_run

    image = imread(target)

    assert image.shape[:2] == (500, 800)
    blue, red, green = (
        (0.122, 0.467, 0.706),
        (0.839, 0.153, 0.157),
        (0.173, 0.627, 0.173),
    )
    for colour in (blue, red, green):
        near = np.abs(image[..., :3] - np.array(colour)).max(axis=-1) < 0.02
        assert near.sum() > 200, colour


def test_training_at_the_suggestion_works():
    torch.manual_seed(0)
    model = nn.Linear(784, 10)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    result = lr_range_test(model, optimizer, F.cross_entropy, lesson_batches(0))

    # One epoch of the lesson at the suggested lr, against one at its own
    # lr 0.1: same start, same batches, scored on the test images.
    accuracy = {
        lr: train(
            TrainConfig(epochs=1, lr=lr), mnist_tensors(), constant
        ).final_test_accuracy
        for lr in (result.suggested_lr, 0.1)
    }

    assert accuracy[result.suggested_lr] >= 0.88, accuracy
    assert accuracy[result.suggested_lr] >= accuracy[0.1] - 0.005, accuracy


def test_the_lessons_model_is_left_untouched():
    torch.manual_seed(0)
    model = nn.Linear(784, 10)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    before = snapshot(model, optimizer)

    result = lr_range_test(
        model, optimizer, F.cross_entropy, lesson_batches(0), num_steps=50
    )

    assert len(result.lrs) > 10
    assert_same_bits(snapshot(model, optimizer), before)


def test_a_huge_end_lr_stops_early_as_diverged(capsys):
    code, out, _ = lrlab(capsys, "--end-lr", "1e6")

    assert code == 0
    match = re.search(r"range test: (\d+) of 100 steps", out)
    assert int(match.group(1)) < 100
    assert "the loss diverged" in out
    steepest, _ = suggestions(out)
    assert BAND[0] <= steepest <= BAND[1]


def test_the_linear_mode_and_seed_are_used(capsys):
    code, out, _ = lrlab(
        capsys,
        "--mode",
        "linear",
        "--start-lr",
        "0.01",
        "--end-lr",
        "2",
        "--steps",
        "30",
        "--seed",
        "3",
    )

    assert code == 0
    assert out.startswith(
        "range test: 30 of 30 steps, lr 0.01 -> 2 (linear), batch 100, seed 3"
    )


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["--start-lr", "1", "--end-lr", "0.1"], ["--start-lr", "1", "0.1"]),
        (["--start-lr", "0.5", "--end-lr", "0.5"], ["--start-lr", "0.5"]),
        (["--start-lr=-1e-3"], ["--start-lr", "-1e-3"]),
        (["--end-lr", "0"], ["--end-lr", "0"]),
        (["--steps", "0"], ["--steps", "0"]),
        (["--steps", "1"], ["--steps", "at least 2", "1"]),
        (["--mode", "log"], ["--mode", "log"]),
        (["--seed", "-1"], ["--seed", "-1"]),
        (["--seed", "1.5"], ["--seed", "1.5"]),
        (["-o", "curve.txt"], ["-o", "curve.txt"]),
        (["-o", "no/such/folder/curve.png"], ["-o", "no/such/folder"]),
    ],
)
def test_bad_input_is_one_line_naming_the_option(capsys, argv, fragments):
    code, out, err = lrlab(capsys, *argv)

    assert (code, out) == (2, "")
    assert err.startswith("lrlab find-lr: error: ")
    assert err.count("\n") == 1, err
    for fragment in fragments:
        assert fragment in err


def test_a_failed_write_is_one_line_and_leaves_nothing(capsys, tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    target = tmp_path / "curve.png"

    code, out, err = lrlab(capsys, "--steps", "20", "-o", str(target))

    assert code == 2
    assert "suggested lr" in out
    assert err == (
        f"lrlab find-lr: error: argument -o/--output: cannot write "
        f"{str(target)!r}: Permission denied\n"
    )
    assert os.listdir(tmp_path) == []


def test_damaged_bundled_data_is_one_line(capsys, monkeypatch):
    from lrlab.commands import find_lr as command
    from lrlab.data import DataError

    def damaged():
        raise DataError("train-images-idx3-ubyte.gz: truncated gzip data")

    monkeypatch.setattr(command, "mnist_tensors", damaged)

    code, out, err = lrlab(capsys)

    assert (code, out) == (2, "")
    assert err == (
        "lrlab find-lr: error: bundled data: "
        "train-images-idx3-ubyte.gz: truncated gzip data\n"
    )
