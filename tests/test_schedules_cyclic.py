"""Restarts, cyclic and one-cycle: golden tables worked by hand, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrlab.schedules import CosineRestarts, Cyclic, OneCycle

COS_45 = 0.7071067811865476  # cos(pi / 4)
COS_160 = -0.9396926207859083  # cos(8 pi / 9)

GOLDEN = [
    # period 4, (1 + cos(pi u)) / 2 inside each period
    (
        CosineRestarts(4),
        [(0, 1.0), (1, (1 + COS_45) / 2), (2, 0.5), (4, 1.0), (6, 0.5), (400, 1.0)],
    ),
    # periods [0, 2), [2, 6), [6, 14), [14, 30); peaks 1, 0.5, 0.25, 0.125
    (
        CosineRestarts(2, period_mult=2, gamma=0.5),
        [
            (0, 1.0),
            (1, 0.5),
            (2, 0.5),
            (3, 0.25 * (1 + COS_45)),
            (4, 0.25),
            (6, 0.25),
            (10, 0.125),
            (14, 0.125),
            (29, 0.125 * (1 + np.cos(np.pi * 15 / 16)) / 2),
            (30, 0.0625),
        ],
    ),
    # fractional periods [0, 2), [2, 5), [5, 9.5), [9.5, 16.25)
    (
        CosineRestarts(2, period_mult=1.5, min_factor=0.1),
        [
            (0, 1.0),
            (2, 1.0),
            (3.5, 0.55),
            (4, 0.1 + 0.9 * 0.25),
            (5, 1.0),
            (9, 0.1 + 0.9 * (1 + COS_160) / 2),
            (9.5, 1.0),
            (16.25, 1.0),
        ],
    ),
    # up 2, down 6: rise over [0, 2], fall over [2, 8]
    (
        Cyclic(0.0, 1.0, up_steps=2, down_steps=6),
        [(0, 0.0), (1, 0.5), (2, 1.0), (5, 0.5), (8, 0.0), (10, 1.0), (800, 0.0)],
    ),
    (
        Cyclic(0.1, 0.5, up_steps=2),
        [(0, 0.1), (1, 0.3), (2, 0.5), (3, 0.3), (4, 0.1), (6, 0.5)],
    ),
    # the amplitude halves every cycle of 2 steps
    (
        Cyclic(0.0, 1.0, up_steps=1, mode="triangular2"),
        [(0, 0.0), (1, 1.0), (2, 0.0), (3, 0.5), (5, 0.25), (7, 0.125)],
    ),
    # amplitude 0.5 ** t
    (
        Cyclic(0.0, 1.0, up_steps=1, mode="exp_range", gamma=0.5),
        [(0, 0.0), (1, 0.5), (2, 0.0), (3, 0.125)],
    ),
    # a sawtooth: no way down
    (
        Cyclic(0.0, 1.0, up_steps=4, down_steps=0),
        [(0, 0.0), (2, 0.5), (3, 0.75), (4, 0.0), (7, 0.75)],
    ),
    # start 1/25 = 0.04, end 0.04 / 1e4 = 4e-6; rise until step 0.3 * 10 - 1 = 2
    (
        OneCycle(10),
        [
            (0, 0.04),
            (1, 0.52),
            (2, 1.0),
            (5.5, (1 + 4e-6) / 2),
            (9, 4e-6),
            (10, 4e-6),
            (10**6, 4e-6),
        ],
    ),
    # start 0.1, end 0.01; phases end at 2, 6 - 2 = 4 and 9
    (
        OneCycle(
            10, anneal="linear", div_factor=10, final_div_factor=10, three_phase=True
        ),
        [
            (0, 0.1),
            (1, 0.55),
            (2, 1.0),
            (3, 0.55),
            (4, 0.1),
            (6.5, 0.055),
            (9, 0.01),
            (100, 0.01),
        ],
    ),
    # max 2, start 2 / 4 = 0.5, end 0.5 / 5 = 0.1; rise until 0.5 * 4 - 1 = 1
    (
        OneCycle(
            4,
            max_factor=2,
            pct_start=0.5,
            anneal="linear",
            div_factor=4,
            final_div_factor=5,
        ),
        [(0, 0.5), (0.5, 1.25), (1, 2.0), (2, 1.05), (3, 0.1), (4, 0.1)],
    ),
]


@pytest.mark.parametrize(("schedule", "table"), GOLDEN)
def test_golden_table(schedule, table):
    for step, expected in table:
        assert schedule(step) == pytest.approx(expected, rel=1e-12, abs=1e-15), step
    steps, values = zip(*table, strict=True)
    np.testing.assert_allclose(
        schedule(np.array(steps)), values, rtol=1e-12, atol=1e-15
    )


def test_a_million_steps():
    t = np.arange(10**6)

    values = CosineRestarts(1000, period_mult=2)(t)
    # restarts at 1000 * (2**i - 1): 0, 1000, 3000, ..., 511000
    starts = [1000 * (2**i - 1) for i in range(10)]
    assert values[starts].tolist() == [1.0] * 10
    assert values[starts[-1] - 1] < 1e-4
    values = OneCycle(10**6)(t)
    assert values[0] == pytest.approx(0.04, rel=1e-12)
    assert values[299_999] == 1.0
    assert values[-1] == pytest.approx(4e-6, rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    first=st.integers(1, 50),
    mult=st.floats(1, 3),
    gamma=st.floats(0.1, 1),
    restarts=st.integers(0, 6),
)
def test_restarts_peak_at_every_period_start(first, mult, gamma, restarts):
    s = CosineRestarts(first, period_mult=mult, gamma=gamma)
    start = first * restarts if mult == 1 else first * (mult**restarts - 1) / (mult - 1)

    assert s(start) == pytest.approx(gamma**restarts, rel=1e-9)
    lengths = first * mult**restarts
    # the cosine goes down within the period
    inside = s(start + lengths * np.array([0.25, 0.5, 0.75]))
    assert np.all(np.diff(inside) < 0)


@settings(max_examples=60, deadline=None)
@given(
    total=st.integers(2, 2000),
    data=st.data(),
    anneal=st.sampled_from(["cos", "linear"]),
    three_phase=st.booleans(),
)
def test_one_cycle_rises_then_falls(total, data, anneal, three_phase):
    high = (total + 1) / (2 * total) if three_phase else 1.0
    pct = data.draw(st.floats(1 / total, high, exclude_min=True, exclude_max=True))
    try:
        s = OneCycle(total, pct_start=pct, anneal=anneal, three_phase=three_phase)
    except ValueError:
        return  # pct * total rounded onto a bound
    values = s(np.arange(total + 3))

    peak = int(np.argmax(values))
    assert s(pct * total - 1) == pytest.approx(1.0, rel=1e-12)
    assert values.max() <= 1.0
    assert np.all(values >= 4e-6 * (1 - 1e-12))
    assert np.all(np.diff(values[: peak + 1]) >= 0)
    if not three_phase:
        assert np.all(np.diff(values[peak:]) <= 1e-15)
    assert values[-1] == values[total - 1] == pytest.approx(4e-6, rel=1e-9)


ERRORS = [
    (
        lambda: CosineRestarts(0),
        ValueError,
        "period_steps must be a positive integer, got 0",
    ),
    (
        lambda: CosineRestarts(5, period_mult=0.5),
        ValueError,
        "period_mult must be a number >= 1, got 0.5",
    ),
    (
        lambda: CosineRestarts(5, min_factor=-1),
        ValueError,
        "min_factor must be a non-negative number, got -1",
    ),
    (
        lambda: CosineRestarts(5, gamma=0),
        ValueError,
        "gamma must be a positive number, got 0",
    ),
    (
        lambda: Cyclic(-0.1, 1, 5),
        ValueError,
        "min_factor must be a non-negative number, got -0.1",
    ),
    (
        lambda: Cyclic(0.5, 0.1, 5),
        ValueError,
        "max_factor must be at least min_factor (0.5), got 0.1",
    ),
    (
        lambda: Cyclic(0.1, 1, 0),
        ValueError,
        "up_steps must be a positive integer, got 0",
    ),
    (
        lambda: Cyclic(0.1, 1, 5, -1),
        ValueError,
        "down_steps must be a non-negative integer, got -1",
    ),
    (
        lambda: Cyclic(0.1, 1, 5, mode="triangle"),
        ValueError,
        "mode must be one of 'triangular', 'triangular2', 'exp_range', got 'triangle'",
    ),
    (
        lambda: Cyclic(0.1, 1, 5, mode=1),
        TypeError,
        "mode must be one of 'triangular', 'triangular2', 'exp_range', got 1",
    ),
    (
        lambda: Cyclic(0.1, 1, 5, gamma=0.9),
        ValueError,
        "gamma must be 1 unless mode is 'exp_range', got 0.9",
    ),
    (
        lambda: Cyclic(0.1, 1, 5, mode="exp_range", gamma=1.5),
        ValueError,
        "gamma must be in (0, 1], got 1.5",
    ),
    (lambda: OneCycle(1), ValueError, "total_steps must be an integer >= 2, got 1"),
    (
        lambda: OneCycle(10, max_factor=0),
        ValueError,
        "max_factor must be a positive number, got 0",
    ),
    (
        lambda: OneCycle(10, pct_start=0.1),
        ValueError,
        "pct_start must be in (0.1, 1) for total_steps=10, so every phase lasts "
        "more than one step, got 0.1",
    ),
    (
        lambda: OneCycle(10, pct_start=0.55, three_phase=True),
        ValueError,
        "pct_start must be in (0.1, 0.55) for total_steps=10, so every phase lasts "
        "more than one step, got 0.55",
    ),
    (
        lambda: OneCycle(10, pct_start=1.5),
        ValueError,
        "pct_start must be in [0, 1], got 1.5",
    ),
    (
        lambda: OneCycle(10, anneal="cosine"),
        ValueError,
        "anneal must be one of 'cos', 'linear', got 'cosine'",
    ),
    (
        lambda: OneCycle(10, div_factor=0),
        ValueError,
        "div_factor must be a positive number, got 0",
    ),
    (
        lambda: OneCycle(10, final_div_factor=-1),
        ValueError,
        "final_div_factor must be a positive number, got -1",
    ),
    (
        lambda: OneCycle(10, three_phase="yes"),
        TypeError,
        "three_phase must be true or false, got 'yes'",
    ),
]


@pytest.mark.parametrize(("build", "error", "message"), ERRORS)
def test_error_message(build, error, message):
    with pytest.raises(error) as info:
        build()
    assert str(info.value) == message


@settings(max_examples=60, deadline=None)
@given(
    low=st.floats(0, 1),
    span=st.floats(0, 2),
    up=st.integers(1, 50),
    down=st.one_of(st.none(), st.integers(0, 50)),
    mode=st.sampled_from(["triangular", "triangular2", "exp_range"]),
    gamma=st.floats(0.9, 1),
    t=st.lists(st.floats(0, 5000), min_size=1, max_size=30),
)
def test_cyclic_stays_between_its_factors(low, span, up, down, mode, gamma, t):
    gamma = gamma if mode == "exp_range" else 1.0
    s = Cyclic(low, low + span, up, down, mode, gamma)

    values = s(np.array(t))
    assert np.all(values >= low - 1e-12)
    assert np.all(values <= low + span + 1e-12)
    # every cycle starts at the bottom
    length = up + (up if down is None else down)
    assert s(length * 3) == pytest.approx(low, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    first=st.integers(1, 50),
    mult=st.floats(1, 3),
    low=st.floats(0, 1),
    gamma=st.floats(0.1, 1),
    t=st.lists(st.floats(0, 5000), min_size=1, max_size=30),
)
def test_restarts_stay_between_min_and_one(first, mult, low, gamma, t):
    values = CosineRestarts(first, mult, low, gamma)(np.array(t))

    assert np.all(values <= max(1.0, low) + 1e-12)
    assert np.all(values >= 0)
    # with no decay of the peaks the cosine never goes below min_factor
    plain = CosineRestarts(first, mult, low)(np.array(t))
    assert np.all(plain >= low - 1e-12)
