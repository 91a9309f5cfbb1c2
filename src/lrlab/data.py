"""MNIST as numpy arrays: a small IDX reader and the bundled dataset.

The four MNIST files ship inside the package (``lrlab/datasets/mnist``,
see PROVENANCE.md there). :func:`load_mnist` reads them, or the same four
files from another folder, and checks them on the way in:

- the bundled files must match their known SHA-256 (the checksum of the
  ``.gz`` bytes, which is cheaper than hashing the decompressed contents);
- files from another folder are checked for structure only (magic number,
  dimensions, length, label range, matching counts), so that any dataset in
  the MNIST layout (Fashion-MNIST, for instance) can be used.

Every problem is a :class:`DataError` with a one-line message that names
the file and what is wrong with it.

>>> data = load_mnist()
>>> data.train.images.shape, data.train.labels.shape, data.test.images.dtype
((60000, 28, 28), (60000,), dtype('uint8'))
"""

from __future__ import annotations

import gzip
import hashlib
import math
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "BUNDLED_DIR",
    "MNIST",
    "DataError",
    "Split",
    "load_mnist",
    "read_idx",
]

BUNDLED_DIR = Path(__file__).resolve().parent / "datasets" / "mnist"

# SHA-256 of the bundled .gz files, as listed in the data's SHA256SUMS.
_BUNDLED_SHA256 = {
    "train-images-idx3-ubyte.gz": (
        "0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971"
    ),
    "train-labels-idx1-ubyte.gz": (
        "1787548bbe0bff1ec2ecdc0ef292b02df999e2d1a6002d27500982c652b17203"
    ),
    "t10k-images-idx3-ubyte.gz": (
        "1a1a05eab793c14bb050b398624a11b0ffd1a2953baed553b1b9bd079e2a20be"
    ),
    "t10k-labels-idx1-ubyte.gz": (
        "b91679a0acfe4ba0e50a2437a903084cba1f5f92592b016a25a7dfd00455798b"
    ),
}

# IDX type codes (third byte of the magic number) and their big-endian dtypes.
_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_IMAGES_MAGIC = 0x0803  # unsigned bytes, 3 dimensions
_LABELS_MAGIC = 0x0801  # unsigned bytes, 1 dimension
_NUM_CLASSES = 10


class DataError(ValueError):
    """A data file that is missing, unreadable or not what it should be."""


@dataclass(frozen=True)
class Split:
    """Images (``uint8``, N x rows x cols, 0..255) and labels (``uint8``, 0..9)."""

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class MNIST:
    """The training and test splits, and the folder they were read from."""

    train: Split
    test: Split
    source: Path


def read_idx(path: str | Path, *, magic: int | None = None) -> np.ndarray:
    """Read one IDX file (gzipped if its name ends in ``.gz``) into an array.

    The header is a magic number (two zero bytes, a type code, the number
    of dimensions) followed by one big-endian 32-bit size per dimension;
    the data must fill exactly the product of the sizes.

    Args:
        path: the file to read.
        magic: the magic number the file must have (2051 for MNIST images,
            2049 for labels), or None to accept any supported type.

    Returns:
        A read-only array in native byte order with the header's shape.

    Raises:
        DataError: the file is missing, empty, not gzip although named
            ``.gz``, truncated, too long, or has a bad magic number.
    """
    path = Path(path)
    raw = _read_bytes(path)
    return _parse_idx(path, raw, magic)


def load_mnist(data_dir: str | Path | None = None) -> MNIST:
    """Load the four MNIST files, from the bundled copy or from ``data_dir``.

    In ``data_dir`` each file may be named either way MNIST mirrors spell it
    (``train-images-idx3-ubyte`` or ``train-images.idx3-ubyte``), with or
    without ``.gz``.

    Args:
        data_dir: a folder holding the four IDX files; None for the copy
            bundled with lrlab.

    Raises:
        DataError: a file is missing, corrupt or inconsistent with its
            partner (e.g. 59,999 labels for 60,000 images); the bundled
            files also fail if their checksum does not match.
    """
    if data_dir is None:
        train = _load_split(BUNDLED_DIR, "train", bundled=True)
        test = _load_split(BUNDLED_DIR, "t10k", bundled=True)
        return MNIST(train=train, test=test, source=BUNDLED_DIR)

    folder = Path(data_dir)
    if not folder.is_dir():
        problem = "not a directory" if folder.exists() else "no such directory"
        raise DataError(f"{folder}: {problem}")
    train = _load_split(folder, "train", bundled=False)
    test = _load_split(folder, "t10k", bundled=False)
    if train.images.shape[1:] != test.images.shape[1:]:
        raise DataError(
            f"{folder}: training images are {_shape(train.images)} but test "
            f"images are {_shape(test.images)}"
        )
    return MNIST(train=train, test=test, source=folder)


def _load_split(folder: Path, prefix: str, *, bundled: bool) -> Split:
    images_path = _find(folder, prefix, "images", 3, bundled=bundled)
    labels_path = _find(folder, prefix, "labels", 1, bundled=bundled)
    images = _parse_idx(images_path, _read(images_path, bundled), _IMAGES_MAGIC)
    labels = _parse_idx(labels_path, _read(labels_path, bundled), _LABELS_MAGIC)

    if len(labels) != len(images):
        raise DataError(
            f"{labels_path}: {len(labels)} labels but {images_path.name} "
            f"has {len(images)} images"
        )
    if len(images) == 0:
        raise DataError(f"{images_path}: holds no images")
    if 0 in images.shape[1:]:
        raise DataError(
            f"{images_path}: images of {_shape(images)} pixels hold no pixel "
            f"(rows and columns must be at least 1)"
        )
    bad = np.flatnonzero(labels >= _NUM_CLASSES)
    if bad.size:
        raise DataError(
            f"{labels_path}: label {labels[bad[0]]} at index {bad[0]} is out "
            f"of range 0..{_NUM_CLASSES - 1}"
        )
    return Split(images=images, labels=labels)


def _find(folder: Path, prefix: str, kind: str, ndim: int, *, bundled: bool) -> Path:
    """The file for e.g. ('train', 'images', 3), under any accepted name."""
    stems = [f"{prefix}-{kind}-idx{ndim}-ubyte", f"{prefix}-{kind}.idx{ndim}-ubyte"]
    if bundled:
        stems = stems[:1]
    names = [stem + suffix for stem in stems for suffix in (".gz", "")]
    for name in names:
        if (folder / name).is_file():
            return folder / name
    raise DataError(
        f"{folder / stems[0]}: file not found (looked for {', '.join(names)})"
    )


def _read(path: Path, bundled: bool) -> bytes:
    return _read_bytes(path, _BUNDLED_SHA256[path.name] if bundled else None)


def _read_bytes(path: Path, sha256: str | None = None) -> bytes:
    """The file's (decompressed) contents; every failure is a DataError.

    If ``sha256`` is given, the file's bytes as stored must have that hash.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except OSError as error:
        raise DataError(f"{path}: cannot read: {error.strerror}") from None

    if sha256 is not None:
        digest = hashlib.sha256(data).hexdigest()
        if digest != sha256:
            raise DataError(
                f"{path}: SHA-256 is {digest}, expected {sha256}; the installed "
                "copy is damaged, reinstall lrlab"
            )
    if not data:
        raise DataError(f"{path}: empty file")
    if path.suffix != ".gz":
        return data
    if data[:2] != b"\x1f\x8b":
        raise DataError(f"{path}: not a gzip file (named .gz)")
    try:
        data = gzip.decompress(data)
    except EOFError:
        raise DataError(f"{path}: truncated gzip data") from None
    except (OSError, zlib.error) as error:
        raise DataError(f"{path}: corrupt gzip data ({error})") from None
    except MemoryError:
        # A few MB of gzip can expand to more than the machine holds.
        raise DataError(
            f"{path}: too large to decompress in memory ({len(data):,} bytes of gzip)"
        ) from None
    if not data:
        raise DataError(f"{path}: empty file (after decompression)")
    return data


def _parse_idx(path: Path, raw: bytes, magic: int | None) -> np.ndarray:
    if len(raw) < 4:
        raise DataError(f"{path}: truncated header ({len(raw)} bytes)")
    found = int.from_bytes(raw[:4], "big")
    zeros, type_code, ndim = int.from_bytes(raw[:2], "big"), raw[2], raw[3]
    if magic is not None and found != magic:
        hint = "; it looks gzipped, name it .gz" if raw[:2] == b"\x1f\x8b" else ""
        raise DataError(
            f"{path}: wrong magic number {found} (0x{found:08x}), expected "
            f"{magic} (0x{magic:08x}){hint}"
        )
    if zeros != 0 or type_code not in _IDX_DTYPES or ndim == 0:
        raise DataError(f"{path}: not an IDX file (magic number 0x{found:08x})")

    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise DataError(
            f"{path}: truncated header ({len(raw)} bytes, {ndim} dimensions "
            f"need {header_size})"
        )
    shape = tuple(
        int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)
    )
    dtype = _IDX_DTYPES[type_code]
    expected = math.prod(shape) * dtype.itemsize
    actual = len(raw) - header_size
    if actual != expected:
        problem = "truncated" if actual < expected else "too long"
        raise DataError(
            f"{path}: {problem}: dimensions {_shape_text(shape)} need "
            f"{expected:,} bytes of data, the file has {actual:,}"
        )

    array = np.frombuffer(raw, dtype=dtype, offset=header_size).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=False)


def _shape(array: np.ndarray) -> str:
    return _shape_text(array.shape[1:])


def _shape_text(shape: tuple[int, ...]) -> str:
    return " x ".join(str(size) for size in shape)
