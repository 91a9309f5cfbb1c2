"""lrlab tune: the search library, its files, and the command line.

Searches here are tiny (a few thousand MNIST images, one or two epochs,
three or four trials), on SQLite files in a temporary folder.
"""

from __future__ import annotations

import csv
import io
import re
import sys

import optuna
import pytest
from optuna.trial import TrialState

import lrlab.tune
from lrlab import _tune_files
from lrlab.cli import main
from lrlab.data import load_mnist
from lrlab.search_space import parse_space
from lrlab.training import TensorData
from lrlab.tune import (
    StorageError,
    StudyMismatchError,
    TuneConfig,
    Tuner,
    count_trials,
    holdout_split,
    storage_url,
)

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

SPACE = "step(step_size=int(1, 3), gamma=float(0.1, 0.9))"
LR = "float(1e-2, 1, log)"


@pytest.fixture(scope="module", autouse=True)
def quiet_optuna():
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    yield
    optuna.logging.set_verbosity(verbosity)


@pytest.fixture(scope="module")
def data() -> TensorData:
    """3,000 training and 2,000 test images of MNIST."""
    full = TensorData.from_mnist(load_mnist())
    return TensorData(
        full.train_images[:3000],
        full.train_labels[:3000],
        full.test_images[:2000],
        full.test_labels[:2000],
    )


class GuardedData:
    """A dataset whose test split raises while ``sealed`` is true."""

    def __init__(self, data: TensorData) -> None:
        self._data = data
        self.sealed = True
        self.num_features = data.num_features
        self.train_images = data.train_images
        self.train_labels = data.train_labels

    @property
    def test_images(self):
        self._check()
        return self._data.test_images

    @property
    def test_labels(self):
        self._check()
        return self._data.test_labels

    def _check(self) -> None:
        if self.sealed:
            raise AssertionError("the test set was read during the search")


def tuner(tmp_path, trials=3, *, space=SPACE, lr=LR, **settings) -> Tuner:
    config = TuneConfig(trials=trials, epochs=2, pruner="none", **settings)
    url = storage_url(str(tmp_path / "tune.db"))
    return Tuner(parse_space(space, lr), config, url, "s", data_label="test")


def test_the_test_set_is_read_only_after_the_search(tmp_path, data):
    guarded = GuardedData(data)

    with tuner(tmp_path) as search:
        ran = search.search(holdout_split(guarded, 0.1, seed=0))
        guarded.sealed = False
        best = search.retrain_best(guarded)

    assert ran == 3
    # The search scored the 300 held-out images, never the test set.
    values = [t.value for t in search.study.trials]
    assert all(round(v * 300) == pytest.approx(v * 300) for v in values)
    assert best.val_accuracy == max(values)
    assert best.final.records[-1].test_accuracy == best.test_accuracy
    assert round(best.test_accuracy * 2000) == pytest.approx(best.test_accuracy * 2000)


def test_holdout_split_is_fixed_by_the_seed_and_disjoint():
    import torch

    images = torch.arange(100, dtype=torch.uint8).reshape(100, 1)
    data = TensorData(images, torch.arange(100), None, None)

    a = holdout_split(data, 0.1, seed=1)
    b = holdout_split(data, 0.1, seed=1)
    c = holdout_split(data, 0.1, seed=2)

    assert len(a.test_labels) == 10 and len(a.train_labels) == 90
    assert torch.equal(a.test_labels, b.test_labels)
    assert not torch.equal(a.test_labels, c.test_labels)
    both = set(a.train_labels.tolist()) | set(a.test_labels.tolist())
    assert both == set(range(100))
    assert torch.equal(a.test_images[:, 0] * 255, a.test_labels.float())
    with pytest.raises(ValueError, match="val_fraction must leave images"):
        holdout_split(data, 0.999, seed=0)


def test_an_interrupted_search_goes_on_to_the_total(tmp_path, data, monkeypatch):
    search_data = holdout_split(data, 0.1, seed=0)
    real_train = lrlab.tune.train
    calls = []

    def train_then_interrupt(*args, on_epoch, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_train(*args, on_epoch=on_epoch, **kwargs)

    monkeypatch.setattr(lrlab.tune, "train", train_then_interrupt)
    with tuner(tmp_path, trials=4) as first, pytest.raises(KeyboardInterrupt):
        first.search(search_data)
    monkeypatch.undo()

    with tuner(tmp_path, trials=4) as second:
        ran = second.search(search_data)
        trials = second.study.get_trials()

    # Trials 0 and 1 ran, 2 was interrupted and does not count, 3 and 4 ran.
    assert ran == 2
    assert [t.state for t in trials] == [
        TrialState.COMPLETE,
        TrialState.COMPLETE,
        TrialState.FAIL,
        TrialState.COMPLETE,
        TrialState.COMPLETE,
    ]
    assert trials[2].user_attrs == {
        "interrupted": True,
        "schedule": trials[2].user_attrs["schedule"],
        "lr": trials[2].user_attrs["lr"],
    }
    assert count_trials(trials) == 4
    # The interrupted point is drawn again, as an uninterrupted run draws it.
    assert trials[3].params == trials[2].params


@pytest.mark.parametrize("where", ["sampler", "suggest"])
def test_an_interrupt_before_training_leaves_no_trial_running(
    tmp_path, data, monkeypatch, where
):
    # Ctrl-C may come while a trial's sampler is made or its settings drawn.
    search_data = holdout_split(data, 0.1, seed=0)
    calls = []

    def interrupt_the_second(real):
        def wrapped(*args, **kwargs):
            calls.append(1)
            if len(calls) == 2:
                raise KeyboardInterrupt
            return real(*args, **kwargs)

        return wrapped

    if where == "sampler":
        real = lrlab.tune._sampler
        monkeypatch.setattr(lrlab.tune, "_sampler", interrupt_the_second(real))
    else:
        real = optuna.Trial.suggest_int
        monkeypatch.setattr(optuna.Trial, "suggest_int", interrupt_the_second(real))
    with tuner(tmp_path, trials=3) as first, pytest.raises(KeyboardInterrupt):
        first.search(search_data)
    monkeypatch.undo()

    with tuner(tmp_path, trials=3) as second:
        ran = second.search(search_data)
        trials = second.study.get_trials()

    # One trial was stopped before its settings were recorded: failed,
    # marked, not counted; the second search ran the rest.
    states = [t.state for t in trials]
    assert len(trials) == 4
    assert states.count(TrialState.FAIL) == 1
    assert states.count(TrialState.COMPLETE) == 3
    stopped = states.index(TrialState.FAIL)
    assert trials[stopped].user_attrs == {"interrupted": True}
    assert ran == 3 - stopped
    assert count_trials(trials) == 3


def test_failed_trials_are_recorded_and_count(tmp_path, data, monkeypatch):
    def diverge(*args, **kwargs):
        raise ValueError("schedule must give a finite factor >= 0, got nan")

    monkeypatch.setattr(lrlab.tune, "train", diverge)
    with tuner(tmp_path, trials=2) as search:
        assert search.search(holdout_split(data, 0.1, seed=0)) == 2
        assert search.best() is None
        with pytest.raises(ValueError, match="has no completed trial"):
            search.retrain_best(data)
        written = _tune_files.write_results(
            tmp_path / "out", search.study, search.config, None
        )

    states = [t.state for t in search.study.trials]
    assert states == [TrialState.FAIL, TrialState.FAIL]
    assert search.study.trials[0].user_attrs["error"].endswith("got nan")
    assert [path.name for path in written.files] == ["trials.csv"]
    assert written.notes[0] == "best.toml not written: no trial completed"


def test_a_resumed_search_draws_what_one_run_draws(tmp_path, data):
    search_data = holdout_split(data, 0.1, seed=0)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()

    with tuner(tmp_path / "a", trials=3) as whole:
        whole.search(search_data)
    with tuner(tmp_path / "b", trials=2) as part:
        part.search(search_data)
    with tuner(tmp_path / "b", trials=3) as rest:
        assert rest.search(search_data) == 1
        assert rest.search(search_data) == 0

    assert [t.params for t in rest.study.trials] == [
        t.params for t in whole.study.trials
    ]


def test_a_study_made_meanwhile_is_joined(tmp_path, monkeypatch):
    (tmp_path / "a").mkdir()
    create_study = optuna.create_study

    def lose_the_race(**kwargs):
        # Another worker makes the study between our check and our create.
        create_study(**kwargs)
        return create_study(**kwargs)

    monkeypatch.setattr(optuna, "create_study", lose_the_race)
    with tuner(tmp_path / "a") as joined:
        assert joined.study.study_name == "s"
        assert joined.study.user_attrs["lrlab.settings"]["epochs"] == 2


def test_a_study_of_another_search_is_refused(tmp_path, data):
    (tmp_path / "a").mkdir()
    with tuner(tmp_path / "a", trials=1) as first:
        first.search(holdout_split(data, 0.1, seed=0))

    with pytest.raises(StudyMismatchError, match=r"study 's' exists .*space"):
        tuner(tmp_path / "a", space="step(step_size=int(1, 5))")
    with pytest.raises(StudyMismatchError, match="seed 0 there, 1 here"):
        tuner(tmp_path / "a", seed=1)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("nosuch://x", "cannot open storage 'nosuch://x': Can't load plugin"),
        ("sqlite:////no/such/folder/t.db", "No such file or directory"),
    ],
)
def test_storage_errors_name_the_url(url, message):
    space = parse_space(SPACE)
    with pytest.raises(StorageError, match=message):
        Tuner(space, TuneConfig(), url, "s")


def test_storage_error_hides_the_password():
    space = parse_space(SPACE)
    url = "postgresql+psycopg2://me:secret@127.0.0.1:1/db"
    with pytest.raises(StorageError) as caught:
        Tuner(space, TuneConfig(), url, "s")
    assert "secret" not in str(caught.value)
    assert "me:***@127.0.0.1:1/db" in str(caught.value)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"trials": 0}, "trials must be a positive integer, got 0"),
        ({"val_fraction": 0}, r"val_fraction must be .*\(both excluded\), got 0"),
        ({"val_fraction": 1.5}, r"val_fraction must be .* got 1.5"),
        ({"pruner": "hyperband"}, "pruner must be one of median, none, got 'hy"),
        ({"epochs": 0}, "epochs must be a positive integer, got 0"),
    ],
)
def test_config_errors(settings, message):
    with pytest.raises(ValueError, match=message):
        TuneConfig(**settings)


def test_files_of_a_study(tmp_path, data):
    with tuner(tmp_path, trials=3) as search:
        search.search(holdout_split(data, 0.1, seed=0))
        best = search.retrain_best(data)
        written = _tune_files.write_results(
            tmp_path / "out", search.study, search.config, best
        )

    assert written.notes == []
    assert [path.name for path in written.files] == [
        "trials.csv",
        "best.toml",
        "history.png",
        "importance.png",
    ]
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["best.toml", "history.png", "importance.png", "trials.csv"]
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out/trials.csv").read_text())))
    assert [row["number"] for row in rows] == ["0", "1", "2"]
    assert rows[best.trial]["schedule"] == best.schedule
    assert set(rows[0]) >= {"param.step_size", "param.gamma", "param.lr"}

    settings = tomllib.loads((tmp_path / "out/best.toml").read_text())
    assert settings["schedules"] == [best.schedule]
    assert settings["lr"] == best.lr
    assert settings["epochs"] == 2
    config = pytest.importorskip("lrlab.config")
    assert config.read_config(tmp_path / "out/best.toml")["lr"] == best.lr


def test_importance_needs_two_parameters(tmp_path, data):
    # An importance plot of an earlier run is not left behind.
    (tmp_path / "out").mkdir()
    (tmp_path / "out/importance.png").write_bytes(b"old")

    with tuner(tmp_path, trials=2, space="step(int(1, 3))", lr="0.1") as search:
        search.search(holdout_split(data, 0.1, seed=0))
        best = search.retrain_best(data)
        written = _tune_files.write_results(
            tmp_path / "out", search.study, search.config, best
        )

    assert written.notes == [
        "importance.png not drawn: parameter importance needs at least 2 "
        "completed trials and 2 parameters, the study has 2 and 1"
    ]
    assert (tmp_path / "out/history.png").exists()
    assert not (tmp_path / "out/importance.png").exists()


# --- the command line


def run_cli(capsys, *argv):
    code = main(["tune", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_searches_retrains_and_writes(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = [SPACE, "--lr", LR, "--trials", "3", "--epochs", "1"]
    argv += ["--train-size", "3000", "--pruner", "none"]

    code, out, err = run_cli(capsys, *argv)

    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == (
        "study 'step' in lrlab-tune.db: 0 of 3 trials done; "
        "training on 2700 images, validating on 300, 1 epoch each"
    )
    assert sum(line.startswith("trial ") for line in lines) == 3
    assert "3 trials in the study (3 complete)" in lines
    assert "training the best trial again on all 3000 training images..." in lines
    assert any(
        line.startswith("test accuracy 0.")
        and line.endswith("(trained on all 3000 training images)")
        for line in lines
    )
    assert lines[-1].startswith("wrote tune-step/trials.csv, tune-step/best.toml")
    assert (tmp_path / "lrlab-tune.db").exists()

    # The same command again only reports.
    code, out, err = run_cli(capsys, *argv, "--quiet")
    assert (code, err) == (0, "")
    assert out.splitlines()[0].startswith("best trial ")
    assert len(out.splitlines()) == 3


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["step(int(0, 3))"],
            r"SPACE: invalid search space 'step\(int\(0, 3\)\)': its",
        ),
        (["step(int(1, 3)"], "argument SPACE: invalid search space .* position 4"),
        ([SPACE, "--lr", "float(0, 1)"], "argument --lr: invalid search space"),
        (["step(5)"], "argument SPACE: nothing to search: neither SPACE nor --lr"),
        ([SPACE, "--trials", "0"], "argument --trials: must be a positive integer"),
        ([SPACE, "--val-fraction", "0"], "argument --val-fraction: must be a numb"),
        ([SPACE, "--val-fraction", "1.5"], "between 0 and 1 .*got '1.5'"),
        ([SPACE, "--val-fraction", "x"], "argument --val-fraction: .*got 'x'"),
        ([SPACE, "--storage", "nosuch://x"], "argument --storage: cannot open"),
        ([SPACE, "--pruner", "x"], "argument --pruner: invalid choice: 'x'"),
        ([SPACE, "--train-size", "70000"], "argument --train-size: must be at most"),
        ([SPACE, "--out", "no/such/dir"], "argument --out: folder 'no/such' does not"),
    ],
)
def test_cli_bad_input_is_one_line(tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)

    with pytest.raises(SystemExit) as caught:
        code = main(["tune", *argv])
        raise SystemExit(code)
    out, err = capsys.readouterr()

    assert caught.value.code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("lrlab tune: error: ")
    assert re.search(message, err), err
