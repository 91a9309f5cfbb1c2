"""The files a search leaves behind: trials, best settings, two plots.

Every file is written atomically (a temporary file renamed over the
target), so a reader sees the old file or the new one, never half of one.
The plots use matplotlib's pyplot through ``optuna.visualization``; the
caller chooses the backend (the command line uses Agg), and every figure
is closed once saved.
"""

from __future__ import annotations

import csv
import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomli_w

from lrlab._files import write_atomically
from lrlab.plotting import save_figure
from lrlab.tune import INTERRUPTED, Best, TuneConfig

if TYPE_CHECKING:
    import optuna

__all__ = ["FILES", "Written", "best_toml", "trials_csv", "write_results"]

FILES = {
    "trials": "trials.csv",
    "best": "best.toml",
    "history": "history.png",
    "importance": "importance.png",
}


@dataclass
class Written:
    """The files written, and for each one left out a note saying why."""

    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def write(self, path: Path, data: bytes) -> None:
        write_atomically(path, data)
        self.files.append(path)

    def leave_out(self, path: Path, reason: str) -> None:
        # A file of an earlier run would tell about another study state.
        path.unlink(missing_ok=True)
        self.notes.append(f"{path.name} not {_verb(path)}: {reason}")


def write_results(
    folder: Path,
    study: optuna.Study,
    config: TuneConfig,
    best: Best | None,
    data_dir: str | None = None,
) -> Written:
    """Write the study's files into ``folder`` (made if missing).

    ``data_dir`` (the MNIST folder, None for the bundled copy) goes into
    the best-settings file. A file that cannot be made (no completed
    trial, too few for the importance plot) is removed if an earlier run
    left one, and a note says why.
    """
    folder.mkdir(parents=True, exist_ok=True)
    trials = study.get_trials(deepcopy=False)
    written = Written()

    written.write(folder / FILES["trials"], trials_csv(trials).encode())
    if best is None:
        written.leave_out(folder / FILES["best"], "no trial completed")
    else:
        text = best_toml(study.study_name, config, best, len(trials), data_dir)
        written.write(folder / FILES["best"], text.encode())

    with warnings.catch_warnings():
        # optuna.visualization.matplotlib is marked experimental.
        warnings.simplefilter("ignore")
        _plots(folder, study, written)
    return written


def trials_csv(trials: list[optuna.trial.FrozenTrial]) -> str:
    """One row per trial: number, state, accuracy, schedule, lr, parameters.

    ``val_accuracy`` is the last one reported (for a pruned trial, at the
    epoch it was stopped), ``epochs`` the number of epochs it ran.
    """
    names: list[str] = []
    for trial in trials:
        names += [name for name in trial.params if name not in names]
    header = ["number", "state", "val_accuracy", "epochs", "lr", "schedule"]
    header += [f"param.{name}" for name in names] + ["seconds", "note"]

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for trial in trials:
        seconds = ""
        if trial.datetime_start and trial.datetime_complete:
            elapsed = trial.datetime_complete - trial.datetime_start
            seconds = f"{elapsed.total_seconds():.2f}"
        note = trial.user_attrs.get("error", "")
        if trial.user_attrs.get(INTERRUPTED):
            note = INTERRUPTED
        row = [
            trial.number,
            trial.state.name,
            "" if trial.value is None else trial.value,
            len(trial.intermediate_values),
            trial.user_attrs.get("lr", ""),
            trial.user_attrs.get("schedule", ""),
        ]
        row += [trial.params.get(name, "") for name in names]
        writer.writerow([*row, seconds, note])
    return out.getvalue()


def best_toml(
    study_name: str,
    config: TuneConfig,
    best: Best,
    trials: int,
    data_dir: str | None = None,
) -> str:
    """The best schedule and lr as a file for ``lrlab compare --config``.

    The keys are those of :mod:`lrlab.config`: the training settings of the
    search, the best trial's lr, and its schedule as the one spec string.
    ``data_dir`` is written as an absolute path (a relative one is taken
    from the current folder): ``compare --config`` reads a relative path
    against the file's own folder, which is another place.
    """
    settings: dict[str, Any] = {
        "title": f"best of study {study_name} (trial {best.trial})",
        "epochs": config.epochs,
        "lr": best.lr,
        "batch_size": config.batch_size,
        "seed": config.seed,
    }
    if data_dir is not None:
        settings["data_dir"] = str(Path(data_dir).resolve())
    settings["schedules"] = [best.schedule]
    comment = (
        f"# The best of {trials} trials of study {study_name!r}, by lrlab tune:\n"
        f"# trial {best.trial}, validation accuracy {best.val_accuracy:.4f}; "
        f"test accuracy {best.test_accuracy:.4f}\n"
        f"# after training again on the whole training set.\n"
    )
    return comment + tomli_w.dumps(settings)


def _plots(folder: Path, study: optuna.Study, written: Written) -> None:
    import matplotlib.pyplot as plt
    from optuna.trial import TrialState
    from optuna.visualization import matplotlib as optuna_plots

    history, importance = folder / FILES["history"], folder / FILES["importance"]
    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not done:
        written.leave_out(history, "no trial completed")
    else:
        axes = optuna_plots.plot_optimization_history(
            study, target_name="validation accuracy"
        )
        _save(plt, axes.figure, history, written)

    params = {name for trial in done for name in trial.params}
    if len(done) < 2 or len(params) < 2:
        written.leave_out(
            importance,
            f"parameter importance needs at least 2 completed trials and 2 "
            f"parameters, the study has {len(done)} and {len(params)}",
        )
        return
    try:
        axes = optuna_plots.plot_param_importances(
            study, target_name="validation accuracy"
        )
    except (ValueError, RuntimeError) as error:
        written.leave_out(importance, str(error))
        return
    _save(plt, axes.figure, importance, written)


def _save(plt: Any, figure: Any, path: Path, written: Written) -> None:
    try:
        figure.tight_layout()
        save_figure(figure, path)
        written.files.append(path)
    finally:
        plt.close(figure)


def _verb(path: Path) -> str:
    return "drawn" if path.suffix == ".png" else "written"
