"""Parallel ``lrlab tune`` workers on one study in a real PostgreSQL server.

The server's URL comes from LRLAB_TEST_POSTGRES_URL (``.ci/run`` starts
one); without it the test starts a throwaway server with
``scripts/postgres-test-server.sh``, and is skipped, saying why, when that
is not possible. Each test works in a database of its own, made empty, so
that the workers also race to make Optuna's tables.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

from lrlab.tune import storage_url

ENV = "LRLAB_TEST_POSTGRES_URL"
SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "postgres-test-server.sh"
WORKERS = 3
TRIALS = 8

pytest.importorskip("psycopg2", reason="psycopg2 is not installed (extra postgres)")


@pytest.fixture(scope="module")
def server_url():
    url = os.environ.get(ENV)
    if url:
        yield url
        return

    # Not pytest's tmp_path: the server may run as another user, who
    # cannot enter pytest's private folders (nor, maybe, $TMPDIR).
    shared = "/tmp" if os.path.isdir("/tmp") else None
    folder = tempfile.mkdtemp(prefix="lrlab-pg.", dir=shared)
    started = subprocess.run(
        ["bash", str(SCRIPT), "start", folder],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if started.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        reason = started.stderr.strip().splitlines()[-1:] or ["no message"]
        pytest.skip(f"{ENV} is not set and no PostgreSQL server started: {reason[0]}")
    try:
        yield started.stdout.strip()
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", folder], timeout=60, check=False)


@pytest.fixture
def database(server_url):
    """The URL of a new, empty database, dropped afterwards."""
    import sqlalchemy
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    name = f"lrlab_tune_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(
        storage_url(server_url), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name)
    yield url.render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_three_workers_started_at_once_share_one_study(database, tmp_path):
    import optuna
    from optuna.trial import TrialState

    command = [
        sys.executable,
        "-c",
        "import sys; from lrlab.cli import main; sys.exit(main())",
        "tune",
        "step(step_size=int(1, 3), gamma=float(0.1, 0.9))",
        "--lr",
        "float(1e-2, 1, log)",
        "--trials",
        str(TRIALS),
        "--epochs",
        "2",
        "--train-size",
        "6000",
        "--pruner",
        "none",
        "--storage",
        database,
        "--study",
        "shared",
    ]
    workers = [
        subprocess.Popen(
            [*command, "--out", f"out{index}"],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in range(WORKERS)
    ]
    outputs = [worker.communicate(timeout=600) for worker in workers]

    for worker, (out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
        assert err == ""
        assert "\ntest accuracy 0." in out
    study = optuna.load_study(study_name="shared", storage=storage_url(database))
    trials = study.get_trials()

    # Every trial once: numbers 0..TRIALS-1, all finished, none beyond.
    assert [trial.number for trial in trials] == list(range(TRIALS))
    assert all(trial.state == TrialState.COMPLETE for trial in trials)
    # Each worker reports the trials it ran; together they are all, once.
    ran = [
        [int(n) for n in re.findall(r"^trial +(\d+) ", out, flags=re.MULTILINE)]
        for out, _ in outputs
    ]
    assert sorted(number for numbers in ran for number in numbers) == list(
        range(TRIALS)
    )
    # Workers draw from differently seeded samplers: no point twice.
    points = {tuple(sorted(trial.params.items())) for trial in trials}
    assert len(points) == TRIALS
    # One study, made once, with the settings recorded.
    summaries = optuna.get_all_study_summaries(storage_url(database))
    assert [summary.study_name for summary in summaries] == ["shared"]
    assert study.user_attrs["lrlab.settings"]["epochs"] == 2
    print("trials per worker:", [len(numbers) for numbers in ran])
