"""The IDX reader and MNIST loading: the bundled files, and every fault."""

from __future__ import annotations

import gzip
import hashlib
import shutil

import numpy as np
import pytest
from conftest import IMAGES_MAGIC, LABELS_MAGIC, idx_bytes, tiny_mnist, write_idx

from lrlab import data as data_module
from lrlab.data import BUNDLED_DIR, DataError, load_mnist, read_idx

# From PROVENANCE.md next to the bundled files.
UNCOMPRESSED_SHA256 = {
    "train-images-idx3-ubyte.gz": (
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"
    ),
    "train-labels-idx1-ubyte.gz": (
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"
    ),
    "t10k-images-idx3-ubyte.gz": (
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"
    ),
    "t10k-labels-idx1-ubyte.gz": (
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"
    ),
}
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def mnist():
    return load_mnist()


# --- the bundled MNIST ---------------------------------------------------


def test_bundled_shapes_types_and_label_counts(mnist):
    assert mnist.train.images.shape == (60000, 28, 28)
    assert mnist.test.images.shape == (10000, 28, 28)
    assert mnist.train.images.dtype == np.uint8
    assert mnist.train.labels.dtype == np.uint8
    assert np.bincount(mnist.train.labels).tolist() == TRAIN_COUNTS
    assert np.bincount(mnist.test.labels).tolist() == TEST_COUNTS
    assert mnist.source == BUNDLED_DIR


@pytest.mark.parametrize("name", sorted(UNCOMPRESSED_SHA256))
def test_bundled_contents_are_the_original_files(name):
    contents = gzip.decompress((BUNDLED_DIR / name).read_bytes())
    assert hashlib.sha256(contents).hexdigest() == UNCOMPRESSED_SHA256[name]


def test_reader_gives_back_the_bytes_of_the_original_file(mnist):
    contents = gzip.decompress((BUNDLED_DIR / "t10k-images-idx3-ubyte.gz").read_bytes())
    assert contents[16:] == mnist.test.images.tobytes()
    assert int.from_bytes(contents[:4], "big") == IMAGES_MAGIC


def test_bundled_file_with_another_checksum_is_refused(tmp_path, monkeypatch):
    copy = tmp_path / "mnist"
    shutil.copytree(BUNDLED_DIR, copy)
    labels = np.zeros(10000, dtype=np.uint8)
    write_idx(copy / "t10k-labels-idx1-ubyte.gz", labels)
    monkeypatch.setattr(data_module, "BUNDLED_DIR", copy)

    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte\.gz: SHA-256 is"):
        load_mnist()


def test_same_files_from_a_folder_equal_the_bundled_copy(tmp_path, mnist):
    folder = tmp_path / "raw"
    folder.mkdir()
    for name in UNCOMPRESSED_SHA256:
        contents = gzip.decompress((BUNDLED_DIR / name).read_bytes())
        dotted = name.removesuffix(".gz").replace("s-idx", "s.idx")
        (folder / dotted).write_bytes(contents)

    loaded = load_mnist(folder)

    assert np.array_equal(loaded.train.images, mnist.train.images)
    assert np.array_equal(loaded.test.labels, mnist.test.labels)


# --- read_idx ------------------------------------------------------------


@pytest.mark.parametrize("name", ["a.idx3-ubyte", "a-idx3-ubyte.gz"])
def test_read_idx_round_trip_raw_and_gzip(tmp_path, name):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / name, array)

    read = read_idx(tmp_path / name, magic=IMAGES_MAGIC)

    assert read.shape == (2, 3, 4)
    assert read.dtype == np.uint8
    assert np.array_equal(read, array)


def test_read_idx_other_types_come_back_in_native_byte_order(tmp_path):
    values = np.array([[1.5, -2.0], [3.25, 1e6]], dtype=">f4")
    header = (0x0D02).to_bytes(4, "big") + (2).to_bytes(4, "big") * 2
    path = tmp_path / "floats-idx2"
    path.write_bytes(header + values.tobytes())

    read = read_idx(path)

    assert read.dtype == np.float32
    assert read.tolist() == [[1.5, -2.0], [3.25, 1e6]]


def test_read_idx_zero_items_is_an_empty_array(tmp_path):
    path = write_idx(tmp_path / "l-idx1-ubyte", np.zeros(0, dtype=np.uint8))
    assert read_idx(path).shape == (0,)


# --- faults: each one line, naming the file and the problem ------------------


def one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


def test_data_error_is_a_value_error():
    assert issubclass(DataError, ValueError)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="file not found") as error:
        read_idx(tmp_path / "nothing-idx1-ubyte")
    assert "nothing-idx1-ubyte" in one_line(error)


def test_empty_file(tmp_path):
    path = tmp_path / "e-idx1-ubyte"
    path.write_bytes(b"")
    with pytest.raises(DataError, match=r"e-idx1-ubyte: empty file$"):
        read_idx(path)


def test_empty_gzip_stream(tmp_path):
    path = tmp_path / "e-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(b""))
    with pytest.raises(DataError, match=r"e-idx1-ubyte\.gz: empty file"):
        read_idx(path)


@pytest.mark.parametrize("name", ["t-idx3-ubyte", "t-idx3-ubyte.gz"])
def test_truncated_data(tmp_path, name):
    full = idx_bytes(np.zeros((5, 4, 4)))
    path = write_idx(tmp_path / name, None, raw=full[:-7])

    with pytest.raises(DataError) as error:
        read_idx(path, magic=IMAGES_MAGIC)

    assert one_line(error) == (
        f"{path}: truncated: dimensions 5 x 4 x 4 need 80 bytes of data, "
        "the file has 73"
    )


def test_data_past_the_end(tmp_path):
    path = write_idx(tmp_path / "l-idx1-ubyte", None, raw=idx_bytes(np.zeros(3)) + b"x")
    with pytest.raises(DataError, match="too long: dimensions 3 need 3 bytes"):
        read_idx(path, magic=LABELS_MAGIC)


@pytest.mark.parametrize("size", [2, 9])
def test_truncated_header(tmp_path, size):
    path = write_idx(
        tmp_path / "h-idx3-ubyte", None, raw=idx_bytes(np.zeros((1, 1, 1)))[:size]
    )
    with pytest.raises(
        DataError, match=rf"h-idx3-ubyte: truncated header \({size} bytes"
    ):
        read_idx(path)


def test_wrong_magic_number(tmp_path):
    path = write_idx(tmp_path / "images-idx3-ubyte", np.zeros(4))
    with pytest.raises(DataError) as error:
        read_idx(path, magic=IMAGES_MAGIC)
    assert one_line(error) == (
        f"{path}: wrong magic number 2049 (0x00000801), expected 2051 (0x00000803)"
    )


def test_not_an_idx_file_at_all(tmp_path):
    path = tmp_path / "notes-idx1-ubyte"
    path.write_bytes(b"hello, world")
    with pytest.raises(DataError, match=r"not an IDX file \(magic number 0x68656c6c\)"):
        read_idx(path)


def test_gzip_name_without_gzip_contents(tmp_path):
    path = tmp_path / "l-idx1-ubyte.gz"
    path.write_bytes(idx_bytes(np.zeros(3)))
    with pytest.raises(DataError, match=r"l-idx1-ubyte\.gz: not a gzip file"):
        read_idx(path)


def test_gzip_contents_without_gzip_name_gets_a_hint(tmp_path):
    path = tmp_path / "l-idx1-ubyte"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros(3))))
    with pytest.raises(DataError, match=r"it looks gzipped, name it \.gz"):
        read_idx(path, magic=LABELS_MAGIC)


def test_truncated_gzip(tmp_path):
    path = tmp_path / "i-idx3-ubyte.gz"
    path.write_bytes(
        gzip.compress(idx_bytes(np.arange(4000).reshape(10, 20, 20)))[:-30]
    )
    with pytest.raises(DataError, match=r"i-idx3-ubyte\.gz: truncated gzip data"):
        read_idx(path)


def test_corrupt_gzip(tmp_path):
    compressed = bytearray(
        gzip.compress(idx_bytes(np.arange(4000).reshape(10, 20, 20)))
    )
    compressed[-6] ^= 0xFF  # inside the CRC-32 of the trailer
    path = tmp_path / "i-idx3-ubyte.gz"
    path.write_bytes(bytes(compressed))
    with pytest.raises(
        DataError, match=r"i-idx3-ubyte\.gz: corrupt gzip data"
    ) as error:
        read_idx(path)
    one_line(error)


def test_a_directory_instead_of_a_file(tmp_path):
    (tmp_path / "d-idx1-ubyte").mkdir()
    with pytest.raises(DataError, match="d-idx1-ubyte: cannot read"):
        read_idx(tmp_path / "d-idx1-ubyte")


# --- load_mnist(data_dir) ---------------------------------------------------


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("dotted", [True, False])
def test_folder_in_either_spelling_raw_or_gzipped(tmp_path, gz, dotted):
    folder = tiny_mnist(tmp_path / "d", gz=gz, dotted=dotted)

    loaded = load_mnist(folder)

    assert loaded.train.images.shape == (300, 6, 6)
    assert loaded.test.images.shape == (100, 6, 6)
    assert len(loaded.train) == 300
    assert loaded.source == folder


def test_folder_that_does_not_exist(tmp_path):
    with pytest.raises(DataError, match=r"missing: no such directory"):
        load_mnist(tmp_path / "missing")


def test_folder_missing_one_file(tiny_dir):
    (tiny_dir / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError) as error:
        load_mnist(tiny_dir)
    message = one_line(error)
    assert message.startswith(f"{tiny_dir / 't10k-labels-idx1-ubyte'}: file not found")
    assert "t10k-labels.idx1-ubyte.gz" in message


def test_label_count_must_match_image_count(tiny_dir):
    write_idx(tiny_dir / "train-labels-idx1-ubyte.gz", np.zeros(299))
    with pytest.raises(DataError) as error:
        load_mnist(tiny_dir)
    assert one_line(error) == (
        f"{tiny_dir / 'train-labels-idx1-ubyte.gz'}: 299 labels but "
        "train-images-idx3-ubyte.gz has 300 images"
    )


def test_labels_out_of_range(tiny_dir):
    labels = np.zeros(100, dtype=np.uint8)
    labels[42] = 10
    write_idx(tiny_dir / "t10k-labels-idx1-ubyte.gz", labels)
    with pytest.raises(DataError, match=r"label 10 at index 42 is out of range 0\.\.9"):
        load_mnist(tiny_dir)


def test_labels_file_where_the_images_should_be(tiny_dir):
    write_idx(tiny_dir / "train-images-idx3-ubyte.gz", np.zeros(300))
    with pytest.raises(
        DataError, match=r"train-images-idx3-ubyte\.gz: wrong magic number 2049"
    ):
        load_mnist(tiny_dir)


def test_train_and_test_images_must_have_the_same_size(tiny_dir):
    write_idx(tiny_dir / "t10k-images-idx3-ubyte.gz", np.zeros((100, 5, 5)))
    with pytest.raises(
        DataError, match="training images are 6 x 6 but test images are 5 x 5"
    ):
        load_mnist(tiny_dir)


def test_no_images_at_all(tiny_dir):
    write_idx(tiny_dir / "train-images-idx3-ubyte.gz", np.zeros((0, 6, 6)))
    write_idx(tiny_dir / "train-labels-idx1-ubyte.gz", np.zeros(0))
    with pytest.raises(
        DataError, match=r"train-images-idx3-ubyte\.gz: holds no images"
    ):
        load_mnist(tiny_dir)


def test_absurd_dimensions_are_a_truncated_file_not_a_crash(tmp_path):
    header = IMAGES_MAGIC.to_bytes(4, "big") + (2**32 - 1).to_bytes(4, "big") * 3
    path = write_idx(tmp_path / "big-idx3-ubyte", None, raw=header + b"\0" * 10)
    with pytest.raises(DataError, match=r"truncated: dimensions 4294967295 x"):
        read_idx(path, magic=IMAGES_MAGIC)
