"""Random valid schedules (a hypothesis strategy) and the properties all share.

Other test files import ``schedules`` from here (pytest puts ``tests/`` on
the import path).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrlab.schedules import (
    WSD,
    Constant,
    Cosine,
    CosineRestarts,
    Cyclic,
    Exponential,
    Floor,
    InverseSqrt,
    Linear,
    MultiStep,
    OneCycle,
    PiecewiseConstant,
    PiecewiseLinear,
    Polynomial,
    Product,
    Repeat,
    Scale,
    Schedule,
    Sequence,
    Step,
    Warmup,
    registry,
)
from lrlab.spec import list_schedules

factors = st.floats(0, 2)
lengths = st.integers(1, 300)


def _increasing(low: int, min_size: int, max_size: int = 4):
    items = st.lists(
        st.integers(low, 500), min_size=min_size, max_size=max_size, unique=True
    )
    return items.map(sorted)


@st.composite
def _cyclic(draw):
    low = draw(st.floats(0, 1))
    mode = draw(st.sampled_from(["triangular", "triangular2", "exp_range"]))
    gamma = draw(st.floats(0.9, 1)) if mode == "exp_range" else 1.0
    return Cyclic(
        low,
        low + draw(st.floats(0, 2)),
        draw(st.integers(1, 50)),
        draw(st.one_of(st.none(), st.integers(0, 50))),
        mode,
        gamma,
    )


@st.composite
def _one_cycle(draw):
    total = draw(st.integers(3, 1000))
    three = draw(st.booleans())
    high = (total + 1) / (2 * total) if three else 1.0
    pct = draw(st.floats(1 / total, high, exclude_min=True, exclude_max=True))
    try:
        return OneCycle(
            total,
            draw(st.floats(0.01, 2)),
            pct,
            draw(st.sampled_from(["cos", "linear"])),
            draw(st.floats(1, 100)),
            draw(st.floats(1, 1e5)),
            three,
        )
    except ValueError:
        return OneCycle(total, pct_start=0.5)


@st.composite
def _piecewise(draw, cls):
    boundaries = draw(_increasing(1 if cls is PiecewiseConstant else 0, 1))
    count = len(boundaries) + (cls is PiecewiseConstant)
    return cls(boundaries, draw(st.lists(factors, min_size=count, max_size=count)))


LEAVES = st.one_of(
    st.builds(Constant, factors),
    st.builds(Step, st.integers(1, 50), st.floats(0.01, 1.2)),
    st.builds(MultiStep, _increasing(1, 1), st.floats(0.01, 1.2)),
    st.builds(Exponential, st.floats(0.5, 1.02), st.integers(1, 20), st.booleans()),
    st.builds(Linear, lengths, factors, factors),
    st.builds(Polynomial, lengths, st.floats(0.1, 5), factors),
    st.builds(Cosine, lengths, factors),
    st.builds(
        CosineRestarts, lengths, st.floats(1, 3), st.floats(0, 1), st.floats(0.1, 1)
    ),
    _cyclic(),
    _one_cycle(),
    st.builds(InverseSqrt, lengths, st.one_of(st.none(), factors)),
    st.builds(
        WSD,
        st.integers(0, 100),
        st.integers(0, 100),
        lengths,
        factors,
        st.one_of(st.none(), factors),
        st.sampled_from(["linear", "cos", "sqrt"]),
    ),
    _piecewise(PiecewiseConstant),
    _piecewise(PiecewiseLinear),
)


def _composites(children):
    @st.composite
    def sequence(draw):
        parts = draw(st.lists(children, min_size=1, max_size=3))
        starts = draw(_increasing(1, len(parts) - 1, len(parts) - 1))
        return Sequence(parts, starts)

    return st.one_of(
        sequence(),
        st.builds(Product, st.lists(children, min_size=1, max_size=3)),
        st.builds(Warmup, children, st.integers(0, 50), st.one_of(st.none(), factors)),
        st.builds(Scale, children, factors),
        st.builds(Floor, children, factors),
        st.builds(Repeat, children, lengths),
    )


schedules = st.recursive(LEAVES, _composites, max_leaves=5)
steps = st.lists(st.floats(0, 1000), min_size=1, max_size=20)


def test_the_strategy_covers_every_registered_schedule():
    covered = {
        "constant", "step", "multistep", "exponential", "linear", "polynomial",
        "cosine", "cosine_restarts", "cyclic", "one_cycle", "inverse_sqrt", "wsd",
        "piecewise_constant", "piecewise_linear", "sequence", "product", "warmup",
        "scale", "floor", "repeat",
    }  # fmt: skip
    assert covered == set(registry())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedule=schedules, t=steps)
def test_scalar_and_array_evaluation_agree(schedule: Schedule, t: list[float]):
    values = schedule(np.array(t))

    assert values.dtype == np.float64
    assert values.tolist() == [schedule(x) for x in t]
    assert np.all(np.isfinite(values))
    assert np.all(values >= 0)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedule=schedules)
def test_evaluation_does_not_depend_on_order_or_shape(schedule: Schedule):
    t = np.arange(60, dtype=float)

    forward = schedule(t)
    np.testing.assert_array_equal(schedule(t[::-1]), forward[::-1])
    np.testing.assert_array_equal(schedule(t.reshape(6, 10)), forward.reshape(6, 10))
    assert schedule(np.array([], dtype=float)).shape == (0,)


@pytest.mark.parametrize("name", sorted(registry()))
def test_every_schedule_has_a_doctest_and_the_docstring_sections(name):
    doc = registry()[name].__doc__

    for section in ("Args:", "Raises:", ">>> "):
        assert section in doc, (name, section)


# --- built with defaults: no schedule starts at 0 unless asked to -------------

# A required factor is drawn > 0 here: a 0 the user writes is a request for 0.
positive_factors = st.floats(1e-3, 2)


@st.composite
def _table(draw, first_boundary: int, extra_factor: int):
    boundaries = draw(_increasing(first_boundary, 1))
    count = len(boundaries) + extra_factor
    factors = draw(st.lists(positive_factors, min_size=count, max_size=count))
    return {"boundaries": boundaries, "factors": factors}


def _required_arguments(children):
    """For each spec name, a strategy of its REQUIRED arguments only."""
    one = st.lists(children, min_size=1, max_size=1)
    return {
        "constant": st.fixed_dictionaries({}),
        "step": st.fixed_dictionaries({"step_size": st.integers(1, 50)}),
        "multistep": st.fixed_dictionaries({"milestones": _increasing(1, 1)}),
        "exponential": st.fixed_dictionaries({"gamma": st.floats(0.01, 2)}),
        "linear": st.fixed_dictionaries({"total_steps": lengths}),
        "polynomial": st.fixed_dictionaries({"total_steps": lengths}),
        "cosine": st.fixed_dictionaries({"total_steps": lengths}),
        "cosine_restarts": st.fixed_dictionaries({"period_steps": lengths}),
        "cyclic": st.fixed_dictionaries(
            {
                "min_factor": st.floats(1e-3, 1),
                "max_factor": st.floats(1, 2),
                "up_steps": st.integers(1, 50),
            }
        ),
        # The default pct_start=0.3 needs 0.3 * total_steps > 1.
        "one_cycle": st.fixed_dictionaries({"total_steps": st.integers(4, 1000)}),
        "inverse_sqrt": st.fixed_dictionaries({"warmup_steps": lengths}),
        "wsd": st.fixed_dictionaries(
            {
                "warmup_steps": lengths,
                "stable_steps": st.integers(0, 100),
                "decay_steps": st.integers(0, 100),
            }
        ),
        "piecewise_constant": _table(1, 1),
        "piecewise_linear": _table(0, 0),
        "sequence": st.fixed_dictionaries({"schedules": one}),
        "product": st.fixed_dictionaries(
            {"schedules": st.lists(children, min_size=1, max_size=3)}
        ),
        "warmup": st.fixed_dictionaries(
            {"schedule": children, "warmup_steps": st.integers(0, 100)}
        ),
        "scale": st.fixed_dictionaries(
            {"schedule": children, "factor": positive_factors}
        ),
        "floor": st.fixed_dictionaries(
            {"schedule": children, "min_factor": positive_factors}
        ),
        "repeat": st.fixed_dictionaries(
            {"schedule": children, "period_steps": lengths}
        ),
    }


def _built(name: str, children):
    cls = registry()[name]
    return _required_arguments(children)[name].map(lambda kwargs: cls(**kwargs))


with_defaults = st.deferred(
    lambda: st.one_of(*(_built(name, with_defaults) for name in sorted(registry())))
)

REQUIRED = {
    info.name: {a.name for a in info.arguments if a.required}
    for info in list_schedules()
}


def test_the_defaults_strategy_knows_every_schedule():
    assert set(_required_arguments(st.nothing())) == set(registry())


@pytest.mark.parametrize("name", sorted(registry()))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_schedule_built_with_defaults_is_zero_at_step_0(name, data):
    kwargs = data.draw(_required_arguments(with_defaults)[name])
    schedule = registry()[name](**kwargs)

    assert set(kwargs) == REQUIRED[name]
    assert schedule(0) > 0
    assert schedule(np.zeros(3)).tolist() == [schedule(0)] * 3
