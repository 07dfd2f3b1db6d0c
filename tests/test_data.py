import gzip
import struct

import numpy as np
import pytest

from mnist_cnn.data import FILES, DataError, load_mnist, read_mnist_dir


def write_idx(path, magic, array):
    header = struct.pack(">ii", magic, len(array))
    if magic == 2051:
        header += struct.pack(">ii", *array.shape[1:])
    with gzip.open(path, "wb") as file:
        file.write(header + array.astype(np.uint8).tobytes())


def fake_mnist(directory, train=30, test=10, label=3):
    rng = np.random.default_rng(0)
    write_idx(directory / FILES["train_images"][0], 2051, rng.integers(0, 255, (train, 28, 28)))
    write_idx(directory / FILES["train_labels"][0], 2049, np.full(train, label))
    write_idx(directory / FILES["test_images"][0], 2051, rng.integers(0, 255, (test, 28, 28)))
    write_idx(directory / FILES["test_labels"][0], 2049, np.full(test, label))


def test_reads_well_formed_files(tmp_path):
    fake_mnist(tmp_path)
    data = read_mnist_dir(tmp_path, verify_checksums=False)
    assert data.train_images.shape == (30, 28, 28) and data.train_images.dtype == np.uint8
    assert data.test_labels.tolist() == [3] * 10
    assert len(data.checksum) == 64


def test_non_canonical_files_fail_the_checksum(tmp_path):
    fake_mnist(tmp_path)
    with pytest.raises(DataError, match="not the canonical MNIST file"):
        read_mnist_dir(tmp_path)


def test_missing_files_are_named(tmp_path):
    fake_mnist(tmp_path)
    (tmp_path / FILES["test_labels"][0]).unlink()
    with pytest.raises(DataError, match="missing t10k-labels-idx1-ubyte.gz"):
        read_mnist_dir(tmp_path, verify_checksums=False)


def test_wrong_magic_truncated_and_bad_labels(tmp_path):
    fake_mnist(tmp_path)
    write_idx(tmp_path / FILES["train_labels"][0], 2051, np.zeros((30, 28, 28)))
    with pytest.raises(DataError, match="magic number 2051, expected 2049"):
        read_mnist_dir(tmp_path, verify_checksums=False)

    fake_mnist(tmp_path, label=12)
    with pytest.raises(DataError, match="label is 12, outside 0-9"):
        read_mnist_dir(tmp_path, verify_checksums=False)

    fake_mnist(tmp_path)
    path = tmp_path / FILES["train_images"][0]
    content = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(content[:-100]))
    with pytest.raises(DataError, match="truncated or corrupt"):
        read_mnist_dir(tmp_path, verify_checksums=False)

    path.write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match="not a readable gzip file"):
        read_mnist_dir(tmp_path, verify_checksums=False)


def test_count_mismatch(tmp_path):
    fake_mnist(tmp_path)
    write_idx(tmp_path / FILES["test_labels"][0], 2049, np.zeros(9))
    with pytest.raises(DataError, match="10 test images but 9 test labels"):
        read_mnist_dir(tmp_path, verify_checksums=False)


def test_explicit_dir_is_an_error_not_a_fallback(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(DataError, match="nowhere is missing"):
        load_mnist()


def test_nothing_found_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.delenv("MNIST_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError, match="Looked in MNIST_DATA_DIR.*--data-dir"):
        load_mnist(allow_download=False)


def test_real_mnist_matches_its_readme(mnist):
    assert mnist.train_images.shape == (60000, 28, 28)
    assert mnist.test_images.shape == (10000, 28, 28)
    assert np.bincount(mnist.train_labels).tolist() == [
        5923,
        6742,
        5958,
        6131,
        5842,
        5421,
        5918,
        6265,
        5851,
        5949,
    ]
    assert np.bincount(mnist.test_labels).tolist() == [
        980,
        1135,
        1032,
        1010,
        982,
        892,
        958,
        1028,
        974,
        1009,
    ]
