"""The learning-rate range test library: lrs, smoothing, stops, suggestions,
and that the model and optimizer come back bit for bit."""

from __future__ import annotations

import copy
import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.nn import functional as F

from lrlab.find_lr import LRFinderResult, lr_range_test, range_test_lrs


def make_batches(count=20, batch_size=50, seed=0):
    """A linearly separable 3-class problem in 20 dimensions."""
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(count * batch_size, 20, generator=generator)
    targets = (inputs @ torch.randn(20, 3, generator=generator)).argmax(dim=1)
    return list(zip(inputs.split(batch_size), targets.split(batch_size), strict=True))


def make_net(seed=0):
    """A model with everything that has state: buffers, dropout, two layers."""
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(20, 16),
        nn.BatchNorm1d(16),
        nn.ReLU(),
        nn.Dropout(0.1),
        nn.Linear(16, 3),
    )


def train(model, optimizer, batches):
    for inputs, targets in batches:
        optimizer.zero_grad()
        F.cross_entropy(model(inputs), targets).backward()
        optimizer.step()


def bits(tensor):
    """The raw bytes of a tensor, so -0.0 and 0.0 (or two NaNs) compare exactly."""
    return tensor.detach().reshape(-1).view(torch.uint8)


def assert_same_bits(a, b, where=""):
    """Compare nested state (dicts, lists, tensors, numbers) bit for bit."""
    assert type(a) is type(b), where
    if isinstance(a, torch.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        assert torch.equal(bits(a), bits(b)), where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            assert_same_bits(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same_bits(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


def snapshot(model, optimizer):
    return {
        "model": copy.deepcopy(model.state_dict()),
        "optimizer": copy.deepcopy(optimizer.state_dict()),
        "grads": [
            None if p.grad is None else p.grad.clone() for p in model.parameters()
        ],
        "training": [m.training for m in model.modules()],
        "lrs": [group["lr"] for group in optimizer.param_groups],
        "rng": torch.get_rng_state(),
    }


# --- the lrs -------------------------------------------------------------


def test_exp_lrs_hit_both_ends_and_keep_a_constant_ratio():
    lrs = range_test_lrs(1e-6, 10.0, 100)

    assert lrs[0] == 1e-6
    assert lrs[-1] == 10.0
    ratios = lrs[1:] / lrs[:-1]
    np.testing.assert_allclose(ratios, (1e7) ** (1 / 99), rtol=1e-12)


def test_linear_lrs_hit_both_ends_in_even_steps():
    lrs = range_test_lrs(0.5, 2.0, 4, mode="linear")

    assert lrs.tolist() == [0.5, 1.0, 1.5, 2.0]


def test_the_test_uses_those_lrs_and_records_every_step():
    model = nn.Linear(20, 3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    result = lr_range_test(
        model, optimizer, F.cross_entropy, make_batches(), 1e-4, 1.0, num_steps=30
    )

    assert result.lrs == tuple(range_test_lrs(1e-4, 1.0, 30).tolist())
    assert len(result.losses) == len(result.smoothed_losses) == 30
    assert result.num_steps == 30
    assert not result.diverged


def test_each_lr_is_the_one_the_optimizer_used():
    model = nn.Linear(20, 3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    seen = []
    optimizer.register_step_pre_hook(
        lambda opt, *_: seen.append(opt.param_groups[0]["lr"])
    )

    result = lr_range_test(
        model, optimizer, F.cross_entropy, make_batches(), num_steps=12, mode="linear"
    )

    assert seen == list(result.lrs)


# --- the losses ----------------------------------------------------------


def test_smoothed_losses_are_the_bias_corrected_moving_average():
    model = nn.Linear(20, 3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    beta = 0.9

    result = lr_range_test(
        model, optimizer, F.cross_entropy, make_batches(), num_steps=25, smoothing=beta
    )

    average = 0.0
    for i, (loss, smoothed) in enumerate(
        zip(result.losses, result.smoothed_losses, strict=True)
    ):
        average = beta * average + (1 - beta) * loss
        assert smoothed == pytest.approx(average / (1 - beta ** (i + 1)), rel=1e-12)
    # Bias correction: the first smoothed value is the first loss itself.
    assert result.smoothed_losses[0] == pytest.approx(result.losses[0], rel=1e-12)


def test_no_smoothing_keeps_the_raw_losses():
    model = nn.Linear(20, 3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    result = lr_range_test(
        model, optimizer, F.cross_entropy, make_batches(), num_steps=10, smoothing=0
    )

    assert result.smoothed_losses == result.losses


def test_raw_losses_are_the_losses_of_the_batches_before_each_update():
    torch.manual_seed(0)
    model = nn.Linear(20, 3)
    twin = copy.deepcopy(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    twin_optimizer = torch.optim.SGD(twin.parameters(), lr=0.1)
    batches = make_batches(count=5)

    result = lr_range_test(
        model, optimizer, F.cross_entropy, batches, 1e-3, 1.0, num_steps=5
    )

    for (inputs, targets), lr, loss in zip(
        batches, result.lrs, result.losses, strict=True
    ):
        twin_optimizer.param_groups[0]["lr"] = lr
        twin_optimizer.zero_grad()
        expected = F.cross_entropy(twin(inputs), targets)
        expected.backward()
        twin_optimizer.step()
        assert loss == expected.item()


# --- stopping ------------------------------------------------------------


def test_a_huge_end_lr_stops_the_test_as_diverged():
    model = nn.Linear(20, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    batches = [(x, x.sum(dim=1, keepdim=True)) for x, _ in make_batches()]

    result = lr_range_test(
        model, optimizer, F.mse_loss, batches, 1e-4, 1e6, num_steps=100
    )

    assert result.diverged
    assert 2 <= len(result.lrs) < 100
    assert result.smoothed_losses[-1] > 4.0 * min(result.smoothed_losses)
    # Every smoothed loss before the last stayed within the factor.
    for i, smoothed in enumerate(result.smoothed_losses[:-1]):
        assert smoothed <= 4.0 * min(result.smoothed_losses[: i + 1])


def test_a_smaller_diverge_factor_stops_sooner():
    batches = [(x, x.sum(dim=1, keepdim=True)) for x, _ in make_batches()]
    lengths = []
    for factor in (1.5, 4.0, 50.0):
        model = nn.Linear(20, 1)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        result = lr_range_test(
            model, optimizer, F.mse_loss, batches, 1e-4, 1e6, diverge_factor=factor
        )
        lengths.append(len(result.lrs))

    assert lengths == sorted(lengths)
    assert lengths[0] < lengths[-1]


def test_a_nan_loss_stops_the_test_and_is_not_recorded():
    model = nn.Linear(20, 3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    calls = []

    def loss_fn(outputs, targets):
        calls.append(1)
        loss = F.cross_entropy(outputs, targets)
        return loss * math.nan if len(calls) == 7 else loss

    result = lr_range_test(model, optimizer, loss_fn, make_batches(), num_steps=50)

    assert result.diverged
    assert len(result.losses) == 6
    assert all(math.isfinite(loss) for loss in result.losses)


# --- data ----------------------------------------------------------------


def test_a_short_loader_is_cycled():
    model = nn.Linear(20, 3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    dataset = torch.utils.data.TensorDataset(
        *map(torch.cat, zip(*make_batches(count=3), strict=True))
    )
    loader = torch.utils.data.DataLoader(dataset, batch_size=50, shuffle=True)

    result = lr_range_test(model, optimizer, F.cross_entropy, loader, num_steps=10)

    assert len(result.lrs) == 10


def test_a_one_shot_iterator_that_runs_out_is_an_error():
    model = nn.Linear(20, 3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    batches = iter(make_batches(count=3))

    with pytest.raises(ValueError, match=r"yielded none.*one-shot iterator"):
        lr_range_test(model, optimizer, F.cross_entropy, batches, num_steps=10)


def test_no_batches_is_an_error():
    model = nn.Linear(20, 3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    with pytest.raises(ValueError, match="at least one batch"):
        lr_range_test(model, optimizer, F.cross_entropy, [], num_steps=10)


@pytest.mark.parametrize(
    ("batch", "got"),
    [
        (torch.zeros(2, 20), "got Tensor$"),
        ({"inputs": torch.zeros(5, 20), "targets": torch.zeros(5)}, "got dict$"),
        ((torch.zeros(5, 20),), "got tuple of length 1$"),
    ],
    ids=["tensor-of-two-rows", "dict", "one-tuple"],
)
def test_a_batch_that_is_not_a_pair_is_an_error(batch, got):
    model = nn.Linear(20, 3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    with pytest.raises(ValueError, match=r"\(inputs, targets\) pair, " + got):
        lr_range_test(model, optimizer, F.cross_entropy, [batch], num_steps=10)


# --- the model and optimizer come back untouched -------------------------


@pytest.mark.parametrize(
    "make_optimizer",
    [
        lambda params: torch.optim.SGD(params, lr=0.05, momentum=0.9),
        lambda params: torch.optim.Adam(params, lr=1e-3),
        lambda params: torch.optim.AdamW(params, lr=1e-3, weight_decay=0.1),
    ],
    ids=["sgd-momentum", "adam", "adamw"],
)
def test_model_and_optimizer_are_restored_bit_for_bit(make_optimizer):
    model = make_net()
    optimizer = make_optimizer(model.parameters())
    # State worth losing: momentum buffers and step counts, gradients left
    # over, a submodule in eval mode, an lr a scheduler might have set.
    train(model, optimizer, make_batches(count=3))
    optimizer.param_groups[0]["lr"] = 0.0123
    model[3].eval()
    before = snapshot(model, optimizer)

    result = lr_range_test(
        model, optimizer, F.cross_entropy, make_batches(), 1e-5, 100.0, num_steps=40
    )

    assert len(result.lrs) > 5
    after = snapshot(model, optimizer)
    assert_same_bits(after, before)


def test_training_after_the_test_is_the_same_as_without_it():
    batches = make_batches(count=4)
    model = make_net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    train(model, optimizer, batches[:2])
    twin = copy.deepcopy(model)
    twin_optimizer = torch.optim.SGD(twin.parameters(), lr=0.05, momentum=0.9)
    twin_optimizer.load_state_dict(copy.deepcopy(optimizer.state_dict()))

    lr_range_test(model, optimizer, F.cross_entropy, make_batches(), num_steps=20)
    # Dropout draws from the global generator: both runs start from one seed.
    torch.manual_seed(1)
    train(model, optimizer, batches[2:])
    torch.manual_seed(1)
    train(twin, twin_optimizer, batches[2:])

    assert_same_bits(model.state_dict(), twin.state_dict())
    assert_same_bits(optimizer.state_dict(), twin_optimizer.state_dict())


def test_model_is_restored_when_the_test_fails_halfway():
    model = make_net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    before = snapshot(model, optimizer)
    calls = []

    def loss_fn(outputs, targets):
        calls.append(1)
        if len(calls) == 5:
            raise RuntimeError("out of memory")
        return F.cross_entropy(outputs, targets)

    with pytest.raises(RuntimeError, match="out of memory"):
        lr_range_test(model, optimizer, loss_fn, make_batches(), num_steps=20)

    assert_same_bits(snapshot(model, optimizer), before)


def test_the_global_random_state_is_left_alone():
    model = make_net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)

    lr_range_test(model, optimizer, F.cross_entropy, make_batches(), num_steps=10)

    assert torch.equal(torch.rand(3), expected)


# --- suggestions ---------------------------------------------------------


def curve(smoothed, lrs=None):
    lrs = lrs if lrs is not None else np.geomspace(1e-4, 1.0, len(smoothed))
    return LRFinderResult(
        lrs=tuple(lrs.tolist()),
        losses=tuple(smoothed),
        smoothed_losses=tuple(smoothed),
        diverged=False,
        num_steps=len(smoothed),
    )


def test_suggested_lr_is_where_the_loss_falls_fastest_against_log_lr():
    lrs = np.geomspace(1e-4, 1.0, 41)
    # A smooth step down centred at lr = 1e-2, then a rise past lr = 0.3.
    log_lr = np.log10(lrs)
    smoothed = 2.0 - np.tanh(3 * (log_lr + 2)) + 5 * np.maximum(log_lr + 0.5, 0) ** 2

    result = curve(smoothed.tolist(), lrs)

    assert result.suggested_lr == pytest.approx(1e-2)
    assert result.min_loss_lr == lrs[int(np.argmin(smoothed))]
    assert result.min_loss_suggestion == result.min_loss_lr / 10


def test_on_a_linear_range_the_slope_is_still_taken_against_log_lr():
    lrs = np.linspace(0.01, 1.0, 100)
    # Falls by 1 per step near the start (where log lr moves fast), and by
    # 2 per step at the end (where log lr barely moves): against log lr the
    # end is steeper.
    steps = np.arange(100.0)
    smoothed = 500 - np.where(steps < 50, steps, 50 + 2 * (steps - 50))

    result = curve(smoothed.tolist(), lrs)

    assert result.suggested_lr > 0.5


def test_repeated_lrs_do_not_break_the_suggestion():
    lrs = np.array([1.0, 1.0, 2.0, 2.0, 4.0])

    result = curve([5.0, 4.0, 3.0, 2.5, 2.4], lrs)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        suggested = result.suggested_lr
    # Only the last pair of steps has two different lrs to measure a slope.
    assert suggested == 4.0


def test_suggestions_need_two_recorded_steps():
    result = curve([1.0], np.array([1e-3]))

    with pytest.raises(ValueError, match="from 1 recorded step"):
        _ = result.suggested_lr
    with pytest.raises(ValueError, match="from 1 recorded step"):
        _ = result.min_loss_suggestion


def test_on_separable_data_the_suggestion_is_inside_the_range():
    model = nn.Linear(20, 3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    result = lr_range_test(
        model, optimizer, F.cross_entropy, make_batches(), 1e-5, 10.0, num_steps=60
    )

    assert 1e-5 < result.suggested_lr < 10.0
    assert result.suggested_lr in result.lrs


# --- bad arguments -------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start_lr": 1.0, "end_lr": 1.0}, r"start_lr must be less than end_lr, got "),
        ({"start_lr": 2.0, "end_lr": 1.0}, r"start_lr=2.0 and end_lr=1.0"),
        ({"start_lr": -1e-3}, r"start_lr must be a positive finite number, got -0.001"),
        ({"start_lr": 0.0}, r"start_lr must be a positive finite number, got 0.0"),
        ({"end_lr": math.inf}, r"end_lr must be a positive finite number, got inf"),
        ({"num_steps": 0}, r"num_steps must be an integer >= 2, got 0"),
        ({"num_steps": 1}, r"num_steps must be an integer >= 2, got 1"),
        ({"mode": "log"}, r"mode must be one of exp, linear, got 'log'"),
        ({"smoothing": 1.0}, r"smoothing must be in \[0, 1\), got 1.0"),
        ({"smoothing": -0.1}, r"smoothing must be in \[0, 1\), got -0.1"),
        ({"diverge_factor": 1.0}, r"diverge_factor must be a finite number > 1, got 1"),
    ],
)
def test_bad_values_are_value_errors_naming_the_argument(kwargs, message):
    model = nn.Linear(20, 3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    before = snapshot(model, optimizer)

    with pytest.raises(ValueError, match=message):
        lr_range_test(model, optimizer, F.cross_entropy, make_batches(), **kwargs)

    assert_same_bits(snapshot(model, optimizer), before)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start_lr": "0.1"}, r"start_lr must be a number, got '0.1'"),
        ({"num_steps": 10.0}, r"num_steps must be an integer, got 10.0"),
        ({"num_steps": True}, r"num_steps must be an integer, got True"),
        ({"smoothing": "0.9"}, r"smoothing must be a number, got '0.9'"),
        ({"diverge_factor": None}, r"diverge_factor must be a number, got None"),
    ],
)
def test_bad_types_are_type_errors_naming_the_argument(kwargs, message):
    model = nn.Linear(20, 3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    with pytest.raises(TypeError, match=message):
        lr_range_test(model, optimizer, F.cross_entropy, make_batches(), **kwargs)


# --- properties ----------------------------------------------------------

lr_values = st.floats(min_value=1e-12, max_value=1e6, allow_nan=False)


@given(lr_values, lr_values, st.integers(2, 500), st.sampled_from(["exp", "linear"]))
def test_range_lrs_rise_from_start_to_end_exactly(a, b, num_steps, mode):
    start_lr, end_lr = sorted((a, b))
    if start_lr == end_lr:
        return

    lrs = range_test_lrs(start_lr, end_lr, num_steps, mode)

    assert len(lrs) == num_steps
    assert lrs[0] == start_lr and lrs[-1] == end_lr
    assert np.all(np.diff(lrs) >= 0)
    assert np.all((lrs >= start_lr) & (lrs <= end_lr))


@given(st.lists(st.floats(0.0, 10.0), min_size=2, max_size=60))
def test_suggestions_are_lrs_the_test_used(smoothed):
    result = curve(smoothed)

    assert result.suggested_lr in result.lrs
    assert result.min_loss_lr in result.lrs
    assert result.smoothed_losses[result.lrs.index(result.min_loss_lr)] == min(smoothed)
