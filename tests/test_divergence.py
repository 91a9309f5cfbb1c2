"""A learning rate too large: stop at the first non-finite loss, say where.

This model hardly diverges: its gradient is bounded and log-softmax is
computed stably, so a large lr only scales the weights up (lr 100 trains
MNIST to about 0.88). A loss becomes nan or infinite only once the logits
overflow float32, at lr around 1e37 and beyond. The tests jump to such an
lr at epoch 3 with ``piecewise_constant``.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re

import pytest
import torch
from conftest import tiny_mnist

from lrlab.checkpoint import checkpoint_files, latest_checkpoint, load_checkpoint
from lrlab.cli import main
from lrlab.data import load_mnist
from lrlab.spec import parse_schedule
from lrlab.training import (
    TensorData,
    TrainConfig,
    TrainingDiverged,
    train,
    train_many,
)

JUMP = "piecewise_constant(boundaries=[2], factors=[1, 1e39])"
CONFIG = TrainConfig(epochs=5, lr=0.5, batch_size=25, seed=0)
MESSAGE = "training diverged at epoch 3, step 3: loss is nan at lr 5e+38"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tiny_mnist(tmp_path_factory.mktemp("tiny"), num_train=250)
    return TensorData.from_mnist(load_mnist(folder))


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_train_stops_at_the_first_non_finite_loss_and_names_it(tiny):
    with pytest.raises(TrainingDiverged, match=f"^{re.escape(MESSAGE)}$") as caught:
        train(CONFIG, tiny, parse_schedule(JUMP))

    divergence = caught.value.divergence
    assert (divergence.epoch, divergence.step, divergence.lr) == (3, 3, 5e38)
    assert divergence.reason == "loss is nan"


def test_the_named_step_is_the_first_whose_loss_is_not_finite(tiny):
    """Replay epoch 3 step by step with autograd from the epoch-2 weights."""
    with pytest.raises(TrainingDiverged) as caught:
        train(CONFIG, tiny, parse_schedule(JUMP))
    model = caught.value.result.model
    generator = torch.Generator().manual_seed(CONFIG.seed)
    torch.empty(10, 36).uniform_(generator=generator)  # the initial draws
    torch.empty(10).uniform_(generator=generator)
    for _ in range(3):
        order = torch.randperm(250, generator=generator)
    images = tiny.train_images.to(torch.float32) / 255

    # torch.optim.SGD refuses an lr beyond float32; the step by hand, in float64.
    losses = []
    for step in range(10):
        index = order[step * 25 : (step + 1) * 25]
        each = torch.nn.functional.cross_entropy(
            model(images[index]), tiny.train_labels[index], reduction="none"
        )
        losses.append(each.double().mean().item())  # a float32 sum overflows
        model.zero_grad()
        each.mean().backward()
        with torch.no_grad():
            for param in model.parameters():
                param.copy_(param.double() - 5e38 * param.grad.double())

    assert all(math.isfinite(loss) for loss in losses[:2])
    assert not math.isfinite(losses[2])


def test_the_result_keeps_the_good_epochs(tiny):
    with pytest.raises(TrainingDiverged) as caught:
        train(CONFIG, tiny, parse_schedule(JUMP))
    two = train(
        TrainConfig(epochs=2, lr=0.5, batch_size=25), tiny, parse_schedule(JUMP)
    )

    def values(records):
        return [(r.epoch, r.lr, r.train_loss, r.test_accuracy) for r in records]

    result = caught.value.result
    assert values(result.records) == values(two.records)
    assert torch.equal(result.model.weight, two.model.weight)


def test_the_last_good_checkpoint_stays(tiny, tmp_path):
    with pytest.raises(TrainingDiverged):
        train(CONFIG, tiny, parse_schedule(JUMP), checkpoint_dir=tmp_path)

    assert [p.name for p in checkpoint_files(tmp_path)] == [
        "checkpoint-000001.pt",
        "checkpoint-000002.pt",
    ]
    assert load_checkpoint(tmp_path / "checkpoint-000002.pt").epoch == 2


def test_a_huge_but_finite_loss_is_not_a_divergence(tiny):
    # Each loss is about 3e36: fine in float64, but 250 of them overflow a
    # float32 sum. The epoch's mean is taken in float64.
    result = train(
        TrainConfig(epochs=3, lr=0.5, batch_size=25),
        tiny,
        parse_schedule("piecewise_constant(boundaries=[2], factors=[1, 1e38])"),
    )
    assert 1e36 < result.records[-1].train_loss < 1e37


def test_in_train_many_a_diverged_schedule_stops_alone(tiny):
    schedules = [parse_schedule(spec) for spec in ("constant", JUMP, "step(2)")]
    seen = []

    results = train_many(CONFIG, tiny, schedules, on_epoch=seen.append)

    assert [r.divergence is None for r in results] == [True, False, True]
    assert str(results[1].divergence) == MESSAGE
    assert [r.epoch for r in results[1].records] == [1, 2]
    assert [records[1] is None for records in seen] == [False] * 2 + [True] * 3
    for index in (0, 2):
        alone = train(CONFIG, tiny, schedules[index])
        assert [r.train_loss for r in results[index].records] == pytest.approx(
            [r.train_loss for r in alone.records]
        )


# --- the command ------------------------------------------------------------


def test_command_exits_3_with_one_line_and_keeps_metrics_and_checkpoints(
    tmp_path,
):
    folder = tiny_mnist(tmp_path / "data", num_train=250)
    metrics = tmp_path / "run.jsonl"

    code, out, err = run(
        "train",
        "--data-dir",
        str(folder),
        "--schedule",
        JUMP,
        "--lr",
        "0.5",
        "--batch-size",
        "25",
        "--metrics",
        str(metrics),
        "--checkpoint-dir",
        str(tmp_path / "ck"),
    )

    assert code == 3
    assert err == (
        f"lrlab train: error: {MESSAGE}; the last good checkpoint is "
        f"{tmp_path / 'ck' / 'checkpoint-000002.pt'}\n"
    )
    assert "final test accuracy" not in out
    rows = [json.loads(line) for line in metrics.read_text().splitlines()]
    assert [row["epoch"] for row in rows] == [1, 2]


def test_lr_1e38_diverges_on_mnist():
    code, _, err = run("train", "--lr", "1e38", "--epochs", "1", "--quiet")

    assert code == 3
    assert err == (
        "lrlab train: error: training diverged at epoch 1, step 2: loss is nan "
        "at lr 1e+38\n"
    )


@pytest.mark.parametrize(
    ("argv", "lr"),
    [(("--lr", "1e308"), "1e+308"), (("--schedule", "constant(1e300)"), "1e+299")],
)
def test_an_lr_step_beyond_float32_is_a_divergence_too(tiny_dir, argv, lr):
    # lr / (batch * 255) does not fit a float32: torch refuses it as alpha.
    code, _, err = run("train", "--data-dir", str(tiny_dir), *argv, "--quiet")

    assert code == 3
    assert err == (
        f"lrlab train: error: training diverged at epoch 1, step 2: loss is nan "
        f"at lr {lr}\n"
    )


def test_help_names_the_exit_code(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "3 when training diverged" in text


def test_a_diverged_model_stays_stopped_after_a_resume(tiny, tmp_path):
    schedules = [parse_schedule(spec) for spec in ("constant", JUMP)]
    whole = train_many(CONFIG, tiny, schedules)
    four = TrainConfig(epochs=4, lr=0.5, batch_size=25, seed=0)
    train_many(four, tiny, schedules, checkpoint_dir=tmp_path)

    saved = latest_checkpoint(tmp_path)
    resumed = train_many(CONFIG, tiny, schedules, resume_from=saved)

    assert str(saved.divergences[1]) == MESSAGE
    for a, b in zip(whole, resumed, strict=True):
        assert [r.train_loss for r in a.records] == [r.train_loss for r in b.records]
        assert torch.equal(a.model.weight, b.model.weight)
        assert a.divergence == b.divergence
