"""``lrlab plot``: values out as csv/json, text charts, and bad input."""

from __future__ import annotations

import csv
import io
import json
import os
import stat

import pytest

from lrlab import plotting
from lrlab.cli import main
from lrlab.spec import parse_schedule

SPECS = ("exponential(gamma=0.8)", "step(step_size=5, gamma=0.5)")


def lrlab(capsys, *argv):
    """Run the command line; return (exit code, stdout, stderr)."""
    try:
        code = main(["plot", *argv])
    except SystemExit as stop:
        code = stop.code
    out, err = capsys.readouterr()
    return code, out, err


def expected_lrs(spec, steps, base_lr):
    schedule = parse_schedule(spec)
    return [base_lr * schedule(step) for step in range(steps)]


# --- values --------------------------------------------------------------


@pytest.mark.parametrize("base_lr", [0.1, 0.37, 3e-4])
def test_csv_values_are_exactly_base_lr_times_the_schedule(capsys, base_lr):
    code, out, err = lrlab(
        capsys, *SPECS, "--steps", "23", "--lr", repr(base_lr), "--format", "csv"
    )

    assert (code, err) == (0, "")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["step", *SPECS]
    assert [int(row[0]) for row in rows[1:]] == list(range(23))
    for column, spec in enumerate(SPECS, start=1):
        values = [float(row[column]) for row in rows[1:]]
        assert values == expected_lrs(spec, 23, base_lr)


def test_json_values_are_exactly_base_lr_times_the_schedule(capsys):
    code, out, _ = lrlab(capsys, *SPECS, "--steps", "15", "--format", "json")

    assert code == 0
    document = json.loads(out)
    assert document["base_lr"] == 0.1
    assert document["step"] == list(range(15))
    assert [entry["spec"] for entry in document["schedules"]] == list(SPECS)
    for entry in document["schedules"]:
        assert entry["lr"] == expected_lrs(entry["spec"], 15, 0.1)


def test_the_default_base_lr_is_the_lessons(capsys):
    _, out, _ = lrlab(capsys, "constant", "--steps", "2", "--format", "json")

    assert json.loads(out)["schedules"][0]["lr"] == [0.1, 0.1]


def test_steps_per_epoch_adds_an_epoch_column(capsys):
    _, out, _ = lrlab(
        capsys, *SPECS, "--steps", "6", "--steps-per-epoch", "4", "--format", "csv"
    )

    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][:2] == ["step", "epoch"]
    assert [float(row[1]) for row in rows[1:]] == [0, 0.25, 0.5, 0.75, 1, 1.25]


@pytest.mark.parametrize("value_format", ["csv", "json"])
def test_values_go_to_the_output_file_named(capsys, tmp_path, value_format):
    target = tmp_path / f"lrs.{value_format}"

    code, out, _ = lrlab(capsys, *SPECS, "--steps", "9", "-o", str(target))

    assert code == 0
    assert out == f"wrote {target}\n"
    _, printed, _ = lrlab(capsys, *SPECS, "--steps", "9", "--format", value_format)
    assert target.read_text() == printed
    assert os.listdir(tmp_path) == [target.name]


def test_an_existing_file_is_replaced_and_keeps_its_permissions(capsys, tmp_path):
    target = tmp_path / "lrs.csv"
    target.write_text("old contents, much longer than the new ones " * 100)
    target.chmod(0o640)

    lrlab(capsys, "constant", "--steps", "2", "-o", str(target))

    assert target.read_text() == "step,constant\n0,0.1\n1,0.1\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


@pytest.mark.parametrize("name", ["lrs.csv", "lrs.png"])
def test_a_new_file_gets_the_usual_permissions(capsys, tmp_path, name):
    mask = os.umask(0o027)
    try:
        lrlab(capsys, "constant", "--steps", "2", "-o", str(tmp_path / name))
    finally:
        os.umask(mask)

    assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o640


# --- the text chart ------------------------------------------------------


def test_without_an_output_file_a_text_chart_is_printed(capsys):
    specs = (*SPECS, "multistep(milestones=[3, 8], gamma=0.3)")

    code, out, err = lrlab(capsys, *specs, "--steps", "15")

    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert all(len(line) <= 80 for line in lines)
    # One legend line per schedule, with its marker, first and last lr.
    assert "  * exponential(gamma=0.8): 0.1 -> 0.0044" in lines
    assert "  o step(step_size=5, gamma=0.5): 0.1 -> 0.025" in lines
    assert "  + multistep(milestones=[3, 8], gamma=0.3): 0.1 -> 0.009" in lines
    plot_area = "\n".join(line for line in lines if "|" in line)
    for marker in "*o+":
        assert marker in plot_area
    # The lr axis is labelled with the highest and lowest lr shown.
    assert lines[0].lstrip().startswith("0.1 |")
    assert lines[11].lstrip().startswith("0.0044 |")
    # The step axis runs from the first to the last step.
    assert lines[13].split() == ["0", "step", "14"]


def test_the_text_chart_can_show_epochs_and_a_log_axis(capsys):
    code, out, _ = lrlab(
        capsys,
        "exponential(gamma=0.99)",
        "--steps",
        "1000",
        "--steps-per-epoch",
        "100",
        "--log",
    )

    assert code == 0
    lines = out.splitlines()
    assert lines[13].split() == ["0", "epoch", "9.99"]
    # On a log axis an exponential decay is a straight line: the marker
    # moves down by the same number of rows in each half of the chart.
    rows = [row for row, line in enumerate(lines[:12]) if "*" in line]
    assert rows == list(range(12))


# --- bad input -----------------------------------------------------------


def assert_one_line_error(code, out, err, *fragments):
    assert code == 2
    assert out == ""
    assert err.startswith("lrlab plot: error: ")
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["expo(gamma=0.8)"], ["SPEC", "expo(gamma=0.8)", "unknown schedule"]),
        (["exponential(gamma=0.8"], ["SPEC", "exponential(gamma=0.8", "position"]),
        (["step(step_size=0)"], ["SPEC", "step(step_size=0)", "got 0"]),
        (["constant", "constant"], ["SPEC", "'constant' is given twice"]),
        (["constant", "--steps", "0"], ["--steps", "0"]),
        (["constant(0)", "--log"], ["--log", "every lr is 0"]),
        (["constant(0)", "--log", "-o", "zero.png"], ["--log", "every lr is 0"]),
        (["constant", "--steps", "ten"], ["--steps", "ten"]),
        (["constant", "--steps", "10000001"], ["--steps", "10,000,001"]),
        (["constant", "--lr", "-0.1"], ["--lr", "-0.1"]),
        (["constant", "--lr", "nan"], ["--lr", "nan"]),
        (["constant", "--steps-per-epoch", "0"], ["--steps-per-epoch", "0"]),
        (["constant", "--format", "xml"], ["--format", "xml"]),
        (["constant", "-o", "lrs.txt"], ["-o", "lrs.txt", ".png"]),
        (["constant", "-o", "lrs"], ["-o", "'lrs'"]),
        (["constant", "-o", "lrs.png", "--format", "csv"], ["-o", "lrs.png", "csv"]),
        (["constant", "-o", "no/such/folder/lrs.png"], ["-o", "no/such/folder"]),
    ],
)
def test_bad_input_is_one_line_naming_the_option(capsys, argv, fragments):
    assert_one_line_error(*lrlab(capsys, *argv), *fragments)


def test_an_output_under_a_file_is_an_error(capsys, tmp_path):
    (tmp_path / "file").write_text("")
    target = tmp_path / "file" / "lrs.png"

    assert_one_line_error(
        *lrlab(capsys, "constant", "-o", str(target)), "-o", "is not a folder"
    )


def test_an_output_that_is_a_folder_is_an_error(capsys, tmp_path):
    (tmp_path / "lrs.png").mkdir()
    target = tmp_path / "lrs.png"

    assert_one_line_error(
        *lrlab(capsys, "constant", "-o", str(target)), "-o", "is a folder"
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_an_output_in_a_read_only_folder_is_an_error(capsys, tmp_path):
    tmp_path.chmod(0o500)
    try:
        result = lrlab(capsys, "constant", "-o", str(tmp_path / "lrs.png"))
    finally:
        tmp_path.chmod(0o700)

    assert_one_line_error(*result, "-o", "not writable")


@pytest.mark.parametrize("name", ["lrs.png", "lrs.csv"])
def test_a_failed_write_is_an_error_and_leaves_nothing(
    capsys, tmp_path, monkeypatch, name
):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    target = tmp_path / name

    result = lrlab(capsys, "constant", "-o", str(target))

    assert_one_line_error(*result, "-o", name, "Permission denied")
    assert os.listdir(tmp_path) == []


def test_registering_plot_and_find_lr_imports_neither_torch_nor_matplotlib():
    import subprocess
    import sys

    code = (
        "import argparse, sys\n"
        "from lrlab.commands import find_lr, plot\n"
        "subparsers = argparse.ArgumentParser().add_subparsers()\n"
        "plot.register(subparsers)\n"
        "find_lr.register(subparsers)\n"
        "print(sorted(m for m in ('torch', 'matplotlib') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout == "[]\n"


def test_line_styles_go_round_the_colours_then_the_styles():
    styles = [plotting.line_style(i) for i in range(41)]

    assert [colour for colour, _ in styles[:10]] == list(plotting.COLOURS)
    assert {style for _, style in styles[:10]} == {"-"}
    assert styles[10] == (plotting.COLOURS[0], "--")
    assert len(set(styles[:40])) == 40
    assert styles[40] == styles[0]
