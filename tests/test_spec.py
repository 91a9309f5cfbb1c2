"""Spec strings: parsing, error messages, formatting and the round trip."""

from __future__ import annotations

import pytest

from lrlab.schedules import Constant, Exponential, Schedule, Step
from lrlab.spec import (
    REQUIRED,
    SpecError,
    format_schedule,
    list_schedules,
    parse_schedule,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("step(step_size=5, gamma=0.5)", Step(5, 0.5)),
        ("step(5, 0.5)", Step(5, 0.5)),
        ("step(5, gamma=0.5)", Step(5, 0.5)),
        ("step(5)", Step(5, 0.1)),
        ("  step( 5 ,gamma = .5 ) ", Step(5, 0.5)),
        ("step(step_size=1e1, gamma=5e-1)", Step(10, 0.5)),
        ("step(1_0, +0.5)", Step(10, 0.5)),
        ("exponential(gamma=0.8)", Exponential(0.8)),
        ("exponential(0.25, 2, true)", Exponential(0.25, 2, True)),
        ("exponential(0.25, 2, staircase=True)", Exponential(0.25, 2, True)),
        ("exponential(0.25, staircase=false)", Exponential(0.25)),
        ("constant", Constant()),
        ("constant()", Constant()),
        ("constant(factor=0)", Constant(0)),
    ],
)
def test_parse(text, expected):
    assert parse_schedule(text) == expected


def test_parse_exponential_and_step_values_are_exact():
    exponential = parse_schedule("exponential(gamma=0.8)")
    step = parse_schedule("step(step_size=5, gamma=0.5)")

    assert [exponential(t) for t in range(50)] == [0.8**t for t in range(50)]
    assert [step(t) for t in range(50)] == [0.5 ** (t // 5) for t in range(50)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "step(step_size=5,",
            "invalid spec 'step(step_size=5,' at position 4: '(' was never closed",
        ),
        ("step(5 5)", "invalid spec 'step(5 5)' at position 5: invalid syntax."),
        ("", "invalid spec '': it is empty"),
        ("   ", "invalid spec '   ': it is empty"),
        (
            "step(step_size=2*3)",
            "invalid spec 'step(step_size=2*3)' at position 15: expected a number, "
            "a string, true/false, a list or a schedule, got 2*3",
        ),
        (
            "step(step_size=None)",
            "invalid spec 'step(step_size=None)' at position 15: expected a number",
        ),
        (
            "step(step_size=__import__('os'))",
            "invalid spec \"step(step_size=__import__('os'))\" at position 15: "
            "unknown schedule '__import__'",
        ),
        (
            "step.gamma",
            "invalid spec 'step.gamma' at position 0: expected a schedule such as "
            "cosine(total_steps=100), got step.gamma",
        ),
        ("5", "invalid spec '5' at position 0: expected a schedule"),
        (
            "stepp(5)",
            "invalid spec 'stepp(5)' at position 0: unknown schedule 'stepp' "
            "(did you mean 'step'?); known schedules: constant, cosine, ",
        ),
        (
            "step(size=5)",
            "invalid spec 'step(size=5)' at position 5: step() has no argument "
            "'size'; valid arguments: step_size, gamma",
        ),
        (
            "step(5, 0.5, 3)",
            "invalid spec 'step(5, 0.5, 3)' at position 13: step() takes at most "
            "2 positional argument(s), got 3; valid arguments: step_size, gamma",
        ),
        (
            "step(5, step_size=5)",
            "invalid spec 'step(5, step_size=5)' at position 8: step() got "
            "argument 'step_size' twice",
        ),
        (
            "step(gamma=0.5)",
            "invalid spec 'step(gamma=0.5)' at position 0: step() is missing "
            "required argument(s) 'step_size'; valid arguments: step_size, gamma",
        ),
        (
            "step(**{'a': 1})",
            "invalid spec \"step(**{'a': 1})\" at position 5: '**' is not allowed",
        ),
    ],
)
def test_spec_error_message(text, message):
    with pytest.raises(SpecError) as info:
        parse_schedule(text)

    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)


def test_syntax_error_on_a_later_line_points_into_the_whole_text():
    with pytest.raises(SpecError, match=r"at position 16: invalid syntax$"):
        parse_schedule("step(5,\n  gamma=)")


def test_constructor_errors_keep_their_own_message_and_type():
    with pytest.raises(
        ValueError, match=r"^step_size must be a positive integer, got 0$"
    ):
        parse_schedule("step(step_size=0)")
    with pytest.raises(TypeError, match=r"^gamma must be a number, got 'fast'$"):
        parse_schedule("step(5, gamma=fast)")
    with pytest.raises(TypeError, match=r"^step_size must be an integer, got '5'$"):
        parse_schedule("step(step_size='5')")


def test_non_string_spec_is_a_type_error():
    with pytest.raises(TypeError, match=r"^spec must be a string, got 5$"):
        parse_schedule(5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("schedule", "text"),
    [
        (Step(5, 0.5), "step(step_size=5, gamma=0.5)"),
        (Step(5), "step(step_size=5)"),
        (Exponential(0.8), "exponential(gamma=0.8)"),
        (
            Exponential(0.8, 3, True),
            "exponential(gamma=0.8, transition_steps=3, staircase=true)",
        ),
        (Constant(), "constant()"),
        (Constant(1e-5), "constant(factor=1e-05)"),
    ],
)
def test_format(schedule, text):
    assert format_schedule(schedule) == text
    assert parse_schedule(text) == schedule


def test_format_rejects_unregistered_schedules():
    class Unnamed(Schedule):
        def _values(self, t):
            return t

    with pytest.raises(ValueError, match=r"^Unnamed has no spec name, so it cannot be"):
        format_schedule(Unnamed())
    with pytest.raises(TypeError, match=r"^schedule must be a Schedule, got 'step'$"):
        format_schedule("step")  # type: ignore[arg-type]


def test_list_schedules_gives_names_arguments_and_defaults():
    infos = {info.name: info for info in list_schedules()}

    step = infos["step"]
    assert step.cls is Step
    assert [(a.name, a.default, a.required) for a in step.arguments] == [
        ("step_size", REQUIRED, True),
        ("gamma", 0.1, False),
    ]
    assert step.summary == "Multiply by ``gamma`` every ``step_size`` steps."
    assert list(infos) == sorted(infos)
