"""Checkpoints: what a file holds, atomic writes, exact resume, refusals.

All on the small synthetic dataset (milliseconds per run); the SIGKILL
test of the command is in test_resume_training.py.
"""

from __future__ import annotations

import io
import pickle
import random
import re
import warnings

import numpy as np
import pytest
import torch
from conftest import tiny_mnist

from lrlab import checkpoint as ck
from lrlab.checkpoint import (
    CheckpointError,
    CheckpointMismatch,
    CheckpointVersionError,
    CheckpointWarning,
    checkpoint_files,
    latest_checkpoint,
    load_checkpoint,
)
from lrlab.data import load_mnist
from lrlab.spec import parse_schedule
from lrlab.training import TensorData, TrainConfig, train, train_many

SCHEDULE = parse_schedule("exponential(gamma=0.8)")
CONFIG = TrainConfig(epochs=5, lr=0.5, batch_size=25, seed=3)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tiny_mnist(tmp_path_factory.mktemp("tiny"), num_train=250)
    return TensorData.from_mnist(load_mnist(folder))


@pytest.fixture(scope="module")
def whole(tiny, tmp_path_factory):
    """An uninterrupted run that kept every checkpoint."""
    folder = tmp_path_factory.mktemp("whole")
    result = train(CONFIG, tiny, SCHEDULE, checkpoint_dir=folder, keep_checkpoints=9)
    return result, folder


def values(records):
    return [(r.epoch, r.lr, r.train_loss, r.test_accuracy) for r in records]


# --- what is saved -----------------------------------------------------------


def test_one_file_per_epoch_and_nothing_else(whole):
    _, folder = whole
    names = sorted(path.name for path in folder.iterdir())
    assert names == [f"checkpoint-00000{epoch}.pt" for epoch in range(1, 6)]


def test_loads_with_weights_only_and_holds_everything(whole, tiny):
    result, folder = whole
    payload = torch.load(folder / "checkpoint-000005.pt", weights_only=True)

    assert payload["format"] == "lrlab checkpoint"
    assert payload["format_version"] == ck.FORMAT_VERSION
    assert (payload["epoch"], payload["next_epoch"]) == (5, 6)
    assert payload["config"] == {"epochs": 5, "lr": 0.5, "batch_size": 25, "seed": 3}
    (model,) = payload["schedules"]
    assert model["spec"] == "exponential(gamma=0.8)"
    assert model["next_step"] == 5
    assert model["divergence"] is None
    assert [r["lr"] for r in model["records"]] == [r.lr for r in result.records]
    assert torch.equal(payload["model"]["weight"][0], result.model.weight.detach())
    assert torch.equal(payload["model"]["bias"][0], result.model.bias.detach())
    assert payload["optimizer"]["state"] == {}
    assert set(payload["rng"]) == {"generator", "torch", "numpy", "python"}
    assert payload["data"]["sha256"] == ck.data_fingerprint(tiny).sha256


def test_only_tensors_numbers_strings_lists_and_dicts(whole):
    payload = torch.load(whole[1] / "checkpoint-000005.pt", weights_only=True)

    def kinds(value):
        if isinstance(value, dict):
            assert all(isinstance(key, str) for key in value)
            return {"dict"}.union(*(kinds(item) for item in value.values()))
        if isinstance(value, list):
            return {"list"}.union(*(kinds(item) for item in value))
        return {type(value).__name__}

    assert kinds(payload) <= {
        "dict", "list", "Tensor", "int", "float", "str", "bool", "NoneType"
    }  # fmt: skip


def test_a_file_that_would_run_code_is_refused(tmp_path):
    class Payload:
        def __reduce__(self):
            return (print, ("this ran",))

    path = tmp_path / "checkpoint-000001.pt"
    torch.save({"format": Payload()}, path)

    with pytest.raises(
        CheckpointError,
        match=r"refused: it holds objects other than tensors, numbers, strings, "
        r"lists and dicts, and loading them could run code",
    ):
        load_checkpoint(path)


def test_keeps_the_newest_n(tiny, tmp_path):
    train(CONFIG, tiny, SCHEDULE, checkpoint_dir=tmp_path, keep_checkpoints=2)
    assert [p.name for p in checkpoint_files(tmp_path)] == [
        "checkpoint-000004.pt",
        "checkpoint-000005.pt",
    ]


def test_keep_must_be_positive(tiny, tmp_path):
    with pytest.raises(ValueError, match="keep_checkpoints must be a positive"):
        train(CONFIG, tiny, SCHEDULE, checkpoint_dir=tmp_path, keep_checkpoints=0)


def test_schedule_must_be_a_schedule_object(tiny, tmp_path):
    with pytest.raises(TypeError, match="checkpoints need each schedule as an lrlab"):
        train(CONFIG, tiny, lambda e: 1.0, checkpoint_dir=tmp_path)


# --- resume ------------------------------------------------------------------


@pytest.mark.parametrize("epoch", [1, 3, 4, 5])
def test_resume_from_any_epoch_is_exact(whole, tiny, tmp_path, epoch):
    result, folder = whole
    saved = load_checkpoint(folder / f"checkpoint-{epoch:06d}.pt")

    resumed = train(CONFIG, tiny, SCHEDULE, resume_from=saved)

    assert torch.equal(resumed.model.weight, result.model.weight)
    assert torch.equal(resumed.model.bias, result.model.bias)
    assert values(resumed.records) == values(result.records)


def test_a_larger_epochs_extends_the_run_as_if_it_had_been_asked_first(whole, tiny):
    _, folder = whole
    longer = TrainConfig(epochs=8, lr=0.5, batch_size=25, seed=3)

    extended = train(
        longer,
        tiny,
        SCHEDULE,
        resume_from=load_checkpoint(folder / "checkpoint-000005.pt"),
    )
    straight = train(longer, tiny, SCHEDULE)

    assert values(extended.records) == values(straight.records)
    assert torch.equal(extended.model.weight, straight.model.weight)


def test_resumed_run_goes_on_saving_in_the_folder(whole, tiny, tmp_path):
    _, folder = whole
    first = TrainConfig(epochs=2, lr=0.5, batch_size=25, seed=3)
    train(first, tiny, SCHEDULE, checkpoint_dir=tmp_path)

    train(
        CONFIG,
        tiny,
        SCHEDULE,
        checkpoint_dir=tmp_path,
        resume_from=latest_checkpoint(tmp_path),
    )

    last = load_checkpoint(tmp_path / "checkpoint-000005.pt")
    expected = load_checkpoint(folder / "checkpoint-000005.pt")
    assert torch.equal(last.weight, expected.weight)
    assert torch.equal(last.generator_state, expected.generator_state)


def test_global_random_states_are_saved_and_restored(tiny, tmp_path):
    random.seed(5)
    np.random.seed(6)
    torch.manual_seed(7)
    states = random.getstate(), np.random.get_state()[1].copy(), torch.get_rng_state()
    train(TrainConfig(epochs=1, batch_size=50), tiny, SCHEDULE, checkpoint_dir=tmp_path)
    random.random(), np.random.random(), torch.rand(1)

    latest_checkpoint(tmp_path).restore_global_rng()

    assert random.getstate() == states[0]
    assert np.array_equal(np.random.get_state()[1], states[1])
    assert torch.equal(torch.get_rng_state(), states[2])


# --- refusals ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "spec", "message"),
    [
        (
            TrainConfig(epochs=5, lr=0.2, batch_size=25, seed=3),
            "exponential(gamma=0.8)",
            "checkpoint was made with lr=0.5, this run has lr=0.2",
        ),
        (
            TrainConfig(epochs=5, lr=0.5, batch_size=50, seed=4),
            "exponential(gamma=0.8)",
            "batch_size=25, this run has batch_size=50; checkpoint was made "
            "with seed=3, this run has seed=4",
        ),
        (
            CONFIG,
            "step(step_size=2)",
            "checkpoint was made with schedule='exponential(gamma=0.8)', this "
            "run has schedule='step(step_size=2)'",
        ),
        (
            TrainConfig(epochs=4, lr=0.5, batch_size=25, seed=3),
            "exponential(gamma=0.8)",
            "checkpoint was made with epochs=5, this run has epochs=4",
        ),
    ],
)
def test_other_settings_are_refused_by_name(whole, tiny, config, spec, message):
    saved = load_checkpoint(whole[1] / "checkpoint-000003.pt")

    with pytest.raises(CheckpointMismatch, match=re.escape(message)):
        train(config, tiny, parse_schedule(spec), resume_from=saved)


def test_other_data_is_refused(whole, tmp_path):
    other = TensorData.from_mnist(
        load_mnist(tiny_mnist(tmp_path, num_train=250, seed=1))
    )
    saved = load_checkpoint(whole[1] / "checkpoint-000003.pt")

    with pytest.raises(
        CheckpointMismatch,
        match=r"checkpoint was made with data=\(250 "
        r"training and 100 test images of 36 pixels, sha256 \w{12}\), "
        r"this run has data=\(250 training",
    ):
        train(CONFIG, other, SCHEDULE, resume_from=saved)


def test_allow_config_change_continues_under_the_new_settings(whole, tiny):
    saved = load_checkpoint(whole[1] / "checkpoint-000003.pt")
    changed = TrainConfig(epochs=5, lr=0.2, batch_size=25, seed=3)

    result = train(changed, tiny, SCHEDULE, resume_from=saved, allow_config_change=True)

    assert [r.lr for r in result.records][2:] == [
        0.5 * 0.8**2,
        0.2 * 0.8**3,
        0.2 * 0.8**4,
    ]


def test_fewer_epochs_than_done_is_refused_even_when_allowed(whole, tiny):
    saved = load_checkpoint(whole[1] / "checkpoint-000004.pt")
    with pytest.raises(CheckpointError, match="has 4 epochs done, more than the 3"):
        train(
            TrainConfig(epochs=3, lr=0.5, batch_size=25, seed=3),
            tiny,
            SCHEDULE,
            resume_from=saved,
            allow_config_change=True,
        )


def test_a_fresh_run_does_not_write_over_another_runs_checkpoints(whole, tiny):
    with pytest.raises(CheckpointError, match="already holds the checkpoints of a run"):
        train(CONFIG, tiny, SCHEDULE, checkpoint_dir=whole[1])


# --- damaged files -----------------------------------------------------------


def copy_run(whole, tmp_path):
    for path in checkpoint_files(whole[1]):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    return tmp_path


def test_truncated_newest_is_skipped_with_a_warning(whole, tmp_path):
    folder = copy_run(whole, tmp_path)
    newest = folder / "checkpoint-000005.pt"
    newest.write_bytes(newest.read_bytes()[:1000])

    with pytest.warns(
        CheckpointWarning,
        match=r"skipped .*checkpoint-000005.pt: truncated or damaged .*; using "
        r"checkpoint-000004.pt",
    ):
        found = latest_checkpoint(folder)

    assert found.epoch == 4


def test_a_flipped_byte_in_the_weights_is_caught(whole, tmp_path):
    folder = copy_run(whole, tmp_path)
    newest = folder / "checkpoint-000005.pt"
    raw = bytearray(newest.read_bytes())
    weights = load_checkpoint(newest).weight.numpy().tobytes()[:64]
    raw[raw.index(weights) + 10] ^= 0x40
    newest.write_bytes(bytes(raw))

    with pytest.raises(CheckpointError, match=r"damaged \(its contents do not match"):
        load_checkpoint(newest)
    with pytest.warns(CheckpointWarning):
        assert latest_checkpoint(folder).epoch == 4


def test_no_valid_checkpoint_is_an_error_naming_each(tmp_path):
    (tmp_path / "checkpoint-000001.pt").write_bytes(b"")
    (tmp_path / "checkpoint-000002.pt").write_bytes(b"not a zip")

    with pytest.raises(
        CheckpointError,
        match=r"no valid checkpoint in .*checkpoint-000002.pt: .*; "
        r".*checkpoint-000001.pt",
    ):
        latest_checkpoint(tmp_path)


def test_empty_folder(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint in"):
        latest_checkpoint(tmp_path)


def test_a_newer_format_is_a_clear_error(whole, tmp_path):
    folder = copy_run(whole, tmp_path)
    newest = folder / "checkpoint-000005.pt"
    payload = torch.load(newest, weights_only=True)
    payload["format_version"] = ck.FORMAT_VERSION + 1
    torch.save(payload, newest)

    with pytest.raises(
        CheckpointVersionError,
        match=r"written in checkpoint format 2 by lrlab .*reads format 1 and "
        r"older: upgrade lrlab",
    ):
        latest_checkpoint(folder)


def test_not_a_checkpoint(tmp_path):
    path = tmp_path / "checkpoint-000001.pt"
    torch.save({"weight": torch.zeros(2)}, path)
    with pytest.raises(CheckpointError, match="not an lrlab checkpoint"):
        load_checkpoint(path)


# --- atomic writes -----------------------------------------------------------


def test_a_failed_write_leaves_the_previous_checkpoint_and_no_temporary(
    tiny, tmp_path, monkeypatch
):
    train(TrainConfig(epochs=2, batch_size=50), tiny, SCHEDULE, checkpoint_dir=tmp_path)
    before = (tmp_path / "checkpoint-000002.pt").read_bytes()

    def half_then_fail(payload, file):
        buffer = io.BytesIO()
        pickle.dump(0, buffer)
        file.write(buffer.getvalue())
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ck.torch, "save", half_then_fail)
    with pytest.raises(OSError, match="No space left"):
        train(
            TrainConfig(epochs=3, batch_size=50),
            tiny,
            SCHEDULE,
            checkpoint_dir=tmp_path,
            resume_from=latest_checkpoint(tmp_path),
        )

    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "checkpoint-000001.pt",
        "checkpoint-000002.pt",
    ]
    assert (tmp_path / "checkpoint-000002.pt").read_bytes() == before


def test_a_temporary_file_left_by_a_kill_is_ignored_then_removed(tiny, tmp_path):
    train(TrainConfig(epochs=1, batch_size=50), tiny, SCHEDULE, checkpoint_dir=tmp_path)
    stale = tmp_path / ".checkpoint-000002.pt.abc123.tmp"
    stale.write_bytes(b"half a checkpoint")

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        saved = latest_checkpoint(tmp_path)
    train(
        TrainConfig(epochs=2, batch_size=50),
        tiny,
        SCHEDULE,
        checkpoint_dir=tmp_path,
        resume_from=saved,
    )

    assert not stale.exists()
    assert [p.name for p in checkpoint_files(tmp_path)][-1] == "checkpoint-000002.pt"


# --- several models in one file ----------------------------------------------


def test_train_many_resumes_every_model_exactly(tiny, tmp_path):
    schedules = [
        SCHEDULE,
        parse_schedule("constant"),
        parse_schedule("step(step_size=2)"),
    ]
    whole = train_many(CONFIG, tiny, schedules)
    short = TrainConfig(epochs=2, lr=0.5, batch_size=25, seed=3)
    train_many(short, tiny, schedules, checkpoint_dir=tmp_path)

    resumed = train_many(
        CONFIG, tiny, schedules, resume_from=latest_checkpoint(tmp_path)
    )

    for a, b in zip(whole, resumed, strict=True):
        assert values(a.records) == values(b.records)
        assert torch.equal(a.model.weight, b.model.weight)


def test_any_flipped_byte_is_an_error_or_changes_nothing(whole, tmp_path):
    original = (whole[1] / "checkpoint-000005.pt").read_bytes()
    expected = load_checkpoint(whole[1] / "checkpoint-000005.pt")
    path = tmp_path / "checkpoint-000005.pt"
    rng = random.Random(0)

    outcomes = set()
    for position in rng.sample(range(len(original)), 150):
        damaged = bytearray(original)
        damaged[position] ^= 1 << rng.randrange(8)
        path.write_bytes(bytes(damaged))
        try:
            loaded = load_checkpoint(path)
        except CheckpointError:
            outcomes.add("error")
            continue
        outcomes.add("same")
        assert torch.equal(loaded.weight, expected.weight)
        assert torch.equal(loaded.generator_state, expected.generator_state)
        assert loaded.records == expected.records

    assert "error" in outcomes
