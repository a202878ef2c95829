r"""A scikit-learn classifier around the construction (scikit-learn itself is optional).

:class:`LNNetClassifier` is a scikit-learn estimator (``ClassifierMixin``,
``BaseEstimator``) when scikit-learn is installed (``pip install
'lnnet_construct[sklearn]'``), so it goes into ``Pipeline``,
``cross_val_score`` and ``GridSearchCV``; without scikit-learn it is a plain
class with the same methods and ``get_params``/``set_params``.

* ``fit(X, y)`` builds an exact width-3 LN-Net that classifies every training
  point (:func:`lnnet_construct.construct.build`).  ``X`` holds ints,
  ``Fraction``\ s, exact number strings, or floats taken as their **exact
  binary values** (``0.1`` is the double nearest to 1/10, not ``1/10``).
  Python lists are read cell by cell, so a list mixing floats, big ints and
  strings keeps every value exact.  With scikit-learn, ``X`` and ``y`` are
  checked by ``sklearn.utils.validation`` (shapes, NaN/inf, sparse input,
  ``n_features_in_``, ``feature_names_in_``) and continuous targets are
  refused (``check_classification_targets``).
* ``predict(X)`` is rigorous: the outward-rounded interval pass, with arb
  escalation up to ``max_bits`` (:func:`lnnet_construct.predict.predict`
  with ``arith="interval"``).  A point the network provably does not decide
  (an exact 0 output or tie), or that stays undecided at ``max_bits``,
  gets ``None`` (the result is then an object array).
* ``decision_function(X)`` returns float64 outputs: **not rigorous**, for
  ranking and plots.
* ``certify(X, y)`` returns the :class:`lnnet_construct.verify.Report`.

Examples
--------
>>> X = [[0, 0], [1, 1], [0, 1], [1, 0]]
>>> y = ["same", "same", "diff", "diff"]
>>> clf = LNNetClassifier().fit(X, y)
>>> clf.predict([[0, 0], [1, 0]]).tolist()
['same', 'diff']
>>> clf.score(X, y)
1.0
>>> clf.get_params()
{'eps': 0, 'max_bits': 4096, 'method': 'default', 'seed': None}
"""

from __future__ import annotations

import inspect
import math

import numpy as np

from .errors import InputError, NumberFormatError
from .numbers import to_exact
from .predict import DEFAULT_MAX_BITS

try:  # scikit-learn is optional: with it the classifier is a real scikit-learn estimator
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.exceptions import NotFittedError as _SkNotFittedError
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import validate_data  # scikit-learn >= 1.6
except ImportError:
    HAVE_SKLEARN = False
    _SkNotFittedError = None
else:
    HAVE_SKLEARN = True

__all__ = ["LNNetClassifier", "NotFittedError", "HAVE_SKLEARN"]


class NotFittedError(InputError, *((_SkNotFittedError,) if HAVE_SKLEARN else ())):
    """``predict`` (or another method) before ``fit``; also scikit-learn's ``NotFittedError`` when it is installed."""


def _as_cells(X):
    """A list of equal-length row lists as an object array of the untouched cells, else ``X`` unchanged.

    ``numpy.asarray`` would turn ``[[0.1, "1/3"]]`` into strings and ``[[2**60 + 1, 0.5]]``
    into rounded floats; the exact values must survive validation.

    >>> _as_cells([[0.5, "1/3"]])[0, 1]
    '1/3'
    """
    if isinstance(X, (list, tuple)) and X and all(isinstance(r, (list, tuple)) for r in X):
        d = len(X[0])
        if d and all(len(r) == d for r in X):
            cells = np.empty((len(X), d), dtype=object)
            for i, r in enumerate(X):
                for j, v in enumerate(r):
                    cells[i, j] = v
            return cells
    return X


def _exact_rows(arr, what="X") -> list:
    """Rows of exact numbers from a 2-D ndarray (ints, Fractions, strings, or floats at their binary value)."""
    rows = arr.tolist() if arr.dtype != object else [list(r) for r in arr]
    out = []
    for i, r in enumerate(rows):
        try:
            out.append(tuple(to_exact(v) for v in r))
        except NumberFormatError as e:
            bad = next((v for v in r if isinstance(v, float) and not math.isfinite(v)), None)
            if bad is not None:  # scikit-learn's words for it, with the row
                raise InputError(f"{what} row {i} contains {'NaN' if math.isnan(bad) else 'infinity'}") from None
            raise InputError(f"{what} row {i}: {e}") from None
    return out


def _exact_matrix(X, what="X") -> list:
    """Rows of exact numbers from an array-like, checked without scikit-learn."""
    if hasattr(X, "to_numpy"):  # pandas without importing it
        X = X.to_numpy()
    if isinstance(X, np.ndarray):
        if X.ndim != 2:
            raise _not_2d(X, what)
        arr = X
    else:
        try:
            rows = [list(r) for r in X]
        except TypeError:
            raise InputError(f"{what} must be a 2-dimensional array-like of numbers") from None
        for i, r in enumerate(rows):
            if len(r) != len(rows[0]):
                raise InputError(f"{what} row {i} has {len(r)} features, expected {len(rows[0])}")
        arr = _as_cells(rows) if rows and rows[0] else np.empty((len(rows), 0), dtype=object)
    if arr.shape[0] == 0:
        raise InputError(f"{what} has no samples")
    if arr.shape[1] == 0:
        raise InputError(f"{what} has no features")
    return _exact_rows(arr, what)


def _not_2d(X, what="X") -> InputError:
    # scikit-learn's estimator checks look for "Reshape your data"
    return InputError(f"{what} must be 2-dimensional (n_samples, n_features), got shape {X.shape}. Reshape your "
                      f"data: {what}.reshape(-1, 1) for a single feature, {what}.reshape(1, -1) for a single sample")


def _labels(y, n) -> list:
    """The labels as Python objects (``1`` and ``"1"`` stay different)."""
    if hasattr(y, "to_numpy"):
        y = y.to_numpy()
    if isinstance(y, list) and not any(isinstance(v, (list, tuple)) for v in y):
        y = list(y)  # as given: numpy would make [1, "1"] two strings
    else:  # arrays, and column vectors such as [[0], [1]]
        y = list(np.asarray(y, dtype=object).reshape(-1))
    if len(y) != n:
        raise InputError(f"y has {len(y)} labels but X has {n} samples")
    return [v.item() if hasattr(v, "item") else v for v in y]


def _n_rows(a):
    """Number of rows of an array, matrix or sequence; None where unknown (None, scalars).

    ``shape`` first: ``len`` of a sparse ``dok`` matrix counts its non-zeros.
    """
    shape = getattr(a, "shape", None)
    if shape is not None:
        return shape[0] if len(shape) else None
    return len(a) if isinstance(a, (list, tuple)) else None


def _one_line(e: Exception) -> str:
    """scikit-learn's message on one line, without the ``array=[...]`` dump of the input."""
    lines = [ln.strip() for ln in str(e).splitlines() if not ln.strip().startswith("array=")]
    return " ".join(" ".join(lines).split())


class _Params:
    """The scikit-learn parameter protocol, for when scikit-learn is not installed."""

    @classmethod
    def _get_param_names(cls) -> list:
        sig = inspect.signature(cls.__init__)
        return sorted(p.name for p in sig.parameters.values() if p.name != "self")

    def get_params(self, deep: bool = True) -> dict:
        """The constructor parameters (``deep`` is accepted for compatibility; there are no sub-estimators)."""
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params):
        for name, value in params.items():
            setattr(self, name, value)
        return self

    def __repr__(self):
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()
                    if p.name != "self"}
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if repr(v) != repr(defaults[k])]
        return f"{type(self).__name__}({', '.join(changed)})"


# ClassifierMixin before BaseEstimator: the order scikit-learn requires of its mixins
_BASES = (ClassifierMixin, BaseEstimator) if HAVE_SKLEARN else (_Params,)


class LNNetClassifier(*_BASES):
    """Exact width-3 LayerNorm network classifier (see module docstring).

    Parameters
    ----------
    method : {"default", "paper"}
        The construction (:func:`lnnet_construct.construct.build`).
    eps : exact number, default 0
        LayerNorm epsilon of the constructed network.
    seed : int or None
        Seed of the construction's random choices (None: deterministic).
    max_bits : int
        Precision cap of the rigorous evaluation in ``predict`` and ``certify``.

    Attributes
    ----------
    classes_ : ndarray
        The distinct labels seen in ``fit``, sorted (as ``numpy.unique``).
    network_ : Network
        The constructed network; its ``classes`` are the labels' text.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names, when ``fit`` got a DataFrame with string column names (scikit-learn only).

    Examples
    --------
    >>> clf = LNNetClassifier(seed=1).fit([[0], [1], [2]], ["a", "b", "a"])
    >>> clf.classes_.tolist(), clf.n_features_in_
    (['a', 'b'], 1)
    """

    def __init__(self, method: str = "default", eps=0, seed=None, max_bits: int = DEFAULT_MAX_BITS):
        self.method = method
        self.eps = eps
        self.seed = seed
        self.max_bits = max_bits

    def set_params(self, **params) -> "LNNetClassifier":
        """Set constructor parameters; unknown names raise InputError.  Returns ``self``.

        >>> LNNetClassifier().set_params(eps="1/1000").eps
        '1/1000'
        """
        valid = self._get_param_names()
        for name in params:
            if name not in valid:
                raise InputError(f"invalid parameter {name!r} for LNNetClassifier; valid parameters: {', '.join(valid)}")
        return super().set_params(**params)

    if HAVE_SKLEARN:
        def __sklearn_tags__(self):
            tags = super().__sklearn_tags__()
            tags.input_tags.string = True  # exact number strings such as "1/10" are numbers here
            return tags

    # pickling (joblib, model files): the network travels as its exact format-v1 text, since
    # Network keeps its meta in a read-only mapping that pickle refuses
    def __getstate__(self):
        state = super().__getstate__() if HAVE_SKLEARN else dict(self.__dict__)
        if "network_" in state:
            from .io import dumps_network

            state = {**state, "network_": dumps_network(state["network_"])}
        return state

    def __setstate__(self, state):
        if isinstance(state.get("network_"), str):
            from .io import loads_network

            state = {**state, "network_": loads_network(state["network_"], source="pickled LNNetClassifier")}
        if HAVE_SKLEARN:
            super().__setstate__(state)
        else:
            self.__dict__.update(state)

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "network_")

    # --- validation -------------------------------------------------------
    def _validate(self, X, y=None, *, reset: bool):
        """``(points, labels)``: exact rows of ``X`` and Python labels (``None`` when ``y`` is not given)."""
        if not HAVE_SKLEARN:
            points = _exact_matrix(X)
            if reset:
                self.n_features_in_ = len(points[0])
            elif len(points[0]) != self.n_features_in_:
                raise InputError(f"X has {len(points[0])} features, but LNNetClassifier is expecting "
                                 f"{self.n_features_in_} features as input")
            return points, (None if y is None and not reset else _labels(y, len(points)))
        if isinstance(X, np.ndarray) and X.ndim != 2:
            raise _not_2d(X)
        n, m = _n_rows(X), _n_rows(y)
        if reset and n is not None and m is not None and n != m:
            raise InputError(f"y has {m} labels but X has {n} samples")
        # dtype=None keeps exact cells; non-finite ones are reported by _exact_rows, with their row
        try:
            if reset:
                arr, y_arr = validate_data(self, _as_cells(X), y, dtype=None, ensure_all_finite=False, reset=True)
                check_classification_targets(y_arr)
            else:
                arr = validate_data(self, _as_cells(X), dtype=None, ensure_all_finite=False, reset=False)
        except ValueError as e:  # scikit-learn's message, as this package's error type
            if isinstance(e, InputError):
                raise
            raise InputError(_one_line(e)) from None
        # the labels from y itself: validation turns [1, "1"] into two "1"s
        return _exact_rows(arr), (_labels(y, len(arr)) if reset else None)

    def _check_fitted(self):
        if not self.__sklearn_is_fitted__():
            raise NotFittedError("this LNNetClassifier is not fitted yet; call fit(X, y) first")

    def _points(self, X) -> list:
        self._check_fitted()
        return self._validate(X, reset=False)[0]

    # --- learning --------------------------------------------------------
    def fit(self, X, y) -> "LNNetClassifier":
        """Build a network that classifies every ``(X[i], y[i])`` (exactly; see module docstring).

        Raises
        ------
        ConflictingLabelsError
            Identical points with different labels.
        InputError
            Malformed ``X`` or ``y`` (with scikit-learn: also a continuous target), or labels whose
            text coincides (``1`` and ``"1"``).
        """
        from .construct import build

        points, labels = self._validate(X, y, reset=True)
        classes = sorted(set(labels), key=_sort_key)
        texts = [str(c) for c in classes]
        if len(set(texts)) != len(texts):
            raise InputError(f"labels {classes} have coinciding text; class names are matched as text")
        self.network_ = build(points, [str(v) for v in labels], method=self.method, eps=self.eps, seed=self.seed)
        mixed = len({isinstance(c, str) for c in classes}) > 1
        self.classes_ = np.array(classes, dtype=object if mixed else None)
        self._by_text = {str(c): c for c in classes}
        return self

    def predict(self, X) -> np.ndarray:
        """Certified class of each row (``None`` where undecided; see module docstring)."""
        from .predict import predict

        points = self._points(X)
        preds = predict(self.network_, points, arith="interval", max_bits=self.max_bits)
        labels = [None if p is None else self._by_text[str(p)] for p in preds]
        if any(v is None for v in labels):
            return np.array(labels, dtype=object)
        return np.array(labels, dtype=self.classes_.dtype)

    def score(self, X, y, sample_weight=None) -> float:
        """Accuracy of :meth:`predict` (undecided points count as wrong), optionally weighted."""
        pred = self.predict(X)
        y = _labels(y, len(pred))
        hits = [p is not None and p == t for p, t in zip(pred.tolist(), y)]
        return float(np.average(hits, weights=sample_weight))

    def decision_function(self, X) -> np.ndarray:
        """Float64 network outputs: shape (n,) for a sign decision, (n, K) for argmax.  NOT rigorous.

        As in scikit-learn: for two classes a positive value means
        ``classes_[1]``; for more, column ``k`` scores ``classes_[k]`` and the
        largest wins.  A single-class network gives zeros of shape (n,).
        """
        from .arith import get_arith
        from .forward import batch_input, forward

        points = self._points(X)
        if len(self.classes_) < 2:  # a constant network has no output to rank by
            return np.zeros(len(points))
        F = get_arith("float")
        with F.active():
            outs = forward(self.network_, batch_input(points, F), F)
            arr = np.stack([np.broadcast_to(np.asarray(o, dtype=np.float64), (len(points),)) for o in outs], axis=1)
        net_texts = list(self.network_.class_texts)
        texts = [str(c) for c in self.classes_]
        if self.network_.decision == "sign":
            # positive output means network class 1; scikit-learn wants classes_[1]
            return arr[:, 0] if net_texts[1] == texts[-1] else -arr[:, 0]
        return arr[:, [net_texts.index(t) for t in texts]]

    def certify(self, X, y):
        """Rigorous verification of the network on ``(X, y)``: the :class:`lnnet_construct.verify.Report`."""
        from .verify import verify

        points = self._points(X)
        labels = [str(v) for v in _labels(y, len(points))]
        return verify(self.network_, points, labels, max_bits=self.max_bits)


def _sort_key(v):
    # numbers before strings, each in natural order (numpy.unique would refuse the mix)
    return (0, v, "") if isinstance(v, (int, float)) and not isinstance(v, bool) else (1, 0, str(v))
