"""Composition: golden tables worked by hand, laws, Lambda, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_schedules_strategies import schedules, steps

from lrlab.schedules import (
    Constant,
    Cosine,
    Floor,
    Lambda,
    Linear,
    Product,
    Repeat,
    Scale,
    Sequence,
    Step,
    Warmup,
)

GOLDEN = [
    # ramp 0 -> 1 over [0, 2), hold 1 over [2, 5), cosine over 2 steps from 5
    (
        Sequence([Linear(2, 0.0, 1.0), Constant(1.0), Cosine(2)], [2, 5]),
        [
            (0, 0.0),
            (1, 0.5),
            (2, 1.0),
            (4, 1.0),
            (5, 1.0),
            (6, 0.5),
            (7, 0.0),
            (100, 0.0),
        ],
    ),
    (
        Sequence([Constant(0.5), Step(1, 0.5)], [3]),
        [(0, 0.5), (2.9, 0.5), (3, 1.0), (4, 0.5), (6, 0.125)],
    ),
    (Sequence([Step(2, 0.5)]), [(0, 1.0), (2, 0.5)]),
    # 0.5 ** floor(t / 2) * (1 - t / 4)
    (
        Product([Step(2, 0.5), Linear(4)]),
        [(0, 1.0), (1, 0.75), (2, 0.25), (3, 0.125), (4, 0.0)],
    ),
    # ramp 0.5 -> cosine(0) = 1 over [0, 2), then cosine(t - 2) over 4 steps
    (
        Warmup(Cosine(4), 2, start_factor=0.5),
        [(0, 0.5), (1, 0.75), (2, 1.0), (4, 0.5), (6, 0.0), (7, 0.0)],
    ),
    # the ramp ends at the wrapped schedule's first value, 0.8; by default it
    # starts one step up: 0.8 * (t + 1) / 5
    (
        Warmup(Constant(0.8), 4),
        [(0, 0.16), (1, 0.32), (2, 0.48), (3, 0.64), (3.5, 0.72), (4, 0.8)],
    ),
    # start_factor=0: 0.8 * t / 4, lr 0 at step 0 as asked
    (
        Warmup(Constant(0.8), 4, start_factor=0),
        [(0, 0.0), (1, 0.2), (2, 0.4), (3, 0.6), (4, 0.8)],
    ),
    # (t + 1) / 3 up to cosine(0) = 1 at step 2
    (Warmup(Cosine(4), 2), [(0, 1 / 3), (1, 2 / 3), (2, 1.0), (4, 0.5)]),
    (Warmup(Step(1, 0.5), 0), [(0, 1.0), (1, 0.5)]),
    (
        Warmup(Linear(2, 0.5, 0.0), 1, start_factor=1.0),
        [(0, 1.0), (0.5, 0.75), (1, 0.5), (3, 0.0)],
    ),
    (Scale(Step(1, 0.5), 4), [(0, 4.0), (1, 2.0), (2, 1.0)]),
    (Scale(Constant(), 0), [(0, 0.0), (10, 0.0)]),
    (Floor(Step(1, 0.5), 0.3), [(0, 1.0), (1, 0.5), (2, 0.3), (50, 0.3)]),
    # Linear(4) restarted every 4 steps; every 6 steps (2 at its final 0)
    (Repeat(Linear(4), 4), [(0, 1.0), (3, 0.25), (4, 1.0), (5, 0.75), (401, 0.75)]),
    (Repeat(Linear(4), 6), [(4, 0.0), (5, 0.0), (6, 1.0), (7.5, 0.625)]),
]


@pytest.mark.parametrize(("schedule", "table"), GOLDEN)
def test_golden_table(schedule, table):
    for step, expected in table:
        assert schedule(step) == pytest.approx(expected, rel=1e-12, abs=1e-15), step
    steps_, values = zip(*table, strict=True)
    np.testing.assert_allclose(
        schedule(np.array(steps_)), values, rtol=1e-12, atol=1e-15
    )


def test_a_million_steps_of_warmup_and_cosine():
    s = Warmup(Cosine(998_000, min_factor=0.1), warmup_steps=1000)

    values = s(np.arange(10**6))
    assert values[[0, 500, 1000]].tolist() == [1 / 1001, 501 / 1001, 1.0]
    assert values[500_000] == pytest.approx(0.55, rel=1e-12)
    assert values[999_000] == pytest.approx(0.1, rel=1e-12)
    assert values[-1] == values[999_000]


# --- laws ---------------------------------------------------------------------

law_settings = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@law_settings
@given(schedule=schedules, k=st.floats(0, 10), t=steps)
def test_scale_multiplies(schedule, k, t):
    t = np.array(t)

    np.testing.assert_array_equal(Scale(schedule, k)(t), k * schedule(t))


@law_settings
@given(a=schedules, b=schedules, t=steps)
def test_product_multiplies_and_commutes(a, b, t):
    t = np.array(t)

    np.testing.assert_allclose(Product([a, b])(t), a(t) * b(t), rtol=1e-15)
    np.testing.assert_allclose(Product([a, b])(t), Product([b, a])(t), rtol=1e-15)
    np.testing.assert_array_equal(Product([a])(t), a(t))


@law_settings
@given(schedule=schedules, low=st.floats(0, 2), t=steps)
def test_floor_is_the_maximum(schedule, low, t):
    t = np.array(t)

    floored = Floor(schedule, low)(t)
    np.testing.assert_array_equal(floored, np.maximum(schedule(t), low))
    assert np.all(floored >= low)


@law_settings
@given(a=schedules, b=schedules, switch=st.integers(1, 500), t=steps)
def test_sequence_switches_with_a_local_step(a, b, switch, t):
    t = np.array(t)
    s = Sequence([a, b], [switch])

    expected = np.where(t < switch, a(t), b(np.maximum(t - switch, 0)))
    np.testing.assert_array_equal(s(t), expected)
    np.testing.assert_array_equal(Sequence([a])(t), a(t))


@law_settings
@given(
    schedule=schedules,
    warmup=st.integers(1, 100),
    start=st.one_of(st.none(), st.floats(0, 2)),
)
def test_warmup_ramps_monotonically_then_hands_over(schedule, warmup, start):
    s = Warmup(schedule, warmup, start)
    t = np.arange(warmup + 50, dtype=float)

    values = s(t)
    ramp = values[:warmup]
    if start is None:
        assert ramp[0] == schedule(0) / (warmup + 1)
        start = ramp[0]
    else:
        assert ramp[0] == start
    if schedule(0) >= start:
        assert np.all(np.diff(ramp) >= 0)
    else:
        assert np.all(np.diff(ramp) <= 0)
    np.testing.assert_array_equal(values[warmup:], schedule(t[warmup:] - warmup))
    np.testing.assert_array_equal(Warmup(schedule, 0)(t), schedule(t))


@law_settings
@given(schedule=schedules, period=st.integers(1, 300), t=steps)
def test_repeat_is_periodic(schedule, period, t):
    t = np.floor(np.array(t))
    s = Repeat(schedule, period)

    np.testing.assert_array_equal(s(t + period), s(t))
    inside = t[t < period]
    np.testing.assert_array_equal(s(inside), schedule(inside))


# --- Lambda -------------------------------------------------------------------


def test_lambda_uses_numpy_when_the_function_accepts_arrays():
    calls = []

    def fn(t):
        calls.append(np.shape(t))
        return 0.5**t

    values = Lambda(fn)(np.arange(4))
    assert values.tolist() == [1.0, 0.5, 0.25, 0.125]
    assert calls == [(4,)]


def test_lambda_falls_back_to_one_call_per_step():
    s = Lambda(lambda t: 1.0 if t < 2 else 0.5)

    assert s(np.arange(4)).tolist() == [1.0, 1.0, 0.5, 0.5]
    assert s(np.array([[0, 5]])).tolist() == [[1.0, 0.5]]
    assert Lambda(math.cos)([0.0, 0.0]).tolist() == [1.0, 1.0]


def test_lambda_constant_result_is_broadcast():
    assert Lambda(lambda t: 0.5)(np.arange(3)).tolist() == [0.5, 0.5, 0.5]


def test_lambda_gets_a_float_for_one_step():
    seen = []
    Lambda(lambda t: seen.append(t) or 1.0)(3)

    assert seen == [3.0]
    assert type(seen[0]) is float


def test_lambda_composes():
    s = Warmup(Lambda(lambda t: 0.5**t), warmup_steps=3)

    assert [s(t) for t in (0, 1, 2, 3, 4)] == [0.25, 0.5, 0.75, 1.0, 0.5]


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (
            lambda t: -1.0,
            "fn(3) must be a non-negative finite number, got -1.0",
        ),
        (
            lambda t: math.nan,
            "fn(3) must be a non-negative finite number, got nan",
        ),
    ],
)
def test_lambda_bad_result(fn, message):
    with pytest.raises(ValueError) as info:
        Lambda(fn)(3)
    assert str(info.value) == message


def test_lambda_bad_result_in_an_array_names_the_step():
    with pytest.raises(ValueError) as info:
        Lambda(lambda t: 1 - t)(np.arange(4))
    assert str(info.value) == ("fn(2) must be a non-negative finite number, got -1.0")


def test_lambda_errors_from_the_function_propagate():
    with pytest.raises(ZeroDivisionError):
        Lambda(lambda t: 1 / 0)(1)


# --- errors -------------------------------------------------------------------

ERRORS = [
    (lambda: Lambda(3), TypeError, "fn must be a callable, got 3"),
    (
        lambda: Sequence([]),
        ValueError,
        "schedules must be a non-empty list of schedules, got []",
    ),
    (
        lambda: Sequence(Constant()),
        TypeError,
        "schedules must be a list of schedules, got Constant(factor=1.0)",
    ),
    (
        lambda: Sequence([Constant(), "cosine"], [5]),
        TypeError,
        "schedules[1] must be a schedule (in a spec, write cosine() with "
        "parentheses), got 'cosine'",
    ),
    (
        lambda: Sequence([Constant(), "cos"], [5]),
        TypeError,
        "schedules[1] must be a schedule, got 'cos'",
    ),
    (
        lambda: Sequence([Constant(), Constant()]),
        ValueError,
        "boundaries must be a list of 1 step(s), one fewer than schedules, got ()",
    ),
    (
        lambda: Sequence([Constant(), Constant()], [0]),
        ValueError,
        "boundaries[0] must be a positive integer, got 0",
    ),
    (
        lambda: Sequence([Constant()] * 3, [5, 5]),
        ValueError,
        "boundaries must be strictly increasing, got [5, 5]",
    ),
    (
        lambda: Product([]),
        ValueError,
        "schedules must be a non-empty list of schedules, got []",
    ),
    (lambda: Warmup(None, 5), TypeError, "schedule must be a schedule, got None"),
    (
        lambda: Warmup(Constant(), -1),
        ValueError,
        "warmup_steps must be a non-negative integer, got -1",
    ),
    (
        lambda: Warmup(Constant(), 5, start_factor=math.inf),
        ValueError,
        "start_factor must be a non-negative number, got inf",
    ),
    (
        lambda: Warmup(Constant(), 5, start_factor="0"),
        TypeError,
        "start_factor must be a number or none, got '0'",
    ),
    (
        lambda: Scale(Constant(), -2),
        ValueError,
        "factor must be a non-negative number, got -2",
    ),
    (lambda: Scale(0.5, 2), TypeError, "schedule must be a schedule, got 0.5"),
    (
        lambda: Floor(Constant(), math.nan),
        ValueError,
        "min_factor must be a non-negative number, got nan",
    ),
    (
        lambda: Repeat(Constant(), 0),
        ValueError,
        "period_steps must be a positive integer, got 0",
    ),
]


@pytest.mark.parametrize(("build", "error", "message"), ERRORS)
def test_error_message(build, error, message):
    with pytest.raises(error) as info:
        build()
    assert str(info.value) == message
