"""Spec strings: parsing, error messages, formatting and the round trip."""

from __future__ import annotations

import ast

import pytest
from hypothesis import HealthCheck, given, settings
from test_schedules_strategies import schedules

from lrlab.schedules import (
    Constant,
    Cosine,
    Cyclic,
    Exponential,
    Lambda,
    MultiStep,
    OneCycle,
    PiecewiseLinear,
    Schedule,
    Sequence,
    Step,
    Warmup,
    registry,
)
from lrlab.spec import (
    REQUIRED,
    SpecError,
    SpecReader,
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
        ("multistep([2, 5], 0.5)", MultiStep([2, 5], 0.5)),
        ("multistep(milestones=(2, 5))", MultiStep((2, 5))),
        ("one_cycle(100, anneal=linear)", OneCycle(100, anneal="linear")),
        ("one_cycle(100, anneal='linear')", OneCycle(100, anneal="linear")),
        (
            'one_cycle(100, anneal="linear", three_phase=true)',
            OneCycle(100, anneal="linear", three_phase=True),
        ),
        (
            "cyclic(0.1, 1, 5, mode=exp_range, gamma=0.99)",
            Cyclic(0.1, 1, 5, mode="exp_range", gamma=0.99),
        ),
        ("warmup(cosine(total_steps=100), warmup_steps=5)", Warmup(Cosine(100), 5)),
        ("warmup(cosine(100), 5, 0.1)", Warmup(Cosine(100), 5, 0.1)),
        (
            "sequence([constant(1), exponential(0.9)], boundaries=[10])",
            Sequence([Constant(1), Exponential(0.9)], [10]),
        ),
        ("cyclic(0.1, 1, 5, down_steps=none)", Cyclic(0.1, 1, 5)),
        ("cyclic(0.1, 1, 5, None)", Cyclic(0.1, 1, 5)),
        ("cyclic(0.1, 1, 5, 0)", Cyclic(0.1, 1, 5, 0)),
        ("piecewise_linear([0, 10], [0, -0.0])", PiecewiseLinear([0, 10], [0, 0])),
        ("cosine(\n  total_steps=100,\n  min_factor=0.1,\n)", Cosine(100, 0.1)),
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
            "a string, true/false, none, a list or a schedule, got 2*3",
        ),
        (
            "step(step_size=...)",
            "invalid spec 'step(step_size=...)' at position 15: expected a number",
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


def test_an_error_in_a_multi_line_spec_stays_on_one_line():
    with pytest.raises(SpecError) as info:
        parse_schedule("step(\n  step_size=2\n    * 3)")

    assert str(info.value) == (
        "invalid spec 'step(\\n  step_size=2\\n    * 3)' at position 18: expected "
        "a number, a string, true/false, none, a list or a schedule, got 2 * 3"
    )


def test_constructor_errors_keep_their_own_message_and_type():
    with pytest.raises(
        ValueError, match=r"^step_size must be a positive integer, got 0$"
    ):
        parse_schedule("step(step_size=0)")
    with pytest.raises(TypeError, match=r"^gamma must be a number, got 'fast'$"):
        parse_schedule("step(5, gamma=fast)")
    with pytest.raises(TypeError, match=r"^step_size must be an integer, got '5'$"):
        parse_schedule("step(step_size='5')")
    with pytest.raises(TypeError, match=r"^step_size must be an integer, got None$"):
        parse_schedule("step(step_size=none)")


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
    assert step.summary == "Multiply by gamma every step_size steps."
    assert list(infos) == sorted(infos)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "warmup(cosin(100), 5)",
            "invalid spec 'warmup(cosin(100), 5)' at position 7: unknown schedule "
            "'cosin' (did you mean 'cosine'?)",
        ),
        (
            "warmup(cosine(T_max=100), 5)",
            "invalid spec 'warmup(cosine(T_max=100), 5)' at position 14: cosine() "
            "has no argument 'T_max'; valid arguments: total_steps, min_factor",
        ),
        (
            "sequence([constant(1), {}], [3])",
            "invalid spec 'sequence([constant(1), {}], [3])' at position 23: expected",
        ),
    ],
)
def test_nested_spec_errors_point_at_the_inner_call(text, message):
    with pytest.raises(SpecError) as info:
        parse_schedule(text)

    assert str(info.value).startswith(message)


def test_a_bare_word_where_a_schedule_belongs_is_a_type_error():
    message = (
        "schedule must be a schedule (in a spec, write cosine() with parentheses), "
        "got 'cosine'"
    )
    with pytest.raises(TypeError) as info:
        parse_schedule("warmup(cosine, 5)")
    assert str(info.value) == message
    with pytest.raises(TypeError, match=r"^schedules\[1\] must be a schedule \(in"):
        parse_schedule("sequence([exponential(2), constant], boundaries=[5])")
    with pytest.raises(TypeError, match=r"^schedule must be a schedule, got 'cosin'$"):
        parse_schedule("warmup(cosin, 5)")


def test_format_nested_and_lists():
    s = Warmup(Sequence([Constant(0.5), Cosine(10)], [3]), warmup_steps=2)

    text = format_schedule(s)
    assert text == (
        "warmup(schedule=sequence(schedules=[constant(factor=0.5), "
        "cosine(total_steps=10)], boundaries=[3]), warmup_steps=2)"
    )
    assert parse_schedule(text) == s


@pytest.mark.parametrize(
    ("default", "zero"),
    [
        ("warmup(schedule=cosine(total_steps=10), warmup_steps=2)", "warmup_steps=2"),
        ("wsd(warmup_steps=2, stable_steps=3, decay_steps=4)", "decay_steps=4"),
        ("inverse_sqrt(warmup_steps=2)", "warmup_steps=2"),
    ],
)
def test_start_factor_none_is_the_default_and_0_is_kept(default, zero):
    schedule = parse_schedule(default)
    asked = default.replace(zero, zero + ", start_factor=0")
    explicit_none = default.replace(zero, zero + ", start_factor=none")

    assert schedule.start_factor is None
    assert schedule(0) > 0
    assert format_schedule(parse_schedule(explicit_none)) == default
    assert parse_schedule(explicit_none) == schedule
    assert format_schedule(parse_schedule(asked)) == asked.replace("=0)", "=0.0)")
    assert parse_schedule(asked)(0) == 0.0


@pytest.mark.parametrize("name", ["warmup", "wsd", "inverse_sqrt"])
def test_list_schedules_shows_start_factor_none(name):
    info = {i.name: i for i in list_schedules()}[name]

    assert {a.name: a.default for a in info.arguments}["start_factor"] is None


def test_format_quotes_strings_that_are_not_bare_words():
    assert format_schedule(OneCycle(10, anneal="linear")).endswith("anneal=linear)")


def test_format_refuses_lambda_even_nested():
    message = r"^Lambda has no spec name, so it cannot be written as a spec string"
    with pytest.raises(ValueError, match=message):
        format_schedule(Lambda(abs))
    with pytest.raises(ValueError, match=message):
        format_schedule(Warmup(Lambda(abs), 5))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedule=schedules)
def test_round_trip(schedule):
    text = format_schedule(schedule)

    assert parse_schedule(text) == schedule
    assert format_schedule(parse_schedule(text)) == text
    assert "\n" not in text


@pytest.mark.parametrize("name", sorted(registry()))
def test_every_registered_schedule_lists_its_arguments(name):
    info = {i.name: i for i in list_schedules()}[name]

    assert info.arguments
    assert info.summary
    assert info.summary.endswith(".")


# --- SpecReader, the extension point ------------------------------------------


class _Doubling(SpecReader):
    """Reads ``twice(x)`` as 2 * x wherever a value may stand."""

    label = "doubled spec"

    def read_value(self, node):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "twice":
            number = self.read_number(node.args[0])
            if number is None:
                raise self.error(
                    node, f"twice() needs a number, got {self.source(node)}"
                )
            return 2 * number
        return super().read_value(node)


def test_a_reader_subclass_sees_every_argument_and_list_item():
    s = _Doubling("multistep(milestones=[twice(2), 5], gamma=twice(0.25))").read()

    assert s == MultiStep([4, 5], 0.5)
    assert _Doubling("warmup(step(twice(3)), 1)").read() == Warmup(Step(6), 1)


def test_a_reader_subclass_reports_with_its_label_and_position():
    with pytest.raises(SpecError) as info:
        _Doubling("step(twice(x))").read()

    assert str(info.value) == (
        "invalid doubled spec 'step(twice(x))' at position 5: "
        "twice() needs a number, got twice(x)"
    )


def test_the_reader_rejects_numbers_beyond_the_float_range():
    reader = SpecReader("step(1)")
    node = ast.parse("1" + "0" * 400, mode="eval").body

    with pytest.raises(SpecError, match=r"number too large"):
        reader.read_number(node)
    assert reader.read_number(ast.parse("-2.5", mode="eval").body) == -2.5
    assert reader.read_number(ast.parse("x", mode="eval").body) is None


def test_parse_schedule_is_the_reader():
    text = "  cosine(total_steps=10)"

    assert SpecReader(text).read() == parse_schedule(text)
    assert SpecReader(text).indent == 2


def test_a_long_spec_is_cut_in_the_message():
    text = "step(step_size=" + "+".join(["1"] * 200) + ")"

    with pytest.raises(SpecError) as info:
        parse_schedule(text)

    assert str(info.value) == (
        "invalid spec 'step(step_size=1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+"
        "... (417 characters) at position 15: expected a number, a string, "
        "true/false, none, a list or a schedule, got 1+1+1+1+1+1+1+1+1+1+1+1+1+1+"
        "1+1+1+1+1+1+... (399 characters)"
    )
