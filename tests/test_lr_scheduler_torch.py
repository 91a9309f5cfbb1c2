"""Every drop-in class against torch.optim.lr_scheduler as the oracle.

Both run side by side for 1,000 steps on two param groups with different
lrs, over randomized arguments; the lrs must agree to 1e-9 relative. Where
torch is wrong past the end of a schedule (the cosine climbing back up after
T_max), the comparison stops at the end and lrlab's held value is checked
instead.
"""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from lrlab import lr_scheduler as lrlab_sched

STEPS = 1000
RTOL = 1e-9
# No shrinking: a failing example is printed as found (shrinking 1,000-step
# runs takes minutes).
EXAMPLES = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    phases=(Phase.explicit, Phase.generate),
)
LRS = st.tuples(st.floats(1e-4, 10.0), st.floats(1e-4, 10.0))


def _optimizer(lrs, **defaults) -> torch.optim.Optimizer:
    groups = [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs]
    return torch.optim.SGD(groups, lr=lrs[0], **defaults)


def trace(build, lrs, steps=STEPS, metrics=None, **defaults) -> np.ndarray:
    """The lr of every group after construction and after each step."""
    optimizer = _optimizer(lrs, **defaults)
    scheduler = build(optimizer)
    rows = [[float(g["lr"]) for g in optimizer.param_groups]]
    for index in range(steps):
        optimizer.step()
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(metrics[index])
        rows.append([float(g["lr"]) for g in optimizer.param_groups])
    return np.array(rows)


def both(build, lrs, **kwargs) -> tuple[np.ndarray, np.ndarray]:
    """Traces of the same build with torch's module and with lrlab's."""
    return (
        trace(lambda opt: build(torch.optim.lr_scheduler, opt), lrs, **kwargs),
        trace(lambda opt: build(lrlab_sched, opt), lrs, **kwargs),
    )


def assert_agree(expected: np.ndarray, actual: np.ndarray, lrs=None) -> None:
    """Agreement to RTOL wherever the values are normal floats.

    A decay run long enough goes below 1e-300, into subnormal numbers whose
    precision shrinks to a few bits: two correct computations legitimately
    differ there, so those entries are only required to be tiny in both.

    Given ``lrs`` (the base lrs), a value within 1e-12 of the base lr of its
    group also agrees: torch's recursive updates leave a residue of that
    order where the exact value is 0 (a linear decay to 0 ends at 2.6e-17).
    """
    normal = np.abs(expected) > 1e-300
    atol = 0.0 if lrs is None else 1e-12 * np.broadcast_to(lrs, expected.shape)
    close = np.abs(actual - expected) <= RTOL * np.abs(expected) + atol
    bad = normal & ~close
    assert not bad.any(), (
        f"first mismatch at step {np.argwhere(bad)[0]}: lrlab "
        f"{actual[bad][0]!r}, torch {expected[bad][0]!r}"
    )
    assert np.all(np.abs(actual[~normal]) <= 1e-300)


@EXAMPLES
@given(lrs=LRS, a=st.floats(0.0, 0.1), b=st.floats(0.5, 1.0))
def test_lambda_lr(lrs, a, b):
    def build(module, opt):
        return module.LambdaLR(
            opt, [lambda t: 1 / (1 + a * t), lambda t: b ** (t // 50)]
        )

    assert_agree(*both(build, lrs))


@EXAMPLES
@given(lrs=LRS, gamma=st.floats(0.99, 1.001), period=st.integers(1, 7))
def test_multiplicative_lr(lrs, gamma, period):
    def build(module, opt):
        return module.MultiplicativeLR(opt, lambda t: gamma if t % period == 0 else 1.0)

    assert_agree(*both(build, lrs))


@EXAMPLES
@given(lrs=LRS, step_size=st.integers(1, 300), gamma=st.floats(0.3, 1.5))
def test_step_lr(lrs, step_size, gamma):
    def build(module, opt):
        return module.StepLR(opt, step_size=step_size, gamma=gamma)

    assert_agree(*both(build, lrs))


@EXAMPLES
@given(lrs=LRS, gamma=st.floats(0.9, 1.001))
def test_exponential_lr(lrs, gamma):
    def build(module, opt):
        return module.ExponentialLR(opt, gamma=gamma)

    assert_agree(*both(build, lrs))


@EXAMPLES
@given(
    lrs=LRS,
    start=st.floats(0.01, 1.0),
    end=st.floats(0.0, 1.0),
    total=st.integers(1, 1200),
)
def test_linear_lr(lrs, start, end, total):
    def build(module, opt):
        return module.LinearLR(
            opt, start_factor=start, end_factor=end, total_iters=total
        )

    assert_agree(*both(build, lrs), lrs=lrs)


@EXAMPLES
@given(lrs=LRS, total=st.integers(1, 1200), power=st.floats(0.2, 4.0))
def test_polynomial_lr(lrs, total, power):
    def build(module, opt):
        return module.PolynomialLR(opt, total_iters=total, power=power)

    assert_agree(*both(build, lrs), lrs=lrs)


@EXAMPLES
@given(lrs=LRS, t_max=st.integers(1, 1500), eta_min=st.floats(0.0, 1e-2))
def test_cosine_annealing_lr_until_t_max(lrs, t_max, eta_min):
    def build(module, opt):
        return module.CosineAnnealingLR(opt, T_max=t_max, eta_min=eta_min)

    expected, actual = both(build, lrs)

    # torch climbs back up the cosine after T_max; lrlab holds eta_min.
    last = min(t_max, STEPS) + 1
    assert_agree(expected[:last], actual[:last], lrs=lrs)
    assert np.all(actual[last:] == eta_min)


@EXAMPLES
@given(
    lrs=LRS,
    milestones=st.sets(st.integers(1, 1100), max_size=6),
    gamma=st.floats(0.3, 1.5),
)
def test_multistep_lr(lrs, milestones, gamma):
    def build(module, opt):
        return module.MultiStepLR(opt, milestones=sorted(milestones), gamma=gamma)

    assert_agree(*both(build, lrs))


@EXAMPLES
@given(lrs=LRS, factor=st.floats(0.01, 1.0), total=st.integers(1, 1200))
def test_constant_lr(lrs, factor, total):
    def build(module, opt):
        return module.ConstantLR(opt, factor=factor, total_iters=total)

    assert_agree(*both(build, lrs))


@EXAMPLES
@given(
    lrs=LRS,
    t_0=st.integers(1, 300),
    t_mult=st.integers(1, 3),
    eta_min=st.floats(0.0, 1e-2),
)
def test_cosine_annealing_warm_restarts(lrs, t_0, t_mult, eta_min):
    def build(module, opt):
        return module.CosineAnnealingWarmRestarts(
            opt, T_0=t_0, T_mult=t_mult, eta_min=eta_min
        )

    assert_agree(*both(build, lrs), lrs=lrs)


@EXAMPLES
@given(
    lrs=LRS,
    t_0=st.integers(1, 50),
    t_mult=st.integers(1, 3),
    epochs=st.lists(st.floats(0.0, 500.0), min_size=1, max_size=30),
)
def test_cosine_annealing_warm_restarts_fractional_epochs(lrs, t_0, t_mult, epochs):
    def run(module):
        optimizer = _optimizer(lrs)
        scheduler = module.CosineAnnealingWarmRestarts(
            optimizer, T_0=t_0, T_mult=t_mult
        )
        rows = []
        for epoch in epochs:
            optimizer.step()
            scheduler.step(epoch)
            rows.append([float(g["lr"]) for g in optimizer.param_groups])
            scheduler.step()
            rows.append([float(g["lr"]) for g in optimizer.param_groups])
        return np.array(rows)

    assert_agree(run(torch.optim.lr_scheduler), run(lrlab_sched), lrs=lrs)


CYCLIC_MODES = st.sampled_from(["triangular", "triangular2", "exp_range"])


@EXAMPLES
@given(
    base=st.floats(1e-4, 0.1),
    spread=st.floats(0.0, 1.0),
    up=st.integers(1, 200),
    down=st.one_of(st.none(), st.integers(0, 200)),
    mode=CYCLIC_MODES,
    gamma=st.floats(0.99, 1.0),
    adam=st.booleans(),
)
def test_cyclic_lr_and_its_momentum(base, spread, up, down, mode, gamma, adam):
    def build(module, opt):
        return module.CyclicLR(
            opt,
            base_lr=[base, 2 * base],
            max_lr=[base + spread, 2 * base + spread],
            step_size_up=up,
            step_size_down=down,
            mode=mode,
            gamma=gamma,
        )

    for key in ("lr", "momentum"):
        expected, actual = (
            _trace_key(build, module, key, adam)
            for module in (torch.optim.lr_scheduler, lrlab_sched)
        )
        assert_agree(expected, actual, lrs=[1.0, 1.0])


def _trace_key(build, module, key, adam):
    groups = [{"params": [torch.zeros(1, requires_grad=True)]} for _ in range(2)]
    if adam:
        optimizer = torch.optim.Adam(groups, lr=0.1)
    else:
        optimizer = torch.optim.SGD(groups, lr=0.1, momentum=0.9)
    scheduler = build(module, optimizer)

    def read(group):
        if key == "momentum" and adam:
            return group["betas"][0]
        return group[key]

    rows = [[read(g) for g in optimizer.param_groups]]
    for _ in range(STEPS):
        optimizer.step()
        scheduler.step()
        rows.append([read(g) for g in optimizer.param_groups])
    return np.array(rows, dtype=np.float64)


@EXAMPLES
@given(up=st.integers(1, 100), down=st.integers(1, 100), decay=st.floats(0.5, 1.0))
def test_cyclic_lr_with_a_scale_function(up, down, decay):
    def build(module, opt):
        return module.CyclicLR(
            opt,
            base_lr=0.01,
            max_lr=0.1,
            step_size_up=up,
            step_size_down=down,
            scale_fn=lambda x: decay**x,
            scale_mode="iterations" if decay > 0.75 else "cycle",
        )

    for key in ("lr", "momentum"):
        expected, actual = (
            _trace_key(build, module, key, False)
            for module in (torch.optim.lr_scheduler, lrlab_sched)
        )
        assert_agree(expected, actual, lrs=[0.1, 0.1])


@EXAMPLES
@given(
    max_lr=st.floats(1e-3, 10.0),
    total=st.integers(20, 1000),
    pct=st.floats(0.1, 0.45),
    anneal=st.sampled_from(["cos", "linear"]),
    div=st.floats(2.0, 100.0),
    final=st.floats(1.0, 1e4),
    three=st.booleans(),
    adam=st.booleans(),
)
def test_one_cycle_lr_and_its_momentum(
    max_lr, total, pct, anneal, div, final, three, adam
):
    def build(module, opt):
        return module.OneCycleLR(
            opt,
            max_lr=[max_lr, max_lr / 2],
            total_steps=total,
            pct_start=pct,
            anneal_strategy=anneal,
            div_factor=div,
            final_div_factor=final,
            three_phase=three,
        )

    # torch's step past total_steps - 1 raises or leaves the range; the
    # comparison covers the whole cycle, steps 0 .. total_steps - 1.
    for key in ("lr", "momentum"):
        traces = []
        for module in (torch.optim.lr_scheduler, lrlab_sched):
            traces.append(_trace_key_steps(build, module, key, adam, total - 1))
        assert_agree(*traces, lrs=[max_lr, max_lr])


def _trace_key_steps(build, module, key, adam, steps):
    global STEPS
    saved, STEPS = STEPS, steps
    try:
        return _trace_key(build, module, key, adam)
    finally:
        STEPS = saved


@EXAMPLES
@given(
    lrs=LRS,
    seed=st.integers(0, 2**32 - 1),
    mode=st.sampled_from(["min", "max"]),
    factor=st.floats(0.1, 0.9),
    patience=st.integers(0, 5),
    threshold=st.floats(0.0, 0.1),
    threshold_mode=st.sampled_from(["rel", "abs"]),
    cooldown=st.integers(0, 4),
    min_lr=st.floats(0.0, 1e-3),
)
def test_reduce_lr_on_plateau(
    lrs, seed, mode, factor, patience, threshold, threshold_mode, cooldown, min_lr
):
    walk = np.cumsum(np.random.default_rng(seed).normal(0.0, 1.0, STEPS))
    metrics = [float(x) for x in walk]

    def build(module, opt):
        return module.ReduceLROnPlateau(
            opt,
            mode=mode,
            factor=factor,
            patience=patience,
            threshold=threshold,
            threshold_mode=threshold_mode,
            cooldown=cooldown,
            min_lr=min_lr,
        )

    assert_agree(*both(build, lrs, metrics=metrics))


# Classes torch composes by multiplying the current lr (each step rescales
# it by a ratio), so a chain of them is the product of their closed forms.
# LambdaLR is left out of chains: torch's sets the lr from the base lr, and
# the ratios of the classes after it then apply to the reset lr.
CHAINABLE = [
    lambda m, o: m.StepLR(o, step_size=7, gamma=0.8),
    lambda m, o: m.MultiStepLR(o, milestones=[50, 300, 700], gamma=0.5),
    lambda m, o: m.ExponentialLR(o, gamma=0.999),
    lambda m, o: m.ConstantLR(o, factor=0.25, total_iters=40),
    lambda m, o: m.LinearLR(o, start_factor=0.1, total_iters=100),
    lambda m, o: m.PolynomialLR(o, total_iters=1200, power=0.5),
    lambda m, o: m.MultiplicativeLR(o, lambda t: 0.9995),
    lambda m, o: m.CosineAnnealingLR(o, T_max=1000),
]
# In a sequence every class restarts from the base lr at its milestone,
# except torch's MultiplicativeLR, which continues from the lr it inherits
# (and multiplies it by lr_lambda(0)); lrlab restarts it too.
SEQUENCEABLE = [
    *CHAINABLE[:-2],
    CHAINABLE[-1],
    lambda m, o: m.LambdaLR(o, lambda t: 1 / (1 + 0.01 * t)),
    lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=30, T_mult=2),
]


@EXAMPLES
@given(
    lrs=LRS, picks=st.lists(st.integers(0, len(CHAINABLE) - 1), min_size=1, max_size=3)
)
def test_chained_scheduler(lrs, picks):
    def build(module, opt):
        return module.ChainedScheduler([CHAINABLE[i](module, opt) for i in picks])

    assert_agree(*both(build, lrs), lrs=lrs)


@EXAMPLES
@given(
    lrs=LRS,
    picks=st.lists(st.integers(0, len(SEQUENCEABLE) - 1), min_size=2, max_size=3),
    gaps=st.lists(st.integers(1, 400), min_size=2, max_size=2),
)
def test_sequential_lr(lrs, picks, gaps):
    milestones = list(np.cumsum(gaps[: len(picks) - 1]))

    def build(module, opt):
        children = [SEQUENCEABLE[i](module, opt) for i in picks]
        return module.SequentialLR(opt, children, milestones=milestones)

    assert_agree(*both(build, lrs), lrs=lrs)
