import gzip

import numpy as np
import pytest

from hwr.learning.data import (
    FILES,
    MnistFileError,
    idx_bytes,
    load_from_dir,
    load_mnist,
    parse_idx,
    to_model_input,
)
from tests.support.files import write_mnist_dir


def test_loads_gzipped_idx_files(tiny_mnist):
    mnist = load_from_dir(tiny_mnist)
    assert mnist.x_train.shape == (400, 28, 28) and mnist.x_train.dtype == np.uint8
    assert mnist.y_train.shape == (400,) and mnist.y_test.shape == (100,)
    assert set(mnist.checksums) == {f"{stem}.gz" for stem in FILES.values()}
    assert all(len(h) == 64 for h in mnist.checksums.values())


def test_loads_raw_idx_files(tmp_path):
    path = write_mnist_dir(tmp_path / "raw", compress=False)
    assert load_from_dir(path).x_test.shape == (100, 28, 28)


def test_environment_variable_selects_directory(tiny_mnist, monkeypatch):
    monkeypatch.setenv("HWR_DATA_DIR", str(tiny_mnist))
    assert load_mnist().source == str(tiny_mnist.resolve())


def test_round_trip_keeps_pixels_and_labels():
    images = np.arange(2 * 28 * 28, dtype=np.uint32).reshape(2, 28, 28) % 256
    assert np.array_equal(parse_idx(idx_bytes(images), "x", 3), images)


@pytest.mark.parametrize("damage, message", [
    (lambda raw: raw[:-100], "truncated or corrupt"),
    (lambda raw: raw[:10], "truncated header"),
    (lambda raw: b"\x00\x00\x08\x01" + raw[4:], "bad magic number"),
])
def test_malformed_image_file_names_file_and_problem(tiny_mnist, damage, message):
    path = tiny_mnist / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(damage(gzip.decompress(path.read_bytes()))))
    with pytest.raises(MnistFileError, match=message) as err:
        load_from_dir(tiny_mnist)
    assert "train-images-idx3-ubyte" in str(err.value)


def test_truncated_gzip_stream_is_reported(tiny_mnist):
    path = tiny_mnist / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(MnistFileError, match="t10k-labels-idx1-ubyte"):
        load_from_dir(tiny_mnist)


def test_label_out_of_range(tiny_mnist):
    labels = np.full(100, 12, np.uint8)
    (tiny_mnist / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(labels)))
    with pytest.raises(MnistFileError, match="label 12 outside 0-9"):
        load_from_dir(tiny_mnist)


def test_count_mismatch(tiny_mnist):
    labels = np.zeros(99, np.uint8)
    (tiny_mnist / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(labels)))
    with pytest.raises(MnistFileError, match="100 images but .* 99 labels"):
        load_from_dir(tiny_mnist)


def test_wrong_image_size(tiny_mnist):
    images = np.zeros((100, 32, 32), np.uint8)
    (tiny_mnist / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(images)))
    with pytest.raises(MnistFileError, match="expected 28x28"):
        load_from_dir(tiny_mnist)


def test_missing_file(tiny_mnist):
    (tiny_mnist / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(MnistFileError, match="missing train-labels-idx1-ubyte"):
        load_from_dir(tiny_mnist)


def test_real_mnist_has_expected_counts(mnist_dir):
    mnist = load_from_dir(mnist_dir)
    assert mnist.x_train.shape == (60_000, 28, 28) and mnist.x_test.shape == (10_000, 28, 28)
    assert np.bincount(mnist.y_test).tolist()[:2] == [980, 1135]


def test_model_input_scaling():
    x = to_model_input(np.array([[[0, 255]]], np.uint8))
    assert x.shape == (1, 1, 2, 1) and x.dtype == np.float32
    assert x.min() == 0.0 and x.max() == 1.0
