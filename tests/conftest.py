"""Shared test helpers: small, real IDX files written in a temporary folder."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    """The IDX encoding of an unsigned-byte array (header, then the data)."""
    array = np.asarray(array, dtype=np.uint8)
    if magic is None:
        magic = 0x0800 + array.ndim
    header = magic.to_bytes(4, "big")
    header += b"".join(size.to_bytes(4, "big") for size in array.shape)
    return header + array.tobytes()


def write_idx(
    path: Path, array: np.ndarray, magic: int | None = None, *, raw: bytes = b""
) -> Path:
    """Write ``array`` as IDX to ``path``, gzipped if the name ends in .gz.

    ``raw``, if given, is written instead of the encoding of ``array``.
    """
    data = raw or idx_bytes(array, magic)
    if path.suffix == ".gz":
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


def tiny_mnist(
    folder: Path,
    *,
    num_train: int = 300,
    num_test: int = 100,
    side: int = 6,
    gz: bool = True,
    dotted: bool = False,
    seed: int = 0,
) -> Path:
    """Write a small learnable dataset in the MNIST layout into ``folder``.

    Each class lights up its own pixel block, plus noise, so a linear model
    learns it in a few epochs. ``dotted`` uses the ``train-images.idx3-ubyte``
    spelling of the names.
    """
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".gz" if gz else ""
    for prefix, count in (("train", num_train), ("t10k", num_test)):
        labels = rng.integers(0, 10, size=count).astype(np.uint8)
        images = rng.integers(0, 60, size=(count, side, side)).astype(np.uint8)
        flat = images.reshape(count, -1)
        for index, label in enumerate(labels):
            flat[index, label * 3 : label * 3 + 3] = 255
        sep = "." if dotted else "-"
        write_idx(folder / f"{prefix}-images{sep}idx3-ubyte{suffix}", images)
        write_idx(folder / f"{prefix}-labels{sep}idx1-ubyte{suffix}", labels)
    return folder


@pytest.fixture
def tiny_dir(tmp_path: Path) -> Path:
    """A folder with a small valid dataset in gzipped IDX files."""
    return tiny_mnist(tmp_path / "tiny")
