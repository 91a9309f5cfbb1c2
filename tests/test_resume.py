"""Resume: save at any step, rebuild everything, load, continue exactly.

For every class (and for composed schedulers) the state goes through
``torch.save`` and ``torch.load(weights_only=True)``; the continued run must
give exactly the lrs (and momentum) of an uninterrupted run.
"""

from __future__ import annotations

import io

import pytest
import torch

from lrlab import lr_scheduler as ls
from lrlab.schedules import Cosine, Step, Warmup

STEPS = 40


def _decay(t: int) -> float:
    return 0.97 if t % 3 else 1.0


BUILDS = {
    "LambdaLR": lambda o: ls.LambdaLR(o, lambda t: 1 / (1 + 0.1 * t)),
    "MultiplicativeLR": lambda o: ls.MultiplicativeLR(o, _decay),
    "StepLR": lambda o: ls.StepLR(o, step_size=4, gamma=0.7),
    "MultiStepLR": lambda o: ls.MultiStepLR(o, milestones=[5, 11, 30], gamma=0.5),
    "ConstantLR": lambda o: ls.ConstantLR(o, factor=0.3, total_iters=9),
    "LinearLR": lambda o: ls.LinearLR(o, start_factor=0.2, total_iters=15),
    "ExponentialLR": lambda o: ls.ExponentialLR(o, gamma=0.93),
    "PolynomialLR": lambda o: ls.PolynomialLR(o, total_iters=30, power=2.0),
    "CosineAnnealingLR": lambda o: ls.CosineAnnealingLR(o, T_max=25, eta_min=1e-3),
    "CosineAnnealingWarmRestarts": lambda o: ls.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2, eta_min=1e-3
    ),
    "CyclicLR": lambda o: ls.CyclicLR(
        o, base_lr=0.01, max_lr=[0.1, 0.2], step_size_up=4, mode="triangular2"
    ),
    "OneCycleLR": lambda o: ls.OneCycleLR(o, max_lr=0.5, total_steps=30),
    "ReduceLROnPlateau": lambda o: ls.ReduceLROnPlateau(
        o, factor=0.5, patience=1, cooldown=1
    ),
    "SequentialLR": lambda o: ls.SequentialLR(
        o,
        [
            ls.LinearLR(o, start_factor=0.1, total_iters=5),
            ls.CosineAnnealingLR(o, T_max=20),
            ls.MultiplicativeLR(o, _decay),
        ],
        milestones=[5, 25],
    ),
    "ChainedScheduler": lambda o: ls.ChainedScheduler(
        [ls.StepLR(o, step_size=3, gamma=0.9), ls.MultiplicativeLR(o, _decay)]
    ),
    "ChainedScheduler+plateau": lambda o: ls.ChainedScheduler(
        [ls.ExponentialLR(o, gamma=0.95), ls.ReduceLROnPlateau(o, patience=0)]
    ),
    "SequentialLR+plateau": lambda o: ls.SequentialLR(
        o,
        [
            ls.LinearLR(o, start_factor=0.1, total_iters=5),
            ls.ReduceLROnPlateau(o, factor=0.5, patience=0),
        ],
        milestones=[5],
    ),
    "ScheduleAdapter": lambda o: ls.ScheduleAdapter(
        o,
        Warmup(Cosine(total_steps=30), warmup_steps=5),
        momentum=Step(step_size=10, gamma=0.9),
        weight_decay=Cosine(total_steps=40),
    ),
    "ScheduleAdapter per epoch": lambda o: ls.ScheduleAdapter(
        o, Cosine(total_steps=4), steps_per_epoch=7
    ),
}

NEEDS_METRICS = {
    "ReduceLROnPlateau",
    "ChainedScheduler+plateau",
    "SequentialLR+plateau",
}

# A metric that improves, stalls and worsens, so plateaus cut several times.
METRICS = [1.0 / (1 + t) if t % 7 < 3 else 2.0 for t in range(STEPS)]


def _optimizer() -> torch.optim.Optimizer:
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 1, bias=True)
    groups = [
        {"params": [model.weight], "lr": 0.1},
        {"params": [model.bias], "lr": 0.05, "weight_decay": 1e-4},
    ]
    return torch.optim.SGD(groups, lr=0.1, momentum=0.9, weight_decay=1e-3)


def _snapshot(optimizer) -> list[tuple[float, float, float]]:
    return [
        (float(g["lr"]), float(g["momentum"]), float(g["weight_decay"]))
        for g in optimizer.param_groups
    ]


def _run(name, optimizer, scheduler, start, stop):
    seen = []
    for t in range(start, stop):
        optimizer.step()
        if name in NEEDS_METRICS:
            scheduler.step(METRICS[t])
        else:
            scheduler.step()
        seen.append(_snapshot(optimizer))
    return seen


def _round_trip(state):
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


@pytest.mark.parametrize("name", list(BUILDS))
@pytest.mark.parametrize("cut", [0, 1, 7, 23])
def test_resume_continues_exactly(name, cut):
    build = BUILDS[name]
    optimizer = _optimizer()
    scheduler = build(optimizer)
    _run(name, optimizer, scheduler, 0, cut)
    state = _round_trip(scheduler.state_dict())
    optimizer_state = _round_trip(optimizer.state_dict())
    expected = _run(name, optimizer, scheduler, cut, STEPS)

    # A new process: new optimizer, new scheduler, then the saved states.
    fresh_opt = _optimizer()
    fresh = build(fresh_opt)
    fresh_opt.load_state_dict(optimizer_state)
    fresh.load_state_dict(state)

    assert _run(name, fresh_opt, fresh, cut, STEPS) == expected


@pytest.mark.parametrize("name", list(BUILDS))
def test_resume_without_the_optimizer_state(name):
    build = BUILDS[name]
    optimizer = _optimizer()
    scheduler = build(optimizer)
    _run(name, optimizer, scheduler, 0, 13)
    state = _round_trip(scheduler.state_dict())
    expected = _run(name, optimizer, scheduler, 13, STEPS)

    fresh_opt = _optimizer()
    fresh = build(fresh_opt)
    fresh.load_state_dict(state)

    assert _run(name, fresh_opt, fresh, 13, STEPS) == expected


@pytest.mark.parametrize(
    "name", [n for n in BUILDS if n not in NEEDS_METRICS and "Adapter" not in n]
)
def test_rebuilding_with_last_epoch_continues_exactly(name):
    optimizer = _optimizer()
    scheduler = BUILDS[name](optimizer)
    before = _run(name, optimizer, scheduler, 0, 10)
    optimizer_state = _round_trip(optimizer.state_dict())
    expected = _run(name, optimizer, scheduler, 10, STEPS)

    # 10 steps done: the constructor moves from last_epoch=9 to step 10.
    fresh_opt = _optimizer()
    fresh_opt.load_state_dict(optimizer_state)
    fresh = _with_last_epoch(name, fresh_opt, 9)

    assert _snapshot(fresh_opt) == before[-1]
    assert _run(name, fresh_opt, fresh, 10, STEPS) == expected


def _with_last_epoch(name, optimizer, last_epoch):
    """Rebuild with ``last_epoch``: what torch's docs suggest for resuming."""
    if name in ("SequentialLR", "ChainedScheduler"):
        if name == "ChainedScheduler":
            return ls.ChainedScheduler(
                [
                    ls.StepLR(optimizer, step_size=3, gamma=0.9, last_epoch=last_epoch),
                    ls.MultiplicativeLR(optimizer, _decay, last_epoch=last_epoch),
                ]
            )
        children = [
            ls.LinearLR(optimizer, start_factor=0.1, total_iters=5),
            ls.CosineAnnealingLR(optimizer, T_max=20),
            ls.MultiplicativeLR(optimizer, _decay),
        ]
        return ls.SequentialLR(
            optimizer, children, milestones=[5, 25], last_epoch=last_epoch
        )
    scheduler_class = type(BUILDS[name](_optimizer()))
    kwargs = _KWARGS[name]
    return scheduler_class(optimizer, **kwargs, last_epoch=last_epoch)


_KWARGS = {
    "LambdaLR": {"lr_lambda": lambda t: 1 / (1 + 0.1 * t)},
    "MultiplicativeLR": {"lr_lambda": _decay},
    "StepLR": {"step_size": 4, "gamma": 0.7},
    "MultiStepLR": {"milestones": [5, 11, 30], "gamma": 0.5},
    "ConstantLR": {"factor": 0.3, "total_iters": 9},
    "LinearLR": {"start_factor": 0.2, "total_iters": 15},
    "ExponentialLR": {"gamma": 0.93},
    "PolynomialLR": {"total_iters": 30, "power": 2.0},
    "CosineAnnealingLR": {"T_max": 25, "eta_min": 1e-3},
    "CosineAnnealingWarmRestarts": {"T_0": 3, "T_mult": 2, "eta_min": 1e-3},
    "CyclicLR": {
        "base_lr": 0.01,
        "max_lr": [0.1, 0.2],
        "step_size_up": 4,
        "mode": "triangular2",
    },
    "OneCycleLR": {"max_lr": 0.5, "total_steps": 30},
}


def test_state_holds_only_plain_values():
    optimizer = _optimizer()
    for name, build in BUILDS.items():
        state = build(_optimizer()).state_dict()
        assert _plain(state), name
    assert optimizer


def _plain(value) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return isinstance(value, (int, float, str, bool)) or value is None
