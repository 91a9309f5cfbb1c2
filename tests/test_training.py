"""The training loop: its gradient against autograd, its lrs, its records.

Most tests use a small synthetic dataset so they take milliseconds; the
full lesson runs in test_cli_train.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from conftest import tiny_mnist
from torch.nn import functional as F

from lrlab.data import load_mnist
from lrlab.spec import parse_schedule
from lrlab.training import EpochRecord, TensorData, TrainConfig, train, train_many


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tiny_mnist(tmp_path_factory.mktemp("tiny"), num_train=250)
    return TensorData.from_mnist(load_mnist(folder))


def reference_run(config, data, schedule):
    """The textbook loop: autograd, ``torch.optim.SGD``, F.cross_entropy.

    It draws the initial weights and each epoch's order from one seeded
    generator, in the order ``train`` does, so both see the same batches.
    """
    generator = torch.Generator().manual_seed(config.seed)
    model = torch.nn.Linear(data.num_features, 10)
    bound = 1 / math.sqrt(data.num_features)
    with torch.no_grad():
        model.weight.uniform_(-bound, bound, generator=generator)
        model.bias.uniform_(-bound, bound, generator=generator)
    optimizer = torch.optim.SGD(model.parameters(), lr=config.lr)
    images = data.train_images.to(torch.float32) / 255
    steps = len(images) // config.batch_size

    losses = []
    for epoch in range(config.epochs):
        for group in optimizer.param_groups:
            group["lr"] = config.lr * schedule(epoch)
        order = torch.randperm(len(images), generator=generator)
        total = 0.0
        for step in range(steps):
            index = order[step * config.batch_size : (step + 1) * config.batch_size]
            loss = F.cross_entropy(model(images[index]), data.train_labels[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        losses.append(total / steps)
    return model, losses


# --- the gradient ------------------------------------------------------------


@pytest.mark.parametrize(
    ("batch_size", "epochs"), [(1, 1), (32, 3), (100, 3), (250, 3)]
)
def test_same_weights_and_losses_as_autograd(tiny, batch_size, epochs):
    config = TrainConfig(epochs=epochs, lr=0.5, batch_size=batch_size, seed=7)
    schedule = parse_schedule("exponential(gamma=0.7)")

    result = train(config, tiny, schedule)
    model, losses = reference_run(config, tiny, schedule)

    torch.testing.assert_close(result.model.weight, model.weight, rtol=0, atol=2e-5)
    torch.testing.assert_close(result.model.bias, model.bias, rtol=0, atol=2e-5)
    got = [record.train_loss for record in result.records]
    assert got == pytest.approx(losses, rel=1e-5)


def test_model_is_a_linear_layer_that_learned(tiny):
    result = train(TrainConfig(epochs=5, lr=0.5, batch_size=10), tiny, lambda e: 1.0)

    assert isinstance(result.model, torch.nn.Linear)
    assert (result.model.in_features, result.model.out_features) == (36, 10)
    assert result.final_test_accuracy > 0.9
    losses = [record.train_loss for record in result.records]
    assert losses[-1] < losses[0]


def test_test_accuracy_is_the_models_accuracy(tiny):
    result = train(TrainConfig(epochs=2, batch_size=25), tiny, lambda e: 1.0)

    images = tiny.test_images
    predicted = result.model(images).argmax(1)
    accuracy = (predicted == tiny.test_labels).double().mean().item()
    assert result.final_test_accuracy == pytest.approx(accuracy, abs=1e-12)


# --- the learning rates ------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "closed_form"),
    [
        ("exponential(gamma=0.8)", lambda e: 0.1 * 0.8 ** (e - 1)),
        ("step(step_size=5, gamma=0.5)", lambda e: 0.1 * 0.5 ** ((e - 1) // 5)),
    ],
)
def test_lr_of_epoch_e_is_lr_times_schedule_of_e_minus_1(tiny, spec, closed_form):
    config = TrainConfig(epochs=15, batch_size=250)

    result = train(config, tiny, parse_schedule(spec))

    assert [record.lr for record in result.records] == [
        closed_form(epoch) for epoch in range(1, 16)
    ]


def test_schedule_is_asked_for_0_based_epoch_indices(tiny):
    asked = []

    def schedule(index):
        asked.append(index)
        return 1.0

    train(TrainConfig(epochs=4, batch_size=250), tiny, schedule)

    assert asked == [0, 1, 2, 3]


@pytest.mark.parametrize("factor", [math.nan, math.inf, -0.5])
def test_schedule_factor_must_be_finite_and_not_negative(tiny, factor):
    with pytest.raises(ValueError, match=r"schedule must give a finite factor >= 0"):
        train(TrainConfig(epochs=2), tiny, lambda e: factor)


def test_zero_factor_leaves_the_weights_alone(tiny):
    config = TrainConfig(epochs=1, batch_size=50)
    frozen = train(config, tiny, lambda e: 0.0).model
    untrained = train(
        TrainConfig(epochs=1, lr=1e-300, batch_size=50), tiny, lambda e: 1
    )

    assert torch.equal(frozen.weight, untrained.model.weight)


# --- records and callbacks ---------------------------------------------------


def test_on_epoch_sees_each_record_as_it_is_made(tiny):
    seen = []
    result = train(
        TrainConfig(epochs=3, batch_size=50), tiny, lambda e: 1, on_epoch=seen.append
    )

    assert tuple(seen) == result.records
    assert [record.epoch for record in seen] == [1, 2, 3]
    assert all(isinstance(record, EpochRecord) for record in seen)
    assert all(record.seconds > 0 for record in seen)
    assert result.seconds == pytest.approx(sum(r.seconds for r in seen))


def test_same_seed_same_run_other_seed_other_run(tiny):
    def run(seed):
        config = TrainConfig(epochs=2, batch_size=20, seed=seed)
        records = train(config, tiny, lambda e: 1.0).records
        return [(r.lr, r.train_loss, r.test_accuracy) for r in records]

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_global_torch_state_is_left_alone(tiny):
    rng_state = torch.random.get_rng_state()
    threads = torch.get_num_threads()

    train(TrainConfig(epochs=1, batch_size=50), tiny, lambda e: 1.0)

    assert torch.equal(torch.random.get_rng_state(), rng_state)
    assert torch.get_num_threads() == threads


def test_accepts_the_numpy_dataset_too(tiny_dir):
    result = train(
        TrainConfig(epochs=1, batch_size=50), load_mnist(tiny_dir), lambda e: 1
    )
    assert len(result.records) == 1


def test_tensor_data_scales_test_images_to_unit_interval(tiny_dir):
    mnist = load_mnist(tiny_dir)
    data = TensorData.from_mnist(mnist)

    assert data.train_images.dtype == torch.uint8
    assert data.test_images.dtype == torch.float32
    expected = mnist.test.images.reshape(100, -1).astype(np.float32) / np.float32(255)
    assert np.array_equal(data.test_images.numpy(), expected)
    assert data.num_features == 36


# --- bad configuration -------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"epochs": 0}, "epochs must be a positive integer, got 0"),
        ({"epochs": 2.5}, "epochs must be a positive integer, got 2.5"),
        ({"batch_size": 0}, "batch_size must be a positive integer, got 0"),
        ({"batch_size": True}, "batch_size must be a positive integer, got True"),
        ({"lr": -1.0}, "lr must be a positive number, got -1.0"),
        ({"lr": 0}, "lr must be a positive number, got 0"),
        ({"lr": math.nan}, "lr must be a positive number, got nan"),
        ({"lr": "0.1"}, "lr must be a positive number, got '0.1'"),
        ({"seed": -1}, r"seed must be an integer from 0 to 2\*\*63 - 1, got -1"),
        ({"seed": 2**63}, r"seed must be an integer from 0 to 2\*\*63 - 1, got 9223"),
    ],
)
def test_config_names_the_argument_and_the_value(arguments, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**arguments)


def test_batch_larger_than_the_training_set(tiny):
    with pytest.raises(
        ValueError, match=r"at most the number of training images \(250\), got 251"
    ):
        train(TrainConfig(batch_size=251), tiny, lambda e: 1.0)


# --- several schedules at once -----------------------------------------------


def test_train_many_equals_separate_runs(tiny):
    config = TrainConfig(epochs=4, lr=0.3, batch_size=25, seed=5)
    specs = ["exponential(gamma=0.8)", "step(step_size=2, gamma=0.5)", "constant"]
    schedules = [parse_schedule(spec) for spec in specs]
    seen = []

    together = train_many(config, tiny, schedules, on_epoch=seen.append)

    assert len(seen) == 4
    assert all(len(records) == 3 for records in seen)
    for result, schedule in zip(together, schedules, strict=True):
        alone = train(config, tiny, schedule)
        assert [r.lr for r in result.records] == [r.lr for r in alone.records]
        torch.testing.assert_close(
            result.model.weight, alone.model.weight, rtol=0, atol=1e-6
        )
        losses = [r.train_loss for r in result.records]
        assert losses == pytest.approx([r.train_loss for r in alone.records])


def test_train_many_needs_a_schedule(tiny):
    with pytest.raises(ValueError, match="at least one schedule, got none"):
        train_many(TrainConfig(), tiny, [])
