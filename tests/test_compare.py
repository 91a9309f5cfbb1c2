"""compare: the batched run equals separate runs; the output folder, all or none."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import tempfile
from pathlib import Path

import pytest
import torch
from conftest import tiny_mnist

from lrlab.compare import (
    FILES,
    OutputFolderError,
    ScheduleResult,
    check_output_folder,
    run_comparison,
    write_comparison,
)
from lrlab.config import CompareConfig
from lrlab.data import load_mnist
from lrlab.spec import parse_schedule
from lrlab.training import TensorData, TrainConfig, train, train_many

SPECS = (
    "exponential(gamma=0.8)",
    "step(step_size=2, gamma=0.5)",
    "cosine(total_steps=4)",
)


@pytest.fixture(scope="module")
def mnist_subset():
    """The first 6,000 training and 2,000 test images of the bundled MNIST."""
    full = TensorData.from_mnist(load_mnist())
    return TensorData(
        train_images=full.train_images[:6000],
        train_labels=full.train_labels[:6000],
        test_images=full.test_images[:2000],
        test_labels=full.test_labels[:2000],
    )


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tiny_mnist(tmp_path_factory.mktemp("tiny"), num_train=200)
    return TensorData.from_mnist(load_mnist(folder))


@pytest.fixture(scope="module")
def comparison(tiny):
    config = CompareConfig(schedules=SPECS[:2], epochs=3, batch_size=20, lr=0.5)
    return run_comparison(config, tiny)


# --- the batched run is separate runs, at once ------------------------------


def assert_same_runs(batched, separate):
    for together, alone in zip(batched, separate, strict=True):
        got = [(r.epoch, r.lr) for r in together.records]
        assert got == [(r.epoch, r.lr) for r in alone.records]
        for mine, theirs in zip(together.records, alone.records, strict=True):
            assert mine.train_loss == pytest.approx(theirs.train_loss, rel=1e-6)
            assert mine.test_accuracy == pytest.approx(theirs.test_accuracy, abs=1e-3)
        torch.testing.assert_close(
            together.model.weight, alone.model.weight, rtol=0, atol=1e-5
        )
        torch.testing.assert_close(
            together.model.bias, alone.model.bias, rtol=0, atol=1e-5
        )


def test_batched_schedules_equal_separate_runs(mnist_subset):
    config = TrainConfig(epochs=4, lr=0.2, seed=3)
    schedules = [parse_schedule(spec) for spec in SPECS]

    batched = train_many(config, mnist_subset, schedules)
    separate = [train(config, mnist_subset, schedule) for schedule in schedules]

    assert_same_runs(batched, separate)
    # The schedules did make a difference.
    assert len({r.records[-1].train_loss for r in batched}) == len(SPECS)


def test_batched_schedules_equal_separate_runs_on_full_mnist():
    data = TensorData.from_mnist(load_mnist())
    config = TrainConfig(epochs=2)
    schedules = [parse_schedule(spec) for spec in SPECS[:2]]

    batched = train_many(config, data, schedules)
    separate = [train(config, data, schedule) for schedule in schedules]

    assert_same_runs(batched, separate)


def test_comparison_results_follow_the_config(comparison):
    assert [result.spec for result in comparison.results] == list(SPECS[:2])
    for result in comparison.results:
        assert [r.epoch for r in result.records] == [1, 2, 3]
        accuracies = [r.test_accuracy for r in result.records]
        assert result.best_test_accuracy == max(accuracies)
        assert accuracies[result.best_epoch - 1] == max(accuracies)
        assert result.final_test_accuracy == accuracies[-1]
    assert comparison.versions["torch"] == torch.__version__
    assert comparison.seconds > 0


# --- the output folder -------------------------------------------------------


def test_writes_every_file(comparison, tmp_path):
    out = tmp_path / "runs" / "cmp"

    written = write_comparison(comparison, out)

    assert [path.name for path in written] == list(FILES)
    assert sorted(os.listdir(out)) == sorted(FILES)
    assert list(tmp_path.joinpath("runs").iterdir()) == [out]  # no leftovers
    summary = json.loads((out / "summary.json").read_text())
    assert summary["config"]["schedules"] == list(SPECS[:2])
    assert summary["config"]["seed"] == 0
    assert summary["versions"]["lrlab"]
    lines = (out / "metrics.csv").read_text().splitlines()
    assert lines[0] == "schedule,epoch,lr,train_loss,test_accuracy,seconds"
    assert len(lines) == 1 + 2 * 3
    rows = [json.loads(line) for line in (out / "metrics.jsonl").open()]
    assert rows[3]["schedule"] == SPECS[1]
    assert rows[3]["lr"] == comparison.results[1].records[0].lr


def test_a_previous_run_is_kept_unless_overwrite(comparison, tmp_path):
    out = tmp_path / "cmp"
    write_comparison(comparison, out)
    before = (out / "summary.json").read_bytes()

    with pytest.raises(OutputFolderError, match="holds a previous run; use --overw"):
        write_comparison(comparison, out)
    assert (out / "summary.json").read_bytes() == before

    write_comparison(comparison, out, overwrite=True)
    assert sorted(os.listdir(out)) == sorted(FILES)
    assert os.listdir(tmp_path) == ["cmp"]


def test_a_failed_write_leaves_nothing_and_the_old_run_whole(
    comparison, tmp_path, monkeypatch
):
    from lrlab import report

    out = tmp_path / "cmp"
    write_comparison(comparison, out)
    before = {name: (out / name).read_bytes() for name in FILES}

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(report, "render_html", broken)
    with pytest.raises(OSError, match="No space left"):
        write_comparison(comparison, out, overwrite=True)
    with pytest.raises(OSError, match="No space left"):
        write_comparison(comparison, tmp_path / "new")

    assert {name: (out / name).read_bytes() for name in FILES} == before
    assert os.listdir(tmp_path) == ["cmp"]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("file", "is a file, not a folder"),
        ("other", "holds files that are not an lrlab compare run"),
    ],
)
def test_refuses_a_folder_it_must_not_replace(tmp_path, setup, message):
    out = tmp_path / "out"
    if setup == "file":
        out.write_text("x")
    else:
        out.mkdir()
        (out / "notes.txt").write_text("mine")

    with pytest.raises(OutputFolderError, match=message):
        check_output_folder(out, overwrite=True)


def test_an_empty_folder_or_a_new_path_is_fine(tmp_path):
    (tmp_path / "empty").mkdir()

    assert check_output_folder(tmp_path / "empty") == tmp_path / "empty"
    assert check_output_folder(tmp_path / "a" / "b") == tmp_path / "a" / "b"


def unwritable_folder(tmp_path: Path) -> Path:
    """A folder this process cannot create folders in, or a skip."""
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        return locked
    # Root ignores permissions; sysfs refuses new folders to everyone.
    try:
        os.rmdir(tempfile.mkdtemp(dir="/sys"))
    except OSError:
        return Path("/sys")
    pytest.skip("no folder here refuses new folders to this user")


def test_refuses_an_unwritable_parent(tmp_path):
    folder = unwritable_folder(tmp_path)

    with pytest.raises(OutputFolderError, match="cannot create a folder in"):
        check_output_folder(folder / "out")
    with pytest.raises(OutputFolderError, match="cannot create a folder in"):
        check_output_folder(folder / "deeper" / "out")


def test_the_folder_holds_a_config_that_repeats_the_run(comparison, tiny, tmp_path):
    from lrlab.config import read_config

    out = tmp_path / "cmp"
    write_comparison(comparison, out)

    settings = read_config(Path(out) / "config.toml")
    again = run_comparison(CompareConfig(**settings), tiny)

    assert CompareConfig(**settings) == comparison.config
    for first, second in zip(comparison.results, again.results, strict=True):
        assert [(r.lr, r.train_loss, r.test_accuracy) for r in first.records] == [
            (r.lr, r.train_loss, r.test_accuracy) for r in second.records
        ]


def test_a_diverged_loss_is_null_in_json_and_nan_in_csv(comparison, tmp_path):
    first = comparison.results[0]
    records = (dataclasses.replace(first.records[0], train_loss=math.nan),)
    diverged = dataclasses.replace(
        comparison,
        config=dataclasses.replace(comparison.config, schedules=(first.spec,)),
        results=(ScheduleResult(first.spec, records),),
    )

    write_comparison(diverged, tmp_path / "cmp")

    summary = json.loads((tmp_path / "cmp" / "summary.json").read_text())
    assert summary["results"][0]["final_train_loss"] is None
    row = json.loads((tmp_path / "cmp" / "metrics.jsonl").read_text())
    assert row["train_loss"] is None
    assert ",nan," in (tmp_path / "cmp" / "metrics.csv").read_text()
