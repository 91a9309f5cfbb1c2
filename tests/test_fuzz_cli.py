"""Random command lines: every run ends in success or one clean error line.

For each subcommand a strategy builds argument lists from valid and broken
option names and values (wrong types, negatives, zeros, huge numbers,
empty strings, missing folders, files where folders belong, broken
specs) and runs them through ``lrlab.cli.main`` in-process. The only
outcomes allowed are exit code 0, or exit code 2 with exactly one line
``lrlab <command>: error: ...`` on stderr (also 3 from train when the
loss diverges, 3 from compare when every schedule diverges, 1 from tune
when no trial completed); no exception may escape and no
warning may add a line. Training stays cheap: a small copy of MNIST
(6,000 training and 1,000 test images), a few epochs at most, one trial.
A few cases also run the installed ``lrlab`` script, to show that no
traceback reaches a user.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from conftest import write_idx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrlab.cli import main

# --- a small world to run in: data, an existing file, an existing folder.


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    from lrlab.data import load_mnist

    root = tmp_path_factory.mktemp("fuzz-cli")
    mnist = load_mnist()
    data = root / "data"
    data.mkdir()
    for prefix, split, count in (
        ("train", mnist.train, 6000),
        ("t10k", mnist.test, 1000),
    ):
        write_idx(data / f"{prefix}-images-idx3-ubyte", split.images[:count])
        write_idx(data / f"{prefix}-labels-idx1-ubyte", split.labels[:count])
    a_file = root / "a-file.txt"
    a_file.write_text("not a folder\n")
    work = root / "work"
    work.mkdir()
    return {
        "data": str(data),
        "file": str(a_file),
        "root": str(root),
        "work": str(work),
    }


# --- values: each pool mixes valid and invalid text; {placeholders} are
# filled in from the world when the test runs.

BAD_NUMBERS = [
    "", " ", "x", "1,5", "nan", "inf", "-inf", "1e400", "-1e400", "0x10",
    "٣", "None", "--", "-1", "-0", "0", "1.5", "1e3",
    "99999999999999999999999",
]  # fmt: skip
SMALL_COUNTS = ["1", "2", "3"]
LRS = ["0.1", "0.5", "1e-3", "1e308", "5e-324", "1e-300", *BAD_NUMBERS]
SEEDS = ["0", "7", str(2**63 - 1), str(2**63), "-1", "1e3", "x", ""]
PATHS = [
    "",
    ".",
    "{file}",
    "{file}/x",
    "{root}/missing/x",
    "{root}",
    "/dev/null",
    "\x00",
]
SPECS = [
    "constant",
    "exponential(gamma=0.8)",
    "step(step_size=1, gamma=0.5)",
    "cosine(total_steps=3)",
    "warmup(cosine(total_steps=3), warmup_steps=1)",
    "exponential(gamma=2)",
    "step(step_size=1, gamma=1e308)",
    "product([exponential(2), exponential(0.5)])",
    "",
    " ",
    "unknown(",
    "step(",
    "step(step_size=0)",
    "step(step_size=5if)",
    "exponential(gamma=1e400)",
    "constant(factor=" + str(2**1100) + ")",
    "[" * 5000 + "]" * 5000,
    "step(step_size=" + "1+" * 20000 + "1)",
    "\x00",
    "ünïcode(ß=1)",
    "-constant",
    "--schedule",
]
SPACES = [
    "step(step_size=int(1, 3))",
    "exponential(gamma=float(0.5, 0.9))",
    "step(step_size=choice(1, 2))",
    "step(step_size=int(0, 3))",
    "step(step_size=int(3, 1))",
    "step(step_size=float(1, 3))",
    "step(step_size=2)",
    "step(int(1, 3), choice())",
    *SPECS[8:],
]
TENSORBOARD_DIRS = ["tb", "{file}", "{file}/tb", "{root}/missing/tb", *PATHS]
JUNK_OPTIONS = ["--epoch", "--bogus", "-x", "--lr=", "--", "-", "--quiet=1", "-h"]

# Options of each command: name -> values (None: a flag without value).
OPTIONS = {
    "train": {
        "--schedule": SPECS,
        "--epochs": SMALL_COUNTS + BAD_NUMBERS[:-1],
        "--lr": [*LRS, "1e39"],
        "--batch-size": ["100", "1000", "6000", "6001", "10000000", *BAD_NUMBERS],
        "--seed": SEEDS,
        "--data-dir": ["{data}", *PATHS],
        "--metrics": [
            "m.csv",
            "m.jsonl",
            "M.CSV",
            "m.txt",
            "m",
            "{root}/missing/m.csv",
            "{file}/m.csv",
            "{data}",
            *PATHS,
        ],
        "--checkpoint-dir": ["ck", "ck2", "{file}", "{root}/missing/ck", *PATHS],
        "--keep-checkpoints": ["1", "2", *BAD_NUMBERS],
        "--resume": ["ck", "ck2", "{root}/missing", "{file}", *PATHS],
        "--allow-config-change": None,
        "--tensorboard": TENSORBOARD_DIRS,
        "--quiet": None,
    },
    "plot": {
        "--steps": ["1", "10", "100", "10000001", *BAD_NUMBERS],
        "--lr": LRS,
        "--log": None,
        "--steps-per-epoch": ["1", "7", *BAD_NUMBERS],
        "--format": ["csv", "json", "png", "", "CSV"],
        "-o": [
            "p.png",
            "p.svg",
            "p.csv",
            "p.json",
            "p.PNG",
            "p.txt",
            "p",
            ".png",
            "{file}",
            "{file}/p.png",
            "{root}/missing/p.png",
            *PATHS,
        ],
    },
    "find-lr": {
        "--start-lr": LRS,
        "--end-lr": ["1", "10", "1e30", "1e39", "1e300", *BAD_NUMBERS],
        "--steps": ["2", "3", "5", *BAD_NUMBERS[:-1]],
        "--mode": ["exp", "linear", "log", ""],
        "--seed": SEEDS,
        "-o": ["f.png", "f.pdf", "f.csv", "f", "{file}/f.png", *PATHS],
    },
    "compare": {
        "--config": ["{file}", "{root}/missing.toml", "{data}", "", "c.toml"],
        "--epochs": SMALL_COUNTS + BAD_NUMBERS[:-1],
        "--lr": [*LRS, "1e39"],
        "--batch-size": ["100", "6001", *BAD_NUMBERS],
        "--seed": SEEDS,
        "--data-dir": ["{data}", *PATHS],
        "--out": ["out-1", "out-2", "{file}", "{root}/missing/out", "{data}", *PATHS],
        "--overwrite": None,
        "--tensorboard": [*TENSORBOARD_DIRS, "out-1", "out-1/tb"],
        "--quiet": None,
    },
    "tune": {
        "--lr": ["0.1", "float(1e-3, 1, log)", "float(0, 1)", "choice(1, 2)", *LRS[3:]],
        "--trials": ["1", "2", *BAD_NUMBERS[:-1]],
        "--epochs": ["1", *BAD_NUMBERS[:-1]],
        "--batch-size": ["100", "6001", *BAD_NUMBERS],
        "--seed": SEEDS,
        "--val-fraction": ["0.1", "0.5", "0", "1", "nan", "-0.1", "x", ""],
        "--pruner": ["median", "none", "", "hyperband"],
        "--storage": ["t.db", "sqlite:///t2.db", "{file}", "nosuch://x", *PATHS],
        "--study": ["s1", "s2", "", " "],
        "--out": ["tune-out", "{file}", "{root}/missing/out", *PATHS],
        "--train-size": ["600", "1", "6001", *BAD_NUMBERS],
        "--data-dir": ["{data}", *PATHS],
        "--quiet": None,
    },
}

# Values that pass the checks, for runs built to succeed (most of the time:
# two valid options can still disagree, e.g. --format csv with -o p.png).
GOOD_SPECS = SPECS[:5]
VALID = {
    "train": {
        "--schedule": GOOD_SPECS,
        "--epochs": ["1", "2"],
        "--lr": ["0.1", "0.5", "1e-3", "1e39", "1e308", "5e-324"],
        "--batch-size": ["100", "1000", "6000"],
        "--seed": ["0", "7", str(2**63 - 1)],
        "--metrics": ["m.csv", "m.jsonl", "M.CSV"],
        "--checkpoint-dir": ["ck"],
        "--resume": ["ck"],
        "--tensorboard": ["tb"],
        "--quiet": None,
    },
    "plot": {
        "--steps": ["1", "10", "100"],
        "--lr": ["0.1", "1e-3", "1e300", "5e-324"],
        "--log": None,
        "--steps-per-epoch": ["1", "7"],
        "--format": ["csv", "json"],
        "-o": ["p.png", "p.svg", "p.csv", "p.json", "p.PNG"],
    },
    "find-lr": {
        "--start-lr": ["1e-6", "1e-3"],
        "--end-lr": ["1", "10"],
        "--steps": ["2", "3", "5"],
        "--mode": ["exp", "linear"],
        "--seed": ["0", "7"],
        "-o": ["f.png", "f.pdf"],
    },
    "compare": {
        "--epochs": ["1", "2"],
        "--lr": ["0.1", "1e-3"],
        "--batch-size": ["100", "6000"],
        "--seed": ["0", "7"],
        "--out": ["out-1"],
        "--tensorboard": ["tb"],
    },
    "tune": {
        "--lr": ["0.1", "float(1e-3, 1, log)"],
        "--batch-size": ["100"],
        "--seed": ["0", "7"],
        "--val-fraction": ["0.1", "0.5"],
        "--pruner": ["median", "none"],
        "--storage": ["t.db", "sqlite:///t2.db"],
        "--study": ["s1", "s2"],
        "--out": ["tune-out"],
    },
}
GOOD_POSITIONALS = {"plot": GOOD_SPECS, "compare": GOOD_SPECS, "tune": SPACES[:3]}

# What keeps a successful run cheap, given first; later options win.
CHEAP = {
    "train": ["--data-dir", "{data}", "--epochs", "1", "--quiet"],
    "plot": [],
    "find-lr": ["--steps", "3"],
    "compare": ["--data-dir", "{data}", "--epochs", "1", "--quiet"],
    "tune": [
        "--data-dir",
        "{data}",
        "--train-size",
        "600",
        "--trials",
        "1",
        "--epochs",
        "1",
        "--storage",
        "t.db",
        "--quiet",
    ],
}
POSITIONALS = {"plot": SPECS, "compare": SPECS, "tune": SPACES}


@st.composite
def command_line(draw: st.DrawFn, command: str) -> list[str]:
    """Arguments for ``command``: all valid, or a mix of valid and broken."""
    argv = [command, *CHEAP[command]]
    if draw(st.booleans()):
        return argv + draw(valid_arguments(command))

    if command in POSITIONALS:
        argv += draw(st.lists(st.sampled_from(POSITIONALS[command]), max_size=2))
    options = OPTIONS[command]
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.integers(0, 9))
        if kind == 0:
            argv.append(draw(st.sampled_from(JUNK_OPTIONS)))
            continue
        name = draw(st.sampled_from(sorted(options)))
        values = options[name]
        if values is None:
            argv.append(name)
        elif kind == 1:
            argv.append(name)  # the value left out
        elif kind == 2:
            argv.append(f"{name}={draw(st.sampled_from(values))}")
        else:
            argv += [name, draw(st.sampled_from(values))]
    return argv


@st.composite
def valid_arguments(draw: st.DrawFn, command: str) -> list[str]:
    argv = []
    if command in GOOD_POSITIONALS:
        specs = st.sampled_from(GOOD_POSITIONALS[command])
        argv += draw(st.lists(specs, min_size=1, max_size=2, unique=True))
    options = VALID[command]
    names = draw(st.lists(st.sampled_from(sorted(options)), max_size=3, unique=True))
    for name in names:
        values = options[name]
        argv += [name] if values is None else [name, draw(st.sampled_from(values))]
    if command == "compare":
        argv.append("--overwrite")
    return argv


def run_in_process(argv: list[str], world: dict[str, str]) -> tuple[int, str, str]:
    argv = [arg.format(**world) if "{" in arg else arg for arg in argv]
    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        try:
            code = main(argv)
        except SystemExit as exit_:
            code = exit_.code
    shown = [f"{w.category.__name__}: {w.message}" for w in caught]
    return code, out.getvalue(), err.getvalue() + "".join(s + "\n" for s in shown)


def check_outcome(argv: list[str], code: int, out: str, err: str) -> None:
    command = argv[0]
    if code == 0:
        assert "Traceback" not in err, (argv, err)
        assert "Warning" not in err, (argv, err)
        return
    if command == "tune" and code == 1:
        assert "no trial completed" in out, (argv, out, err)
        return
    if command in ("train", "compare") and code == 3:  # the loss diverged
        assert "training diverged" in out + err, (argv, out, err)
        assert "Traceback" not in err and len(err.splitlines()) <= 1, (argv, err)
        return
    assert code == 2, (argv, code, err)
    lines = err.splitlines()
    assert len(lines) == 1, (argv, err)
    assert lines[0].startswith(f"lrlab {command}: error: "), (argv, err)
    assert len(lines[0]) < 2000 or any(len(a) > 1000 for a in argv), (argv, err)


FUZZ = settings(
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
COUNTS = {"plot": 120, "train": 60, "find-lr": 25, "compare": 12, "tune": 20}


@pytest.mark.parametrize("command", COUNTS)
def test_random_command_lines(
    command: str, world: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(world["work"])

    @settings(FUZZ, max_examples=COUNTS[command])
    @given(command_line(command))
    def check(argv: list[str]) -> None:
        code, out, err = run_in_process(argv, world)
        check_outcome(argv, code, out, err)

    check()


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    st.lists(
        st.sampled_from(["train", "plot", "nope", "", "--version", "-h", "--x", "-"])
        | st.text(max_size=5),
        max_size=3,
    )
)
def test_random_top_level_arguments(argv: list[str]) -> None:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exit_:
            code = exit_.code
    if code not in (0, None):
        assert code == 2, (argv, err.getvalue())
        assert len(err.getvalue().splitlines()) == 1, (argv, err.getvalue())
        assert err.getvalue().startswith("lrlab"), (argv, err.getvalue())


DIVERGING = [
    ["train", "--lr", "1e39"],
    ["compare", "constant", "--lr", "1e39", "--out", "c1", "--overwrite"],
    ["compare", "constant", "constant(1e30)", "--out", "c2", "--overwrite"],
]
OVERFLOWING = [
    ["train", "--lr", "1e308"],
    ["train", "--schedule", "constant(1e300)"],
    ["compare", "constant", "--lr", "1e308", "--out", "c3"],
]


@pytest.mark.parametrize(
    "argv",
    [
        *DIVERGING,
        *OVERFLOWING,
    ],
    ids=lambda argv: " ".join(argv),
)
def test_runs_that_diverge_end_cleanly(
    argv: list[str], world: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(world["work"])
    argv = [*argv, "--data-dir", world["data"], "--epochs", "1", "--quiet"]
    code, out, err = run_in_process(argv, world)
    check_outcome(argv, code, out, err)


# --- the installed script: what a user sees.

SCRIPT = Path(sys.executable).with_name("lrlab")


@pytest.mark.skipif(not SCRIPT.exists(), reason="the lrlab script is not installed")
@pytest.mark.parametrize(
    "argv",
    [
        ["plot", "step(step_size=5if)"],
        ["plot", "constant", "--lr", "1e308", "-o", "big.png"],
        ["train", "--schedule", "step(step_size=" + "1+" * 20000 + "1)"],
        ["find-lr", "--end-lr", "1e300"],
        ["tune", "step(int(1, 3))", "--storage", ""],
        ["compare", "constant", "--out", "{file}"],
    ],
    ids=lambda argv: " ".join(argv)[:40],
)
def test_the_script_prints_one_line_and_no_traceback(
    argv: list[str], world: dict[str, str], tmp_path: Path
) -> None:
    argv = [arg.format(**world) for arg in argv]
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    result = subprocess.run(
        [str(SCRIPT), *argv],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"lrlab {argv[0]}: error: ")
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []  # nothing written
