"""torch.optim.lr_scheduler as an independent oracle for the pure schedules.

Each test steps a torch scheduler for a few hundred steps over random
arguments and compares lr / base_lr with the closed form: relative
tolerance 1e-9, plus an absolute 1e-15 for values that are exactly 0 in
closed form but where torch's recursive update leaves rounding residue.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrlab.schedules import (
    Cosine,
    CosineRestarts,
    Cyclic,
    Exponential,
    Linear,
    MultiStep,
    OneCycle,
    Polynomial,
    Step,
)

torch = pytest.importorskip("torch")
lr_scheduler = torch.optim.lr_scheduler

STEPS = 250
RTOL = 1e-9
ATOL = 1e-15
oracle = settings(max_examples=12, deadline=None)


def torch_lrs(make, steps=STEPS, base_lr=0.5, momentum=0.0):
    """The lr of the first param group at steps 0 .. steps-1."""
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=base_lr, momentum=momentum)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = make(optimizer)
        lrs = []
        for _ in range(steps):
            lrs.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()
    return np.array(lrs)


def ours(schedule, steps=STEPS):
    return schedule(np.arange(steps))


@oracle
@given(gamma=st.floats(0.9, 1.02))
def test_exponential(gamma):
    expected = torch_lrs(lambda o: lr_scheduler.ExponentialLR(o, gamma)) / 0.5

    np.testing.assert_allclose(ours(Exponential(gamma)), expected, rtol=RTOL, atol=ATOL)


@oracle
@given(step_size=st.integers(1, 60), gamma=st.floats(0.1, 1.5))
def test_step(step_size, gamma):
    expected = torch_lrs(lambda o: lr_scheduler.StepLR(o, step_size, gamma)) / 0.5

    np.testing.assert_allclose(
        ours(Step(step_size, gamma)), expected, rtol=RTOL, atol=ATOL
    )


@oracle
@given(
    milestones=st.lists(st.integers(1, 260), min_size=1, max_size=6, unique=True),
    gamma=st.floats(0.1, 1.5),
)
def test_multistep(milestones, gamma):
    milestones = sorted(milestones)
    make = lambda o: lr_scheduler.MultiStepLR(o, milestones, gamma)  # noqa: E731

    expected = torch_lrs(make) / 0.5
    np.testing.assert_allclose(
        ours(MultiStep(milestones, gamma)), expected, rtol=RTOL, atol=ATOL
    )


@oracle
@given(
    start=st.floats(0.01, 1),
    end=st.floats(0, 1),
    total=st.integers(1, 300),
)
def test_linear(start, end, total):
    make = lambda o: lr_scheduler.LinearLR(o, start, end, total)  # noqa: E731

    expected = torch_lrs(make) / 0.5
    np.testing.assert_allclose(
        ours(Linear(total, start, end)), expected, rtol=RTOL, atol=ATOL
    )


@oracle
@given(total=st.integers(1, 300), power=st.floats(0.2, 4))
def test_polynomial(total, power):
    make = lambda o: lr_scheduler.PolynomialLR(o, total, power)  # noqa: E731

    expected = torch_lrs(make) / 0.5
    np.testing.assert_allclose(
        ours(Polynomial(total, power)), expected, rtol=RTOL, atol=ATOL
    )


@oracle
@given(total=st.integers(1, 400), low=st.floats(0, 0.9))
def test_cosine_within_total_steps(total, low):
    make = lambda o: lr_scheduler.CosineAnnealingLR(o, total, eta_min=low * 0.5)  # noqa: E731
    steps = min(total + 1, STEPS)

    expected = torch_lrs(make, steps) / 0.5
    values = ours(Cosine(total, low), steps)
    np.testing.assert_allclose(values, expected, rtol=RTOL, atol=ATOL)


@oracle
@given(first=st.integers(1, 60), mult=st.integers(1, 3), low=st.floats(0, 0.9))
def test_cosine_restarts_with_integer_period_mult(first, mult, low):
    make = lambda o: lr_scheduler.CosineAnnealingWarmRestarts(  # noqa: E731
        o, first, mult, eta_min=low * 0.5
    )

    expected = torch_lrs(make) / 0.5
    values = ours(CosineRestarts(first, mult, low))
    np.testing.assert_allclose(values, expected, rtol=RTOL, atol=ATOL)


@oracle
@given(
    low=st.floats(0.01, 1),
    span=st.floats(0, 5),
    up=st.integers(1, 60),
    down=st.one_of(st.none(), st.integers(1, 60)),
    mode=st.sampled_from(["triangular", "triangular2", "exp_range"]),
    gamma=st.floats(0.98, 1),
)
def test_cyclic(low, span, up, down, mode, gamma):
    gamma = gamma if mode == "exp_range" else 1.0
    make = lambda o: lr_scheduler.CyclicLR(  # noqa: E731
        o,
        base_lr=low,
        max_lr=low + span,
        step_size_up=up,
        step_size_down=down,
        mode=mode,
        gamma=gamma,
        cycle_momentum=False,
    )

    expected = torch_lrs(make, base_lr=1.0)
    values = ours(Cyclic(low, low + span, up, down, mode, gamma))
    np.testing.assert_allclose(values, expected, rtol=RTOL, atol=ATOL)


@oracle
@given(
    total=st.integers(3, 400),
    data=st.data(),
    anneal=st.sampled_from(["cos", "linear"]),
    div=st.floats(1, 100),
    final_div=st.floats(1, 1e5),
    three_phase=st.booleans(),
)
def test_one_cycle(total, data, anneal, div, final_div, three_phase):
    high = (total + 1) / (2 * total) if three_phase else 1.0
    pct = data.draw(st.floats(1 / total, high, exclude_min=True, exclude_max=True))
    try:
        s = OneCycle(total, 2.0, pct, anneal, div, final_div, three_phase)
    except ValueError:
        return  # pct * total rounded onto a phase bound: torch divides by 0
    make = lambda o: lr_scheduler.OneCycleLR(  # noqa: E731
        o,
        max_lr=2.0,
        total_steps=total,
        pct_start=pct,
        anneal_strategy=anneal,
        div_factor=div,
        final_div_factor=final_div,
        three_phase=three_phase,
        cycle_momentum=False,
    )
    steps = min(total, STEPS)

    expected = torch_lrs(make, steps, base_lr=1.0)
    np.testing.assert_allclose(ours(s, steps), expected, rtol=RTOL, atol=ATOL)
    # past the end torch raises; the schedule holds its last value
    assert s(total + 10) == s(total - 1)
