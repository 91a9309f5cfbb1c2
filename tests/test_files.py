"""lrlab._files: the one way lrlab replaces files and tries folders."""

from __future__ import annotations

import os
import stat

import pytest

from lrlab._files import creation_problem, default_mode, write_atomically


@pytest.mark.parametrize("durable", [False, True])
def test_a_new_file_gets_the_usual_mode_and_no_temporary_is_left(tmp_path, durable):
    target = tmp_path / "m.csv"
    write_atomically(target, b"a,b\n", durable=durable)

    assert target.read_bytes() == b"a,b\n"
    assert stat.S_IMODE(target.stat().st_mode) == default_mode(0o666)
    assert os.listdir(tmp_path) == ["m.csv"]


def test_a_replaced_file_keeps_its_mode(tmp_path):
    target = tmp_path / "m.csv"
    target.write_bytes(b"old")
    target.chmod(0o640)

    write_atomically(target, b"new")

    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "m.csv"
    target.write_bytes(b"old")

    with pytest.raises(TypeError):
        write_atomically(target, "text, not bytes")  # type: ignore[arg-type]

    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["m.csv"]


def test_creation_problem(tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("x")

    assert creation_problem(tmp_path / "new" / "deeper") is None
    under_a_file = creation_problem(a_file / "sub")
    assert under_a_file == f"{str(a_file)!r} is a file, not a folder"
    assert os.listdir(tmp_path) == ["a-file"]  # the trial folder is gone
