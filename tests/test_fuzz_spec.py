"""Fuzzing the spec and search-space readers with random and broken text.

Whatever the text, ``parse_schedule`` and ``parse_space`` either return a
result or raise ``ValueError``/``TypeError`` with a one-line message; no
other exception (RecursionError, MemoryError, OverflowError, ...) escapes.
A schedule that parses evaluates to numbers >= 0 that are never NaN, and
prints back to a spec that parses to the same schedule.

Values may be ``inf``: a schedule that grows (``exponential(gamma=2)``,
``step(step_size=1, gamma=1e308)``) is valid, and its float overflows
after enough steps, as ``2.0 ** 2000`` does in Python.
"""

from __future__ import annotations

import math
import string

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lrlab.search_space import parse_space
from lrlab.spec import format_schedule, parse_schedule

VALID_SPECS = [
    "constant",
    "constant(0.5)",
    "exponential(gamma=0.8)",
    "exponential(0.9, transition_steps=3, staircase=true)",
    "step(step_size=5, gamma=0.5)",
    "multistep(milestones=[3, 7], gamma=0.1)",
    "cosine(total_steps=100, min_factor=0.1)",
    "cosine_restarts(period_steps=10, period_mult=2, gamma=0.9)",
    "cyclic(min_factor=0.1, max_factor=1, up_steps=4, mode=triangular2)",
    "linear(total_steps=20, start_factor=1, end_factor=0.1)",
    "polynomial(total_steps=50, power=2)",
    "one_cycle(total_steps=100, anneal='linear')",
    "inverse_sqrt(warmup_steps=10)",
    "wsd(warmup_steps=5, stable_steps=50, decay_steps=20)",
    "piecewise_constant(boundaries=[10, 20], factors=[1, 0.5, 0.1])",
    "piecewise_linear(boundaries=[0, 10, 20], factors=[0, 1, 0.1])",
    "sequence([constant(1), exponential(0.9)], boundaries=[10])",
    "product([cosine(total_steps=100), step(10, 0.5)])",
    "warmup(cosine(total_steps=100), warmup_steps=5)",
    "scale(exponential(0.9), factor=0.5)",
    "floor(exponential(0.5), min_factor=0.01)",
    "repeat(linear(total_steps=10), period_steps=10)",
]

VALID_SPACES = [
    "step(step_size=int(1, 10), gamma=float(0.1, 0.9))",
    "warmup(cosine(total_steps=int(5, 15)), warmup_steps=int(0, 3))",
    "multistep(milestones=[int(2, 5), int(6, 10)])",
    "exponential(gamma=float(0.5, 0.99, log))",
    "one_cycle(total_steps=100, anneal=choice(cos, linear))",
    "step(step_size=int(2, 10, step=2))",
]

# Fragments that break a spec in interesting ways when inserted.
FRAGMENTS = [
    "(", ")", "[", "]", ",", "=", '"', "'", ":", ".", "-", "+", "*", "**",
    "1e400", "-1e400", "1e308", "-0", "0", "-1", "nan", "inf", "-inf",
    "1e-400", "5e-324", "10**6", "2**63", "0x" + "f" * 300, "9" * 400,
    "\x00", "\n", "\t", "\r", " ", "é", "∞", "\u200b", "\ud800", "None",
    "true", "lambda", "__import__('os')", "[[[[", "]]]]", "((((", "))))",
    "constant", "cosine(total_steps=1)", "step_size=", "gamma=", "j",
]  # fmt: skip

STEPS = np.arange(101)


def _one_line(error: Exception) -> None:
    message = str(error)
    assert message, f"{type(error).__name__} with an empty message"
    assert "\n" not in message and "\r" not in message, message[:300]


def _check_schedule(text: str) -> None:
    """Parse ``text``: a valid schedule, or a clean ValueError/TypeError."""
    try:
        schedule = parse_schedule(text)
    except (ValueError, TypeError) as error:
        _one_line(error)
        return

    values = schedule(STEPS)
    assert values.dtype == np.float64 and values.shape == STEPS.shape
    assert not np.isnan(values).any(), (text, values)
    assert (values >= 0).all(), (text, values)
    first = schedule(0)
    assert isinstance(first, float) and first >= 0

    again = parse_schedule(format_schedule(schedule))
    assert again == schedule, (text, format_schedule(schedule))
    assert format_schedule(again) == format_schedule(schedule)


def _check_space(schedule_text: str, lr_text: str) -> None:
    try:
        space = parse_space(schedule_text, lr_text)
    except (ValueError, TypeError) as error:
        _one_line(error)
        return
    for name, dimension in space.dimensions().items():
        assert name
        assert str(dimension)


@st.composite
def mutated(draw: st.DrawFn, corpus: list[str]) -> str:
    """A valid text from ``corpus`` with a few random edits."""
    text = draw(st.sampled_from(corpus))
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["insert", "delete", "replace", "wrap"]))
        if edit == "insert":
            piece = draw(st.sampled_from(FRAGMENTS) | st.text(max_size=3))
            text = text[:where] + piece + text[where:]
        elif edit == "delete":
            end = draw(st.integers(where, min(len(text), where + 5)))
            text = text[:where] + text[end:]
        elif edit == "replace":
            # Replace a number (or the character there) by a fragment.
            end = where
            while end < len(text) and text[end] in string.digits + ".":
                end += 1
            end = max(end, min(where + 1, len(text)))
            text = text[:where] + draw(st.sampled_from(FRAGMENTS)) + text[end:]
        else:
            depth = draw(st.integers(1, 300))
            opener = draw(st.sampled_from(["[", "(", "warmup(", "floor("]))
            closer = {"[": "]", "(": ")"}.get(opener, ")")
            text = opener * depth + text + closer * depth
    return text


# A warning from Python's parser (5if: "invalid decimal literal") would be
# a second line on stderr under the error: every test here turns it into
# a failure.
pytestmark = pytest.mark.filterwarnings("error")

FUZZ = settings(
    max_examples=1500,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@FUZZ
@given(st.text(max_size=80))
@example("exponential(gamma=2)")
@example("step(step_size=1e308)")
@example("step(step_size=1, gamma=1e308)")
def test_random_text_parses_or_fails_cleanly(text: str) -> None:
    _check_schedule(text)


@FUZZ
@given(mutated(VALID_SPECS))
def test_mutated_specs_parse_or_fail_cleanly(text: str) -> None:
    _check_schedule(text)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.text(alphabet="()[],=.-+0123456789e abcdefgilmnoprstuwxy_'\"", max_size=60))
def test_spec_shaped_text_parses_or_fails_cleanly(text: str) -> None:
    _check_schedule(text)


@settings(max_examples=600, deadline=None, derandomize=True)
@given(
    mutated(VALID_SPACES),
    st.sampled_from(["0.1", "float(1e-3, 1, log)"]) | mutated(["float(1e-3, 1, log)"]),
)
def test_mutated_spaces_parse_or_fail_cleanly(space: str, lr: str) -> None:
    _check_space(space, lr)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(max_size=40), st.text(max_size=20))
def test_random_spaces_parse_or_fail_cleanly(space: str, lr: str) -> None:
    _check_space(space, lr)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 10_000 + "]" * 10_000,
        "(" * 10_000 + ")" * 10_000,
        "warmup(" * 5_000 + "constant" + ")" * 5_000,
        "step(step_size=" + "-" * 100_000 + "1)",
        "step(step_size=" + "1+" * 100_000 + "1)",
        "step(step_size=a" + ".a" * 100_000 + ")",
        "step(step_size=" + "not " * 100_000 + "1)",
        "step" + "()" * 100_000,
        "step" + "[0]" * 100_000,
        "lambda:" * 10_000 + "1",
        "multistep(milestones=" + "[" * 190 + "1" + "]" * 190 + ")",
        "warmup(schedule=" * 190 + "constant" + ")" * 190,
    ],
    ids=lambda text: text[:20],
)
def test_deep_nesting_is_a_clean_error(text: str) -> None:
    with pytest.raises((ValueError, TypeError)) as caught:
        parse_schedule(text)
    _one_line(caught.value)
    with pytest.raises((ValueError, TypeError)):
        parse_space(text, "0.1")
    with pytest.raises((ValueError, TypeError)):
        parse_space("step(int(1, 5))", text)


@pytest.mark.parametrize(
    "text",
    [
        "step(step_size=" + str(2**1100) + ")",
        "step(step_size=0x" + "f" * 4000 + ")",
        "exponential(gamma=-" + str(2**1100) + ")",
        "constant(factor=" + str(2**1024) + ")",
        "multistep(milestones=[" + str(2**1100) + "])",
    ],
    ids=["decimal", "hex", "negative", "just-past-max", "in-list"],
)
def test_int_literal_beyond_float_range_is_a_clean_error(text: str) -> None:
    with pytest.raises(ValueError, match=r"number too large .* got -?\w+"):
        parse_schedule(text)


@pytest.mark.parametrize(
    ("space", "lr"),
    [
        ("step(int(1, " + str(2**1100) + "))", "0.1"),
        ("step(choice(1, " + str(2**1100) + "))", "0.1"),
        ("step(int(1, 5))", str(2**1100)),
        ("step(int(1, 5))", "float(1, " + str(2**1100) + ")"),
    ],
)
def test_space_int_beyond_float_range_is_a_clean_error(space: str, lr: str) -> None:
    with pytest.raises(ValueError, match="number too large"):
        parse_space(space, lr)


def test_largest_float_literal_still_parses() -> None:
    # 2**1023 is an int that converts to a float: accepted, as before.
    schedule = parse_schedule(f"constant(factor={2**1023})")
    assert schedule(0) == float(2**1023)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("step(step_size=1e308)", 1.0),
        ("polynomial(total_steps=10, power=1e308)", 0.0),
        ("cosine(total_steps=1e18)", 1.0),
    ],
)
def test_huge_but_valid_arguments_give_finite_values(text: str, value: float) -> None:
    schedule = parse_schedule(text)
    assert schedule(10**6) == value
    assert parse_schedule(format_schedule(schedule)) == schedule


def test_a_growing_schedule_overflows_to_inf_not_nan() -> None:
    schedule = parse_schedule("exponential(gamma=2)")
    assert schedule(100) == 2.0**100
    assert schedule(10**6) == math.inf


@pytest.mark.parametrize("text", ["step(step_size=5if)", 'step("\\d")', "step(0x1for)"])
def test_parser_warnings_are_not_shown(text: str) -> None:
    with pytest.raises((ValueError, TypeError)) as caught:
        parse_schedule(text)
    _one_line(caught.value)
    with pytest.raises((ValueError, TypeError)):
        parse_space(text.replace("step(", "step(int(1, 2), "), "0.1")


@pytest.mark.xfail(
    strict=True,
    reason="inf * 0 in a product of an overflowing and an underflowing factor",
)
@pytest.mark.parametrize(
    "text",
    [
        "product([exponential(2), exponential(0.5)])",
        "scale(exponential(2), factor=0)",
        "product([step(1, gamma=1e308), step(1, gamma=1e-300)])",
        "one_cycle(total_steps=10, max_factor=1e308, div_factor=1e-300)",
    ],
)
def test_no_nan_where_a_factor_overflows(text: str) -> None:
    schedule = parse_schedule(text)
    with np.errstate(all="ignore"):
        values = schedule(np.array([0, 1, 2, 3, 100, 1100, 10**6]))
    assert not np.isnan(values).any(), values
