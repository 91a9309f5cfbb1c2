"""Pure learning-rate schedules: frozen objects, closed form, numpy only.

A schedule is a function of the step that returns a FACTOR, a multiplier
of the base learning rate::

    lr = base_lr * schedule(step)

``step`` is a 0-based count of the unit the schedule is driven in
(optimizer updates, or epochs when the caller steps once per epoch). A
schedule accepts an int, a float or a numpy array of steps and returns a
Python float for a scalar and a float64 array for an array. Every value is
computed in closed form from the step alone: no recursion, no hidden state.

Past its last step a schedule holds its final value, unless it repeats by
design (``CosineRestarts``, ``Cyclic``) or is wrapped in ``Repeat``; each
class says which in its docstring.

``registry()`` maps each spec name to its class, and ``fields(cls)``
lists a class's constructor arguments in order (``lrlab.spec`` reads and
writes spec strings with them).

Arguments are checked when a schedule is built: a bad value raises
``ValueError`` and a bad type ``TypeError``, with a message that names the
argument, the rule and the value received.

>>> from lrlab.schedules import Step
>>> Step(step_size=2, gamma=0.5)([0, 1, 2, 3, 4])
array([1.  , 1.  , 0.5 , 0.5 , 0.25])
"""

from lrlab.schedules._base import Schedule, fields, registry
from lrlab.schedules.anneal import Cosine, Linear, Polynomial
from lrlab.schedules.compose import Floor, Product, Repeat, Scale, Sequence, Warmup
from lrlab.schedules.cyclic import CosineRestarts, Cyclic, OneCycle
from lrlab.schedules.decay import Constant, Exponential, InverseSqrt, MultiStep, Step
from lrlab.schedules.function import Lambda
from lrlab.schedules.phased import WSD, PiecewiseConstant, PiecewiseLinear

__all__ = [
    "WSD",
    "Constant",
    "Cosine",
    "CosineRestarts",
    "Cyclic",
    "Exponential",
    "Floor",
    "InverseSqrt",
    "Lambda",
    "Linear",
    "MultiStep",
    "OneCycle",
    "PiecewiseConstant",
    "PiecewiseLinear",
    "Polynomial",
    "Product",
    "Repeat",
    "Scale",
    "Schedule",
    "Sequence",
    "Step",
    "Warmup",
    "fields",
    "registry",
]
