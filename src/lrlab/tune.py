"""Search a schedule's hyperparameters with Optuna, on held-out data.

A search has two stages, and the test set only enters the second:

1. **Search.** A fraction of the training set (``val_fraction``, chosen
   at random with the seed) is held out as a validation split. Each trial
   draws a point of the :class:`~lrlab.search_space.SearchSpace`, trains
   the MNIST lesson on the rest, and scores the validation accuracy after
   the last epoch. The accuracy after each epoch is reported to Optuna, so
   that a pruner can stop a hopeless trial early.
2. **Final run.** The best trial's schedule and lr are trained again on
   the whole training set and evaluated once on the test set.

Trials live in an Optuna storage (a SQLite file, or any database URL), so
a search can stop and go on later, and several processes, on one machine
or many, can work on one study. ``TuneConfig.trials`` is the size of the
whole study, not of one run: a worker starts a trial only while the study
holds fewer than that many, so running the same search again tops it up,
and a finished study is only reported.

The settings of a search, and the training settings of one of its runs:

>>> config = TuneConfig(trials=3, epochs=2)
>>> config.train_config(0.5)
TrainConfig(epochs=2, lr=0.5, batch_size=100, seed=0)
>>> storage_url("lrlab-tune.db")
'sqlite:///lrlab-tune.db'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from lrlab._tune_storage import (
    StorageError,
    StorageLock,
    hide_password,
    storage_problem,
    storage_url,
)
from lrlab.search_space import SearchSpace
from lrlab.spec import format_schedule
from lrlab.training import EpochRecord, TensorData, TrainConfig, TrainResult, train

if TYPE_CHECKING:
    import optuna

__all__ = [
    "PRUNERS",
    "Best",
    "StorageError",
    "StudyMismatchError",
    "TuneConfig",
    "Tuner",
    "hide_password",
    "holdout_split",
    "storage_url",
]


PRUNERS = ("median", "none")

_TRAIN_DEFAULTS = TrainConfig()

# Marks a trial stopped by an interrupt (Ctrl-C): it does not count.
INTERRUPTED = "interrupted"
# The study's user attribute that records the search it was made for.
SETTINGS = "lrlab.settings"


class StudyMismatchError(ValueError):
    """A study that exists already but was made for another search."""


@dataclass(frozen=True)
class TuneConfig:
    """Settings of a search.

    Args:
        trials: trials in the whole study (all runs and workers together),
            >= 1.
        epochs: epochs per trial and for the final run, >= 1.
        batch_size: images per SGD step, >= 1.
        seed: seeds the validation split, the initial weights and
            shuffling of every trial, and Optuna's sampler.
        val_fraction: the share of the training set held out for
            validation, 0 < val_fraction < 1.
        pruner: ``"median"`` stops a trial whose accuracy after an epoch
            is below the median of earlier trials at that epoch (after 5
            trials); ``"none"`` runs every trial to the end.
    """

    trials: int = 20
    epochs: int = _TRAIN_DEFAULTS.epochs
    batch_size: int = _TRAIN_DEFAULTS.batch_size
    seed: int = _TRAIN_DEFAULTS.seed
    val_fraction: float = 0.1
    pruner: str = "median"

    def __post_init__(self) -> None:
        trials = self.trials
        if not isinstance(trials, int) or isinstance(trials, bool) or trials < 1:
            raise ValueError(f"trials must be a positive integer, got {trials!r}")
        fraction = self.val_fraction
        if not (isinstance(fraction, (int, float)) and 0 < fraction < 1):
            raise ValueError(
                f"val_fraction must be a number between 0 and 1 (both excluded), "
                f"got {fraction!r}"
            )
        if self.pruner not in PRUNERS:
            raise ValueError(
                f"pruner must be one of {', '.join(PRUNERS)}, got {self.pruner!r}"
            )
        self.train_config(_TRAIN_DEFAULTS.lr)

    def train_config(self, lr: float) -> TrainConfig:
        """The training settings of one run at base learning rate ``lr``."""
        return TrainConfig(
            epochs=self.epochs, lr=lr, batch_size=self.batch_size, seed=self.seed
        )


@dataclass(frozen=True)
class Best:
    """The best trial of a study and its final run.

    Attributes:
        trial: the trial's number in the study.
        params: its parameter values, by name.
        schedule: its schedule as a spec string.
        lr: its base learning rate.
        val_accuracy: its validation accuracy (what the search maximized).
        test_accuracy: the final run's test accuracy, after training on the
            whole training set.
        final: the final run's records and model.
    """

    trial: int
    params: dict[str, Any]
    schedule: str
    lr: float
    val_accuracy: float
    test_accuracy: float
    final: TrainResult


def holdout_split(data: TensorData, fraction: float, seed: int) -> TensorData:
    """Hold out a random share of the training set as the test split.

    Only the training split of ``data`` is read: the result's training
    split is the rest of it, and its test split is the held-out part, so
    code that evaluates on the "test" split evaluates on validation data.

    Args:
        data: the dataset; its test split is never read.
        fraction: the share to hold out, 0 < fraction < 1; rounded to a
            whole number of images, at least one.
        seed: chooses the images; the same seed holds out the same ones.

    >>> import torch
    >>> images = torch.arange(10, dtype=torch.uint8).reshape(10, 1)
    >>> data = TensorData(images, torch.arange(10), None, None)
    >>> split = holdout_split(data, 0.2, seed=0)
    >>> len(split.train_labels), len(split.test_labels)
    (8, 2)
    """
    count = len(data.train_labels)
    held = max(1, round(fraction * count))
    if not 0 < fraction < 1 or held >= count:
        raise ValueError(
            f"val_fraction must leave images on both sides of the split of "
            f"{count} training images, got {fraction!r}"
        )

    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(count, generator=generator)
    held_out, kept = order[:held], order[held:]
    return TensorData(
        train_images=data.train_images[kept],
        train_labels=data.train_labels[kept],
        test_images=data.train_images[held_out].to(torch.float32).div_(255),
        test_labels=data.train_labels[held_out],
    )


class Tuner:
    """One worker's share of a study: open it, run trials, retrain the best.

    Open it with ``with Tuner(...) as tuner:``; leaving the block releases
    the storage lock's connection.

    Args:
        space: the search space.
        config: the search settings.
        storage: an Optuna storage URL (see :func:`storage_url`).
        study_name: the study's name in the storage; made if missing,
            joined if it exists, also when workers start at the same moment.
        data_label: describes the data (e.g. its folder and size); a study
            can only be continued with the same space, settings and label.

    Raises:
        StorageError: Optuna cannot open ``storage``.
        StudyMismatchError: the study exists but was made for a different
            search.
    """

    def __init__(
        self,
        space: SearchSpace,
        config: TuneConfig,
        storage: str,
        study_name: str,
        data_label: str = "",
    ) -> None:
        self.space = space
        self.config = config
        self.storage = storage
        self.study_name = study_name
        self.settings = {
            "space": space.canonical(),
            "epochs": config.epochs,
            "batch_size": config.batch_size,
            "seed": config.seed,
            "val_fraction": config.val_fraction,
            "data": data_label,
        }
        self._lock = StorageLock(storage)
        try:
            self.study = self._open()
        except BaseException:
            self._lock.close()
            raise

    def __enter__(self) -> Tuner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._lock.close()

    def search(
        self,
        data: TensorData,
        on_trial: Callable[[optuna.trial.FrozenTrial], None] | None = None,
    ) -> int:
        """Run trials until the study holds ``config.trials`` of them.

        Args:
            data: the search data: training and validation splits (see
                :func:`holdout_split`); its "test" split is the validation one.
            on_trial: called with each trial this worker finishes.

        Returns:
            The number of trials this call ran.

        Note:
            A trial stopped by Ctrl-C (``KeyboardInterrupt``) is recorded
            as failed, marked ``interrupted``, and does not count toward
            ``config.trials``; the interrupt is raised again. A worker that
            is killed outright leaves its trial ``RUNNING`` for good, and
            that trial counts.
        """
        ran = 0
        while True:
            # Counting and asking in one locked step keeps parallel workers
            # from starting more trials than the study should hold.
            with self._lock:
                position = count_trials(self.study.get_trials(deepcopy=False))
                if position >= self.config.trials:
                    return ran
                trial = self.study.ask()
            self._run_trial(trial, position, data)
            ran += 1
            if on_trial is not None:
                on_trial(self.study.get_trials(deepcopy=False)[trial.number])

    def best(self) -> optuna.trial.FrozenTrial | None:
        """The completed trial with the highest validation accuracy, if any.

        Ties go to the earlier trial.
        """
        from optuna.trial import TrialState

        done = self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if not done:
            return None
        return max(done, key=lambda trial: (trial.value, -trial.number))

    def retrain_best(
        self,
        data: TensorData,
        on_epoch: Callable[[EpochRecord], None] | None = None,
    ) -> Best:
        """Train the best trial's schedule on ``data`` and test it once.

        Args:
            data: the full dataset: the whole training set, and the test set.
            on_epoch: called after each epoch of the final run.

        Raises:
            ValueError: no trial has completed.
        """
        best = self.best()
        if best is None:
            raise ValueError(
                f"study {self.study_name!r} has no completed trial to retrain"
            )
        schedule, lr = self.space.build(best.params)

        final = train(self.config.train_config(lr), data, schedule, on_epoch=on_epoch)

        return Best(
            trial=best.number,
            params=dict(best.params),
            schedule=format_schedule(schedule),
            lr=lr,
            val_accuracy=float(best.value),
            test_accuracy=final.final_test_accuracy,
            final=final,
        )

    def _open(self) -> optuna.Study:
        import optuna

        try:
            with self._lock:
                storage = optuna.storages.RDBStorage(self.storage)
        except Exception as error:
            raise StorageError(storage_problem(self.storage, error)) from None

        sampler = _sampler(self.config.seed, 0)
        pruner = (
            optuna.pruners.MedianPruner()
            if self.config.pruner == "median"
            else optuna.pruners.NopPruner()
        )
        try:
            study = optuna.create_study(
                storage=storage,
                study_name=self.study_name,
                sampler=sampler,
                pruner=pruner,
                direction="maximize",
            )
        except optuna.exceptions.DuplicatedStudyError:
            # Made meanwhile by another worker, or by an earlier run.
            study = optuna.load_study(
                storage=storage,
                study_name=self.study_name,
                sampler=sampler,
                pruner=pruner,
            )
        self._check_settings(study)
        return study

    def _check_settings(self, study: optuna.Study) -> None:
        recorded = study.user_attrs.get(SETTINGS)
        if recorded is None and not study.trials:
            study.set_user_attr(SETTINGS, self.settings)
            return
        if recorded is None:
            recorded = {}
        changed = [
            f"{key} {recorded.get(key)!r} there, {value!r} here"
            for key, value in self.settings.items()
            if recorded.get(key) != value
        ]
        if changed or study.direction.name != "MAXIMIZE":
            raise StudyMismatchError(
                f"study {self.study_name!r} exists and was made for another "
                f"search ({'; '.join(changed) or 'not by lrlab tune'}); give "
                f"another study name, or the same settings"
            )

    def _run_trial(self, trial: optuna.Trial, position: int, data: TensorData) -> None:
        """Draw the trial's settings, train, and tell the study how it went.

        Whatever stops it before that (Ctrl-C while the settings are drawn
        or while it trains, or a fault that ends the search) still marks
        the trial failed, so that no trial stays RUNNING, then goes on up.
        """
        from optuna.trial import TrialState

        try:
            value, error = self._attempt(trial, position, data)
        except BaseException as stop:
            if isinstance(stop, KeyboardInterrupt):
                trial.set_user_attr(INTERRUPTED, True)
            else:
                trial.set_user_attr("error", f"{type(stop).__name__}: {stop}")
            self.study.tell(trial, state=TrialState.FAIL)
            raise
        if error is not None:
            trial.set_user_attr("error", error)
            self.study.tell(trial, state=TrialState.FAIL)
        elif value is None:
            self.study.tell(trial, state=TrialState.PRUNED)
        else:
            self.study.tell(trial, value)

    def _attempt(
        self, trial: optuna.Trial, position: int, data: TensorData
    ) -> tuple[float | None, str | None]:
        """Train ``trial``: (validation accuracy, None) when it completes,
        (None, None) when it is pruned, (None, why) when its settings fail.
        """
        import optuna

        self.study.sampler = _sampler(self.config.seed, position)
        try:
            schedule, lr = self.space.build(lambda name, dim: dim.suggest(trial, name))
        except (ValueError, TypeError) as error:
            return None, str(error)
        trial.set_user_attr("schedule", format_schedule(schedule))
        trial.set_user_attr("lr", lr)

        def on_epoch(record: EpochRecord) -> None:
            trial.report(record.test_accuracy, record.epoch)
            if trial.should_prune():
                raise optuna.TrialPruned

        try:
            result = train(
                self.config.train_config(lr), data, schedule, on_epoch=on_epoch
            )
        except optuna.TrialPruned:
            return None, None
        except ValueError as error:
            return None, str(error)
        return result.final_test_accuracy, None


def _sampler(seed: int, position: int) -> optuna.samplers.BaseSampler:
    """Optuna's TPE sampler, seeded for the trial at ``position``.

    The sampler draws from the study's history, held in the storage, and
    from its random generator. Seeding that generator per trial, from the
    search's seed and the number of trials counted before it, makes a
    search that stops and goes on draw what one uninterrupted run would
    (an interrupted trial, which does not count, is drawn again), and keeps
    parallel workers from drawing the same points.
    """
    import numpy as np
    import optuna

    state = np.random.SeedSequence([seed, position]).generate_state(1)[0]
    return optuna.samplers.TPESampler(seed=int(state))


def count_trials(trials: list[optuna.trial.FrozenTrial]) -> int:
    """The trials that count toward the study's size.

    Every trial counts (complete, pruned, failed or running) except those
    waiting in Optuna's queue and those stopped by an interrupt.
    """
    from optuna.trial import TrialState

    return sum(
        1
        for trial in trials
        if trial.state != TrialState.WAITING and not trial.user_attrs.get(INTERRUPTED)
    )
