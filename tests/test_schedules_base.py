"""The Schedule contract: step handling, return types, validation messages."""

from __future__ import annotations

import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_schedules_strategies import schedules

from lrlab.schedules import (
    Constant,
    Cosine,
    Exponential,
    Lambda,
    MultiStep,
    Scale,
    Schedule,
    Sequence,
    Step,
    Warmup,
    registry,
)
from lrlab.schedules._base import BLOCK_STEPS


def test_import_does_not_load_torch():
    code = "import sys, lrlab.schedules, lrlab.spec; print('torch' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_scalar_gives_float_and_array_gives_float64_array():
    s = Step(step_size=2, gamma=0.5)

    assert type(s(3)) is float
    assert type(s(3.0)) is float
    assert type(s(np.int64(3))) is float
    values = s(np.arange(6).reshape(2, 3))
    assert values.dtype == np.float64
    assert values.shape == (2, 3)
    np.testing.assert_array_equal(values, [[1, 1, 0.5], [0.5, 0.25, 0.25]])
    assert s([0, 2]).tolist() == [1.0, 0.5]


def test_fractional_steps_are_allowed():
    assert Exponential(gamma=0.25)(0.5) == 0.5


@pytest.mark.parametrize(
    ("step", "shown"),
    [(-1, "-1"), (float("nan"), "nan"), (float("inf"), "inf"), ([0, -2.5], "-2.5")],
)
def test_bad_step_value_is_rejected(step, shown):
    with pytest.raises(
        ValueError, match=f"^step must be a non-negative finite number, got {shown}$"
    ):
        Constant()(step)


@pytest.mark.parametrize("step", [True, "3", None, ["a"], np.array([True])])
def test_bad_step_type_is_rejected(step):
    with pytest.raises(
        TypeError, match=r"^step must be a number or an array of numbers, got "
    ):
        Constant()(step)


def test_schedules_are_frozen_and_comparable():
    s = Step(step_size=5, gamma=0.5)

    with pytest.raises(AttributeError):
        s.gamma = 0.1  # type: ignore[misc]
    assert s == Step(step_size=5.0, gamma=0.5)
    assert hash(s) == hash(Step(5, 0.5))
    assert s != Step(step_size=5, gamma=0.25)


def test_arguments_are_normalized():
    s = Step(step_size=1e1, gamma=1)

    assert type(s.step_size) is int and s.step_size == 10
    assert type(s.gamma) is float


def test_registry_maps_names_to_classes():
    names = registry()

    assert names["step"] is Step
    assert names["exponential"] is Exponential
    assert all(issubclass(cls, Schedule) for cls in names.values())


def test_duplicate_spec_name_is_refused():
    with pytest.raises(RuntimeError, match="spec name 'step' is already registered"):

        class Again(Schedule):
            name = "step"

            def _values(self, t):
                return t


def test_numpy_scalars_are_accepted_and_shown_plainly_in_messages():
    assert Step(np.int64(5), np.float64(0.5)) == Step(5, 0.5)
    assert type(Step(np.int64(5)).step_size) is int

    with pytest.raises(ValueError) as info:
        Step(5, np.float64(0))
    assert str(info.value) == "gamma must be a positive number, got 0.0"


# --- whole steps, one at a time: evaluated a block at a time ------------------


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    schedule=schedules,
    steps=st.lists(st.integers(0, 3000), min_size=1, max_size=30),
    as_float=st.booleans(),
)
def test_whole_steps_one_at_a_time_equal_the_array(schedule, steps, as_float):
    one_by_one = [schedule(float(t) if as_float else t) for t in steps]

    assert one_by_one == schedule(np.array(steps)).tolist()
    assert [schedule(t) for t in steps] == one_by_one


def test_steps_on_both_sides_of_a_block_boundary():
    s = Warmup(Cosine(total_steps=500), warmup_steps=BLOCK_STEPS - 1)
    t = np.arange(3 * BLOCK_STEPS)

    assert [s(int(x)) for x in t[::-1]] == s(t)[::-1].tolist()
    assert [s(int(x)) for x in t] == s(t).tolist()


def test_a_lambda_is_only_called_at_the_steps_asked_for():
    seen = []
    fn = Lambda(lambda t: seen.append(t) or 1.0)
    nested = Sequence([Constant(0.5), Warmup(fn, 2)], boundaries=[3])

    fn(5)
    nested(10)
    assert sorted(seen) == [0.0, 5.0, 5.0]  # 5, then 10 - 3 - 2 and the target


def test_the_kept_block_changes_nothing_a_user_sees():
    used, fresh = Step(step_size=5, gamma=0.5), Step(step_size=5, gamma=0.5)

    used(7)
    assert used == fresh and hash(used) == hash(fresh)
    assert repr(used) == repr(fresh)
    assert pickle.loads(pickle.dumps(used)) == fresh


def test_an_overflow_at_a_step_not_asked_for_does_not_warn():
    # 2 * 1.5 ** t overflows from t = 1749, inside the block of step 1740.
    s = Scale(Exponential(gamma=1.5), factor=2)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert s(1740) == 2 * 1.5**1740
    with pytest.warns(RuntimeWarning, match="overflow"):
        assert s(1750) == float("inf")


# --- messages stay one readable line ------------------------------------------


@pytest.mark.parametrize(
    ("build", "start"),
    [
        (lambda: Constant(10**400), "factor must be a non-negative number within"),
        (lambda: Step(10**400), "step_size must be a positive integer within"),
        (lambda: Step(5, gamma=10**400), "gamma must be a positive number within"),
    ],
)
def test_an_int_beyond_the_float_range_is_a_value_error(build, start):
    with pytest.raises(ValueError) as info:
        build()

    message = str(info.value)
    assert message.startswith(start)
    assert message.endswith(
        "got 1000000000000000000000000000000000000000... (401 characters)"
    )


def test_a_long_value_is_shortened_in_the_message():
    with pytest.raises(ValueError) as info:
        MultiStep([*range(1, 1000), 5])

    assert str(info.value) == (
        "milestones must be strictly increasing, got "
        "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, ... (4890 characters)"
    )
