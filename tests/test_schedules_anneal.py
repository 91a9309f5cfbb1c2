"""Linear, polynomial and cosine: golden tables worked by hand, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrlab.schedules import Cosine, Linear, Polynomial

COS_45 = 0.7071067811865476  # cos(pi / 4) = sqrt(2) / 2

GOLDEN = [
    # 1 - t / 4, then 0
    (
        Linear(4),
        [(0, 1.0), (1, 0.75), (2, 0.5), (3, 0.25), (4, 0.0), (5, 0.0), (10**6, 0.0)],
    ),
    # a ramp up: 0.5 + 0.5 * t / 2
    (Linear(2, 0.5, 1.0), [(0, 0.5), (1, 0.75), (2, 1.0), (3, 1.0)]),
    (Linear(1, 0.0, 2.0), [(0, 0.0), (0.25, 0.5), (1, 2.0), (7, 2.0)]),
    # (1 - t / 4) ** 2
    (
        Polynomial(4, power=2),
        [(0, 1.0), (1, 0.5625), (2, 0.25), (3, 0.0625), (4, 0.0), (10, 0.0)],
    ),
    # (1 - t / 4) ** 0.5: t=3 gives sqrt(0.25)
    (Polynomial(4, power=0.5), [(0, 1.0), (3, 0.5), (4, 0.0)]),
    # 0.5 + 0.5 * (1 - t / 2)
    (Polynomial(2, end_factor=0.5), [(0, 1.0), (1, 0.75), (2, 0.5), (3, 0.5)]),
    # 0.2 + 0.8 * (1 + cos(pi t / 4)) / 2
    (
        Cosine(4, min_factor=0.2),
        [
            (0, 1.0),
            (1, 0.2 + 0.4 * (1 + COS_45)),
            (2, 0.6),
            (3, 0.2 + 0.4 * (1 - COS_45)),
            (4, 0.2),
            (5, 0.2),
            (10**6, 0.2),
        ],
    ),
    (Cosine(1), [(0, 1.0), (0.5, 0.5), (1, 0.0), (2, 0.0)]),
    (Cosine(100), [(0, 1.0), (50, 0.5), (100, 0.0), (101, 0.0)]),
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

    # the midpoint of the cosine is exactly half way between 1 and 0.1
    values = Cosine(total_steps=999_998, min_factor=0.1)(t)
    assert values[0] == 1.0
    assert values[499_999] == pytest.approx(0.55, rel=1e-12)
    assert values[999_998] == pytest.approx(0.1, rel=1e-12)
    assert values[999_999] == values[999_998]
    values = Linear(total_steps=500_000)(t)
    assert values[[0, 250_000, 500_000, 999_999]].tolist() == [1.0, 0.5, 0.0, 0.0]


totals = st.integers(1, 300)
factors = st.floats(0, 2)


@settings(max_examples=40, deadline=None)
@given(
    total=totals,
    low=st.floats(0, 1),
    power=st.floats(0.1, 5),
    steps=st.lists(st.floats(0, 600), min_size=1, max_size=30),
)
def test_decays_are_bounded_and_monotone(total, low, power, steps):
    t = np.sort(np.array(steps))

    for schedule in (
        Linear(total, 1.0, low),
        Polynomial(total, power, low),
        Cosine(total, low),
    ):
        values = schedule(t)
        assert np.all(values <= 1 + 1e-12)
        assert np.all(values >= low - 1e-12)
        assert np.all(np.diff(values) <= 1e-12)
        assert schedule(total) == pytest.approx(low, rel=1e-12, abs=1e-15)
        assert schedule(total + 1) == schedule(total)


@settings(max_examples=30, deadline=None)
@given(total=totals, start=factors, end=factors)
def test_linear_ramp_is_between_its_ends(total, start, end):
    values = Linear(total, start, end)(np.arange(total + 5))

    assert np.all(values >= min(start, end) - 1e-12)
    assert np.all(values <= max(start, end) + 1e-12)
    assert values[0] == start
    assert values[-1] == pytest.approx(end, rel=1e-12, abs=1e-15)


ERRORS = [
    (lambda: Linear(0), ValueError, "total_steps must be a positive integer, got 0"),
    (lambda: Linear(-5), ValueError, "total_steps must be a positive integer, got -5"),
    (lambda: Linear(None), TypeError, "total_steps must be an integer, got None"),
    (
        lambda: Linear(5, start_factor=-1),
        ValueError,
        "start_factor must be a non-negative number, got -1",
    ),
    (
        lambda: Linear(5, end_factor=float("nan")),
        ValueError,
        "end_factor must be a non-negative number, got nan",
    ),
    (
        lambda: Linear(5, end_factor="0"),
        TypeError,
        "end_factor must be a number, got '0'",
    ),
    (
        lambda: Polynomial(0),
        ValueError,
        "total_steps must be a positive integer, got 0",
    ),
    (
        lambda: Polynomial(5, power=0),
        ValueError,
        "power must be a positive number, got 0",
    ),
    (
        lambda: Polynomial(5, power=float("inf")),
        ValueError,
        "power must be a positive number, got inf",
    ),
    (
        lambda: Polynomial(5, end_factor=-0.5),
        ValueError,
        "end_factor must be a non-negative number, got -0.5",
    ),
    (lambda: Cosine(0), ValueError, "total_steps must be a positive integer, got 0"),
    (
        lambda: Cosine(1.5),
        ValueError,
        "total_steps must be a positive integer, got 1.5",
    ),
    (
        lambda: Cosine(10, min_factor=-0.1),
        ValueError,
        "min_factor must be a non-negative number, got -0.1",
    ),
    (
        lambda: Cosine(10, min_factor=True),
        TypeError,
        "min_factor must be a number, got True",
    ),
]


@pytest.mark.parametrize(("build", "error", "message"), ERRORS)
def test_error_message(build, error, message):
    with pytest.raises(error) as info:
        build()
    assert str(info.value) == message
