"""Write docs/schedules.md and its plots (docs/img/*.png) from the registry.

The reference part of the page comes from each class's docstring (summary,
formula, arguments), so the docs cannot drift from the code. Run it after
changing a schedule::

    python docs/build_schedules_doc.py
"""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np

from lrlab.schedules import Lambda
from lrlab.spec import REQUIRED, format_value, list_schedules, parse_schedule

HERE = Path(__file__).parent
STEPS = 120

# The curves drawn for each spec name: one or more example specs.
EXAMPLES: dict[str, list[str]] = {
    "constant": ["constant(factor=0.5)"],
    "step": ["step(step_size=30, gamma=0.5)"],
    "multistep": ["multistep(milestones=[30, 60, 80], gamma=0.5)"],
    "exponential": [
        "exponential(gamma=0.97)",
        "exponential(gamma=0.75, transition_steps=10, staircase=true)",
    ],
    "linear": [
        "linear(total_steps=80)",
        "linear(total_steps=50, start_factor=0.2, end_factor=1)",
    ],
    "polynomial": [
        "polynomial(total_steps=80, power=2, end_factor=0.1)",
        "polynomial(total_steps=80, power=0.5, end_factor=0.1)",
    ],
    "cosine": ["cosine(total_steps=80, min_factor=0.1)"],
    "cosine_restarts": [
        "cosine_restarts(period_steps=10, period_mult=2, min_factor=0.05, gamma=0.7)",
        "cosine_restarts(period_steps=20, period_mult=1.5)",
    ],
    "cyclic": [
        "cyclic(min_factor=0.1, max_factor=1, up_steps=10)",
        "cyclic(min_factor=0.1, max_factor=1, up_steps=10, mode=triangular2)",
        "cyclic(0.1, 1, 5, 15, mode=exp_range, gamma=0.98)",
    ],
    "one_cycle": [
        "one_cycle(total_steps=100)",
        "one_cycle(total_steps=100, anneal=linear, three_phase=true)",
    ],
    "inverse_sqrt": ["inverse_sqrt(warmup_steps=10)"],
    "wsd": [
        "wsd(10, 60, 30, min_factor=0.05)",
        "wsd(10, 60, 30, min_factor=0.05, anneal=sqrt)",
    ],
    "piecewise_constant": [
        "piecewise_constant(boundaries=[20, 50, 90], factors=[1, 0.6, 0.3, 0.1])"
    ],
    "piecewise_linear": [
        "piecewise_linear(boundaries=[0, 10, 60, 100], factors=[0.1, 1, 0.8, 0])"
    ],
    "sequence": [
        "sequence([linear(10, 0.1, 1), constant(1), cosine(50)], boundaries=[10, 40])"
    ],
    "product": ["product([cosine(total_steps=100), cyclic(0.7, 1, up_steps=5)])"],
    "warmup": ["warmup(cosine(total_steps=90, min_factor=0.1), warmup_steps=10)"],
    "scale": ["cosine(total_steps=100)", "scale(cosine(total_steps=100), factor=0.5)"],
    "floor": [
        "exponential(gamma=0.95)",
        "floor(exponential(gamma=0.95), min_factor=0.3)",
    ],
    "repeat": ["repeat(linear(total_steps=25), period_steps=25)"],
}

INTRO = """\
# Schedules

A schedule is a frozen object that maps a step to a **factor**, a
multiplier of the base learning rate: `lr = base_lr * schedule(step)`.
`step` is 0-based and counts the unit the schedule is driven in (optimizer
updates, or epochs when the caller steps once per epoch). Every value is
computed in closed form from the step: no recursion, no hidden state, so a
resumed run gets exactly the same values. See the [glossary](glossary.md)
for the words used here.

```python
import numpy as np
from lrlab.schedules import Cosine, Warmup

schedule = Warmup(Cosine(total_steps=900, min_factor=0.1), warmup_steps=100)
schedule(0)  # 0.0099..., 1/101: a Python float
schedule(99)  # 0.990..., 100/101
schedule(100)  # 1.0
schedule(np.arange(1000))  # float64 array, one vectorized call
```

`lrlab.schedules` needs only numpy; it does not import torch. The torch
schedulers in `lrlab.lr_scheduler` are built on these.

## Conventions

- **Past the end** a schedule holds its final value. Only
  `cosine_restarts`, `cyclic` and `repeat` go on repeating, because
  repeating is what they are for; `step`, `exponential` and `inverse_sqrt`
  have no end and keep changing. Each class says which in its docstring.
- **Step 0 is not 0** unless you ask for it. By default
  (`start_factor=none`) the warmups of `warmup`, `wsd` and
  `inverse_sqrt` start one step into a straight climb from 0: with
  `warmup_steps=W`, step `t` gets `(t + 1) / (W + 1)` of the target and
  step `W` the target itself, so the very first update (the whole first
  epoch, when stepping per epoch) already learns. `start_factor=0`
  starts at exactly 0, if that is what you want; any other number
  starts there.
- **Steps** may be ints, floats or numpy arrays of any shape, >= 0. A
  negative, NaN or infinite step raises `ValueError`.
- **Arguments** are checked when the schedule is built. A bad value raises
  `ValueError`, a bad type `TypeError`, and the message names the
  argument, the rule and the value received, e.g.
  `step_size must be a positive integer, got 0`.
- **Lists of steps** (`milestones`, `boundaries`) must be strictly
  increasing; a list out of order is rejected, not sorted.
- **Durations** end in `_steps`, **factors** in `_factor`.

## Spec strings

Every command reads schedules in one text form, parsed by
`lrlab.spec.parse_schedule` (and written back by `format_schedule`):

```
cosine(total_steps=100, min_factor=0.1)
step(5, 0.5)                                  # positional, constructor order
warmup(cosine(total_steps=100), warmup_steps=5)
sequence([constant(1), exponential(0.9)], boundaries=[10])
one_cycle(1000, anneal=linear, three_phase=true)
```

- `name(arg=value, ...)`; positional arguments follow the constructor
  order listed below; a bare name (`constant`) means all defaults.
- Values: numbers in any Python form (`5`, `-1`, `.5`, `1e-3`, `1_000`;
  an integral float such as `1e3` is accepted where an integer is needed),
  strings as bare words or quoted (`anneal=cos`, `anneal="cos"`),
  `true`/`false`, `none` (an optional argument not given, such as
  `down_steps=none`), lists `[1, 2]`, and nested specs.
- Nothing is evaluated: the text is parsed as a Python expression and only
  calls, names, literals, lists and a sign are accepted.
- Errors are one line. A syntax error gives its 0-based position in the
  text (`invalid spec 'step(5,' at position 4: '(' was never closed`); an
  unknown name lists the known ones; an unknown argument lists the valid
  ones; a missing required argument is named.
- `lrlab.spec.list_schedules()` returns every spec name with its arguments
  and defaults.
- `Lambda` (a Python function) has no spec form; `format_schedule` raises
  `ValueError` for it.

## Composition

`sequence`, `product`, `warmup`, `scale`, `floor` and `repeat` take other
schedules and stay in closed form. In `sequence` each schedule sees its
own local step, counted from 0 where it starts. `warmup` shifts the
wrapped schedule: it starts at step `warmup_steps` with its own step 0, so
the whole is `warmup_steps` longer, and the ramp ends at the wrapped
schedule's first value.

## Speed

`bench/bench_schedules.py` times 10**6 steps evaluated in one call against
the matching `torch.optim.lr_scheduler` class stepped one step at a time.
On a busy 2-core machine, cosine, one-cycle and warmup + cosine take about
15 to 50 ns per step evaluated together, against 2 to 6 us per torch
`step()`: one to two hundred times faster. `exponential` takes about
0.1 to 0.3 us per step because it rounds `gamma ** t` exactly as Python
does.

One step at a time (`schedule(5)`, as a training loop calls it) costs
about 0.5 to 1.5 us, about three times less than a torch `step()` timed
in the same run: a call
at a whole step evaluates the block of 64 steps around it in one array
call and keeps it, so the next 63 calls are look-ups. The values are
those of the array, bit for bit. A call at a fractional step (`5.5`) takes
the plain path, numpy on a one-element array: 5 to 40 us, three to seven
times a torch `step()`. `Lambda` is
never evaluated ahead: its function is only called at the steps asked
for.

## Reference

Each plot shows steps 0 to 119 of the example specs under it.
"""


def _docstring_body(cls: type) -> tuple[str, str]:
    """The summary line and the formula/Args text, without Raises/doctest."""
    doc = inspect.getdoc(cls) or ""
    summary, _, rest = doc.partition("\n")
    body = rest.split("\nRaises:")[0].split("\n>>>")[0].strip()
    return summary.strip(), body.replace("``", "").replace("::\n", ":\n")


def _plot(name: str, specs: list[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 2.4), dpi=80)
    t = np.arange(STEPS)
    for spec in specs:
        axes.plot(t, parse_schedule(spec)(t), label=spec, linewidth=1.5)
    axes.set_xlabel("step")
    axes.set_ylabel("factor")
    axes.set_xlim(0, STEPS - 1)
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    if len(specs) > 1:
        axes.legend(fontsize=6, loc="upper right", framealpha=0.9)
    figure.tight_layout()
    figure.savefig(HERE / "img" / f"{name}.png")
    plt.close(figure)


def _section(name: str, cls: type, arguments, image: str | None, specs) -> str:
    summary, body = _docstring_body(cls)
    lines = [f"### `{name}` ({cls.__name__})", "", summary, ""]
    if arguments:
        signature = ", ".join(
            a.name if a.default is REQUIRED else f"{a.name}={format_value(a.default)}"
            for a in arguments
        )
        lines += [f"Spec: `{name}({signature})`", ""]
    if image:
        lines += [f"![{name}]({image})", ""]
        lines += ["Drawn: " + "; ".join(f"`{spec}`" for spec in specs), ""]
    lines += ["```text", body, "```", ""]
    return "\n".join(lines)


def page() -> str:
    """The text of docs/schedules.md."""
    sections = []
    for info in list_schedules():
        specs = EXAMPLES[info.name]
        image = f"img/{info.name}.png"
        sections.append(_section(info.name, info.cls, info.arguments, image, specs))
    sections.append(
        _section("Lambda", Lambda, (), None, ()).replace(
            "### `Lambda` (Lambda)", "### `Lambda` (Python only, no spec name)"
        )
    )
    text = INTRO + "\n" + "\n".join(sections)
    return text.rstrip() + "\n"


def main() -> None:
    (HERE / "img").mkdir(exist_ok=True)
    for info in list_schedules():
        _plot(info.name, EXAMPLES[info.name])
    (HERE / "schedules.md").write_text(page())


if __name__ == "__main__":
    main()
