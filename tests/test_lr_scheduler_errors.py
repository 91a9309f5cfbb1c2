"""Every argument check of the drop-ins, message text included."""

from __future__ import annotations

import pytest
import torch

from lrlab import lr_scheduler as ls


def _optimizer(groups: int = 1, cls=torch.optim.SGD) -> torch.optim.Optimizer:
    params = [{"params": [torch.zeros(1, requires_grad=True)]} for _ in range(groups)]
    return cls(params, lr=0.1)


CASES = [
    # (build, error, message)
    (lambda o: ls.StepLR([], 2), TypeError, "optimizer must be a torch.optim"),
    (
        lambda o: ls.StepLR(o, step_size=2.5),
        ValueError,
        "step_size must be an integer, got 2.5",
    ),
    (
        lambda o: ls.StepLR(o, step_size="2"),
        TypeError,
        "step_size must be an integer, got str",
    ),
    (lambda o: ls.StepLR(o, 2, gamma=0), ValueError, "gamma must be positive, got 0.0"),
    (
        lambda o: ls.StepLR(o, 2, gamma=float("nan")),
        ValueError,
        "gamma must be finite, got nan",
    ),
    (
        lambda o: ls.StepLR(o, 2, last_epoch=-2),
        ValueError,
        "last_epoch must be an integer >= -1, got -2",
    ),
    (
        lambda o: ls.StepLR(o, 2, gamma=True),
        TypeError,
        "gamma must be a number, got bool",
    ),
    (
        lambda o: ls.MultiStepLR(o, [3, 2]),
        ValueError,
        r"milestones must be strictly increasing, got \[3, 2\]",
    ),
    (
        lambda o: ls.MultiStepLR(o, [0, 2]),
        ValueError,
        r"milestones\[0\] must be a positive integer, got 0",
    ),
    (
        lambda o: ls.MultiStepLR(o, 5),
        TypeError,
        "milestones must be a list of integers, got int",
    ),
    (
        lambda o: ls.ConstantLR(o, factor=1.5),
        ValueError,
        r"factor must be in \(0, 1\], got 1.5",
    ),
    (
        lambda o: ls.ConstantLR(o, total_iters=-1),
        ValueError,
        "total_iters must be a non-negative integer, got -1",
    ),
    (
        lambda o: ls.LinearLR(o, start_factor=0),
        ValueError,
        r"start_factor must be in \(0, 1\], got 0.0",
    ),
    (
        lambda o: ls.LinearLR(o, end_factor=1.5),
        ValueError,
        r"end_factor must be in \[0, 1\], got 1.5",
    ),
    (
        lambda o: ls.LinearLR(o, total_iters=-3),
        ValueError,
        "total_iters must be a non-negative integer, got -3",
    ),
    (
        lambda o: ls.PolynomialLR(o, total_iters=0),
        ValueError,
        "total_iters must be a positive integer, got 0",
    ),
    (
        lambda o: ls.PolynomialLR(o, power=0),
        ValueError,
        "power must be positive, got 0.0",
    ),
    (
        lambda o: ls.CosineAnnealingLR(o, T_max=10, eta_min=-1),
        ValueError,
        "eta_min must be non-negative, got -1.0",
    ),
    (
        lambda o: ls.CosineAnnealingWarmRestarts(o, T_0=0),
        ValueError,
        "T_0 must be a positive integer, got 0",
    ),
    (
        lambda o: ls.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
        ValueError,
        "T_mult must be a positive integer, got 0",
    ),
    (
        lambda o: ls.CosineAnnealingWarmRestarts(o, T_0=2, eta_min=-0.5),
        ValueError,
        "eta_min must be non-negative, got -0.5",
    ),
    (
        lambda o: ls.LambdaLR(o, 0.5),
        TypeError,
        "lr_lambda must be a function of the step, got float",
    ),
    (
        lambda o: ls.LambdaLR(o, [abs, abs]),
        ValueError,
        r"lr_lambda must have one value per param group \(1\), got 2 values",
    ),
    (
        lambda o: ls.MultiplicativeLR(o, "0.9"),
        TypeError,
        "lr_lambda must be a function of the step, got str",
    ),
    (
        lambda o: ls.LambdaLR(o, lambda t: -1.0),
        ValueError,
        r"lr_lambda\(0\) must be a non-negative finite number, got -1.0",
    ),
    (
        lambda o: ls.CyclicLR(o, base_lr=0.1, max_lr=0.05),
        ValueError,
        r"max_lr must be at least base_lr \(0.1\), got 0.05",
    ),
    (
        lambda o: ls.CyclicLR(o, base_lr=-0.1, max_lr=0.5),
        ValueError,
        "base_lr must be non-negative, got -0.1",
    ),
    (
        lambda o: ls.CyclicLR(o, 0.1, 0.5, step_size_down=-1),
        ValueError,
        "step_size_down must be a non-negative integer, got -1",
    ),
    (
        lambda o: ls.CyclicLR(o, 0.1, 0.5, mode="sine"),
        ValueError,
        "mode must be one of 'triangular', 'triangular2', 'exp_range', got 'sine'",
    ),
    (
        lambda o: ls.CyclicLR(o, 0.1, 0.5, mode="exp_range", gamma=1.5),
        ValueError,
        r"gamma must be in \(0, 1\], got 1.5",
    ),
    (
        lambda o: ls.CyclicLR(o, 0.1, 0.5, scale_fn=3),
        TypeError,
        "scale_fn must be a function or None, got int",
    ),
    (
        lambda o: ls.CyclicLR(o, 0.1, 0.5, scale_fn=abs, scale_mode="x"),
        ValueError,
        "scale_mode must be one of 'cycle', 'iterations', got 'x'",
    ),
    (
        lambda o: ls.CyclicLR(o, 0.1, 0.5, base_momentum=0.95),
        ValueError,
        r"base_momentum must be at most max_momentum \(0.9\), got 0.95",
    ),
    (
        lambda o: ls.CyclicLR(o, 0.1, 0.5, max_momentum=1.5),
        ValueError,
        r"max_momentum must be in \[0, 1\], got 1.5",
    ),
    (
        lambda o: ls.CyclicLR(o, 0.1, 0.5, cycle_momentum=1),
        TypeError,
        "cycle_momentum must be True or False, got int",
    ),
    (
        lambda o: ls.CyclicLR(o, [0.1, 0.2], 0.5),
        ValueError,
        r"base_lr must have one value per param group \(1\), got 2 values",
    ),
    (
        lambda o: ls.OneCycleLR(o, max_lr=1.0),
        ValueError,
        "OneCycleLR needs total_steps, or epochs and steps_per_epoch, got "
        "total_steps=None, epochs=None, steps_per_epoch=None",
    ),
    (
        lambda o: ls.OneCycleLR(o, max_lr=1.0, total_steps=1),
        ValueError,
        "total_steps must be an integer >= 2, got 1",
    ),
    (
        lambda o: ls.OneCycleLR(o, max_lr=1.0, epochs=0, steps_per_epoch=5),
        ValueError,
        "epochs must be a positive integer, got 0",
    ),
    (
        lambda o: ls.OneCycleLR(o, max_lr=0.0, total_steps=10),
        ValueError,
        "max_lr must be positive, got 0.0",
    ),
    (
        lambda o: ls.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=1.5),
        ValueError,
        r"pct_start must be in \[0, 1\], got 1.5",
    ),
    (
        lambda o: ls.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=0.05),
        ValueError,
        r"pct_start must be in \(0.1, 1\) for total_steps=10",
    ),
    (
        lambda o: ls.OneCycleLR(
            o, max_lr=1.0, total_steps=10, anneal_strategy="cosine"
        ),
        ValueError,
        "anneal_strategy must be one of 'cos', 'linear', got 'cosine'",
    ),
    (
        lambda o: ls.OneCycleLR(o, max_lr=1.0, total_steps=10, div_factor=0),
        ValueError,
        "div_factor must be positive, got 0.0",
    ),
    (
        lambda o: ls.OneCycleLR(o, max_lr=1.0, total_steps=10, final_div_factor=-1),
        ValueError,
        "final_div_factor must be positive, got -1.0",
    ),
    (
        lambda o: ls.ReduceLROnPlateau(o, mode="low"),
        ValueError,
        "mode must be one of 'min', 'max', got 'low'",
    ),
    (
        lambda o: ls.ReduceLROnPlateau(o, factor=1.0),
        ValueError,
        r"factor must be in \(0, 1\), got 1.0",
    ),
    (
        lambda o: ls.ReduceLROnPlateau(o, threshold=-1e-4),
        ValueError,
        "threshold must be non-negative, got -0.0001",
    ),
    (
        lambda o: ls.ReduceLROnPlateau(o, threshold_mode="pct"),
        ValueError,
        "threshold_mode must be one of 'rel', 'abs', got 'pct'",
    ),
    (
        lambda o: ls.ReduceLROnPlateau(o, cooldown=-1),
        ValueError,
        "cooldown must be a non-negative integer, got -1",
    ),
    (
        lambda o: ls.ReduceLROnPlateau(o, min_lr=[0.0, 0.1]),
        ValueError,
        r"min_lr must have one value per param group \(1\), got 2 values",
    ),
    (
        lambda o: ls.ReduceLROnPlateau(o, min_lr=-1e-3),
        ValueError,
        "min_lr must be non-negative, got -0.001",
    ),
    (
        lambda o: ls.ReduceLROnPlateau(o, eps=-1),
        ValueError,
        "eps must be non-negative, got -1.0",
    ),
]


@pytest.mark.parametrize(("build", "error", "message"), CASES)
def test_bad_argument_message(build, error, message):
    with pytest.raises(error, match=message):
        build(_optimizer())


def test_cyclic_momentum_needs_an_optimizer_with_momentum():
    optimizer = _optimizer(cls=torch.optim.Adagrad)

    with pytest.raises(ValueError, match="cycle_momentum=True needs an optimizer"):
        ls.CyclicLR(optimizer, base_lr=0.01, max_lr=0.1)


def test_containers_take_lrlab_schedulers_of_one_optimizer():
    optimizer, other = _optimizer(), _optimizer()
    step = ls.StepLR(optimizer, 2)

    with pytest.raises(TypeError, match=r"schedulers\[1\] must be an lrlab"):
        ls.ChainedScheduler([step, torch.optim.lr_scheduler.StepLR(optimizer, 2)])
    with pytest.raises(ValueError, match=r"schedulers\[1\] must drive the same"):
        ls.ChainedScheduler([step, ls.StepLR(other, 2)])
    with pytest.raises(ValueError, match="schedulers must hold at least one"):
        ls.SequentialLR(optimizer, [], milestones=[])
    with pytest.raises(TypeError, match="schedulers must be a list of schedulers"):
        ls.ChainedScheduler(step)


@pytest.mark.parametrize(
    ("milestones", "error", "message"),
    [
        ([], ValueError, r"one fewer value than schedulers \(1\), got 0"),
        ([5, 5, 7], ValueError, r"one fewer value than schedulers \(1\), got 3"),
        ([-1], ValueError, "milestones must be a non-negative integer, got -1"),
        (5, TypeError, "milestones must be a list of integers, got int"),
    ],
)
def test_sequential_milestones(milestones, error, message):
    optimizer = _optimizer()
    children = [ls.StepLR(optimizer, 2), ls.ExponentialLR(optimizer, 0.9)]

    with pytest.raises(error, match=message):
        ls.SequentialLR(optimizer, children, milestones=milestones)


def test_sequential_milestones_increase():
    optimizer = _optimizer()
    children = [ls.ConstantLR(optimizer) for _ in range(3)]

    with pytest.raises(ValueError, match=r"strictly increasing, got \[5, 5\]"):
        ls.SequentialLR(optimizer, children, milestones=[5, 5])


def test_metrics_go_where_a_plateau_is():
    optimizer = _optimizer()
    chain = ls.ChainedScheduler(
        [ls.ExponentialLR(optimizer, 0.9), ls.ReduceLROnPlateau(optimizer)]
    )
    plain = ls.ChainedScheduler([ls.ExponentialLR(_optimizer(), 0.9)])

    with pytest.raises(TypeError, match="contains a ReduceLROnPlateau: call step"):
        chain.step()
    with pytest.raises(TypeError, match="takes a metric only when it contains"):
        plain.step(0.5)


def test_a_plateau_in_a_sequence_needs_the_metric_once_active():
    optimizer = _optimizer()
    sequence = ls.SequentialLR(
        optimizer,
        [ls.ConstantLR(optimizer, total_iters=1), ls.ReduceLROnPlateau(optimizer)],
        milestones=[1],
    )
    optimizer.step()
    sequence.step()

    with pytest.raises(TypeError, match="ReduceLROnPlateau needs the metric"):
        sequence.step()


def test_param_groups_added_after_construction():
    optimizer = _optimizer()
    scheduler = ls.StepLR(optimizer, 2)
    optimizer.step()
    optimizer.add_param_group({"params": [torch.zeros(1, requires_grad=True)]})

    with pytest.raises(ValueError, match="optimizer has 2 param groups but the"):
        scheduler.step()
