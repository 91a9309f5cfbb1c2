"""ScheduleAdapter: a pure schedule driving real torch optimizers."""

from __future__ import annotations

import copy
import warnings

import pytest
import torch
from torch import nn

from lrlab.lr_scheduler import (
    ChainedScheduler,
    LinearLR,
    ReduceLROnPlateau,
    ScheduleAdapter,
    SequentialLR,
)
from lrlab.schedules import Constant, Exponential, Step, registry
from lrlab.spec import parse_schedule


def _model_and_data(seed: int = 0):
    torch.manual_seed(seed)
    model = nn.Linear(3, 1)
    inputs = torch.randn(16, 3)
    targets = torch.randn(16, 1)
    return model, inputs, targets


def _train(optimizer, adapter, model, inputs, targets, steps):
    """A plain loop: forward, backward, update, then advance the schedule."""
    seen = []
    for _ in range(steps):
        seen.append([group["lr"] for group in optimizer.param_groups])
        loss = nn.functional.mse_loss(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        adapter.step()
    return seen


@pytest.mark.parametrize("make", [torch.optim.SGD, torch.optim.Adam])
def test_training_loop_uses_exactly_the_schedule(make):
    model, inputs, targets = _model_and_data()
    optimizer = make(model.parameters(), lr=0.05)
    schedule = Step(step_size=3, gamma=0.5)
    adapter = ScheduleAdapter(optimizer, schedule)

    seen = _train(optimizer, adapter, model, inputs, targets, 20)

    assert seen == [[0.05 * schedule(t)] for t in range(20)]
    assert adapter.current_step == 20


def test_each_group_keeps_its_base_lr_and_schedule():
    model, inputs, targets = _model_and_data()
    groups = [
        {"params": [model.weight], "lr": 0.1},
        {"params": [model.bias], "lr": 0.01},
    ]
    optimizer = torch.optim.SGD(groups, lr=1.0)
    fast, slow = Exponential(gamma=0.5), Exponential(gamma=0.9)
    adapter = ScheduleAdapter(optimizer, [fast, slow])

    seen = _train(optimizer, adapter, model, inputs, targets, 10)

    assert seen == [[0.1 * fast(t), 0.01 * slow(t)] for t in range(10)]


def test_steps_per_epoch_reads_the_schedule_at_fractional_epochs():
    model, inputs, targets = _model_and_data()
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    schedule = Exponential(gamma=0.5)
    adapter = ScheduleAdapter(optimizer, schedule, steps_per_epoch=4)

    seen = _train(optimizer, adapter, model, inputs, targets, 9)

    assert seen == [[schedule(t / 4)] for t in range(9)]
    assert adapter.epoch == 9 / 4


def test_momentum_and_weight_decay_follow_their_schedules():
    model, _, _ = _model_and_data()
    optimizer = torch.optim.SGD(
        model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3
    )
    momentum, decay = Step(step_size=2, gamma=0.5), Exponential(gamma=0.8)
    adapter = ScheduleAdapter(
        optimizer, Constant(), momentum=momentum, weight_decay=decay
    )
    group = optimizer.param_groups[0]

    for t in range(6):
        assert group["momentum"] == 0.9 * momentum(t)
        assert group["weight_decay"] == 1e-3 * decay(t)
        optimizer.step()
        adapter.step()
    assert group["initial_momentum"] == 0.9


def test_adam_momentum_schedule_moves_beta1_only():
    model, _, _ = _model_and_data()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1, betas=(0.9, 0.99))
    schedule = Exponential(gamma=0.5)
    adapter = ScheduleAdapter(optimizer, Constant(), momentum=schedule)

    optimizer.step()
    adapter.step()

    assert optimizer.param_groups[0]["betas"] == (0.45, 0.99)


def test_tensor_lr_is_written_in_place():
    model, inputs, targets = _model_and_data()
    optimizer = torch.optim.Adam(model.parameters(), lr=torch.tensor(0.01))
    lr_tensor = optimizer.param_groups[0]["lr"]
    schedule = Exponential(gamma=0.5)
    adapter = ScheduleAdapter(optimizer, schedule)

    _train(optimizer, adapter, model, inputs, targets, 3)

    assert optimizer.param_groups[0]["lr"] is lr_tensor
    assert lr_tensor.item() == pytest.approx(0.01 * 0.125, rel=1e-6)
    last = adapter.get_last_lr()[0]
    assert isinstance(last, torch.Tensor) and last is not lr_tensor


def test_base_lr_overrides_the_optimizer_lr():
    model, _, _ = _model_and_data()
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)

    ScheduleAdapter(optimizer, Constant(0.5), base_lr=0.2)

    assert optimizer.param_groups[0]["lr"] == 0.1


def test_state_is_the_step_count_and_resume_is_exact():
    schedule = Step(step_size=4, gamma=0.3)
    model, inputs, targets = _model_and_data()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.7)
    adapter = ScheduleAdapter(optimizer, schedule)
    _train(optimizer, adapter, model, inputs, targets, 7)
    state = adapter.state_dict()
    expected = _train(optimizer, adapter, model, inputs, targets, 6)

    fresh_opt = torch.optim.SGD(model.parameters(), lr=0.7)
    fresh = ScheduleAdapter(fresh_opt, schedule)
    fresh.load_state_dict(state)

    assert state == {"step": 7}
    assert _train(fresh_opt, fresh, model, inputs, targets, 6) == expected


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"schedule": 0.5}, TypeError, r"schedule must be an lrlab\.schedules"),
        (
            {"schedule": [Constant()] * 2},
            ValueError,
            r"schedule must have one value per param group \(1\), got 2",
        ),
        (
            {"steps_per_epoch": 0},
            ValueError,
            "steps_per_epoch must be a positive integer, got 0",
        ),
        (
            {"steps_per_epoch": 2.5},
            ValueError,
            "steps_per_epoch must be an integer, got 2.5",
        ),
        ({"base_lr": -1.0}, ValueError, "base_lr must be non-negative, got -1.0"),
        ({"momentum": "cos"}, TypeError, r"momentum must be an lrlab\.schedules"),
    ],
)
def test_bad_arguments_are_named_in_the_error(kwargs, error, message):
    model, _, _ = _model_and_data()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    kwargs = {"schedule": Constant(), **kwargs}

    with pytest.raises(error, match=message):
        ScheduleAdapter(optimizer, **kwargs)


def test_momentum_schedule_needs_an_optimizer_with_momentum():
    model, _, _ = _model_and_data()
    optimizer = torch.optim.Adagrad(model.parameters(), lr=0.1)

    with pytest.raises(ValueError, match=r"needs param groups with 'momentum'"):
        ScheduleAdapter(optimizer, Constant(), momentum=Constant())


def test_optimizer_must_be_a_torch_optimizer():
    with pytest.raises(TypeError, match=r"optimizer must be a torch\.optim\.Optimizer"):
        ScheduleAdapter([], Constant())


def test_adapter_composes_with_a_plateau_in_a_chain():
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    adapter = ScheduleAdapter(optimizer, Exponential(gamma=0.9))
    plateau = ReduceLROnPlateau(optimizer, factor=0.5, patience=0)
    chain = ChainedScheduler([adapter, plateau])

    lrs = []
    for metric in [1.0, 1.0, 0.5, 0.6]:
        optimizer.step()
        chain.step(metric)
        lrs.append(optimizer.param_groups[0]["lr"])

    assert lrs == pytest.approx([0.9, 0.405, 0.3645, 0.164025], rel=1e-12)


def test_adapter_runs_inside_a_sequence_from_its_own_step_0():
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    warmup = LinearLR(optimizer, start_factor=0.5, total_iters=2)
    adapter = ScheduleAdapter(optimizer, Exponential(gamma=0.5))
    sequence = SequentialLR(optimizer, [warmup, adapter], milestones=[2])

    lrs = [optimizer.param_groups[0]["lr"]]
    for _ in range(4):
        optimizer.step()
        sequence.step()
        lrs.append(optimizer.param_groups[0]["lr"])

    assert lrs == [0.5, 0.75, 1.0, 0.5, 0.25]


def test_a_deep_copy_drives_its_own_optimizer():
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    adapter = ScheduleAdapter(optimizer, Exponential(gamma=0.5))
    optimizer.step()
    adapter.step()
    twin = copy.deepcopy(adapter)

    twin.optimizer.step()
    twin.step()

    assert twin.optimizer.param_groups[0]["lr"] == 0.25
    assert optimizer.param_groups[0]["lr"] == 0.5


def test_stepping_before_the_optimizer_warns_once():
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    adapter = ScheduleAdapter(optimizer, Exponential(gamma=0.5))

    with pytest.warns(UserWarning, match=r"called before optimizer\.step\(\)"):
        adapter.step()
    optimizer.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        adapter.step()


# One spec per registered schedule name.
EVERY_SCHEDULE = [
    "constant(0.5)",
    "step(step_size=3, gamma=0.5)",
    "multistep(milestones=[3, 7], gamma=0.5)",
    "exponential(gamma=0.9)",
    "linear(total_steps=10, start_factor=0.1, end_factor=1)",
    "polynomial(total_steps=20, power=2)",
    "cosine(total_steps=25, min_factor=0.1)",
    "cosine_restarts(period_steps=5, period_mult=2)",
    "cyclic(min_factor=0.1, max_factor=1, up_steps=4)",
    "one_cycle(total_steps=30)",
    "inverse_sqrt(warmup_steps=5, start_factor=0.01)",
    "wsd(warmup_steps=5, stable_steps=10, decay_steps=10)",
    "piecewise_constant(boundaries=[5, 10], factors=[1, 0.5, 0.1])",
    "piecewise_linear(boundaries=[0, 10, 20], factors=[0, 1, 0.2])",
    "sequence([linear(total_steps=5, start_factor=0.1, end_factor=1),"
    " cosine(total_steps=20)], boundaries=[5])",
    "product([step(step_size=5, gamma=0.5), cosine(total_steps=30)])",
    "warmup(cosine(total_steps=30), warmup_steps=5)",
    "scale(cosine(total_steps=30), 0.5)",
    "floor(cosine(total_steps=30), 0.1)",
    "repeat(cosine(total_steps=10), period_steps=10)",
]


def test_every_registered_schedule_is_covered():
    names = {parse_schedule(spec).name for spec in EVERY_SCHEDULE}

    assert names == set(registry())


@pytest.mark.parametrize("spec", EVERY_SCHEDULE)
@pytest.mark.parametrize("make", [torch.optim.SGD, torch.optim.Adam])
def test_training_with_every_schedule_follows_it_exactly(spec, make):
    schedule = parse_schedule(spec)
    model, inputs, targets = _model_and_data()
    optimizer = make(model.parameters(), lr=0.01)
    adapter = ScheduleAdapter(optimizer, schedule)

    seen = _train(optimizer, adapter, model, inputs, targets, 40)

    assert seen == [[0.01 * schedule(t)] for t in range(40)]
