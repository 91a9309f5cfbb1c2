"""The drop-ins follow torch's protocol: attributes, first step, tensors."""

from __future__ import annotations

import gc
import math

import pytest
import torch

from lrlab import lr_scheduler as ls

TORCH = torch.optim.lr_scheduler

BUILDS = {
    "LambdaLR": lambda o: ls.LambdaLR(o, lambda t: 0.9**t),
    "MultiplicativeLR": lambda o: ls.MultiplicativeLR(o, lambda t: 0.9),
    "StepLR": lambda o: ls.StepLR(o, step_size=2),
    "MultiStepLR": lambda o: ls.MultiStepLR(o, milestones=[2, 4]),
    "ConstantLR": lambda o: ls.ConstantLR(o),
    "LinearLR": lambda o: ls.LinearLR(o),
    "ExponentialLR": lambda o: ls.ExponentialLR(o, gamma=0.9),
    "PolynomialLR": lambda o: ls.PolynomialLR(o),
    "CosineAnnealingLR": lambda o: ls.CosineAnnealingLR(o, T_max=10),
    "CosineAnnealingWarmRestarts": lambda o: ls.CosineAnnealingWarmRestarts(o, 3),
    "CyclicLR": lambda o: ls.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3),
    "OneCycleLR": lambda o: ls.OneCycleLR(o, max_lr=0.1, total_steps=10),
}


def _optimizer(lr=0.1, groups=1, **kwargs) -> torch.optim.Optimizer:
    params = [
        {"params": [torch.zeros(1, requires_grad=True)], "lr": lr * (i + 1)}
        for i in range(groups)
    ]
    return torch.optim.SGD(params, lr=lr, momentum=0.9, **kwargs)


def _lrs(optimizer) -> list[float]:
    return [float(g["lr"]) for g in optimizer.param_groups]


@pytest.mark.parametrize("name", list(BUILDS))
def test_torch_protocol_attributes(name):
    optimizer = _optimizer(groups=2)
    scheduler = BUILDS[name](optimizer)

    assert isinstance(scheduler, TORCH.LRScheduler)
    assert scheduler.optimizer is optimizer
    assert scheduler.last_epoch == 0
    assert scheduler.get_last_lr() == _lrs(optimizer)
    assert all("initial_lr" in g for g in optimizer.param_groups)
    assert len(scheduler.base_lrs) == 2
    assert name in ls.__all__ and hasattr(TORCH, name)

    for expected in range(1, 4):
        optimizer.step()
        scheduler.step()
        assert scheduler.last_epoch == expected
        assert scheduler.get_last_lr() == _lrs(optimizer)


@pytest.mark.parametrize("name", list(BUILDS))
def test_state_dict_loads_into_a_fresh_scheduler(name):
    optimizer = _optimizer()
    scheduler = BUILDS[name](optimizer)
    for _ in range(5):
        optimizer.step()
        scheduler.step()

    fresh_opt = _optimizer()
    fresh = BUILDS[name](fresh_opt)
    fresh.load_state_dict(scheduler.state_dict())

    assert fresh.last_epoch == 5
    assert _lrs(fresh_opt) == _lrs(optimizer)


@pytest.mark.parametrize("name", [*BUILDS, "ReduceLROnPlateau"])
def test_tensor_lr_is_filled_in_place(name):
    lr = torch.tensor(0.1)
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=lr, momentum=0.9)
    float_opt = _optimizer()
    if name == "ReduceLROnPlateau":
        scheduler = ls.ReduceLROnPlateau(optimizer, patience=0)
        reference = ls.ReduceLROnPlateau(float_opt, patience=0)
    else:
        scheduler = BUILDS[name](optimizer)
        reference = BUILDS[name](float_opt)

    for step in range(6):
        for opt, sched in ((optimizer, scheduler), (float_opt, reference)):
            opt.step()
            sched.step(1.0) if name == "ReduceLROnPlateau" else sched.step()
        assert optimizer.param_groups[0]["lr"] is lr, step
        assert lr.item() == pytest.approx(float_opt.param_groups[0]["lr"], rel=1e-6)
    last = scheduler.get_last_lr()[0]
    assert isinstance(last, torch.Tensor) and last is not lr


def test_step_with_epoch_is_deprecated_and_jumps():
    optimizer = _optimizer(lr=1.0)
    scheduler = ls.StepLR(optimizer, step_size=2, gamma=0.5)
    optimizer.step()

    with pytest.warns(UserWarning, match="step\\(epoch\\) is deprecated"):
        scheduler.step(6)

    assert scheduler.last_epoch == 6
    assert _lrs(optimizer) == [0.125]


def test_resuming_with_last_epoch_needs_initial_lr():
    optimizer = _optimizer()

    with pytest.raises(KeyError, match="param_groups\\[0\\] has no 'initial_lr'"):
        ls.StepLR(optimizer, step_size=2, last_epoch=3)


def test_two_schedulers_stepped_separately_multiply_like_torch():
    def run(module):
        optimizer = _optimizer(lr=1.0)
        first = module.StepLR(optimizer, step_size=3, gamma=0.5)
        second = module.ExponentialLR(optimizer, gamma=0.9)
        seen = []
        for _ in range(8):
            optimizer.step()
            first.step()
            second.step()
            seen.append(_lrs(optimizer)[0])
        return seen

    assert run(ls) == pytest.approx(run(TORCH), rel=1e-12)


def test_a_discarded_scheduler_no_longer_counts():
    optimizer = _optimizer(lr=1.0)
    ls.StepLR(optimizer, step_size=1, gamma=0.5)
    gc.collect()
    scheduler = ls.ExponentialLR(optimizer, gamma=0.9)

    optimizer.step()
    scheduler.step()

    assert _lrs(optimizer) == [0.9]


def test_a_torch_state_dict_loads_into_the_drop_in():
    torch_opt = _optimizer(lr=1.0)
    torch_sched = TORCH.CosineAnnealingLR(torch_opt, T_max=10)
    for _ in range(4):
        torch_opt.step()
        torch_sched.step()

    optimizer = _optimizer(lr=1.0)
    scheduler = ls.CosineAnnealingLR(optimizer, T_max=10)
    scheduler.load_state_dict(torch_sched.state_dict())

    assert scheduler.last_epoch == 4
    assert _lrs(optimizer) == pytest.approx(_lrs(torch_opt), rel=1e-12)


def test_cyclic_and_one_cycle_set_torch_group_entries():
    optimizer = _optimizer()
    ls.OneCycleLR(optimizer, max_lr=1.0, total_steps=10, div_factor=10)
    group = optimizer.param_groups[0]

    assert group["initial_lr"] == 0.1 and group["max_lr"] == 1.0
    assert group["min_lr"] == pytest.approx(1e-5)
    assert group["momentum"] == 0.95 and group["base_momentum"] == 0.85


def test_cyclic_momentum_moves_adam_beta1():
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.Adam([param], lr=0.1, betas=(0.9, 0.999))
    scheduler = ls.CyclicLR(optimizer, base_lr=0.01, max_lr=0.1, step_size_up=2)

    optimizer.step()
    scheduler.step()

    beta1, beta2 = optimizer.param_groups[0]["betas"]
    assert (beta1, beta2) == (pytest.approx(0.85), 0.999)


def test_cosine_warm_restarts_takes_fractional_epochs():
    optimizer = _optimizer(lr=1.0)
    scheduler = ls.CosineAnnealingWarmRestarts(optimizer, T_0=4)

    scheduler.step(1.5)
    assert _lrs(optimizer) == pytest.approx([(1 + math.cos(math.pi * 1.5 / 4)) / 2])
    optimizer.step()
    scheduler.step()
    assert _lrs(optimizer) == pytest.approx([(1 + math.cos(math.pi * 2.5 / 4)) / 2])
    assert scheduler.last_epoch == 2
    assert scheduler.state_dict() == {"last_epoch": 2, "epoch": 2.5}


def test_plateau_reads_zero_dim_tensor_metrics():
    optimizer = _optimizer(lr=1.0)
    plateau = ls.ReduceLROnPlateau(optimizer, patience=0, factor=0.5)

    plateau.step(torch.tensor(1.0))
    plateau.step(torch.tensor(2.0))

    assert _lrs(optimizer) == [0.5]
    assert plateau.num_bad_epochs == 0 and plateau.best == 1.0


def test_plateau_respects_min_lr_and_eps():
    optimizer = _optimizer(lr=1.0)
    plateau = ls.ReduceLROnPlateau(optimizer, patience=0, factor=0.1, min_lr=0.05)

    for metric in [1.0, 2.0, 2.0, 2.0]:
        plateau.step(metric)

    assert _lrs(optimizer) == pytest.approx([0.05], rel=1e-12)


def test_multiplicative_product_is_recomputed_on_jumps():
    calls = []

    def halve(step):
        calls.append(step)
        return 0.5

    optimizer = _optimizer(lr=1.0)
    scheduler = ls.MultiplicativeLR(optimizer, halve)
    scheduler.load_state_dict({"last_epoch": 4})

    assert _lrs(optimizer) == [0.0625]
    assert calls == [1, 2, 3, 4]


@pytest.mark.parametrize("name", list(BUILDS))
def test_stepping_before_the_optimizer_warns_like_torch(name):
    optimizer = _optimizer()
    scheduler = BUILDS[name](optimizer)

    with pytest.warns(UserWarning, match=r"called before optimizer\.step\(\)"):
        scheduler.step()


def test_a_torch_plateau_state_loads_with_its_cuts_read_off_the_lr():
    torch_opt = _optimizer(lr=1.0)
    torch_plateau = TORCH.ReduceLROnPlateau(torch_opt, factor=0.5, patience=0)
    for metric in [1.0, 2.0, 2.0]:
        torch_plateau.step(metric)

    optimizer = _optimizer(lr=1.0)
    plateau = ls.ReduceLROnPlateau(optimizer, factor=0.5, patience=0)
    optimizer.load_state_dict(torch_opt.state_dict())
    plateau.load_state_dict(torch_plateau.state_dict())
    plateau.step(3.0)
    torch_plateau.step(3.0)

    assert _lrs(optimizer) == _lrs(torch_opt) == [0.125]
    assert plateau.state_dict()["lr_factors"] == [0.125]


def test_lr_arguments_may_be_zero_dim_tensors():
    optimizer = _optimizer()
    scheduler = ls.OneCycleLR(
        optimizer, max_lr=torch.tensor(1.0), total_steps=10, div_factor=10
    )

    assert scheduler.get_last_lr() == [pytest.approx(0.1)]
