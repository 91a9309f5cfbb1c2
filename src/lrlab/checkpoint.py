"""Checkpoints of a training run: save after every epoch, resume exactly.

:func:`lrlab.training.train` (and ``train_many``) with ``checkpoint_dir``
writes ``checkpoint-000001.pt``, ``checkpoint-000002.pt``, ... into the
folder, one per epoch (the number is the count of epochs done), and keeps
the newest few. Each file holds everything a run needs to continue as if
it had never stopped:

- the weights and biases of every model (``model``);
- the optimizer's state: plain SGD keeps none between steps (no momentum,
  no weight decay), so ``optimizer`` only says so;
- each schedule as its spec string, with the next schedule step;
- the epoch done and the next one (the position in the data order: the
  shuffling generator's state draws the next epoch's permutation);
- the state of that generator, and for completeness the global states of
  torch, numpy and Python's ``random`` (training draws from none of them);
- the per-epoch records so far, and where a model diverged, if one did;
- the settings, a fingerprint of the data (SHA-256 of its arrays), the
  format version and a SHA-256 of all the contents.

Only tensors, numbers, strings, lists and dicts are stored, so a file
loads with ``torch.load(path, weights_only=True)``: a checkpoint from
elsewhere cannot run code. A file is written under a temporary name in the
same folder, flushed to disk and renamed over its final name, so a run
killed at any moment leaves the previous checkpoints whole.
"""

from __future__ import annotations

import hashlib
import io
import math
import pickle
import random
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lrlab import __version__
from lrlab._files import write_atomically
from lrlab.training import Divergence, EpochRecord, TensorData, TrainConfig

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "Checkpoint",
    "CheckpointError",
    "CheckpointMismatch",
    "CheckpointVersionError",
    "CheckpointWarning",
    "CheckpointWriter",
    "DataFingerprint",
    "Difference",
    "check_resume",
    "checkpoint_files",
    "data_fingerprint",
    "latest_checkpoint",
    "load_checkpoint",
]

FORMAT = "lrlab checkpoint"
FORMAT_VERSION = 1
_NAME = re.compile(r"checkpoint-(\d+)\.pt")
_RECORD_FIELDS = ("epoch", "lr", "train_loss", "test_accuracy", "seconds")


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message names the file and why."""


class CheckpointMismatch(CheckpointError):
    """A checkpoint made with other settings than the run that would resume it.

    ``differences`` lists them; the message names each one.
    """

    def __init__(self, differences: Sequence[Difference]) -> None:
        super().__init__("; ".join(str(difference) for difference in differences))
        self.differences = tuple(differences)


class CheckpointVersionError(CheckpointError):
    """A checkpoint written in a newer format than this lrlab reads."""


class CheckpointWarning(UserWarning):
    """A damaged checkpoint was skipped for an older one."""


@dataclass(frozen=True)
class Difference:
    """One setting that differs between a checkpoint and a run.

    >>> print(Difference("lr", "0.1", "0.2"))
    checkpoint was made with lr=0.1, this run has lr=0.2
    """

    name: str
    saved: str
    given: str

    def __str__(self) -> str:
        return (
            f"checkpoint was made with {self.name}={self.saved}, "
            f"this run has {self.name}={self.given}"
        )


@dataclass(frozen=True)
class DataFingerprint:
    """The SHA-256 of a dataset's four arrays, and their sizes."""

    sha256: str
    num_train: int
    num_test: int
    num_features: int

    def __str__(self) -> str:
        return (
            f"{self.num_train} training and {self.num_test} test images of "
            f"{self.num_features} pixels, sha256 {self.sha256[:12]}"
        )


def data_fingerprint(data: TensorData) -> DataFingerprint:
    """Hash the training and test images and labels (about 0.05 s for MNIST)."""
    digest = hashlib.sha256()
    for tensor in (
        data.train_images,
        data.train_labels,
        data.test_images,
        data.test_labels,
    ):
        _hash_tensor(digest, tensor)
    return DataFingerprint(
        digest.hexdigest(),
        len(data.train_labels),
        len(data.test_labels),
        data.num_features,
    )


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint as loaded by :func:`load_checkpoint`.

    Attributes:
        path: the file it was read from.
        epoch: epochs done; a resumed run starts with epoch + 1.
        config: the settings of the run that saved it.
        schedules: one spec string per model.
        data: the fingerprint of the data it was trained on.
        weight: S x 10 x features, one weight matrix per model.
        bias: S x 10.
        generator_state: the shuffling generator's state after ``epoch``.
        records: per model, the records of its epochs so far.
        divergences: per model, where it diverged, or None.
        global_rng: the global torch, numpy and Python random states.
    """

    path: Path
    epoch: int
    config: TrainConfig
    schedules: tuple[str, ...]
    data: DataFingerprint
    weight: torch.Tensor
    bias: torch.Tensor
    generator_state: torch.Tensor
    records: tuple[tuple[EpochRecord, ...], ...]
    divergences: tuple[Divergence | None, ...]
    global_rng: dict[str, Any]

    def differences(
        self,
        config: TrainConfig,
        schedules: Sequence[str],
        data: DataFingerprint,
    ) -> list[Difference]:
        """What a run with these settings would change.

        A larger ``epochs`` is not a difference: it extends the run (the
        schedules do not depend on the epoch count).
        """
        found = []
        if len(schedules) == len(self.schedules) == 1:
            saved, given = self.schedules[0], schedules[0]
            if saved != given:
                found.append(Difference("schedule", repr(saved), repr(given)))
        elif list(schedules) != list(self.schedules):
            saved, given = list(self.schedules), list(schedules)
            found.append(Difference("schedules", repr(saved), repr(given)))
        for name in ("lr", "batch_size", "seed"):
            saved, given = getattr(self.config, name), getattr(config, name)
            if saved != given:
                found.append(Difference(name, repr(saved), repr(given)))
        if config.epochs < self.config.epochs:
            found.append(
                Difference("epochs", str(self.config.epochs), str(config.epochs))
            )
        if data != self.data:
            found.append(Difference("data", f"({self.data})", f"({data})"))
        return found

    def restore_global_rng(self) -> None:
        """Set the global torch, numpy and Python random states to the saved ones.

        Training draws from none of them; this is for code around it that
        does (a callback, say), to continue its sequence as well.
        """
        torch.random.set_rng_state(self.global_rng["torch"])
        numpy_state = self.global_rng["numpy"]
        np.random.set_state(
            (
                "MT19937",
                numpy_state["key"].numpy().astype(np.uint32),
                numpy_state["pos"],
                numpy_state["has_gauss"],
                numpy_state["cached_gaussian"],
            )
        )
        python_state = self.global_rng["python"]
        random.setstate(
            (
                python_state["version"],
                tuple(python_state["state"]),
                python_state["gauss_next"],
            )
        )


def checkpoint_files(directory: str | Path) -> list[Path]:
    """The checkpoint files in ``directory``, oldest epoch first."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        match = _NAME.fullmatch(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return [path for _, path in sorted(found)]


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Read and check one checkpoint file.

    Raises:
        CheckpointVersionError: it was written in a newer format.
        CheckpointError: the file is missing, truncated, damaged or not an
            lrlab checkpoint (the message says which).
    """
    path = Path(path)
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such file") from None
    except pickle.UnpicklingError as error:
        if "weights only" not in str(error).lower():
            raise CheckpointError(f"{path}: truncated or damaged ({error})") from None
        raise CheckpointError(
            f"{path}: refused: it holds objects other than tensors, numbers, "
            f"strings, lists and dicts, and loading them could run code"
        ) from None
    except Exception as error:
        reason = " ".join(str(error).split()).split(". ")[0]
        raise CheckpointError(f"{path}: truncated or damaged ({reason})") from None

    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not an lrlab checkpoint")
    version = payload.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise CheckpointError(f"{path}: damaged (no format version)")
    if version > FORMAT_VERSION:
        raise CheckpointVersionError(
            f"{path}: written in checkpoint format {version!r} by lrlab "
            f"{payload.get('lrlab_version')}; this lrlab ({__version__}) reads "
            f"format {FORMAT_VERSION} and older: upgrade lrlab to resume it"
        )
    try:
        intact = payload.get("sha256") == _digest(payload)
        if intact:
            return _checkpoint(path, payload)
    except (
        AttributeError,
        IndexError,
        KeyError,
        RuntimeError,
        TypeError,
        ValueError,
    ) as error:
        raise CheckpointError(f"{path}: damaged ({error})") from None
    raise CheckpointError(f"{path}: damaged (its contents do not match their SHA-256)")


def latest_checkpoint(directory: str | Path) -> Checkpoint:
    """The newest checkpoint in ``directory`` that loads.

    A damaged newer file is skipped with a :class:`CheckpointWarning` that
    names it and says what is wrong.

    Raises:
        CheckpointVersionError: the newest file that loads is in a newer
            format (an older one is not used instead: that would drop the
            newer lrlab's progress).
        CheckpointError: no file in the folder loads; the message lists
            why for each, or says there are none.
    """
    files = checkpoint_files(directory)
    if not files:
        raise CheckpointError(f"no checkpoint in {str(directory)!r}")
    problems = []
    for path in reversed(files):
        try:
            checkpoint = load_checkpoint(path)
        except CheckpointVersionError:
            raise
        except CheckpointError as error:
            problems.append(str(error))
            continue
        for problem in problems:
            warnings.warn(
                f"skipped {problem}; using {path.name}",
                CheckpointWarning,
                stacklevel=2,
            )
        return checkpoint
    raise CheckpointError(
        f"no valid checkpoint in {str(directory)!r}: {'; '.join(problems)}"
    )


class CheckpointWriter:
    """Saves a run's checkpoints into a folder, keeping the newest ``keep``."""

    def __init__(
        self,
        directory: str | Path,
        *,
        keep: int,
        config: TrainConfig,
        schedules: Sequence[str],
        data: DataFingerprint,
    ) -> None:
        self.directory = Path(directory)
        self.keep = keep
        self.config = config
        self.schedules = tuple(schedules)
        self.data = data

    def save(
        self,
        epoch: int,
        params: torch.Tensor,
        generator_state: torch.Tensor,
        records: Sequence[Sequence[EpochRecord]],
        divergences: Sequence[Divergence | None],
    ) -> Path:
        """Write the checkpoint of ``epoch``; drop the ones beyond ``keep``.

        ``params`` is the S x 10 x (features + 1) stack of ``[W | b]``.
        """
        payload = self._payload(epoch, params, generator_state, records, divergences)
        payload["sha256"] = _digest(payload)
        path = self.directory / f"checkpoint-{epoch:06d}.pt"
        buffer = io.BytesIO()
        torch.save(payload, buffer)
        write_atomically(path, buffer.getvalue(), durable=True)
        self._prune(epoch)
        return path

    def _payload(
        self,
        epoch: int,
        params: torch.Tensor,
        generator_state: torch.Tensor,
        records: Sequence[Sequence[EpochRecord]],
        divergences: Sequence[Divergence | None],
    ) -> dict[str, Any]:
        features = params.shape[2] - 1
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "lrlab_version": __version__,
            "epoch": epoch,
            "next_epoch": epoch + 1,
            "config": {
                "epochs": self.config.epochs,
                "lr": self.config.lr,
                "batch_size": self.config.batch_size,
                "seed": self.config.seed,
            },
            "schedules": [
                {
                    "spec": spec,
                    "next_step": epoch,
                    "records": [_record_dict(record) for record in model_records],
                    "divergence": _divergence_dict(divergence),
                }
                for spec, model_records, divergence in zip(
                    self.schedules, records, divergences, strict=True
                )
            ],
            "model": {
                "weight": params[:, :, :features].clone(),
                "bias": params[:, :, features].clone(),
            },
            "optimizer": {
                "name": "sgd",
                "momentum": 0.0,
                "weight_decay": 0.0,
                "state": {},
                "note": "plain SGD keeps no state between steps",
            },
            "rng": {"generator": generator_state.clone(), **_global_rng()},
            "data": {
                "sha256": self.data.sha256,
                "num_train": self.data.num_train,
                "num_test": self.data.num_test,
                "num_features": self.data.num_features,
            },
        }

    def _prune(self, epoch: int) -> None:
        """Keep the newest ``keep`` up to ``epoch``; newer ones were skipped."""
        files = checkpoint_files(self.directory)
        kept = [path for path in files if _epoch_of(path) <= epoch][-self.keep :]
        for path in files:
            if path not in kept:
                path.unlink(missing_ok=True)


def prepare(
    config: TrainConfig,
    data: TensorData,
    schedules: Sequence[Callable[[int], float]],
    directory: str | Path | None,
    *,
    keep: int,
    resume_from: Checkpoint | None,
    allow_config_change: bool,
) -> CheckpointWriter | None:
    """Check a checkpointed or resumed run before it starts; its writer.

    Used by :func:`lrlab.training.train_many`.
    """
    from lrlab.schedules import Schedule
    from lrlab.spec import format_schedule

    if not isinstance(keep, int) or isinstance(keep, bool) or keep < 1:
        raise ValueError(f"keep_checkpoints must be a positive integer, got {keep!r}")
    for schedule in schedules:
        if not isinstance(schedule, Schedule):
            raise TypeError(
                "checkpoints need each schedule as an lrlab Schedule (its spec "
                f"string is saved), got {schedule!r}"
            )
    specs = [format_schedule(schedule) for schedule in schedules]
    fingerprint = data_fingerprint(data)

    if resume_from is not None:
        check_resume(
            resume_from,
            config,
            specs,
            fingerprint,
            allow_config_change=allow_config_change,
        )
    if directory is None:
        return None
    directory = Path(directory)
    existing = checkpoint_files(directory)
    resuming_here = resume_from is not None and _same_folder(
        resume_from.path.parent, directory
    )
    if existing and not resuming_here:
        raise CheckpointError(
            f"{str(directory)!r} already holds the checkpoints of a run (newest "
            f"{existing[-1].name}); resume from it or choose another folder"
        )
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob(".checkpoint-*.tmp"):
        stale.unlink(missing_ok=True)
    return CheckpointWriter(
        directory, keep=keep, config=config, schedules=specs, data=fingerprint
    )


def check_resume(
    checkpoint: Checkpoint,
    config: TrainConfig,
    schedules: Sequence[str],
    data: DataFingerprint,
    *,
    allow_config_change: bool = False,
) -> None:
    """Check that a run with these settings can continue from ``checkpoint``.

    Args:
        checkpoint: the checkpoint to resume.
        config, schedules, data: the run's settings, spec strings and data.
        allow_config_change: accept other settings, schedules or data, as
            long as the models still fit (same count, same image size) and
            the run asks for at least the epochs already done.

    Raises:
        CheckpointMismatch: the settings differ (and that is not allowed);
            the message names each difference.
        CheckpointError: the run cannot continue from it at all.
    """
    name = checkpoint.path.name
    impossible = []
    if len(schedules) != len(checkpoint.schedules):
        impossible.append(
            f"{name} holds {len(checkpoint.schedules)} models, this run trains "
            f"{len(schedules)}"
        )
    if data.num_features != checkpoint.data.num_features:
        impossible.append(
            f"{name} was trained on images of {checkpoint.data.num_features} "
            f"pixels, this run's have {data.num_features}"
        )
    if config.epochs < checkpoint.epoch:
        impossible.append(
            f"{name} has {checkpoint.epoch} epochs done, more than the "
            f"{config.epochs} epochs asked for"
        )
    differences = checkpoint.differences(config, schedules, data)
    if impossible:
        # Name the differences too, so that one attempt shows them all.
        problems = impossible + [
            str(difference)
            for difference in differences
            if not (difference.name == "epochs" and config.epochs < checkpoint.epoch)
        ]
        raise CheckpointError("; ".join(problems))
    if differences and not allow_config_change:
        raise CheckpointMismatch(differences)


def _checkpoint(path: Path, payload: dict[str, Any]) -> Checkpoint:
    config = TrainConfig(**payload["config"])
    models = payload["schedules"]
    data = DataFingerprint(**payload["data"])
    weight, bias = payload["model"]["weight"], payload["model"]["bias"]
    expected = (len(models), 10, data.num_features)
    if tuple(weight.shape) != expected or tuple(bias.shape) != expected[:2]:
        raise ValueError(f"model weights of shape {tuple(weight.shape)}")
    rng = payload["rng"]
    generator_state = rng["generator"]
    if not isinstance(generator_state, torch.Tensor) or (
        generator_state.dtype != torch.uint8
    ):
        raise ValueError("the generator state is not a byte tensor")
    return Checkpoint(
        path=path,
        epoch=int(payload["epoch"]),
        config=config,
        schedules=tuple(str(model["spec"]) for model in models),
        data=data,
        weight=weight,
        bias=bias,
        generator_state=generator_state,
        records=tuple(
            tuple(EpochRecord(**record) for record in model["records"])
            for model in models
        ),
        divergences=tuple(
            None if model["divergence"] is None else Divergence(**model["divergence"])
            for model in models
        ),
        global_rng={key: rng[key] for key in ("torch", "numpy", "python")},
    )


def _record_dict(record: EpochRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in _RECORD_FIELDS}


def _divergence_dict(divergence: Divergence | None) -> dict[str, Any] | None:
    if divergence is None:
        return None
    return {
        "epoch": divergence.epoch,
        "step": divergence.step,
        "lr": divergence.lr,
        "reason": divergence.reason,
    }


def _global_rng() -> dict[str, Any]:
    """The global random states, as tensors, numbers and lists only."""
    _, key, pos, has_gauss, cached = np.random.get_state(legacy=True)
    version, state, gauss_next = random.getstate()
    return {
        "torch": torch.random.get_rng_state(),
        "numpy": {
            "key": torch.from_numpy(key.astype(np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached),
        },
        "python": {
            "version": version,
            "state": list(state),
            "gauss_next": gauss_next,
        },
    }


def _digest(payload: dict[str, Any]) -> str:
    """SHA-256 of everything but the ``sha256`` entry, tensors by their bytes."""
    digest = hashlib.sha256()
    _feed(digest, {key: value for key, value in payload.items() if key != "sha256"})
    return digest.hexdigest()


def _feed(digest: Any, value: Any) -> None:
    if isinstance(value, torch.Tensor):
        _hash_tensor(digest, value)
    elif isinstance(value, dict):
        digest.update(b"{")
        for key in sorted(value):
            _feed(digest, key)
            _feed(digest, value[key])
        digest.update(b"}")
    elif isinstance(value, (list, tuple)):
        digest.update(b"[")
        for item in value:
            _feed(digest, item)
        digest.update(b"]")
    elif isinstance(value, float) and math.isnan(value):
        digest.update(b"nan;")
    else:
        digest.update(f"{type(value).__name__}:{value!r};".encode())


def _hash_tensor(digest: Any, tensor: torch.Tensor) -> None:
    digest.update(f"tensor {tensor.dtype} {tuple(tensor.shape)};".encode())
    digest.update(memoryview(tensor.contiguous().numpy()).cast("B"))


def _epoch_of(path: Path) -> int:
    match = _NAME.fullmatch(path.name)
    return int(match.group(1)) if match else -1


def _same_folder(first: Path, second: Path) -> bool:
    try:
        return first.resolve() == second.resolve()
    except OSError:
        return False
