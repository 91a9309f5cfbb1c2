"""The best-settings file of a search, read back as ``compare --config`` does."""

from __future__ import annotations

from pathlib import Path

import pytest

from lrlab._tune_files import best_toml
from lrlab.config import read_config
from lrlab.tune import Best, TuneConfig

BEST = Best(
    trial=3,
    params={"step_size": 4},
    schedule="step(step_size=4, gamma=0.5)",
    lr=0.25,
    val_accuracy=0.9,
    test_accuracy=0.89,
    final=None,
)


def write_best(folder: Path, data_dir: str | None) -> Path:
    path = folder / "best.toml"
    path.write_text(best_toml("study", TuneConfig(epochs=3), BEST, 7, data_dir))
    return path


def test_a_relative_data_dir_is_written_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "runs" / "tune"
    out.mkdir(parents=True)

    path = write_best(out, "mnist")

    expected = Path.cwd() / "mnist"  # not out / "mnist"
    assert read_config(path)["data_dir"] == str(expected)
    assert f'data_dir = "{expected}"' in path.read_text()


@pytest.mark.parametrize("data_dir", [None, "/data/mnist"])
def test_the_file_holds_the_search_settings(tmp_path, data_dir):
    settings = read_config(write_best(tmp_path, data_dir))

    assert settings["schedules"] == ("step(step_size=4, gamma=0.5)",)
    assert (settings["lr"], settings["epochs"]) == (0.25, 3)
    assert settings.get("data_dir") == data_dir
