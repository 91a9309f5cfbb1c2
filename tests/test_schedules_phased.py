"""Warmup-stable-decay and piecewise tables: golden values worked by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrlab.schedules import WSD, PiecewiseConstant, PiecewiseLinear

GOLDEN = [
    # warmup t / 2 over [0, 2), 1 over [2, 5), 0.2 + 0.8 * (1 - u) over [5, 9]
    (
        WSD(2, 3, 4, min_factor=0.2, start_factor=0),
        [
            (0, 0.0),
            (1, 0.5),
            (2, 1.0),
            (4, 1.0),
            (5, 1.0),
            (6, 0.8),
            (7, 0.6),
            (9, 0.2),
            (10, 0.2),
            (10**6, 0.2),
        ],
    ),
    # the default warmup starts one step up: (t + 1) / 3 over [0, 2)
    (
        WSD(2, 3, 4, min_factor=0.2),
        [(0, 1 / 3), (0.5, 0.5), (1, 2 / 3), (2, 1.0), (6, 0.8), (9, 0.2)],
    ),
    (WSD(1, 0, 2), [(0, 0.5), (1, 1.0), (2, 0.5), (3, 0.0)]),
    # no warmup, no stable phase: a cosine from step 0
    (WSD(0, 0, 4, anneal="cos"), [(0, 1.0), (2, 0.5), (4, 0.0), (5, 0.0)]),
    # 1 - sqrt(u): u = 0.25 gives 0.5
    (WSD(0, 2, 4, anneal="sqrt"), [(0, 1.0), (2, 1.0), (3, 0.5), (6, 0.0)]),
    # no decay: straight from the warmup to min_factor
    (
        WSD(2, 0, 0, min_factor=0.1, start_factor=0.5),
        [(0, 0.5), (1, 0.75), (2, 0.1), (3, 0.1)],
    ),
    # only a stable phase
    (WSD(0, 3, 0, min_factor=0.3), [(0, 1.0), (2.5, 1.0), (3, 0.3)]),
    (
        PiecewiseConstant([2, 5], [1.0, 0.5, 0.1]),
        [(0, 1.0), (1.99, 1.0), (2, 0.5), (4, 0.5), (5, 0.1), (10**6, 0.1)],
    ),
    (PiecewiseConstant([1], [0.0, 2.0]), [(0, 0.0), (1, 2.0)]),
    (
        PiecewiseLinear([0, 4, 8], [0.0, 1.0, 0.5]),
        [(0, 0.0), (1, 0.25), (4, 1.0), (6, 0.75), (8, 0.5), (10**6, 0.5)],
    ),
    # before the first point the first factor holds
    (
        PiecewiseLinear([10, 20], [1.0, 0.0]),
        [(0, 1.0), (10, 1.0), (15, 0.5), (25, 0.0)],
    ),
    (PiecewiseLinear([0], [0.7]), [(0, 0.7), (9, 0.7)]),
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
    values = WSD(1000, 500_000, 498_000, min_factor=0.1)(np.arange(10**6))

    assert values[[0, 500, 1000, 501_000, 999_000, 999_999]].tolist() == pytest.approx(
        [1 / 1001, 501 / 1001, 1.0, 1.0, 0.1, 0.1], rel=1e-12
    )


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.tuples(*[st.integers(0, 50)] * 3).filter(lambda x: sum(x) > 0),
    low=st.floats(0, 1),
    start=st.one_of(st.none(), st.floats(0, 1)),
    anneal=st.sampled_from(["linear", "cos", "sqrt"]),
)
def test_wsd_warms_up_then_decays(lengths, low, start, anneal):
    warmup, stable, decay = lengths
    s = WSD(warmup, stable, decay, min_factor=low, start_factor=start, anneal=anneal)
    t = np.arange(sum(lengths) + 3, dtype=float)

    values = s(t)
    ramp, rest = values[:warmup], values[warmup:]
    assert np.all(np.diff(ramp) >= 0)
    assert np.all(np.diff(rest) <= 1e-12)
    assert np.all(rest >= low - 1e-12)
    assert np.all(values <= 1 + 1e-12)
    assert values[-1] == pytest.approx(low, rel=1e-12, abs=1e-15)


ERRORS = [
    (
        lambda: WSD(-1, 0, 5),
        ValueError,
        "warmup_steps must be a non-negative integer, got -1",
    ),
    (
        lambda: WSD(0, 1.5, 5),
        ValueError,
        "stable_steps must be a non-negative integer, got 1.5",
    ),
    (lambda: WSD(0, 0, "5"), TypeError, "decay_steps must be an integer, got '5'"),
    (
        lambda: WSD(0, 0, 0),
        ValueError,
        "decay_steps must be positive when the other two lengths are 0, got 0",
    ),
    (
        lambda: WSD(1, 1, 1, min_factor=-0.1),
        ValueError,
        "min_factor must be a non-negative number, got -0.1",
    ),
    (
        lambda: WSD(1, 1, 1, start_factor=-1),
        ValueError,
        "start_factor must be a non-negative number, got -1",
    ),
    (
        lambda: WSD(1, 1, 1, start_factor=[0]),
        TypeError,
        "start_factor must be a number or none, got [0]",
    ),
    (
        lambda: WSD(1, 1, 1, anneal="exp"),
        ValueError,
        "anneal must be one of 'linear', 'cos', 'sqrt', got 'exp'",
    ),
    (
        lambda: PiecewiseConstant([5, 2], [1, 2, 3]),
        ValueError,
        "boundaries must be strictly increasing, got [5, 2]",
    ),
    (
        lambda: PiecewiseConstant([0, 2], [1, 2, 3]),
        ValueError,
        "boundaries[0] must be a positive integer, got 0",
    ),
    (
        lambda: PiecewiseConstant([2], [1, 2, 3]),
        ValueError,
        "factors must be a list of 2 numbers (one more than boundaries), got [1, 2, 3]",
    ),
    (
        lambda: PiecewiseConstant([2], [1, -2]),
        ValueError,
        "factors[1] must be a non-negative number, got -2",
    ),
    (
        lambda: PiecewiseConstant([2], [1, float("nan")]),
        ValueError,
        "factors[1] must be a non-negative number, got nan",
    ),
    (
        lambda: PiecewiseConstant([2], "12"),
        TypeError,
        "factors must be a list of numbers, got '12'",
    ),
    (
        lambda: PiecewiseLinear([], []),
        ValueError,
        "boundaries must be a list of at least 1 integer(s), got []",
    ),
    (
        lambda: PiecewiseLinear([0, 5], [1]),
        ValueError,
        "factors must be a list of 2 numbers (as many as boundaries), got [1]",
    ),
    (
        lambda: PiecewiseLinear([-1, 5], [1, 0]),
        ValueError,
        "boundaries[0] must be a non-negative integer, got -1",
    ),
]


@pytest.mark.parametrize(("build", "error", "message"), ERRORS)
def test_error_message(build, error, message):
    with pytest.raises(error) as info:
        build()
    assert str(info.value) == message
