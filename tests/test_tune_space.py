"""Search-space specs: names of the parameters, building points, errors."""

from __future__ import annotations

import pytest

from lrlab.search_space import Choice, FloatRange, IntRange, parse_space
from lrlab.spec import SpecError, format_schedule


def test_parameters_are_named_after_where_they_stand():
    space = parse_space(
        "warmup(cosine(total_steps=int(5, 15), min_factor=float(0, 0.1)), int(0, 3))",
        "choice(0.05, 0.1)",
    )

    assert space.dimensions() == {
        "schedule.total_steps": IntRange(5, 15),
        "schedule.min_factor": FloatRange(0.0, 0.1),
        "warmup_steps": IntRange(0, 3),
        "lr": Choice((0.05, 0.1)),
    }


def test_list_items_are_numbered():
    space = parse_space("multistep(milestones=[int(2, 5), int(6, 10, step=2)])")

    assert space.dimensions() == {
        "milestones.0": IntRange(2, 5),
        "milestones.1": IntRange(6, 10, step=2),
    }


def test_log_is_a_bare_word_or_a_keyword():
    bare = parse_space("step(1, gamma=float(0.01, 1, log))").dimensions()
    keyword = parse_space("step(1, gamma=float(0.01, 1, log=true))").dimensions()

    assert bare == keyword == {"gamma": FloatRange(0.01, 1.0, log=True)}


def test_build_substitutes_values_and_checks_them():
    space = parse_space(
        "one_cycle(total_steps=int(5, 20), anneal=choice(cos, linear))",
        "float(1e-3, 1, log)",
    )

    schedule, lr = space.build({"total_steps": 12, "anneal": "linear", "lr": 0.3})

    assert format_schedule(schedule) == "one_cycle(total_steps=12, anneal=linear)"
    assert lr == 0.3
    with pytest.raises(ValueError, match="total_steps"):
        space.build({"total_steps": 0, "anneal": "cos", "lr": 0.3})


def test_build_asks_a_function_for_each_range_in_order():
    space = parse_space("step(step_size=int(1, 10), gamma=float(0.1, 0.9))")
    asked = []

    def choose(name, dimension):
        asked.append((name, dimension))
        return dimension.corners()[1]

    schedule, lr = space.build(choose)

    assert [name for name, _ in asked] == ["step_size", "gamma"]
    assert format_schedule(schedule) == "step(step_size=10, gamma=0.9)"
    assert lr == 0.1


def test_a_space_without_ranges_is_one_point():
    space = parse_space("exponential(gamma=0.8)", "0.5")

    assert space.dimensions() == {}
    assert format_schedule(space.build({})[0]) == "exponential(gamma=0.8)"


def test_canonical_ignores_spacing_and_quotes():
    a = parse_space("step( step_size = int(1,10) )", "float(1e-3,1,log)")
    b = parse_space("step(step_size=int(1, 10))", "float(1e-3, 1, log)")

    assert a.canonical() == b.canonical()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("step(step_size=int(1, 10)", r"at position 4: '\(' was never closed"),
        ("int(1, 10)", "at position 0: expected a schedule such as step"),
        ("step(int(1.5, 3))", "at position 9: int\\(\\) bounds must be integers"),
        ("step(int(3, 3))", "at position 5: int\\(\\) needs low < high"),
        ("step(int(1, 4, step=2))", "multiple of step, got low=1, high=4, step=2"),
        ("step(int(1, 9, log, step=2))", "cannot have both log and step"),
        ("step(int(0, 9, log))", "at position 5: int\\(..., log\\) needs low > 0"),
        ("step(1, gamma=float(1, 2, lg))", "at position 14: float\\(\\) takes low"),
        ("step(1, gamma=float(0.1, 0.9, step=0.1))", "no argument 'step'"),
        ("step(1, gamma=float(a, 0.9))", "bounds must be numbers, got a"),
        ("step(1, gamma=choice())", "needs at least one option"),
        ("step(1, gamma=choice(0.1, 0.1))", "at position 26: choice\\(\\) lists 0.1"),
        ("step(1, gamma=choice(step(1), 2))", "expected a number, a word"),
        ("step(stepsize=int(1, 3))", "has no argument 'stepsize'"),
        ("stp(int(1, 3))", "unknown schedule 'stp'"),
    ],
)
def test_errors_point_at_the_position(text, message):
    with pytest.raises(SpecError, match=message) as caught:
        parse_space(text)

    assert str(caught.value).startswith(f"invalid search space {text!r}")
    assert "\n" not in str(caught.value)


def test_the_ends_of_every_range_must_give_valid_schedules():
    with pytest.raises(SpecError, match="its low end step_size=0 gives: step_size"):
        parse_space("step(step_size=int(0, 10))")
    with pytest.raises(SpecError, match=r"its high end total_steps=20, pct_st"):
        parse_space("one_cycle(total_steps=int(10, 20), pct_start=float(0.3, 1.5))")


@pytest.mark.parametrize(
    ("lr", "message"),
    [
        ("0", "lr must be a positive number or a range"),
        ("-0.1", "lr must be a positive number or a range"),
        ("abc", "lr must be a positive number or a range"),
        ("float(0, 1)", "lr must be positive numbers, got 0.0"),
        ("choice(0.1, fast)", "lr must be positive numbers, got 'fast'"),
        ("float(1e-3, 1", "never closed"),
    ],
)
def test_lr_must_be_positive(lr, message):
    with pytest.raises(SpecError, match=message):
        parse_space("step(1)", lr)


def test_non_strings_are_type_errors():
    with pytest.raises(TypeError, match="search space must be a string, got 3"):
        parse_space(3)
    with pytest.raises(SpecError, match="it is empty"):
        parse_space("step(1)", " ")
