"""Train the classic MNIST lesson under a learning-rate schedule.

The lesson: one ``Linear(784, 10)`` layer, cross-entropy loss, plain SGD
(no momentum, no weight decay), batches of 100 shuffled training images
(the last partial batch dropped), one schedule value per epoch::

    lr during epoch e (1-based) = config.lr * schedule(e - 1)

:func:`train` never prints; it calls ``on_epoch`` with an
:class:`EpochRecord` after each epoch and returns them all.
:func:`train_many` trains one model per schedule, all at once, from the
same initial weights and through the same batches; :func:`train` is its
one-schedule case.

With ``checkpoint_dir`` both save a checkpoint after every epoch, and with
``resume_from`` they continue from one exactly as if the run had never
stopped (see :mod:`lrlab.checkpoint`). A loss that becomes nan or
infinite stops the model at that epoch: :func:`train` raises
:class:`TrainingDiverged`, naming the epoch, the step and the lr.

Note:
    The gradient and the SGD step are written out by hand (softmax minus
    the one-hot label, times the inputs; then ``W -= lr * gradient``)
    instead of going through autograd and ``torch.optim.SGD``. For this
    model it is the same computation, but the fixed cost per step of
    autograd (about 100 us) and of ``SGD.step()`` (20 to 45 us) is larger
    than the arithmetic itself (about 60 us), and the lesson takes 9,000
    steps. The tests check the weights against autograd and
    ``torch.optim.SGD`` after whole epochs. The loop handles only this
    model and plain SGD.
"""

from __future__ import annotations

import contextlib
import math
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from lrlab.data import MNIST

if TYPE_CHECKING:
    from lrlab.checkpoint import Checkpoint, CheckpointWriter

__all__ = [
    "Divergence",
    "EpochRecord",
    "TensorData",
    "TrainConfig",
    "TrainResult",
    "TrainingDiverged",
    "train",
    "train_many",
]

NUM_CLASSES = 10
_FLOAT32_MAX = float(torch.finfo(torch.float32).max)


@dataclass(frozen=True)
class TrainConfig:
    """Settings of a training run; the defaults are the classic lesson's.

    Args:
        epochs: passes over the training set, >= 1.
        lr: base learning rate, > 0; the schedule multiplies it.
        batch_size: images per SGD step, >= 1 and at most the number of
            training images.
        seed: seeds the initial weights and the shuffling, 0 <= seed < 2**63.
            The same seed gives the same run on the same machine and
            thread count.
    """

    epochs: int = 15
    lr: float = 0.1
    batch_size: int = 100
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if not _is_int(value) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not _is_number(self.lr) or not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a positive number, got {self.lr!r}")
        if not _is_int(self.seed) or not 0 <= self.seed < 2**63:
            raise ValueError(
                f"seed must be an integer from 0 to 2**63 - 1, got {self.seed!r}"
            )


@dataclass(frozen=True)
class EpochRecord:
    """What happened in one epoch.

    Attributes:
        epoch: 1-based epoch number.
        lr: learning rate used for every step of the epoch.
        train_loss: mean cross-entropy over the epoch's batches, measured
            on each batch just before its update.
        test_accuracy: fraction of test images classified correctly after
            the epoch.
        seconds: wall time of the epoch, evaluation included.
    """

    epoch: int
    lr: float
    train_loss: float
    test_accuracy: float
    seconds: float


@dataclass(frozen=True)
class Divergence:
    """Where a run diverged: the first step whose loss was not finite.

    Attributes:
        epoch: 1-based epoch of that step.
        step: 1-based step within the epoch.
        lr: learning rate of the epoch.
        reason: what was not finite, e.g. ``"loss is nan"``.

    >>> print(Divergence(epoch=1, step=37, lr=100.0, reason="loss is nan"))
    training diverged at epoch 1, step 37: loss is nan at lr 100
    """

    epoch: int
    step: int
    lr: float
    reason: str

    def __str__(self) -> str:
        return (
            f"training diverged at epoch {self.epoch}, step {self.step}: "
            f"{self.reason} at lr {self.lr:g}"
        )


@dataclass(frozen=True)
class TrainResult:
    """The per-epoch records and the trained model.

    Attributes:
        records: one per epoch completed with a finite loss.
        model: the weights after the last of those epochs.
        divergence: where the run diverged, or None if it did not.
    """

    records: tuple[EpochRecord, ...]
    model: torch.nn.Linear
    divergence: Divergence | None = None

    @property
    def final_test_accuracy(self) -> float:
        """Test accuracy after the last epoch."""
        return self.records[-1].test_accuracy

    @property
    def seconds(self) -> float:
        """Wall time of all epochs together."""
        return sum(record.seconds for record in self.records)


class TrainingDiverged(ValueError):
    """The loss became nan or infinite: the learning rate is too large.

    Raised by :func:`train`; the message names the epoch, the step and the
    lr. ``divergence`` holds them, ``result`` the records of the epochs
    before it and the weights after the last of them.
    """

    def __init__(self, result: TrainResult) -> None:
        super().__init__(str(result.divergence))
        self.result = result
        self.divergence = result.divergence


@dataclass(frozen=True)
class TensorData:
    """A dataset as tensors, ready to train on; build it with :meth:`from_mnist`.

    Attributes:
        train_images: ``uint8``, N x features, kept as bytes (a quarter of the
            memory of floats, and faster to shuffle); :func:`train` scales
            each batch to [0, 1] as it uses it.
        train_labels: ``int64``, N.
        test_images: ``float32``, M x features, scaled to [0, 1].
        test_labels: ``int64``, M.
    """

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor

    @classmethod
    def from_mnist(cls, data: MNIST) -> TensorData:
        """Flatten the images and convert; pixel values are divided by 255."""
        train_images = _as_tensor(data.train.images)
        test_images = _as_tensor(data.test.images).to(torch.float32).div_(255)
        return cls(
            train_images=train_images.reshape(len(train_images), -1),
            train_labels=torch.from_numpy(data.train.labels.astype(np.int64)),
            test_images=test_images.reshape(len(test_images), -1),
            test_labels=torch.from_numpy(data.test.labels.astype(np.int64)),
        )

    @property
    def num_features(self) -> int:
        return self.train_images.shape[1]


def train(
    config: TrainConfig,
    data: TensorData | MNIST,
    schedule: Callable[[int], float],
    *,
    on_epoch: Callable[[EpochRecord], None] | None = None,
    checkpoint_dir: str | Path | None = None,
    keep_checkpoints: int = 2,
    resume_from: Checkpoint | None = None,
    allow_config_change: bool = False,
) -> TrainResult:
    """Train a fresh ``Linear(features, 10)`` with SGD under ``schedule``.

    Args:
        config: epochs, base lr, batch size and seed.
        data: the dataset (an :class:`~lrlab.data.MNIST` is converted).
        schedule: maps the 0-based epoch index to a factor of ``config.lr``,
            e.g. ``lrlab.spec.parse_schedule("exponential(gamma=0.8)")``.
        on_epoch: called with each epoch's record as soon as it is done.
        checkpoint_dir: save a checkpoint into this folder after every
            epoch (see :mod:`lrlab.checkpoint`); None saves nothing.
        keep_checkpoints: how many of the newest checkpoints to keep, >= 1.
        resume_from: continue the run this checkpoint was saved from,
            e.g. ``lrlab.checkpoint.latest_checkpoint(folder)``.
        allow_config_change: continue from ``resume_from`` even if it was
            made with other settings, another schedule or other data.

    Returns:
        One record per epoch and the trained model; after a resume, the
        checkpoint's records come first.

    Raises:
        TrainingDiverged: a loss became nan or infinite. The epochs before
            it are in the exception's ``result`` (and in the last
            checkpoint); no checkpoint is written for the diverged epoch.
        lrlab.checkpoint.CheckpointMismatch: ``resume_from`` was made with
            other settings (and ``allow_config_change`` is false), or
            cannot continue under these at all.
        lrlab.checkpoint.CheckpointError: ``checkpoint_dir`` already holds
            the checkpoints of another run.
        ValueError: the batch size is larger than the training set, or the
            schedule gives a factor that is negative or not finite.
        TypeError: checkpoints are asked for but the schedule is not an
            :class:`lrlab.schedules.Schedule` (its spec is saved).
    """
    report = None
    if on_epoch is not None:

        def report(records: tuple[EpochRecord | None, ...]) -> None:
            if records[0] is not None:
                on_epoch(records[0])

    (result,) = train_many(
        config,
        data,
        [schedule],
        on_epoch=report,
        checkpoint_dir=checkpoint_dir,
        keep_checkpoints=keep_checkpoints,
        resume_from=resume_from,
        allow_config_change=allow_config_change,
    )
    if result.divergence is not None:
        raise TrainingDiverged(result)
    return result


def train_many(
    config: TrainConfig,
    data: TensorData | MNIST,
    schedules: Sequence[Callable[[int], float]],
    *,
    on_epoch: Callable[[tuple[EpochRecord | None, ...]], None] | None = None,
    checkpoint_dir: str | Path | None = None,
    keep_checkpoints: int = 2,
    resume_from: Checkpoint | None = None,
    allow_config_change: bool = False,
) -> tuple[TrainResult, ...]:
    """Train one fresh model per schedule, all together, as :func:`train` would.

    Every model starts from the same initial weights and sees the same
    batches in the same order (those of ``train`` with the same seed), so
    the schedule is the only difference between them. The models are
    stepped together as one batched model: their weights and biases are
    stacked into one S x 10 x (features + 1) tensor, each batch is
    multiplied by all of them at once, and one update steps them all. Each
    result equals a separate ``train(config, data, schedule)`` to within
    float rounding, at a fraction of the cost of S separate runs.

    A model whose loss becomes nan or infinite stops there and the others
    go on: its result keeps the records and the weights of the epochs
    before, and its ``divergence`` says where. Training ends early once
    every model has diverged. The check is made once per epoch, on the
    losses the epoch computed anyway.

    Args:
        config: epochs, base lr, batch size and seed, shared by all.
        data: the dataset (an :class:`~lrlab.data.MNIST` is converted).
        schedules: one or more maps from the 0-based epoch index to a
            factor of ``config.lr``.
        on_epoch: called after each epoch with one record per schedule,
            in the order of ``schedules``; None for a schedule that has
            diverged (in this epoch or before).
        checkpoint_dir, keep_checkpoints, resume_from, allow_config_change:
            as for :func:`train`; one checkpoint holds every model.

    Returns:
        One :class:`TrainResult` per schedule, in the order given. An
        epoch's ``seconds`` is the wall time of the whole batch divided by
        the number of schedules (each schedule's share).

    Raises:
        ValueError: no schedules, the batch size is larger than the
            training set, or a schedule gives a factor that is negative or
            not finite; and as for :func:`train`.
    """
    if isinstance(data, MNIST):
        data = TensorData.from_mnist(data)
    if len(schedules) == 0:
        raise ValueError("schedules must hold at least one schedule, got none")
    num_train = len(data.train_labels)
    if config.batch_size > num_train:
        raise ValueError(
            f"batch_size must be at most the number of training images "
            f"({num_train}), got {config.batch_size}"
        )
    schedules = list(schedules)
    writer = None
    if checkpoint_dir is not None or resume_from is not None:
        from lrlab import checkpoint

        writer = checkpoint.prepare(
            config,
            data,
            schedules,
            checkpoint_dir,
            keep=keep_checkpoints,
            resume_from=resume_from,
            allow_config_change=allow_config_change,
        )

    with _one_thread():
        return _train(config, data, schedules, on_epoch, writer, resume_from)


def _train(
    config: TrainConfig,
    data: TensorData,
    schedules: list[Callable[[int], float]],
    on_epoch: Callable[[tuple[EpochRecord | None, ...]], None] | None,
    writer: CheckpointWriter | None,
    resume_from: Checkpoint | None,
) -> tuple[TrainResult, ...]:
    num_train = len(data.train_labels)
    count = len(schedules)
    generator = torch.Generator().manual_seed(config.seed)
    features = data.num_features

    # Every model starts from the same draw, or from the checkpoint. Each
    # model's weights and bias are one 10 x (F + 1) matrix [W | b].
    params = torch.empty(count, NUM_CLASSES, features + 1)
    weight, bias = params[:, :, :features], params[:, :, features]
    records: list[list[EpochRecord]] = [[] for _ in schedules]
    divergences: list[Divergence | None] = [None] * count
    first = 1
    if resume_from is None:
        initial_weight, initial_bias = _initial_weights(features, generator)
        weight.copy_(initial_weight)
        bias.copy_(initial_bias)
    else:
        weight.copy_(resume_from.weight)
        bias.copy_(resume_from.bias)
        generator.set_state(resume_from.generator_state)
        records = [list(saved) for saved in resume_from.records]
        divergences = list(resume_from.divergences)
        first = resume_from.epoch + 1
    last_good = params.clone()
    sgd = _SoftmaxSGD(params, data, config.batch_size)

    for epoch in range(first, config.epochs + 1):
        if all(divergences):
            break
        start = time.perf_counter()
        # A diverged model keeps its last good weights at lr 0.
        lrs = [
            0.0 if diverged else config.lr * _factor(schedule, epoch - 1)
            for schedule, diverged in zip(schedules, divergences, strict=True)
        ]

        order = torch.randperm(num_train, generator=generator)
        losses = sgd.epoch(order, lrs)
        finite = torch.isfinite(params).view(count, -1).all(1).tolist()
        for index in range(count):
            if divergences[index] is None and not (
                math.isfinite(losses[index]) and finite[index]
            ):
                step, reason = sgd.first_divergence(index)
                divergences[index] = Divergence(epoch, step, lrs[index], reason)
                params[index].copy_(last_good[index])
        accuracies = _accuracies(params, data)

        seconds = (time.perf_counter() - start) / count
        epoch_records = tuple(
            None
            if divergences[index] is not None
            else EpochRecord(
                epoch, lrs[index], losses[index], accuracies[index], seconds
            )
            for index in range(count)
        )
        if all(record is None for record in epoch_records):
            break
        for index, record in enumerate(epoch_records):
            if record is not None:
                records[index].append(record)
        last_good.copy_(params)
        if writer is not None:
            writer.save(epoch, params, generator.get_state(), records, divergences)
        if on_epoch is not None:
            on_epoch(epoch_records)

    return tuple(
        TrainResult(
            records=tuple(records[index]),
            model=_linear(weight[index], bias[index]),
            divergence=divergences[index],
        )
        for index in range(count)
    )


class _SoftmaxSGD:
    """Plain SGD on S linear softmax classifiers at once, gradient written out.

    Each model's weights and bias are one 10 x (F + 1) matrix ``[W | b]``,
    and the S models are stacked into one (S * 10) x (F + 1) matrix ``P``.
    Each batch of B images is a B x (F + 1) matrix ``x`` whose last column
    is constant, so one matrix product gives every model's logits
    ``z = P x^T`` (as (S * 10) x B, the faster layout for MKL at these
    sizes) and one more updates all weights and biases. Each model's mean
    cross-entropy has the gradient ``E x`` with ``E = (softmax(z) -
    onehot(y)) / B``, and the step is ``P -= lr * E x``, each model with its
    own lr: what ``torch.optim.SGD(lr=lr)`` does with that gradient.

    The images stay bytes until their batch comes up: each batch's rows are
    gathered in the epoch's shuffled order into a small byte buffer, then
    copied to floats as 0..255 (with 255 in the constant column) and the 1/255
    scaling to [0, 1] is the ``alpha`` of the two matrix products
    (``W (x / 255)`` evaluated as ``(W x) / 255``: the same model on the
    same inputs, up to float rounding). All buffers and views are made
    once, so a step allocates almost nothing.
    """

    def __init__(self, params: torch.Tensor, data: TensorData, batch_size: int) -> None:
        self.data = data
        self.batch_size = batch_size
        self.count = count = len(params)
        features = data.num_features
        steps = len(data.train_labels) // batch_size  # drops a partial batch

        self.params = params.view(count * NUM_CLASSES, features + 1)
        self.num_steps = steps
        self.pixels = torch.empty(batch_size, features, dtype=torch.uint8)
        self.labels = torch.empty(1, 1, len(data.train_labels), dtype=torch.int64)
        self.picked = torch.empty(count, 1, steps * batch_size)
        self.batch = torch.full((batch_size, features + 1), 255.0)
        self.logits = torch.empty(count * NUM_CLASSES, batch_size)
        self.log_probs = torch.empty(count, NUM_CLASSES, batch_size)
        self.minus_one = torch.full((count, 1, batch_size), -1.0)
        self.scale = torch.empty(count, 1, 1)
        self.steps = [
            (
                self.labels[:, :, i:j].expand(count, 1, batch_size),
                self.picked[:, :, i:j],
            )
            for i, j in ((k * batch_size, (k + 1) * batch_size) for k in range(steps))
        ]

    def epoch(self, order: torch.Tensor, lrs: list[float]) -> list[float]:
        """One pass over the images in ``order``; each model's mean loss."""
        torch.index_select(self.data.train_labels, 0, order, out=self.labels[0, 0])
        images, pixels = self.data.train_images, self.pixels
        batches = order[: self.num_steps * self.batch_size].view(self.num_steps, -1)

        size, count = self.batch_size, self.count
        shape = (count, NUM_CLASSES, size)
        params, x, minus_one = self.params, self.batch, self.minus_one
        logits, log_probs = self.logits, self.log_probs
        logits_3d, error = logits.view(shape), log_probs.view(-1, size)
        pixels_in, x_t = x[:, :-1], x.t()
        # The step's lr / B: in the update's alpha for one model; for several,
        # each model's share multiplies its rows of E first. So does one
        # model's when alpha does not fit a float32 (torch refuses it): the
        # share becomes inf there, and the weights nan, reported as divergence.
        alpha = -lrs[0] / (255 * size)
        if count == 1 and abs(alpha) <= _FLOAT32_MAX:
            scale = None
        else:
            alpha, scale = -1 / 255, self.scale
            lr = torch.tensor(lrs, dtype=torch.float64) / size
            scale.copy_(lr.view(count, 1, 1))

        for index, (labels, picked) in zip(batches, self.steps, strict=True):
            torch.index_select(images, 0, index, out=pixels)
            pixels_in.copy_(pixels)

            torch.addmm(logits, params, x_t, beta=0, alpha=1 / 255, out=logits)
            torch.log_softmax(logits_3d, 1, out=log_probs)
            torch.gather(log_probs, 1, labels, out=picked)

            # E = softmax - onehot, computed in place of the log-probabilities.
            log_probs.exp_().scatter_add_(1, labels, minus_one)
            if scale is not None:
                log_probs.mul_(scale)
            params.addmm_(error, x, alpha=alpha)

        # picked holds log softmax(z)[y] of every image, before its step. The
        # mean is taken in float64: float32 overflows for huge losses.
        return (-self.picked.mean((1, 2), dtype=torch.float64)).tolist()

    def first_divergence(self, index: int) -> tuple[int, str]:
        """The first step of the last epoch where model ``index`` went wrong.

        Returns:
            The 1-based step whose loss was not finite, and which value it
            was; or, if every loss was finite, the last step and the
            weights it left behind.
        """
        picked = self.picked[index, 0].view(self.num_steps, self.batch_size)
        bad = (~torch.isfinite(picked)).any(1).nonzero()
        if len(bad) == 0:
            return self.num_steps, "the weights are not finite after it"
        step = int(bad[0, 0])
        loss = -picked[step].to(torch.float64).mean().item()
        return step + 1, f"loss is {loss}"


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """Run torch on one thread, then restore the previous count.

    The matrices here are small (10 x 784 by 784 x 100): splitting them
    across threads gains little, and when other processes keep the cores
    busy, waiting threads slow every step down by orders of magnitude.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _initial_weights(
    num_features: int, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Weights and bias of a fresh ``Linear(num_features, 10)``.

    Drawn as PyTorch's default initialization draws them, from
    U(-1/sqrt(F), 1/sqrt(F)), weights first, but from ``generator``: the
    global RNG is left alone.
    """
    bound = 1 / math.sqrt(num_features)
    weight = torch.empty(NUM_CLASSES, num_features)
    bias = torch.empty(NUM_CLASSES)
    weight.uniform_(-bound, bound, generator=generator)
    bias.uniform_(-bound, bound, generator=generator)
    return weight, bias


def _linear(weight: torch.Tensor, bias: torch.Tensor) -> torch.nn.Linear:
    """A ``Linear`` layer holding copies of ``weight`` and ``bias``."""
    out_features, in_features = weight.shape
    # Linear() draws initial weights from the global RNG; put it back after.
    # (torch.nn.utils.skip_init avoids the draw but imports sympy: 0.4 s.)
    with torch.random.fork_rng(devices=[]):
        model = torch.nn.Linear(in_features, out_features)
    with torch.no_grad():
        model.weight.copy_(weight)
        model.bias.copy_(bias)
    return model


def _accuracies(params: torch.Tensor, data: TensorData) -> list[float]:
    """Each model's fraction of test images classified correctly."""
    count, features = len(params), data.num_features
    matrix = params.view(count * NUM_CLASSES, features + 1)
    logits = torch.addmm(
        matrix[:, features:], matrix[:, :features], data.test_images.t()
    )
    predicted = logits.view(count, NUM_CLASSES, -1).argmax(1)
    correct = (predicted == data.test_labels).sum(1)
    return (correct.double() / len(data.test_labels)).tolist()


def _factor(schedule: Callable[[int], float], index: int) -> float:
    factor = float(schedule(index))
    if not (math.isfinite(factor) and factor >= 0):
        raise ValueError(
            f"schedule must give a finite factor >= 0, got {factor!r} at epoch "
            f"index {index}"
        )
    return factor


def _as_tensor(array: np.ndarray) -> torch.Tensor:
    # The arrays from lrlab.data are read-only views of the file's bytes;
    # torch warns because a tensor cannot be read-only. Nothing here writes
    # to them, so they are shared instead of copied.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return torch.from_numpy(array)


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
