"""PyTorch integration: drive lrlab schedules on torch optimizers.

Two ways in:

- ``ScheduleAdapter(optimizer, schedule)`` drives any pure schedule from
  ``lrlab.schedules``, with momentum and weight decay schedules too.
- Drop-in classes with the names and signatures of
  ``torch.optim.lr_scheduler``: replace the import and a training script
  runs unchanged, with values computed in closed form (exact after a resume
  or a million steps) and arguments checked when the scheduler is built.
  ``docs/torch.md`` lists every place where lrlab differs from torch.
"""

from __future__ import annotations

from ._adapter import ScheduleAdapter
from ._compose import ChainedScheduler, SequentialLR
from ._cosine import CosineAnnealingLR, CosineAnnealingWarmRestarts
from ._cyclic import CyclicLR, OneCycleLR
from ._dropin import (
    ConstantLR,
    ExponentialLR,
    LinearLR,
    MultiStepLR,
    PolynomialLR,
    StepLR,
)
from ._lambda import LambdaLR, MultiplicativeLR
from ._plateau import ReduceLROnPlateau

__all__ = [
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "ScheduleAdapter",
    "SequentialLR",
    "StepLR",
]
