"""Settings of a comparison, read from a TOML file or written back to one.

A file for ``lrlab compare --config`` holds any of these top-level keys;
the command line overrides each one it is given::

    title = "Three decays"            # heading of the report (optional)
    epochs = 15                        # as lrlab train --epochs
    lr = 0.1                           # base learning rate
    batch_size = 100
    seed = 0
    data_dir = "mnist"                 # folder of the four IDX files
    out = "runs/cmp1"                  # output folder

    # Schedules as spec strings ...
    schedules = ["exponential(gamma=0.8)", "cosine(total_steps=15)"]

    # ... or as tables (instead of the list above, not with it):
    # [[schedules]]
    # name = "step"
    # step_size = 5
    # gamma = 0.5
    #
    # [[schedules]]
    # spec = "cosine(total_steps=15)"

In a table, ``name`` is the spec name and the other keys are its
arguments (a nested schedule is a nested table with its own ``name``);
``spec`` holds a whole spec string instead. A list may mix strings and
inline tables. Relative paths are relative to the file's folder. Any
other key is an error that names it.

:func:`read_config` reads a file, :meth:`CompareConfig.to_toml` writes the
settings of a run in the same format, so that the file a run leaves in its
output folder repeats it.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from lrlab.spec import format_schedule, format_value, parse_schedule
from lrlab.training import TrainConfig

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

__all__ = [
    "KEYS",
    "CompareConfig",
    "ConfigError",
    "canonical_spec",
    "read_config",
    "schedule_spec",
]

_DEFAULTS = TrainConfig()
KEYS = (
    "title",
    "epochs",
    "lr",
    "batch_size",
    "seed",
    "data_dir",
    "out",
    "schedules",
)


class ConfigError(ValueError):
    """A settings file or value that cannot be used; the message says where."""


@dataclass(frozen=True)
class CompareConfig:
    """Everything that decides the outcome of a comparison.

    Attributes:
        schedules: the schedules, as canonical spec strings (see
            :func:`canonical_spec`), at least one, no two alike.
        epochs, lr, batch_size, seed: as in :class:`~lrlab.training.TrainConfig`,
            with its defaults.
        data_dir: the folder of the MNIST files, or None for the bundled copy.
        title: a heading for the report, or None.
    """

    schedules: tuple[str, ...]
    epochs: int = _DEFAULTS.epochs
    lr: float = _DEFAULTS.lr
    batch_size: int = _DEFAULTS.batch_size
    seed: int = _DEFAULTS.seed
    data_dir: str | None = None
    title: str | None = None

    def __post_init__(self) -> None:
        if not self.schedules:
            raise ConfigError("schedules must list at least one schedule, got none")
        seen = set()
        for spec in self.schedules:
            if spec in seen:
                raise ConfigError(f"schedules: {spec!r} is listed twice")
            seen.add(spec)
        self.train_config()

    def train_config(self) -> TrainConfig:
        """The training settings; raises ConfigError for a bad value."""
        try:
            return TrainConfig(
                epochs=self.epochs,
                lr=self.lr,
                batch_size=self.batch_size,
                seed=self.seed,
            )
        except ValueError as error:
            raise ConfigError(str(error)) from None

    def as_dict(self) -> dict[str, Any]:
        """The settings as plain values (None for the ones not set)."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}

    def to_toml(self) -> str:
        """The settings in the format :func:`read_config` reads.

        >>> print(CompareConfig(schedules=("constant()",), epochs=2).to_toml())
        epochs = 2
        lr = 0.1
        batch_size = 100
        seed = 0
        schedules = [
            "constant()",
        ]
        <BLANKLINE>
        """
        import tomli_w

        values = self.as_dict()
        document = {k: values[k] for k in KEYS if values.get(k) is not None}
        return tomli_w.dumps(document)


def read_config(path: str | Path) -> dict[str, Any]:
    """Read the settings in a TOML file; only the keys it holds are returned.

    Schedules come back as canonical spec strings (a tuple) and
    ``data_dir`` and ``out`` as paths made absolute against the file's
    folder. The values are checked as :class:`CompareConfig` checks them.

    Raises:
        ConfigError: the file cannot be read or is not TOML, a key is
            unknown, or a value is wrong; the message starts with the
            file's path and names the key.
    """
    path = Path(path)
    try:
        with path.open("rb") as file:
            document = tomllib.load(file)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{path}: not valid TOML: not UTF-8 text (byte {error.start} is "
            f"{error.object[error.start : error.start + 1]!r})"
        ) from None

    try:
        return _settings(document, path.resolve().parent)
    except ConfigError as error:
        raise ConfigError(f"{path}: {error}") from None


def _settings(document: Mapping[str, Any], folder: Path) -> dict[str, Any]:
    unknown = [key for key in document if key not in KEYS]
    if unknown:
        raise ConfigError(f"unknown key {unknown[0]!r}; valid keys: {', '.join(KEYS)}")

    settings: dict[str, Any] = {}
    for key, value in document.items():
        if key == "schedules":
            settings[key] = _schedules(value)
        elif key in ("data_dir", "out", "title"):
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{key} must be a non-empty string, got {value!r}")
            settings[key] = value if key == "title" else str(folder / value)
        else:
            settings[key] = value

    # Check the numbers now, with the defaults standing in for the rest.
    numbers = ("epochs", "lr", "batch_size", "seed")
    CompareConfig(
        schedules=("constant()",), **{k: settings[k] for k in numbers if k in settings}
    )
    return settings


def _schedules(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ConfigError(
            f"schedules must be a list of spec strings or tables, got {value!r}"
        )
    specs = tuple(
        schedule_spec(item, f"schedules[{index}]") for index, item in enumerate(value)
    )
    if not specs:
        raise ConfigError("schedules must list at least one schedule, got none")
    return specs


def schedule_spec(item: str | Mapping[str, Any], where: str = "schedule") -> str:
    """The canonical spec of a schedule given as a spec string or a table.

    >>> schedule_spec({"name": "step", "step_size": 5, "gamma": 0.5})
    'step(step_size=5, gamma=0.5)'
    >>> schedule_spec({"spec": "exponential(0.8)"})
    'exponential(gamma=0.8)'

    Raises:
        ConfigError: naming ``where``, when the table is malformed or the
            schedule cannot be built.
    """
    if isinstance(item, str):
        return canonical_spec(item, where)
    if not isinstance(item, Mapping):
        raise ConfigError(f"{where} must be a spec string or a table, got {item!r}")
    if "spec" in item:
        if len(item) > 1:
            others = ", ".join(repr(key) for key in item if key != "spec")
            raise ConfigError(
                f"{where}: a table with 'spec' takes no other keys, got {others}"
            )
        if not isinstance(item["spec"], str):
            raise ConfigError(f"{where}.spec must be a string, got {item['spec']!r}")
        return canonical_spec(item["spec"], where)
    return canonical_spec(_table_text(item, where), where)


def canonical_spec(text: str, where: str = "schedule") -> str:
    """Parse a spec string and write it back in its one canonical form.

    >>> canonical_spec("step(5, 0.5)")
    'step(step_size=5, gamma=0.5)'

    Raises:
        ConfigError: naming ``where``, when the spec does not parse or the
            schedule's arguments are wrong.
    """
    try:
        return format_schedule(parse_schedule(text))
    except (ValueError, TypeError) as error:
        message = str(error)
        if text not in message:
            message += f" (in {text!r})"
        raise ConfigError(f"{where}: {message}") from None


def _table_text(table: Mapping[str, Any], where: str) -> str:
    """The spec string of a table such as {name = "step", step_size = 5}."""
    name = table.get("name")
    if not isinstance(name, str):
        raise ConfigError(
            f"{where} needs a 'name' (a schedule such as \"step\") or a 'spec', "
            f"got {dict(table)!r}"
        )
    arguments = []
    for key, value in table.items():
        if key == "name":
            continue
        arguments.append(f"{key}={_value_text(value, f'{where}.{key}')}")
    return f"{name}({', '.join(arguments)})"


def _value_text(value: Any, where: str) -> str:
    if isinstance(value, Mapping):
        return _table_text(value, where)
    if isinstance(value, list):
        items = [_value_text(item, f"{where}[{i}]") for i, item in enumerate(value)]
        return "[" + ", ".join(items) + "]"
    try:
        return format_value(value)
    except ValueError:
        raise ConfigError(
            f"{where} must be a number, string, boolean, list or table, got {value!r}"
        ) from None


def _plain(value: Any) -> Any:
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return value
