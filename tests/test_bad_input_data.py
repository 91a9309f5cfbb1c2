"""Broken data files through the command line: one line naming the file.

tests/test_data.py checks the reader; here each fault goes through
``lrlab train --data-dir`` (and the other commands that read a folder),
and must end with exit code 2 and one line on stderr that names the file
and what is wrong with it, before any training starts.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from conftest import idx_bytes, tiny_mnist

from lrlab.cli import main

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _images(count: int = 300, side: int = 6) -> np.ndarray:
    return np.zeros((count, side, side), dtype=np.uint8)


def _gz(data: bytes) -> bytes:
    return gzip.compress(data)


# Each fault: the file to replace, its new bytes (from a function, so the
# data is built when the test runs), and words the message must hold.
FAULTS = {
    "empty": (TRAIN_IMAGES, lambda: b"", "empty file"),
    "empty-after-gunzip": (TRAIN_IMAGES, lambda: _gz(b""), "empty file"),
    "truncated-header": (
        TRAIN_IMAGES,
        lambda: _gz(idx_bytes(_images())[:6]),
        "truncated header",
    ),
    "truncated-body": (
        TRAIN_IMAGES,
        lambda: _gz(idx_bytes(_images())[:-5]),
        "truncated: dimensions 300 x 6 x 6",
    ),
    "trailing-bytes": (
        TRAIN_IMAGES,
        lambda: _gz(idx_bytes(_images()) + b"\0"),
        "too long",
    ),
    "wrong-magic": (
        TRAIN_IMAGES,
        lambda: _gz(idx_bytes(_images(), magic=2049)),
        "wrong magic number 2049",
    ),
    "labels-out-of-range": (
        TRAIN_LABELS,
        lambda: _gz(idx_bytes(np.full(300, 12))),
        "label 12 at index 0 is out of range 0..9",
    ),
    "count-mismatch": (
        TRAIN_LABELS,
        lambda: _gz(idx_bytes(np.zeros(299))),
        "299 labels but train-images-idx3-ubyte.gz has 300 images",
    ),
    "gz-not-gzip": (TRAIN_IMAGES, lambda: idx_bytes(_images()), "not a gzip file"),
    "gzip-truncated": (
        TRAIN_IMAGES,
        lambda: _gz(idx_bytes(_images()))[:-10],
        "truncated gzip data",
    ),
    "gzip-corrupt": (
        TRAIN_IMAGES,
        lambda: _gz(idx_bytes(_images()))[:12] + b"\xff" * 40,
        "corrupt gzip data",
    ),
    "no-images": (
        TRAIN_IMAGES,
        lambda: _gz(idx_bytes(_images(0))),
        "has 0 images",
    ),
    "no-pixels": (
        TRAIN_IMAGES,
        lambda: _gz(idx_bytes(_images(side=0))),
        "images of 0 x 0 pixels hold no pixel",
    ),
    "absurd-dimensions": (
        TRAIN_IMAGES,
        lambda: _gz(b"\0\0\x08\x03" + b"\xff" * 12),
        "truncated: dimensions 4294967295",
    ),
    "test-labels-garbage": (TEST_LABELS, lambda: _gz(b"garbage" * 10), "t10k-labels"),
}


@pytest.mark.parametrize("fault", FAULTS, ids=list(FAULTS))
def test_train_reports_a_broken_file_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fault: str
) -> None:
    name, data, words = FAULTS[fault]
    folder = tiny_mnist(tmp_path / "data")
    (folder / name).write_bytes(data())

    code, out, err = run(["train", "--data-dir", str(folder), "--epochs", "1"], capsys)

    assert code == 2, err
    assert out == ""  # nothing printed before the data is read
    lines = err.splitlines()
    assert len(lines) == 1, err
    expected_file = name.split("-idx")[0]
    assert lines[0].startswith("lrlab train: error: argument --data-dir: "), err
    assert expected_file in lines[0], err
    assert words in lines[0], err


def test_a_gzip_file_without_the_gz_name_gets_a_hint(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tiny_mnist(tmp_path / "data")
    (folder / TRAIN_IMAGES).rename(folder / "train-images-idx3-ubyte")
    code, _, err = run(["train", "--data-dir", str(folder)], capsys)
    assert code == 2
    assert "train-images-idx3-ubyte: wrong magic number" in err
    assert "it looks gzipped, name it .gz" in err


def test_a_folder_where_a_file_should_be(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tiny_mnist(tmp_path / "data")
    (folder / TRAIN_LABELS).unlink()
    (folder / TRAIN_LABELS).mkdir()
    code, _, err = run(["train", "--data-dir", str(folder)], capsys)
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert "train-labels-idx1-ubyte" in err and "file not found" in err


def test_an_unreadable_file(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # chmod 000 does not stop root; fail the read itself instead.
    folder = tiny_mnist(tmp_path / "data")
    target = folder / TRAIN_IMAGES
    read_bytes = Path.read_bytes

    def refuse(path: Path) -> bytes:
        if path == target:
            raise PermissionError(13, "Permission denied", str(path))
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    code, _, err = run(["train", "--data-dir", str(folder)], capsys)
    assert code == 2
    assert err.splitlines() == [
        f"lrlab train: error: argument --data-dir: {target}: cannot read: "
        "Permission denied"
    ]


def test_training_and_test_images_of_different_sizes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tiny_mnist(tmp_path / "data")
    test_images = folder / "t10k-images-idx3-ubyte.gz"
    test_images.write_bytes(_gz(idx_bytes(_images(100, side=7))))
    code, _, err = run(["train", "--data-dir", str(folder)], capsys)
    assert code == 2
    assert "training images are 6 x 6 but test images are 7 x 7" in err


@pytest.mark.parametrize("command", ["compare", "tune"])
def test_other_commands_report_a_broken_file_the_same_way(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    folder = tiny_mnist(tmp_path / "data")
    (folder / TRAIN_LABELS).write_bytes(_gz(idx_bytes(np.full(300, 12))))
    argv = {
        "compare": ["compare", "constant", "--out", str(tmp_path / "out")],
        "tune": [
            "tune",
            "step(int(1, 3))",
            "--storage",
            str(tmp_path / "t.db"),
            "--out",
            str(tmp_path / "out"),
        ],
    }[command]
    code, _, err = run([*argv, "--data-dir", str(folder)], capsys)
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"lrlab {command}: error: argument --data-dir: ")
    assert "label 12 at index 0 is out of range 0..9" in lines[0]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["train", "compare", "tune"])
def test_data_dir_that_is_a_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    a_file = tmp_path / "data.gz"
    a_file.write_bytes(b"x")
    first = {"train": [], "compare": ["constant"], "tune": ["step(int(1, 3))"]}
    argv = [command, *first[command], "--data-dir", str(a_file)]
    argv += [] if command == "train" else ["--out", str(tmp_path / "out")]
    code, _, err = run(argv, capsys)
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"lrlab {command}: error: argument --data-dir: ")
    assert str(a_file) in lines[0]


def test_load_mnist_from_a_file_says_it_is_not_a_directory(tmp_path: Path) -> None:
    from lrlab.data import DataError, load_mnist

    a_file = tmp_path / "data.gz"
    a_file.write_bytes(b"x")
    with pytest.raises(DataError, match=r"data\.gz: not a directory$"):
        load_mnist(a_file)
    with pytest.raises(DataError, match=r"missing: no such directory$"):
        load_mnist(tmp_path / "missing")


def test_gzip_too_large_for_memory(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A small .gz of zeros can expand to more than the machine holds.
    folder = tiny_mnist(tmp_path / "data")

    def too_large(data: bytes) -> bytes:
        raise MemoryError

    monkeypatch.setattr(gzip, "decompress", too_large)
    code, _, err = run(["train", "--data-dir", str(folder)], capsys)
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "train-images-idx3-ubyte.gz: too large to decompress in memory" in err
