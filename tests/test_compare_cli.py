"""lrlab compare on the command line: output, options, config, bad input."""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
from pathlib import Path

import pytest

from lrlab.cli import main
from lrlab.commands._progress import epoch_bar
from lrlab.compare import FILES

SPECS = ["exponential(gamma=0.8)", "step(step_size=5, gamma=0.5)"]


@pytest.fixture
def tiny(tiny_dir):
    """Options that train on the small dataset, quickly."""
    return ["--data-dir", str(tiny_dir), "--batch-size", "20", "--epochs", "2"]


def compare(capsys, *argv):
    try:
        code = main(["compare", *map(str, argv)])
    except SystemExit as exit:  # argparse's own errors
        code = exit.code
    out, err = capsys.readouterr()
    return code, out, err


def test_the_lesson_end_to_end(tmp_path, capsys):
    out = tmp_path / "cmp1"

    code, stdout, stderr = compare(
        capsys, *SPECS, "cosine(total_steps=15)", "--epochs", 2, "--out", out
    )

    assert code == 0, stderr
    assert stderr == ""
    lines = stdout.splitlines()
    assert lines[0].startswith("bundled MNIST: 60000 training, 10000 test images")
    assert "3 schedules, lr 0.1, 2 epochs, batch 100, seed 0" in lines[1]
    assert lines[2].split() == [
        "schedule", "final", "acc", "best", "acc", "(epoch)", "final", "loss",
        "time", "s",
    ]  # fmt: skip
    rows = {
        cells[0]: cells for cells in (re.split(r"\s{2,}", line) for line in lines[3:6])
    }
    assert list(rows) == [*SPECS, "cosine(total_steps=15)"]
    for _, final, best, loss, seconds in rows.values():
        assert 0.85 < float(final) < 1
        assert re.fullmatch(r"0\.\d{4} \([12]\)", best)
        assert 0.1 < float(loss) < 1
        assert float(seconds) >= 0
    assert lines[6].startswith("3 schedules trained together in")
    assert lines[-1] == f"wrote {out / 'report.html'}"
    assert sorted(os.listdir(out)) == sorted(FILES)
    summary = json.loads((out / "summary.json").read_text())
    table = {r["schedule"]: r for r in summary["results"]}
    assert table[SPECS[0]]["final_test_accuracy"] == pytest.approx(
        float(rows[SPECS[0]][1]), abs=5e-5
    )


def test_quiet_prints_the_table_only(tmp_path, capsys, tiny):
    code, stdout, stderr = compare(
        capsys, *SPECS, *tiny, "--out", tmp_path / "q", "--quiet"
    )

    assert code == 0
    assert stdout.splitlines()[0].startswith("schedule ")
    assert len(stdout.splitlines()) == 1 + 2 + 1 + 1
    assert stderr == ""


def test_config_file_and_overrides(tmp_path, capsys, tiny_dir):
    config = tmp_path / "cmp.toml"
    config.write_text(
        f"""
title = "From a file"
epochs = 3
batch_size = 25
seed = 5
data_dir = "{tiny_dir}"
out = "from-file"

[[schedules]]
name = "step"
step_size = 1
gamma = 0.5

[[schedules]]
spec = "constant()"
"""
    )

    code, _, stderr = compare(capsys, "--config", config, "--epochs", 2, "--quiet")

    assert code == 0, stderr
    out = tmp_path / "from-file"  # relative to the file's folder
    summary = json.loads((out / "summary.json").read_text())
    assert summary["config"] == {
        "schedules": ["step(step_size=1, gamma=0.5)", "constant()"],
        "epochs": 2,
        "lr": 0.1,
        "batch_size": 25,
        "seed": 5,
        "data_dir": str(tiny_dir),
        "title": "From a file",
    }
    assert "From a file" in (out / "report.html").read_text()

    # Specs on the command line replace the file's schedules.
    code, _, stderr = compare(
        capsys, "--config", config, "cosine(total_steps=3)", "--out", tmp_path / "b"
    )
    assert code == 0, stderr
    summary = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert summary["config"]["schedules"] == ["cosine(total_steps=3)"]
    assert summary["config"]["epochs"] == 3


def test_overwrite_replaces_a_previous_run(tmp_path, capsys, tiny):
    out = tmp_path / "cmp"
    assert compare(capsys, SPECS[0], *tiny, "--out", out)[0] == 0
    first = (out / "summary.json").read_text()

    code, stdout, stderr = compare(capsys, SPECS[1], *tiny, "--out", out)
    assert code == 2
    assert stderr == (
        f"lrlab compare: error: argument --out: {str(out)!r} holds a previous "
        "run; use --overwrite to replace it\n"
    )
    assert stdout == ""  # refused before training
    assert (out / "summary.json").read_text() == first

    code, stdout, stderr = compare(capsys, SPECS[1], *tiny, "--out", out, "--overwrite")
    assert code == 0, stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["config"]["schedules"] == [SPECS[1]]
    assert sorted(os.listdir(tmp_path)) == ["cmp", "tiny"]


def unwritable(tmp_path: Path) -> Path:
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        return locked / "out"
    try:
        os.rmdir(tempfile.mkdtemp(dir="/sys"))
    except OSError:
        return Path("/sys/lrlab-out")
    pytest.skip("no folder here refuses new folders to this user")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["nope(gamma=1)"],
            r"argument SPEC: invalid spec 'nope\(gamma=1\)' at position 0: "
            r"unknown schedule 'nope'; known schedules: ",
        ),
        (
            ["step(step_size=0)"],
            r"argument SPEC: step_size must be a positive integer, got 0 "
            r"\(in 'step\(step_size=0\)'\)",
        ),
        (
            [],
            r"argument SPEC: give at least one schedule \(or schedules in "
            r"--config\), got none",
        ),
        (
            ["constant", "constant()"],
            r"argument SPEC: schedules: 'constant\(\)' is listed twice",
        ),
        (["constant", "--epochs", "0"], "argument --epochs: must be a positive"),
        (["constant", "--lr", "-1"], "argument --lr: must be a positive number"),
        (
            ["constant", "--data-dir", "/no/such/dir"],
            "argument --data-dir: directory does not exist, got '/no/such/dir'",
        ),
        (
            ["constant", "--config", "/no/such.toml"],
            "argument --config: /no/such.toml: cannot read: No such file",
        ),
        (
            ["constant", "--batch-size", "5000"],
            r"argument --batch-size: must be at most the number of training "
            r"images \(300\), got 5000",
        ),
    ],
)
def test_bad_input_is_one_line_naming_the_option(
    tmp_path, capsys, tiny_dir, argv, message
):
    out = tmp_path / "out"
    # Later options win, so argv overrides these.
    base = ["--data-dir", tiny_dir, "--out", out, "--epochs", 1]

    code, _, stderr = compare(capsys, *base, *argv)

    assert code == 2
    assert stderr.startswith("lrlab compare: error: ")
    assert stderr.count("\n") == 1
    assert re.search(message, stderr), stderr
    assert not out.exists()


def test_unknown_config_key(tmp_path, capsys):
    config = tmp_path / "c.toml"
    config.write_text('schedules = ["constant"]\nepoch = 3\n')

    code, _, stderr = compare(capsys, "--config", config, "--out", tmp_path / "o")

    assert code == 2
    assert stderr == (
        f"lrlab compare: error: argument --config: {config}: unknown key 'epoch'; "
        "valid keys: title, epochs, lr, batch_size, seed, data_dir, out, schedules\n"
    )


def test_unwritable_out_is_refused_before_training(tmp_path, capsys, tiny):
    out = unwritable(tmp_path)

    code, stdout, stderr = compare(capsys, "constant", *tiny, "--out", out)

    assert code == 2
    assert stderr.startswith(
        f"lrlab compare: error: argument --out: cannot create a folder in "
        f"{str(out.parent)!r}: "
    )
    assert stdout == ""


def test_out_holding_other_files_is_refused(tmp_path, capsys, tiny):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")

    code, _, stderr = compare(capsys, "constant", *tiny, "--out", mine, "--overwrite")

    assert code == 2
    assert "holds files that are not an lrlab compare run" in stderr
    assert os.listdir(mine) == ["notes.txt"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("stream", "enabled", "shown"),
    [
        (Terminal(), True, True),
        (Terminal(), False, False),  # --quiet
        (io.StringIO(), True, False),  # redirected
    ],
)
def test_progress_bar_only_on_a_terminal_and_not_quiet(stream, enabled, shown):
    with epoch_bar(3, description="compare", enabled=enabled, stream=stream) as bar:
        assert bar.disable is not shown
        bar.update(3)


def test_a_missing_data_dir_in_the_config_file(tmp_path, capsys):
    config = tmp_path / "c.toml"
    config.write_text('data_dir = "nowhere"\nschedules = ["constant"]\n')

    code, _, stderr = compare(capsys, "--config", config, "--out", tmp_path / "o")

    assert code == 2
    assert stderr == (
        "lrlab compare: error: argument --config: data_dir: "
        f"{tmp_path / 'nowhere'}: no such directory\n"
    )


def test_a_batch_size_from_the_config_file_is_named_as_such(tmp_path, capsys, tiny_dir):
    config = tmp_path / "c.toml"
    config.write_text(
        f'data_dir = "{tiny_dir}"\nbatch_size = 5000\nschedules = ["constant"]\n'
    )

    code, _, stderr = compare(capsys, "--config", config, "--out", tmp_path / "o")

    assert code == 2
    assert stderr == (
        "lrlab compare: error: argument --config: batch_size must be at most the "
        "number of training images (300), got 5000\n"
    )
