"""Decay schedules: golden tables worked by hand, torch as an oracle, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrlab.schedules import Constant, Exponential, InverseSqrt, MultiStep, Step

# Golden tables: (step, value) pairs worked out by hand from the formulas.
GOLDEN = [
    (Constant(), [(0, 1.0), (10**6, 1.0)]),
    (Constant(0.25), [(0, 0.25), (7.5, 0.25)]),
    (Constant(0), [(0, 0.0), (3, 0.0)]),
    # 0.5 ** floor(t / 3)
    (Step(3, 0.5), [(0, 1.0), (2, 1.0), (3, 0.5), (5, 0.5), (6, 0.25), (9, 0.125)]),
    (Step(1, 2.0), [(0, 1.0), (1, 2.0), (4, 16.0)]),
    (Step(10), [(0, 1.0), (9.99, 1.0), (10, 0.1), (20, 0.010000000000000002)]),
    # 0.5 ** t
    (Exponential(0.5), [(0, 1.0), (1, 0.5), (2, 0.25), (10, 1 / 1024)]),
    # 0.25 ** (t / 2): half a transition is sqrt(0.25) = 0.5
    (Exponential(0.25, 2), [(0, 1.0), (1, 0.5), (2, 0.25), (3, 0.125)]),
    # floor(t / 2): 0, 0, 1, 1, 2
    (
        Exponential(0.25, 2, staircase=True),
        [(0, 1.0), (1, 1.0), (2, 0.25), (3, 0.25), (4, 0.0625)],
    ),
    (Exponential(1.5), [(0, 1.0), (2, 2.25)]),
    # 0.5 ** (number of milestones <= t)
    (
        MultiStep([2, 5], 0.5),
        [(0, 1.0), (1, 1.0), (1.99, 1.0), (2, 0.5), (4, 0.5), (5, 0.25), (10**6, 0.25)],
    ),
    (MultiStep([1]), [(0, 1.0), (1, 0.1), (50, 0.1)]),
    # (t + 1) / 5 up to step 4 (one step up from 0), then sqrt(4 / t)
    (
        InverseSqrt(4),
        [(0, 0.2), (1, 0.4), (3, 0.8), (4, 1.0), (9, 2 / 3), (16, 0.5), (100, 0.2)],
    ),
    # start_factor=0: t / 4 up to step 4
    (
        InverseSqrt(4, start_factor=0),
        [(0, 0.0), (1, 0.25), (2, 0.5), (4, 1.0), (9, 2 / 3), (16, 0.5)],
    ),
    # 0.5 + 0.5 * t / 2 during warmup
    (InverseSqrt(2, start_factor=0.5), [(0, 0.5), (1, 0.75), (2, 1.0), (8, 0.5)]),
    # (t + 1) / 2 up to step 1
    (InverseSqrt(1), [(0, 0.5), (0.5, 0.75), (1, 1.0), (4, 0.5)]),
    (InverseSqrt(1, start_factor=0), [(0, 0.0), (0.5, 0.5), (1, 1.0)]),
]


@pytest.mark.parametrize(("schedule", "table"), GOLDEN)
def test_golden_table(schedule, table):
    for step, expected in table:
        assert schedule(step) == pytest.approx(expected, rel=1e-12), step
    steps, values = zip(*table, strict=True)
    np.testing.assert_allclose(schedule(np.array(steps)), values, rtol=1e-12)


@pytest.mark.parametrize(
    "gamma", [0.1, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 1.0, 1.01, 2.0]
)
def test_exponential_is_exactly_gamma_to_the_step(gamma):
    s = Exponential(gamma=gamma)
    steps = np.arange(300)

    assert [s(int(t)) for t in steps] == [gamma ** int(t) for t in steps]
    assert s(steps).tolist() == [gamma ** int(t) for t in steps]


@pytest.mark.parametrize(("step_size", "gamma"), [(1, 0.1), (5, 0.5), (7, 0.9)])
def test_step_is_exactly_gamma_to_the_floor(step_size, gamma):
    s = Step(step_size=step_size, gamma=gamma)

    assert [s(t) for t in range(100)] == [gamma ** (t // step_size) for t in range(100)]


def test_a_million_steps():
    t = np.arange(10**6)

    values = Step(step_size=250_000, gamma=0.5)(t)
    assert values[[0, 249_999, 250_000, 999_999]].tolist() == [1, 1, 0.5, 0.125]
    values = Exponential(gamma=0.5, transition_steps=250_000)(t)
    assert values[999_999] == pytest.approx(0.5 ** (999_999 / 250_000), rel=1e-12)


def test_multistep_a_million_steps():
    values = MultiStep([10, 500_000], gamma=0.5)(np.arange(10**6))

    assert values[[0, 9, 10, 499_999, 500_000, 999_999]].tolist() == [
        1,
        1,
        0.5,
        0.5,
        0.25,
        0.25,
    ]


@settings(max_examples=50, deadline=None)
@given(
    gamma=st.floats(0.01, 1.0),
    transition_steps=st.integers(1, 50),
    staircase=st.booleans(),
    steps=st.lists(st.floats(0, 1e4), min_size=1, max_size=20),
)
def test_exponential_decay_properties(gamma, transition_steps, staircase, steps):
    s = Exponential(gamma, transition_steps, staircase)
    t = np.sort(np.array(steps))

    values = s(t)
    assert np.all((values >= 0) & (values <= 1))
    assert np.all(np.diff(values) <= 0)
    assert values.tolist() == [s(float(x)) for x in t]


# --- errors -------------------------------------------------------------------

ERRORS = [
    (lambda: Constant(-1), ValueError, "factor must be a non-negative number, got -1"),
    (lambda: Constant("1"), TypeError, "factor must be a number, got '1'"),
    (lambda: Step(0), ValueError, "step_size must be a positive integer, got 0"),
    (lambda: Step(-3), ValueError, "step_size must be a positive integer, got -3"),
    (lambda: Step(2.5), ValueError, "step_size must be a positive integer, got 2.5"),
    (lambda: Step(True), TypeError, "step_size must be an integer, got True"),
    (lambda: Step("5"), TypeError, "step_size must be an integer, got '5'"),
    (
        lambda: Step(math.nan),
        ValueError,
        "step_size must be a positive integer, got nan",
    ),
    (lambda: Step(5, 0), ValueError, "gamma must be a positive number, got 0"),
    (lambda: Step(5, -0.5), ValueError, "gamma must be a positive number, got -0.5"),
    (lambda: Step(5, math.inf), ValueError, "gamma must be a positive number, got inf"),
    (lambda: Step(5, None), TypeError, "gamma must be a number, got None"),
    (lambda: Exponential(0), ValueError, "gamma must be a positive number, got 0"),
    (
        lambda: Exponential(math.nan),
        ValueError,
        "gamma must be a positive number, got nan",
    ),
    (lambda: Exponential(False), TypeError, "gamma must be a number, got False"),
    (
        lambda: Exponential(0.5, 0),
        ValueError,
        "transition_steps must be a positive integer, got 0",
    ),
    (
        lambda: Exponential(0.5, staircase=1),
        TypeError,
        "staircase must be true or false, got 1",
    ),
]


ERRORS += [
    (
        lambda: MultiStep([]),
        ValueError,
        "milestones must be a list of at least 1 integer(s), got []",
    ),
    (
        lambda: MultiStep([5, 3]),
        ValueError,
        "milestones must be strictly increasing, got [5, 3]",
    ),
    (
        lambda: MultiStep([3, 3]),
        ValueError,
        "milestones must be strictly increasing, got [3, 3]",
    ),
    (
        lambda: MultiStep([0, 3]),
        ValueError,
        "milestones[0] must be a positive integer, got 0",
    ),
    (
        lambda: MultiStep([2, 2.5]),
        ValueError,
        "milestones[1] must be a positive integer, got 2.5",
    ),
    (
        lambda: MultiStep("5"),
        TypeError,
        "milestones must be a list of integers, got '5'",
    ),
    (lambda: MultiStep(5), TypeError, "milestones must be a list of integers, got 5"),
    (
        lambda: MultiStep([2], gamma=0),
        ValueError,
        "gamma must be a positive number, got 0",
    ),
    (
        lambda: InverseSqrt(0),
        ValueError,
        "warmup_steps must be a positive integer, got 0",
    ),
    (
        lambda: InverseSqrt(4, start_factor=-0.1),
        ValueError,
        "start_factor must be a non-negative number, got -0.1",
    ),
    (
        lambda: InverseSqrt(4, start_factor="0"),
        TypeError,
        "start_factor must be a number or none, got '0'",
    ),
]


@pytest.mark.parametrize(("build", "error", "message"), ERRORS)
def test_error_message(build, error, message):
    with pytest.raises(error) as info:
        build()
    assert str(info.value) == message
