"""Composition laws of lrlab's schedulers, checked against runs alone."""

from __future__ import annotations

import pytest
import torch
from hypothesis import Phase, assume, given, settings
from hypothesis import strategies as st

from lrlab import lr_scheduler as ls

STEPS = 120
EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    phases=(Phase.explicit, Phase.generate),
)

# Classes that multiply the lr they receive by their factor.
MULTIPLYING = [
    lambda o: ls.StepLR(o, step_size=7, gamma=0.8),
    lambda o: ls.MultiStepLR(o, milestones=[10, 30, 70], gamma=0.5),
    lambda o: ls.ExponentialLR(o, gamma=0.99),
    lambda o: ls.ConstantLR(o, factor=0.25, total_iters=40),
    lambda o: ls.LinearLR(o, start_factor=0.1, total_iters=50),
    lambda o: ls.PolynomialLR(o, total_iters=100, power=0.5),
    lambda o: ls.MultiplicativeLR(o, lambda t: 0.995),
    lambda o: ls.CosineAnnealingLR(o, T_max=90),
]
# Classes that set the lr from their own base lr, whatever they receive.
SETTING = [
    lambda o: ls.LambdaLR(o, lambda t: 1 / (1 + 0.05 * t)),
    lambda o: ls.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2),
    lambda o: ls.CyclicLR(o, base_lr=0.01, max_lr=0.3, step_size_up=9),
    lambda o: ls.OneCycleLR(o, max_lr=0.5, total_steps=100),
]
EVERY = MULTIPLYING + SETTING


def _optimizer() -> torch.optim.Optimizer:
    groups = [
        {"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in (0.2, 0.05)
    ]
    return torch.optim.SGD(groups, lr=0.2, momentum=0.9)


def _trace(build) -> list[list[float]]:
    optimizer = _optimizer()
    scheduler = build(optimizer)
    rows = [[float(g["lr"]) for g in optimizer.param_groups]]
    for _ in range(STEPS):
        optimizer.step()
        scheduler.step()
        rows.append([float(g["lr"]) for g in optimizer.param_groups])
    return rows


def _alone(index: int) -> list[list[float]]:
    return _trace(EVERY[index])


@EXAMPLES
@given(picks=st.lists(st.integers(0, len(EVERY) - 1), min_size=1, max_size=4))
def test_a_chain_multiplies_until_a_class_that_sets_the_lr(picks):
    chained = _trace(lambda o: ls.ChainedScheduler([EVERY[i](o) for i in picks]))

    # Start from the last class that sets the lr (or the base lr), then
    # multiply by the factor of each multiplying class after it.
    setters = [k for k, i in enumerate(picks) if EVERY[i] in SETTING]
    first = setters[-1] if setters else None
    base = [[0.2, 0.05]] * (STEPS + 1)
    expected = _alone(picks[first]) if first is not None else base
    for i in picks[(first + 1 if first is not None else 0) :]:
        alone = _alone(i)
        expected = [
            [e * a / b for e, a, b in zip(row, arow, (0.2, 0.05), strict=True)]
            for row, arow in zip(expected, alone, strict=True)
        ]

    assert chained == [pytest.approx(row, rel=1e-12) for row in expected]


@EXAMPLES
@given(
    picks=st.lists(st.integers(0, len(EVERY) - 1), min_size=2, max_size=3),
    gaps=st.lists(st.integers(1, 50), min_size=2, max_size=2),
)
def test_a_sequence_runs_each_scheduler_from_its_own_step_0(picks, gaps):
    # CyclicLR and OneCycleLR set the groups' initial_lr (as torch's do),
    # which then is the base lr of the classes built after them: keep them
    # last.
    assume(not {len(EVERY) - 2, len(EVERY) - 1} & set(picks[:-1]))
    milestones = [gaps[0], gaps[0] + gaps[1]][: len(picks) - 1]
    sequence = _trace(
        lambda o: ls.SequentialLR(o, [EVERY[i](o) for i in picks], milestones)
    )

    alone = {i: _alone(i) for i in set(picks)}
    starts = [0, *milestones]
    for t, row in enumerate(sequence):
        k = max(j for j, start in enumerate(starts) if start <= t)
        assert row == alone[picks[k]][t - starts[k]], t


def test_setting_classes_reset_the_lr_of_those_before():
    chained = _trace(
        lambda o: ls.ChainedScheduler([ls.StepLR(o, 1, 0.5), ls.LambdaLR(o, abs)])
    )

    # StepLR's 0.5 ** 3 is replaced by LambdaLR's abs(3) = 3.
    assert chained[3] == pytest.approx([0.6, 0.15], rel=1e-15)
