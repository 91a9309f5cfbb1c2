"""Search spaces: a schedule spec in which ranges stand for numbers.

The grammar is the one of :mod:`lrlab.spec`, read by the same reader, plus
three forms allowed wherever a number, string or bool may stand::

    int(low, high)                 an integer in [low, high]
    int(low, high, step=2)         low, low + 2, ..., high
    int(low, high, log)            drawn on a log scale (low >= 1)
    float(low, high)               a real number in [low, high]
    float(low, high, log)          on a log scale (low > 0)
    choice(a, b, ...)              one of the listed numbers, words,
                                   true/false or none

``log`` may also be written ``log=true``. Each range is a parameter named
after where it stands: its argument name, prefixed by the arguments it is
nested in, with list items numbered from 0::

    step(step_size=int(1, 10), gamma=float(0.1, 0.9))
        -> step_size, gamma
    warmup(cosine(total_steps=int(5, 15)), warmup_steps=int(0, 3))
        -> schedule.total_steps, warmup_steps
    multistep(milestones=[int(2, 5), int(6, 10)])
        -> milestones.0, milestones.1

The base learning rate is a search space of its own (a number or one
range, parameter ``lr``).

>>> space = parse_space("step(step_size=int(1, 10), gamma=0.5)", "float(1e-3, 1, log)")
>>> list(space.dimensions())
['step_size', 'lr']
>>> from lrlab.spec import format_schedule
>>> schedule, lr = space.build({"step_size": 3, "lr": 0.05})
>>> format_schedule(schedule), lr
('step(step_size=3, gamma=0.5)', 0.05)
"""

from __future__ import annotations

import ast
import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lrlab.schedules import Schedule, fields, registry
from lrlab.spec import SpecError, SpecReader, format_value

if TYPE_CHECKING:
    import optuna

__all__ = [
    "Choice",
    "Dimension",
    "FloatRange",
    "IntRange",
    "SearchSpace",
    "parse_space",
]


@dataclass(frozen=True)
class IntRange:
    """Integers from ``low`` to ``high`` (both included), every ``step``."""

    low: int
    high: int
    step: int = 1
    log: bool = False

    def suggest(self, trial: optuna.Trial, name: str) -> int:
        return trial.suggest_int(
            name, self.low, self.high, step=self.step, log=self.log
        )

    def corners(self) -> tuple[int, int]:
        return self.low, self.high

    def __str__(self) -> str:
        extra = f", step={self.step}" if self.step != 1 else ""
        return f"int({self.low}, {self.high}{extra}{', log' if self.log else ''})"


@dataclass(frozen=True)
class FloatRange:
    """Real numbers from ``low`` to ``high``, on a log scale if ``log``."""

    low: float
    high: float
    log: bool = False

    def suggest(self, trial: optuna.Trial, name: str) -> float:
        return trial.suggest_float(name, self.low, self.high, log=self.log)

    def corners(self) -> tuple[float, float]:
        return self.low, self.high

    def __str__(self) -> str:
        return f"float({self.low!r}, {self.high!r}{', log' if self.log else ''})"


@dataclass(frozen=True)
class Choice:
    """One of ``options`` (numbers, strings, bools or None)."""

    options: tuple[Any, ...]

    def suggest(self, trial: optuna.Trial, name: str) -> Any:
        return trial.suggest_categorical(name, self.options)

    def corners(self) -> tuple[Any, Any]:
        return self.options[0], self.options[-1]

    def __str__(self) -> str:
        return f"choice({', '.join(format_value(o) for o in self.options)})"


Dimension = IntRange | FloatRange | Choice

# Chooses the value of one parameter: (name, dimension) -> value.
Chooser = Callable[[str, Dimension], Any]


@dataclass(frozen=True)
class SearchSpace:
    """A schedule search space and a base-lr search space, as parsed text.

    Attributes:
        schedule_text: the schedule spec with ranges, as given.
        lr_text: the base learning rate: a number or one range.
    """

    schedule_text: str
    lr_text: str

    def dimensions(self) -> dict[str, Dimension]:
        """The ranges by parameter name, in the order they appear."""
        return _corner(self, 0)

    def build(self, values: Mapping[str, Any] | Chooser) -> tuple[Schedule, float]:
        """The schedule and base lr for one point of the space.

        Args:
            values: the value of every parameter by name (e.g. a finished
                trial's ``params``), or a function ``(name, dimension) ->
                value`` called once per range (e.g. to ask an Optuna trial).

        Raises:
            ValueError, TypeError: the schedule or lr rejects these values.
            KeyError: a parameter is missing from ``values``.
        """
        choose = values if callable(values) else lambda name, _: values[name]
        schedule = _SpaceReader(self.schedule_text, choose).read()
        lr = _SpaceReader(self.lr_text, choose).read_lr()
        return schedule, lr

    def canonical(self) -> str:
        """Both spaces with the spacing and quoting normalized, for comparing."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "invalid escape sequence"
            schedule = ast.unparse(ast.parse(self.schedule_text.strip(), mode="eval"))
            lr = ast.unparse(ast.parse(self.lr_text.strip(), mode="eval"))
        return f"{schedule}; lr={lr}"


def parse_space(schedule_text: str, lr_text: str = "0.1") -> SearchSpace:
    """Read and check a search space: its syntax, and the ends of every range.

    The schedule is built twice, once with every range at its low end (and
    every choice at its first option), once at the high end (last option);
    both must be valid schedules, so that a range such as
    ``step_size=int(0, 10)`` is rejected before any training starts.

    Args:
        schedule_text: a schedule spec in which ranges may stand for values.
        lr_text: the base learning rate, a positive number or one range of
            positive numbers.

    Raises:
        TypeError: a text is not a string.
        SpecError: (a ``ValueError``) a syntax error or a bad range, with its
            position, or a space whose ends give invalid schedules.

    >>> parse_space("step(step_size=int(0, 10))")
    Traceback (most recent call last):
    ...
    lrlab.spec.SpecError: invalid search space 'step(step_size=int(0, 10))': \
its low end step_size=0 gives: step_size must be a positive integer, got 0
    """
    for text in (schedule_text, lr_text):
        if not isinstance(text, str):
            raise TypeError(f"search space must be a string, got {text!r}")
        if not text.strip():
            raise SpecError(f"invalid search space {text!r}: it is empty")

    space = SearchSpace(schedule_text, lr_text)
    _corner(space, 0)
    _corner(space, 1)
    return space


def _corner(space: SearchSpace, index: int) -> dict[str, Dimension]:
    """Build the space with every range at one end; return the ranges."""
    found: dict[str, Dimension] = {}
    chosen: dict[str, Any] = {}

    def choose(name: str, dimension: Dimension) -> Any:
        found[name] = dimension
        chosen[name] = dimension.corners()[index]
        return chosen[name]

    for text, read in (
        (space.schedule_text, lambda r: r.read()),
        (space.lr_text, lambda r: r.read_lr()),
    ):
        try:
            read(_SpaceReader(text, choose))
        except SpecError:
            raise
        except (ValueError, TypeError) as error:
            end = ("low", "high")[index]
            shown = ", ".join(f"{n}={format_value(v)}" for n, v in chosen.items())
            at = f"its {end} end {shown} gives" if shown else "it gives"
            raise SpecError(f"invalid search space {text!r}: {at}: {error}") from None
    return found


_KINDS = ("int", "float", "choice")


class _SpaceReader(SpecReader):
    """The spec reader, with ranges where values may stand.

    It knows the parameter name of every argument it reads, and asks
    ``choose`` for the value of each range.
    """

    label = "search space"

    def __init__(self, text: str, choose: Chooser) -> None:
        super().__init__(text)
        self.choose = choose
        self.names: dict[int, str] = {}

    def read_lr(self) -> float:
        """Read a positive number or one range of positive numbers."""
        node = self.tree().body
        kind = _kind(node) if isinstance(node, ast.Call) else None
        if kind is not None:
            dimension = self._dimension(kind, node)
            values = getattr(dimension, "options", dimension.corners())
            for value in values:
                if not _positive(value):
                    message = f"lr must be positive numbers, got {value!r}"
                    raise self.error(node, message)
            return float(self.choose("lr", dimension))

        value = self.read_number(node)
        if value is None or not _positive(value):
            raise self.error(
                node,
                "lr must be a positive number or a range such as "
                f"float(1e-3, 1, log), got {self.source(node)}",
            )
        return float(value)

    def read_schedule(self, node: ast.AST) -> Schedule:
        if isinstance(node, ast.Call) and _kind(node) is not None:
            raise self.error(
                node, f"expected a schedule such as step(...), got {self.source(node)}"
            )
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            self._name_arguments(node)
        return super().read_schedule(node)

    def _name_arguments(self, node: ast.Call) -> None:
        cls = registry().get(node.func.id)
        if cls is None:
            return
        prefix = self.names.get(id(node), "")
        prefix = f"{prefix}." if prefix else ""
        names = [f.name for f in fields(cls)]
        for name, arg in zip(names, node.args, strict=False):
            self.names[id(arg)] = prefix + name
        for item in node.keywords:
            if item.arg is not None:
                self.names[id(item.value)] = prefix + item.arg

    def read_value(self, node: ast.AST) -> Any:
        kind = _kind(node) if isinstance(node, ast.Call) else None
        if kind is not None:
            name = self.names.get(id(node))
            if name is None:
                raise self.error(node, f"{kind}() cannot stand here")
            return self.choose(name, self._dimension(kind, node))
        if isinstance(node, (ast.List, ast.Tuple)):
            prefix = self.names.get(id(node), "?")
            for index, item in enumerate(node.elts):
                self.names[id(item)] = f"{prefix}.{index}"
        return super().read_value(node)

    def _dimension(self, kind: str, node: ast.Call) -> Dimension:
        if kind == "choice":
            return self._choice(node)

        args = list(node.args)
        options: dict[str, Any] = {"log": False}
        if len(args) > 2 and _is_word(args[2], "log"):
            options["log"] = True
            args.pop(2)
        valid = "low, high, step, log" if kind == "int" else "low, high, log"
        if len(args) != 2:
            raise self.error(
                node,
                f"{kind}() takes low and high, then optionally log; got "
                f"{self.source(node)}",
            )
        for item in node.keywords:
            if item.arg not in valid.split(", ") or item.arg in ("low", "high"):
                raise self.error(
                    item, f"{kind}() has no argument {item.arg!r}; valid: {valid}"
                )
            options[item.arg] = self._literal(item.value)
        low, high = (self._range_number(kind, arg) for arg in args)
        return self._checked_range(kind, node, low, high, options)

    def _checked_range(
        self, kind: str, node: ast.Call, low: Any, high: Any, options: dict[str, Any]
    ) -> Dimension:
        log, step = options["log"], options.get("step", 1)
        if not isinstance(log, bool):
            raise self.error(node, f"{kind}() log must be true or false, got {log!r}")
        if not low < high:
            raise self.error(
                node, f"{kind}() needs low < high, got low={low!r}, high={high!r}"
            )
        if log and low <= 0:
            raise self.error(node, f"{kind}(..., log) needs low > 0, got low={low!r}")
        if kind == "float":
            return FloatRange(float(low), float(high), log)

        if not _is_int(step) or step < 1:
            raise self.error(
                node, f"int() step must be a positive integer, got {step!r}"
            )
        if log and step != 1:
            raise self.error(node, "int() cannot have both log and step")
        if (high - low) % step:
            raise self.error(
                node,
                f"int() needs high - low to be a multiple of step, got low={low}, "
                f"high={high}, step={step}",
            )
        return IntRange(low, high, step, log)

    def _range_number(self, kind: str, node: ast.AST) -> int | float:
        value = self.read_number(node)
        if value is None or not math.isfinite(value):
            raise self.error(
                node, f"{kind}() bounds must be numbers, got {self.source(node)}"
            )
        if kind == "int" and not _is_int(value):
            raise self.error(
                node, f"int() bounds must be integers, got {self.source(node)}"
            )
        return value

    def _choice(self, node: ast.Call) -> Choice:
        if node.keywords:
            raise self.error(node.keywords[0], "choice() takes no keyword arguments")
        if not node.args:
            raise self.error(node, "choice() needs at least one option")
        options = tuple(self._literal(arg) for arg in node.args)
        for index, option in enumerate(options):
            if any(_same(option, earlier) for earlier in options[:index]):
                shown = self.source(node.args[index])
                raise self.error(node.args[index], f"choice() lists {shown} twice")
        return Choice(options)

    def _literal(self, node: ast.AST) -> Any:
        """A number, a word, a quoted string, true/false or none."""
        number = self.read_number(node)
        if number is not None:
            return number
        if isinstance(node, ast.Name):
            words = {"true": True, "false": False, "none": None}
            return words.get(node.id.lower(), node.id)
        if isinstance(node, ast.Constant) and (
            node.value is None or isinstance(node.value, (bool, str))
        ):
            return node.value
        raise self.error(
            node,
            f"expected a number, a word, true/false or none, got {self.source(node)}",
        )


def _kind(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Name) and func.id in _KINDS:
        return func.id
    return None


def _is_word(node: ast.AST, word: str) -> bool:
    return isinstance(node, ast.Name) and node.id == word


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _positive(value: Any) -> bool:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return number and math.isfinite(value) and value > 0


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b
