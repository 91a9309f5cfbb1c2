"""Where torch is wrong and lrlab is right: hand-computed golden tables.

Each test shows torch's behaviour next to lrlab's, so that a change in
either is noticed.
"""

from __future__ import annotations

import contextlib
import math
import warnings

import pytest
import torch

from lrlab import lr_scheduler as lrlab_sched

TORCH = torch.optim.lr_scheduler


def _optimizer(lr: float = 1.0, **group) -> torch.optim.Optimizer:
    param = torch.zeros(1, requires_grad=True)
    return torch.optim.SGD([{"params": [param], "lr": lr, **group}], lr=lr)


def _lrs(scheduler, optimizer, steps: int) -> list[float]:
    """The lr after construction, then after each of ``steps`` steps."""
    seen = [float(optimizer.param_groups[0]["lr"])]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        seen.append(float(optimizer.param_groups[0]["lr"]))
    return seen


def _approx(values):
    return pytest.approx(values, rel=1e-12, abs=1e-15)


# Arguments torch accepts although they cannot work (or that fail inside
# torch's first step with a bare ZeroDivisionError), and lrlab's message.
REJECTED = [
    (
        lambda m, o: m.StepLR(o, step_size=0),
        "step_size must be a positive integer, got 0",
    ),
    (
        lambda m, o: m.CosineAnnealingLR(o, T_max=0),
        "T_max must be a positive integer, got 0",
    ),
    (
        lambda m, o: m.ConstantLR(o, factor=0),
        r"factor must be in \(0, 1\], got 0.0",
    ),
    (
        lambda m, o: m.ExponentialLR(o, gamma=-0.9),
        "gamma must be positive, got -0.9",
    ),
    (
        lambda m, o: m.ReduceLROnPlateau(o, factor=0),
        r"factor must be in \(0, 1\), got 0.0",
    ),
    (
        lambda m, o: m.ReduceLROnPlateau(o, patience=-1),
        "patience must be a non-negative integer, got -1",
    ),
    (
        lambda m, o: m.CyclicLR(o, base_lr=0.1, max_lr=1.0, step_size_up=0),
        "step_size_up must be a positive integer, got 0",
    ),
]


@pytest.mark.parametrize(("build", "message"), REJECTED)
def test_torch_accepts_what_lrlab_rejects_at_construction(build, message):
    with contextlib.suppress(ZeroDivisionError):
        build(TORCH, _optimizer())

    with pytest.raises(ValueError, match=message):
        build(lrlab_sched, _optimizer())


def test_torch_step_lr_with_step_size_0_fails_late_with_zero_division():
    optimizer = _optimizer()
    scheduler = TORCH.StepLR(optimizer, step_size=0)
    optimizer.step()

    with pytest.raises(ZeroDivisionError):
        scheduler.step()


def test_linear_lr_without_ramp_is_at_end_factor_from_the_start():
    def run(module):
        optimizer = _optimizer()
        scheduler = module.LinearLR(
            optimizer, start_factor=0.25, end_factor=0.75, total_iters=0
        )
        return _lrs(scheduler, optimizer, 3)

    assert run(TORCH) == [0.25, 0.25, 0.25, 0.25]
    assert run(lrlab_sched) == [0.75, 0.75, 0.75, 0.75]


def test_constant_lr_without_constant_phase_is_at_the_base_lr():
    def run(module):
        optimizer = _optimizer()
        scheduler = module.ConstantLR(optimizer, factor=0.5, total_iters=0)
        return _lrs(scheduler, optimizer, 3)

    assert run(TORCH) == [0.5, 0.5, 0.5, 0.5]
    assert run(lrlab_sched) == [1.0, 1.0, 1.0, 1.0]


# OneCycleLR(max_lr=1, total_steps=10, pct_start=0.3, linear), by hand:
# start 1/25 = 0.04, end 0.04 / 1e4 = 4e-06; rise over steps 0..2
# (0.3 * 10 - 1 = 2), then fall over steps 2..9 in sevenths of 0.999996.
ONE_CYCLE = [
    0.04,
    0.52,
    1.0,
    1 - 1 * 0.999996 / 7,
    1 - 2 * 0.999996 / 7,
    1 - 3 * 0.999996 / 7,
    1 - 4 * 0.999996 / 7,
    1 - 5 * 0.999996 / 7,
    1 - 6 * 0.999996 / 7,
    4e-06,
]


def test_one_cycle_golden_values():
    assert ONE_CYCLE[3] == pytest.approx(0.8571434, abs=1e-7)
    assert ONE_CYCLE[8] == pytest.approx(0.1428606, abs=1e-7)


@pytest.mark.parametrize("anneal", ["linear", "cos"])
def test_one_cycle_holds_its_final_lr_past_the_end(anneal):
    def build(module, optimizer):
        return module.OneCycleLR(
            optimizer,
            max_lr=1.0,
            total_steps=10,
            pct_start=0.3,
            anneal_strategy=anneal,
            cycle_momentum=False,
        )

    optimizer = _optimizer()
    lrs = _lrs(build(lrlab_sched, optimizer), optimizer, 14)
    torch_opt = _optimizer()
    torch_sched = build(TORCH, torch_opt)
    torch_lrs = _lrs(torch_sched, torch_opt, 10)

    if anneal == "linear":
        assert lrs[:10] == _approx(ONE_CYCLE)
        assert torch_lrs[10] == pytest.approx(-0.1428526, abs=1e-7)
    else:
        assert torch_lrs[10] == pytest.approx(0.0495, abs=1e-4)
    assert lrs[:10] == _approx(torch_lrs[:10])
    assert lrs[9:] == [lrs[9]] * 6 and lrs[9] == pytest.approx(4e-06, rel=1e-12)
    with pytest.raises(ValueError, match="Tried to step 11 times"):
        torch_opt.step()
        torch_sched.step()


def _resumed_optimizer() -> torch.optim.Optimizer:
    """An optimizer as restored from a checkpoint: its initial_lr is 1."""
    return _optimizer(1.0, initial_lr=1.0)


def test_sequential_lr_rebuilt_with_last_epoch_continues():
    def run(module):
        optimizer = _resumed_optimizer()
        children = [
            module.ConstantLR(optimizer, factor=0.1, total_iters=20),
            module.ExponentialLR(optimizer, gamma=0.9),
        ]
        scheduler = module.SequentialLR(
            optimizer, children, milestones=[3], last_epoch=4
        )
        return _lrs(scheduler, optimizer, 3)

    # Uninterrupted: 0.1, 0.1, 0.1, then 0.9 ** (t - 3) from step 3 on.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert run(TORCH)[0] == pytest.approx(0.1)
    assert run(lrlab_sched) == _approx([0.81, 0.729, 0.6561, 0.59049])


def test_cosine_warm_restarts_rebuilt_with_last_epoch_continues():
    def run(module):
        optimizer = _resumed_optimizer()
        scheduler = module.CosineAnnealingWarmRestarts(
            optimizer, T_0=2, T_mult=2, last_epoch=6
        )
        return _lrs(scheduler, optimizer, 3)

    # Periods of 2, 4, 8 epochs: epoch 7 is 1/8 into the third period.
    expected = [(1 + math.cos(math.pi * k / 8)) / 2 for k in (1, 2, 3, 4)]
    assert expected == _approx(
        [0.9619397662556434, 0.8535533905932737, 0.6913417161825449, 0.5]
    )
    assert run(lrlab_sched) == _approx(expected)
    assert run(TORCH)[0] == pytest.approx((1 + math.cos(math.pi / 4)) / 2)


def test_plateau_composes_inside_a_chain():
    optimizer = _optimizer()
    exponential = lrlab_sched.ExponentialLR(optimizer, gamma=0.9)
    plateau = lrlab_sched.ReduceLROnPlateau(optimizer, factor=0.5, patience=0)
    chain = lrlab_sched.ChainedScheduler([exponential, plateau])

    lrs = []
    for metric in [1.0, 1.0, 0.5, 0.6]:
        optimizer.step()
        chain.step(metric)
        lrs.append(optimizer.param_groups[0]["lr"])

    # 0.9; 0.81 cut to 0.405; 0.729 * 0.5; 0.6561 * 0.25.
    assert lrs == _approx([0.9, 0.405, 0.3645, 0.164025])
    torch_opt = _optimizer()
    torch_children = [
        TORCH.ExponentialLR(torch_opt, 0.9),
        TORCH.ReduceLROnPlateau(torch_opt),
    ]
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        TORCH.ChainedScheduler(torch_children)


def test_plateau_composes_inside_a_sequence():
    optimizer = _optimizer()
    warmup = lrlab_sched.LinearLR(optimizer, start_factor=0.5, total_iters=2)
    plateau = lrlab_sched.ReduceLROnPlateau(optimizer, factor=0.5, patience=0)
    sequence = lrlab_sched.SequentialLR(optimizer, [warmup, plateau], milestones=[2])

    lrs = [optimizer.param_groups[0]["lr"]]
    for metric in [3.0, 2.0, 1.0, 1.0, 0.5, 0.7]:
        optimizer.step()
        sequence.step(metric)
        lrs.append(optimizer.param_groups[0]["lr"])

    # Warmup 0.5, 0.75; the plateau from step 2 on: it starts fresh, takes
    # 1.0 as its best, then cuts at 1.0 (no gain) and at 0.7.
    assert lrs == [0.5, 0.75, 1.0, 1.0, 0.5, 0.5, 0.25]


def test_cosine_stays_on_its_formula_after_a_million_steps():
    optimizer = _optimizer()
    t_max, eta_min = 2 * 10**6, 0.01
    scheduler = lrlab_sched.CosineAnnealingLR(optimizer, T_max=t_max, eta_min=eta_min)

    for step in (10**6 - 1, 10**6, 10**6 + 1, 1_999_999):
        scheduler.load_state_dict({"last_epoch": step})
        optimizer.step()
        scheduler.step()
        t = step + 1
        exact = eta_min + (1 - eta_min) * (1 + math.cos(math.pi * t / t_max)) / 2
        assert optimizer.param_groups[0]["lr"] == pytest.approx(exact, rel=1e-12)


def test_cosine_closed_form_jump_equals_stepping():
    stepped_opt, jumped_opt = _optimizer(), _optimizer()
    stepped = lrlab_sched.CosineAnnealingLR(stepped_opt, T_max=5000, eta_min=0.1)
    jumped = lrlab_sched.CosineAnnealingLR(jumped_opt, T_max=5000, eta_min=0.1)

    _lrs(stepped, stepped_opt, 3000)
    jumped.load_state_dict({"last_epoch": 3000})

    assert stepped_opt.param_groups[0]["lr"] == jumped_opt.param_groups[0]["lr"]


def test_sequence_with_a_plateau_rebuilt_past_its_milestone():
    optimizer = _resumed_optimizer()
    warmup = lrlab_sched.LinearLR(optimizer, start_factor=0.5, total_iters=2)
    plateau = lrlab_sched.ReduceLROnPlateau(optimizer, factor=0.5, patience=0)
    sequence = lrlab_sched.SequentialLR(
        optimizer, [warmup, plateau], milestones=[2], last_epoch=6
    )

    optimizer.step()
    sequence.step(1.0)
    optimizer.step()
    sequence.step(2.0)

    assert optimizer.param_groups[0]["lr"] == 0.5
