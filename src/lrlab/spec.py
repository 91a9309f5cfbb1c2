"""Spec strings: one text form for every schedule, parsed without eval.

Grammar (a subset of Python call syntax, parsed with ``ast`` and walked;
nothing is ever evaluated)::

    spec     := name | name "(" [args] ")"
    args     := value ("," value)* ("," name "=" value)*  |  name "=" value ...
    value    := number | string | bool | none | list | spec
    number   := any Python int or float literal, with an optional sign
                (5, -1, 0.5, .5, 1e-3, 1_000)
    string   := a bare word (cos) or a quoted string ("cos", 'cos')
    bool     := true | false   (True | False also accepted)
    none     := none           (None also accepted): "not given", for an
                optional argument whose default is none
    list     := "[" [value ("," value)*] "]"   (parentheses also accepted)

Positional arguments follow the constructor order of the schedule class.
A bare name at the top level (``constant``) means the schedule with its
defaults; a bare word inside the arguments is a string. Nested specs
compose schedules::

    warmup(cosine(total_steps=100), warmup_steps=5)
    sequence([constant(1), exponential(0.9)], boundaries=[10])

>>> s = parse_schedule("step(step_size=5, gamma=0.5)")
>>> s(4), s(5)
(1.0, 0.5)
>>> format_schedule(s)
'step(step_size=5, gamma=0.5)'
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import inspect
import keyword
import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

from lrlab.schedules import Schedule, fields, registry

__all__ = [
    "REQUIRED",
    "Argument",
    "ScheduleInfo",
    "SpecError",
    "SpecReader",
    "format_schedule",
    "format_value",
    "list_schedules",
    "parse_schedule",
]


class SpecError(ValueError):
    """A spec string that cannot be read: syntax, unknown name or argument."""


class _Required:
    """Marker for an argument without a default."""

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


@dataclass(frozen=True)
class Argument:
    """One constructor argument: its name and default (or ``REQUIRED``)."""

    name: str
    default: Any

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass(frozen=True)
class ScheduleInfo:
    """A registered schedule: spec name, class, arguments, one-line summary.

    ``summary`` is the first line of the class docstring as plain text.
    """

    name: str
    cls: type[Schedule]
    arguments: tuple[Argument, ...]
    summary: str


def list_schedules() -> list[ScheduleInfo]:
    """Return every registered schedule, sorted by spec name.

    >>> [info.name for info in list_schedules()][:3]
    ['constant', 'cosine', 'cosine_restarts']
    >>> step = {info.name: info for info in list_schedules()}["step"]
    >>> [(a.name, a.default) for a in step.arguments]
    [('step_size', REQUIRED), ('gamma', 0.1)]
    """
    infos = []
    for name, cls in registry().items():
        arguments = tuple(Argument(f.name, _default(f)) for f in fields(cls))
        doc = inspect.getdoc(cls) or ""
        summary = doc.splitlines()[0].replace("``", "") if doc else ""
        infos.append(ScheduleInfo(name, cls, arguments, summary))
    return infos


def _default(field: dataclasses.Field[Any]) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return REQUIRED


def parse_schedule(text: str) -> Schedule:
    """Build the schedule that the spec string ``text`` describes.

    Args:
        text: a spec such as ``"cosine(total_steps=100, min_factor=0.1)"``.

    Raises:
        TypeError: if ``text`` is not a string, or an argument value has
            the wrong type for its schedule.
        SpecError: (a ``ValueError``) with a one-line message for a syntax
            error (with its 0-based position in ``text``), an unknown
            schedule name (listing the known ones), an unknown argument
            (listing the valid ones), a missing required argument, or a
            value that is not a number, string, bool, list or spec.
        ValueError: if an argument value is out of range for its schedule.

    >>> parse_schedule("exponential(0.5)")(2)
    0.25
    >>> parse_schedule("step(5,")
    Traceback (most recent call last):
    ...
    lrlab.spec.SpecError: invalid spec 'step(5,' at position 4: '(' was never closed
    """
    if not isinstance(text, str):
        raise TypeError(f"spec must be a string, got {text!r}")
    if not text.strip():
        raise SpecError(f"invalid spec {text!r}: it is empty")

    return SpecReader(text).read()


class SpecReader:
    """Read one spec string: walk its syntax tree, allowing only literals.

    ``parse_schedule(text)`` is ``SpecReader(text).read()``. The class is
    also the extension point for grammars built on specs (the search
    spaces of :mod:`lrlab.search_space` are one): subclass it and override

    - ``read_value(node)``, called for every argument value and every list
      item, to accept more forms where a value may stand;
    - ``read_schedule(node)``, called for every node that must be a
      schedule (the whole text, and each nested call);
    - ``label``, the word error messages name the text with.

    and build errors with ``error(node, message)``, which adds the text
    and the position. ``source``, ``node_position`` and ``read_number``
    help along the way. These names and their behaviour are kept stable.

    Attributes:
        text: the text as given.
        indent: the number of leading blank characters, left out of the
            parse; positions in messages count them, so they point into
            ``text``.

    >>> import ast
    >>> class Halves(SpecReader):
    ...     def read_value(self, node):
    ...         if isinstance(node, ast.Name) and node.id == "half":
    ...             return 0.5
    ...         return super().read_value(node)
    >>> Halves("step(5, gamma=half)").read()
    Step(step_size=5, gamma=0.5)
    """

    label: ClassVar[str] = "spec"

    def __init__(self, text: str) -> None:
        self.text = text
        # ast wants no leading indentation; keep positions in the original.
        self.indent = len(text) - len(text.lstrip())
        self._lines = text[self.indent :].splitlines(keepends=True)

    def read(self) -> Schedule:
        """The schedule the whole text describes; a bare name is a call."""
        tree = self.tree()
        body = tree.body
        if isinstance(body, ast.Name):
            body = ast.Call(func=body, args=[], keywords=[])
            ast.copy_location(body, tree.body)
        return self.read_schedule(body)

    def tree(self) -> ast.Expression:
        """The syntax tree of the text; a syntax error is a SpecError."""
        try:
            with warnings.catch_warnings():
                # "invalid decimal literal" (5if) and the like: the error, if
                # any, is reported below; a warning would be a second line.
                warnings.simplefilter("ignore")
                return ast.parse(self.text[self.indent :], mode="eval")
        except SyntaxError as error:
            position = self.position(error.lineno or 1, (error.offset or 1) - 1)
            message = (error.msg or "syntax error").strip()
            raise self.error(position, message) from None
        except (RecursionError, MemoryError):
            # Python's parser gives up on a few thousand nested operators
            # (1+1+...+1, ----1, a.a.a...): no spec comes near that.
            raise self.error(0, "too deeply nested to read") from None

    def position(self, lineno: int, char_col: int) -> int:
        """The 0-based place in ``text`` of a line (from 1) and column."""
        before = sum(len(line) for line in self._lines[: lineno - 1])
        return self.indent + before + max(char_col, 0)

    def node_position(self, node: ast.AST) -> int:
        """The 0-based place in ``text`` where ``node`` starts."""
        # ast reports byte offsets; convert to a character offset.
        lineno = getattr(node, "lineno", 1)
        line = self._lines[lineno - 1] if self._lines else ""
        byte_col = getattr(node, "col_offset", 0)
        char_col = len(line.encode()[:byte_col].decode(errors="ignore"))
        return self.position(lineno, char_col)

    def error(self, where: int | ast.AST, message: str) -> SpecError:
        """A one-line SpecError naming the text and the place of ``where``.

        ``where`` is a node or a 0-based position in ``text``.
        """
        position = where if isinstance(where, int) else self.node_position(where)
        text = _shorten(repr(self.text), 120)
        return SpecError(
            f"invalid {self.label} {text} at position {position}: {message}"
        )

    def source(self, node: ast.AST) -> str:
        """The text of ``node`` for a message: on one line, long text cut."""
        segment = ast.get_source_segment(self.text[self.indent :], node) or "?"
        return _shorten(" ".join(segment.split()), 80)

    def read_number(self, node: ast.AST) -> int | float | None:
        """The value of a numeric literal with an optional sign, else None.

        Raises:
            SpecError: for an integer literal beyond the float range.
        """
        number = _number(node)
        if number is not None and not _fits_float(number):
            raise self.error(node, _too_large(self.source(node)))
        return number

    def read_schedule(self, node: ast.AST) -> Schedule:
        """Build the schedule a call node describes, its values read in turn.

        Each argument value goes through ``read_value``.
        """
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            raise self.error(
                node,
                f"expected a schedule such as cosine(total_steps=100), "
                f"got {self.source(node)}",
            )
        known = registry()
        name = node.func.id
        if name not in known:
            raise self.error(node, _unknown_name(name, list(known)))
        cls = known[name]
        names = [f.name for f in fields(cls)]
        valid = "valid arguments: " + ", ".join(names)

        if len(node.args) > len(names):
            extra = node.args[len(names)]
            raise self.error(
                extra,
                f"{name}() takes at most {len(names)} positional argument(s), "
                f"got {len(node.args)}; {valid}",
            )
        kwargs = {
            n: self.read_value(arg) for n, arg in zip(names, node.args, strict=False)
        }
        for item in node.keywords:
            if item.arg is None:
                raise self.error(item, f"'**' is not allowed in a spec; {valid}")
            if item.arg not in names:
                message = f"{name}() has no argument {item.arg!r}; {valid}"
                raise self.error(item, message)
            if item.arg in kwargs:
                message = f"{name}() got argument {item.arg!r} twice"
                raise self.error(item, message)
            kwargs[item.arg] = self.read_value(item.value)
        missing = [
            f.name
            for f in fields(cls)
            if _default(f) is REQUIRED and f.name not in kwargs
        ]
        if missing:
            listed = ", ".join(repr(m) for m in missing)
            message = f"{name}() is missing required argument(s) {listed}; {valid}"
            raise self.error(node, message)

        return cls(**kwargs)

    def read_value(self, node: ast.AST) -> Any:
        """The value of an argument or list item.

        A number, a word or quoted string, true/false, none, a list (each
        item read by ``read_value``) or a schedule (``read_schedule``).
        """
        if isinstance(node, ast.Call):
            return self.read_schedule(node)
        if isinstance(node, (ast.List, ast.Tuple)):
            return [self.read_value(item) for item in node.elts]
        if isinstance(node, ast.Name):
            words = {"true": True, "false": False, "none": None}
            return words.get(node.id.lower(), node.id)
        if isinstance(node, ast.Constant) and (
            node.value is None or isinstance(node.value, (bool, str))
        ):
            return node.value
        number = self.read_number(node)
        if number is not None:
            return number
        raise self.error(
            node,
            "expected a number, a string, true/false, none, a list or a schedule, "
            f"got {self.source(node)}",
        )


def _number(node: ast.AST) -> int | float | None:
    """Return the value of a numeric literal with an optional sign."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -1 if isinstance(node.op, ast.USub) else 1
        node = node.operand
    if not isinstance(node, ast.Constant):
        return None
    value = node.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return sign * value


def _fits_float(number: int | float) -> bool:
    """False for an int literal beyond the float range (10**400, 0xfff...)."""
    try:
        float(number)
    except OverflowError:
        return False
    return True


def _too_large(source: str) -> str:
    shown = _shorten(source, 40)
    return f"number too large (the largest is about 1.8e308), got {shown}"


def _shorten(text: str, limit: int) -> str:
    """``text``, or its start and its length when longer than ``limit``."""
    if len(text) <= limit:
        return text
    return f"{text[: limit // 2]}... ({len(text)} characters)"


def _unknown_name(name: str, known: list[str]) -> str:
    message = f"unknown schedule {name!r}"
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        message += f" (did you mean {close[0]!r}?)"
    return message + "; known schedules: " + ", ".join(known)


def format_schedule(schedule: Schedule) -> str:
    """Return the spec string of ``schedule``; ``parse_schedule`` inverts it.

    Arguments equal to their default are left out; the others are written
    as keywords in constructor order.

    Raises:
        TypeError: if ``schedule`` is not a ``Schedule``.
        ValueError: if the schedule (or one nested in it) has no spec name,
            such as ``Lambda``, which wraps a Python callable.

    >>> from lrlab.schedules import Exponential
    >>> format_schedule(Exponential(gamma=0.9, staircase=True))
    'exponential(gamma=0.9, staircase=true)'
    """
    if not isinstance(schedule, Schedule):
        raise TypeError(f"schedule must be a Schedule, got {schedule!r}")
    cls = type(schedule)
    name = getattr(cls, "name", None)
    if name is None or registry().get(name) is not cls:
        raise ValueError(
            f"{cls.__name__} has no spec name, so it cannot be written as a "
            f"spec string: {schedule!r}"
        )

    parts = []
    for field in fields(cls):
        value = getattr(schedule, field.name)
        default = _default(field)
        if type(value) is type(default) and value == default:
            continue
        parts.append(f"{field.name}={format_value(value)}")

    return f"{name}({', '.join(parts)})"


def format_value(value: Any) -> str:
    """Return ``value`` as written in a spec (``true``, ``[1, 2]``, ``cos``).

    >>> format_value(False), format_value((1, 2.5)), format_value("cos")
    ('false', '[1, 2.5]', 'cos')
    """
    if isinstance(value, Schedule):
        return format_schedule(value)
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        bare = value.isidentifier() and not keyword.iskeyword(value)
        if bare and value.lower() not in ("true", "false", "none"):
            return value
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(item) for item in value) + "]"
    raise ValueError(f"cannot write {value!r} in a spec string")
