"""LNNetClassifier as a scikit-learn estimator: the estimator checks, Pipeline, cross_val_score, GridSearchCV."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.base import BaseEstimator, ClassifierMixin, clone, is_classifier  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.exceptions import NotFittedError as SkNotFittedError  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import estimator_checks_generator  # noqa: E402

from lnnet_construct import LNNetClassifier  # noqa: E402
from lnnet_construct.errors import ConflictingLabelsError, InputError  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

#: Checks LNNetClassifier cannot pass, with the reason (the estimator_checks mechanism: they run as xfail).
#: None today: it refuses identical points with different labels, but no check feeds such points.
EXPECTED_FAILED: dict[str, str] = {}

#: Checks that build several certified networks on 200-300 points (about 20 s each here).
SLOW = {"check_classifiers_train"}


def _check_name(check) -> str:
    return getattr(check, "func", check).__name__


def _check_cases():
    gen = estimator_checks_generator(LNNetClassifier(), legacy=True, expected_failed_checks=EXPECTED_FAILED,
                                     mark="xfail")
    for case in gen:
        est, check = case.values if hasattr(case, "values") else case
        marks = list(getattr(case, "marks", ()))
        name = _check_name(check)
        if name in SLOW:
            marks.append(pytest.mark.slow)
        kw = ",".join(f"{k}={v}" for k, v in sorted(getattr(check, "keywords", {}).items()))
        yield pytest.param(est, check, marks=marks, id=f"{name}({kw})" if kw else name)


@pytest.mark.parametrize("estimator, check", list(_check_cases()))
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_expected_failures_name_real_checks():
    names = {_check_name(c) for _, c in estimator_checks_generator(LNNetClassifier(), legacy=True)}
    assert set(EXPECTED_FAILED) <= names and SLOW <= names


def iris20():
    """20 iris flowers, 10 versicolor and 10 virginica (the two classes that overlap)."""
    X, y = load_iris(return_X_y=True)
    idx = np.r_[50:60, 100:110]
    return X[idx], np.asarray(load_iris().target_names)[y[idx]]


def test_top_level_import_is_a_scikit_learn_classifier():
    import lnnet_construct
    from lnnet_construct.estimator import LNNetClassifier as direct

    assert lnnet_construct.LNNetClassifier is direct is LNNetClassifier
    assert issubclass(LNNetClassifier, ClassifierMixin) and issubclass(LNNetClassifier, BaseEstimator)
    clf = LNNetClassifier(seed=2)
    assert is_classifier(clf)
    twin = clone(clf)
    assert twin is not clf and twin.get_params() == clf.get_params()
    with pytest.raises(SkNotFittedError):
        clf.predict([[0, 0]])
    with pytest.raises(InputError, match="not fitted"):
        clf.decision_function([[0, 0]])


def test_fitted_attributes():
    X, y = iris20()
    clf = LNNetClassifier().fit(X, y)
    assert clf.n_features_in_ == 4
    assert clf.classes_.tolist() == sorted(set(y.tolist()))
    assert np.array_equal(clf.predict(X), y)
    with pytest.raises(InputError, match="X has 3 features, but LNNetClassifier is expecting 4"):
        clf.predict(X[:, :3])


def test_pipeline():
    X, y = iris20()
    pipe = Pipeline([("scale", StandardScaler()), ("clf", LNNetClassifier())]).fit(X, y)
    assert pipe.score(X, y) == 1.0  # the network is certified on every (scaled) training point
    # the same as scaling by hand, also off the training set
    scaler = StandardScaler().fit(X)
    by_hand = LNNetClassifier().fit(scaler.transform(X), y)
    rng = np.random.default_rng(0)
    new = X.mean(axis=0) + rng.normal(0, 0.5, (15, 4))
    assert pipe.predict(new).tolist() == by_hand.predict(scaler.transform(new)).tolist()
    assert pipe.classes_.tolist() == by_hand.classes_.tolist()


def test_cross_val_score_matches_a_hand_written_loop():
    X, y = iris20()
    cv = StratifiedKFold(n_splits=4, shuffle=True, random_state=0)
    scores = cross_val_score(LNNetClassifier(), X, y, cv=cv, error_score="raise")
    by_hand = [clone(LNNetClassifier()).fit(X[tr], y[tr]).score(X[te], y[te]) for tr, te in cv.split(X, y)]
    assert scores.tolist() == by_hand
    assert all(0.0 <= s <= 1.0 for s in by_hand)


def test_grid_search_on_random_ints():
    rng = np.random.default_rng(5)
    X = rng.integers(-5, 6, (20, 2))
    y = np.where(X.sum(axis=1) % 3 == 0, "zero", "other")  # a function of X: no conflicting duplicates
    search = GridSearchCV(LNNetClassifier(), {"seed": [None, 7]}, cv=3, error_score="raise").fit(X, y)
    assert search.best_params_["seed"] in (None, 7)
    assert search.best_estimator_.score(X, y) == 1.0


def test_lists_keep_every_cell_exact():
    # numpy.asarray would round 2**60 + 1 to 2**60 and read 0.1 (a float) as the string "0.1" = 1/10
    X = [[2**60 + 1, 0.1], [2**60, "1/10"], [0, Fraction(1, 3)]]
    y = ["a", "b", "a"]
    clf = LNNetClassifier().fit(X, y)
    assert clf.score(X, y) == 1.0
    assert clf.predict([[2**60, "1/10"], [2**60 + 1, Fraction(0.1)]]).tolist() == ["b", "a"]
    with pytest.raises(ConflictingLabelsError):
        LNNetClassifier().fit([[2**60 + 1, 0], [2**60 + 1, "0"]], ["a", "b"])


def test_continuous_targets_and_nan_are_refused():
    X = [[0, 1], [1, 0], [2, 2]]
    with pytest.raises(InputError, match="Unknown label type"):
        LNNetClassifier().fit(X, [0.5, 1.25, 2.75])
    with pytest.raises(InputError, match="row 1 contains NaN"):
        LNNetClassifier().fit(np.array([[0.0, 1.0], [np.nan, 0.0]]), ["a", "b"])
    with pytest.raises(InputError, match="requires y"):
        LNNetClassifier().fit(X, None)


def test_pickle_round_trip():
    X, y = iris20()
    clf = LNNetClassifier(eps=Fraction(1, 10**6)).fit(X, y)
    back = pickle.loads(pickle.dumps(clf))
    assert back.network_ == clf.network_ and back.get_params() == clf.get_params()
    new = X[::3] + 0.05
    assert back.predict(new).tolist() == clf.predict(new).tolist()


def test_without_scikit_learn_it_is_the_plain_class():
    code = (
        "import sys, pickle\n"
        "sys.modules['sklearn'] = None\n"  # import sklearn now raises ImportError
        "from lnnet_construct import LNNetClassifier\n"
        "from lnnet_construct.estimator import HAVE_SKLEARN\n"
        "clf = LNNetClassifier(seed=3).fit([[0, 0], [1, 1], [0, 1], ['1/2', 0.25]], ['s', 's', 'd', 'd'])\n"
        "back = pickle.loads(pickle.dumps(clf))\n"
        "print(HAVE_SKLEARN, [c.__name__ for c in type(clf).__mro__][1], repr(clf), clf.score([[0, 1]], ['d']),\n"
        "      back.predict([[1, 1]]).tolist(), clf.n_features_in_)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["False", "_Params", "LNNetClassifier(seed=3)", "1.0", "['s']", "2"]


def test_column_vector_labels_as_lists():
    from sklearn.exceptions import DataConversionWarning

    X = [[0, 1], [1, 0], [2, 2]]
    with pytest.warns(DataConversionWarning):  # scikit-learn's warning for a column y
        clf = LNNetClassifier().fit(X, [["a"], ["b"], ["a"]])
    assert clf.classes_.tolist() == ["a", "b"] and clf.predict(X).tolist() == ["a", "b", "a"]
