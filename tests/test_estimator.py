"""LNNetClassifier: scikit-learn conventions, exact inputs, perfect training accuracy on structured 2-D data."""

from fractions import Fraction

import numpy as np
import pytest

from lnnet_construct.errors import ConflictingLabelsError, InputError
from lnnet_construct.estimator import LNNetClassifier

construct = pytest.importorskip("lnnet_construct.construct")
if not hasattr(construct, "build"):
    pytest.skip("lnnet_construct.construct.build is not available yet", allow_module_level=True)


def moons(n, seed):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0, np.pi, n // 2)
    b = rng.uniform(0, np.pi, n - n // 2)
    X = np.r_[np.c_[np.cos(a), np.sin(a)], np.c_[1 - np.cos(b), 0.5 - np.sin(b)]] + rng.normal(0, 0.08, (n, 2))
    return X, np.r_[np.zeros(n // 2, int), np.ones(n - n // 2, int)]


def circles(n, seed):
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 2 * np.pi, n)
    r = np.where(np.arange(n) % 2 == 0, 1.0, 0.45) + rng.normal(0, 0.05, n)
    return np.c_[r * np.cos(t), r * np.sin(t)], np.where(np.arange(n) % 2 == 0, "outer", "inner")


def xor_blobs(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, 2))
    return X, (X[:, 0] * X[:, 1] > 0).astype(int)


def checkerboard(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 4, (n, 2))
    return X, np.where((np.floor(X[:, 0]) + np.floor(X[:, 1])) % 2 == 0, "black", "white")


def spirals_three(n, seed):
    rng = np.random.default_rng(seed)
    k = np.arange(n) % 3
    t = rng.uniform(0.3, 2.5, n)
    ang = t * 2 + k * 2 * np.pi / 3
    return np.c_[t * np.cos(ang), t * np.sin(ang)], k


DATA = {"moons": moons, "circles": circles, "xor": xor_blobs, "checkerboard": checkerboard, "spirals3": spirals_three}


@pytest.mark.parametrize("name", sorted(DATA))
def test_perfect_training_score_on_structured_data(name):
    X, y = DATA[name](36, seed=sum(map(ord, name)))
    clf = LNNetClassifier().fit(X, y)
    assert clf.score(X, y) == 1.0
    assert list(clf.classes_) == sorted(set(y.tolist()))
    pred = clf.predict(X)
    assert pred.dtype == clf.classes_.dtype and np.array_equal(pred, y)


def test_scikit_learn_conventions():
    clf = LNNetClassifier(eps=Fraction(1, 1000), seed=3)
    params = clf.get_params()
    assert params == {"method": "default", "eps": Fraction(1, 1000), "seed": 3, "max_bits": 4096}
    twin = type(clf)(**clf.get_params())          # what sklearn.base.clone does
    assert twin.get_params() == params and twin is not clf
    assert clf.set_params(method="paper") is clf and clf.method == "paper"
    with pytest.raises(InputError, match="invalid parameter 'depth'"):
        clf.set_params(depth=3)
    assert repr(clf) == "LNNetClassifier(eps=Fraction(1, 1000), method='paper', seed=3)"  # sorted, as sklearn
    with pytest.raises(InputError, match="not fitted"):
        clf.predict([[0, 0]])
    X, y = xor_blobs(20, 0)
    assert not hasattr(clf, "network_")
    fitted = clf.fit(X, y)
    assert fitted is clf and clf.n_features_in_ == 2 and clf.network_.depth >= 1
    assert clf.get_params() == {**params, "method": "paper"}     # fit does not touch parameters


def test_floats_are_taken_at_their_exact_binary_value():
    # 0.1 (float) and 1/10 are different numbers: they can carry different labels
    X = [[0.1, 0.0], [Fraction(1, 10), 0], ["0.7", 1]]
    y = ["float", "exact", "exact"]
    clf = LNNetClassifier().fit(X, y)
    assert clf.score(X, y) == 1.0
    assert clf.predict([[Fraction(0.1), 0], ["1/10", "0"]]).tolist() == ["float", "exact"]
    with pytest.raises(ConflictingLabelsError):
        LNNetClassifier().fit([[0.5, 0], [Fraction(1, 2), 0]], ["a", "b"])


def test_two_float_decimal_collisions():
    X = [[0.1, 0.0], [Fraction(1, 10), 0], [Fraction(3, 10), 1], [0.3, 1]]
    y = ["float", "exact", "exact", "float"]
    assert LNNetClassifier().fit(X, y).score(X, y) == 1.0


def test_decision_function_follows_scikit_learn_orientation():
    X, y = moons(30, 7)
    clf = LNNetClassifier().fit(X, y)
    d = clf.decision_function(X)
    assert d.shape == (30,) and d.dtype == np.float64
    assert np.array_equal(np.where(d > 0, clf.classes_[1], clf.classes_[0]), clf.predict(X))
    X3, y3 = spirals_three(30, 1)
    clf3 = LNNetClassifier().fit(X3, y3)
    d3 = clf3.decision_function(X3)
    assert d3.shape == (30, 3)
    assert np.array_equal(clf3.classes_[np.argmax(d3, axis=1)], clf3.predict(X3))


def test_certify_returns_the_verify_report():
    X, y = circles(24, 4)
    clf = LNNetClassifier().fit(X, y)
    rep = clf.certify(X, y)
    assert rep.exit_code == 0 and rep.verified == 24
    wrong = np.where(y == "outer", "inner", "outer")
    assert clf.certify(X, wrong).refuted == 24


def test_bad_inputs():
    clf = LNNetClassifier()
    with pytest.raises(InputError, match="2-dimensional"):
        clf.fit(np.zeros(5), [0] * 5)
    with pytest.raises(InputError, match="labels"):
        clf.fit([[0, 1], [1, 0]], ["a"])
    with pytest.raises(InputError, match="row 1"):
        clf.fit([[0, 1], [float("nan"), 0]], ["a", "b"])
    with pytest.raises(InputError, match="coinciding text"):
        clf.fit([[0, 1], [1, 0]], [1, "1"])
    clf.fit([[0, 1], [1, 0], [2, 2]], ["a", "b", "a"])
    with pytest.raises(InputError, match="features"):
        clf.predict([[0, 1, 2]])
