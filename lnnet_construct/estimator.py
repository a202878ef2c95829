r"""A scikit-learn style classifier around the construction (scikit-learn is not needed).

:class:`LNNetClassifier` follows the scikit-learn estimator conventions:
parameters are set in ``__init__`` and stored unchanged; ``fit`` learns the
attributes ending in ``_`` and returns ``self``; ``get_params``/``set_params``
let ``sklearn.base.clone``, grid searches and pipelines handle it.

* ``fit(X, y)`` builds an exact width-3 LN-Net that classifies every training
  point (:func:`lnnet_construct.construct.build`).  ``X`` holds ints,
  ``Fraction``\ s, exact number strings, or floats taken as their **exact
  binary values** (``0.1`` is ``3602879701896397/2^55``, not ``1/10``).
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

import numpy as np

from .errors import InputError, NumberFormatError
from .numbers import to_exact
from .predict import DEFAULT_MAX_BITS

__all__ = ["LNNetClassifier"]


def _exact_matrix(X, what="X") -> list:
    """Rows of exact numbers from an array-like (ints, Fractions, strings, or floats at their binary value)."""
    if hasattr(X, "to_numpy"):  # pandas without importing it
        X = X.to_numpy()
    if isinstance(X, np.ndarray):
        if X.ndim != 2:
            raise InputError(f"{what} must be 2-dimensional (n_samples, n_features), got shape {X.shape}")
        rows = X.tolist() if X.dtype != object else [list(r) for r in X]
    else:
        try:
            rows = [list(r) for r in X]
        except TypeError:
            raise InputError(f"{what} must be a 2-dimensional array-like of numbers") from None
    if not rows:
        raise InputError(f"{what} has no samples")
    d = len(rows[0])
    out = []
    for i, r in enumerate(rows):
        if len(r) != d:
            raise InputError(f"{what} row {i} has {len(r)} features, expected {d}")
        try:
            out.append(tuple(to_exact(v) for v in r))
        except NumberFormatError as e:
            raise InputError(f"{what} row {i}: {e}") from None
    if d == 0:
        raise InputError(f"{what} has no features")
    return out


def _labels(y, n) -> list:
    if hasattr(y, "to_numpy"):
        y = y.to_numpy()
    y = list(np.asarray(y, dtype=object).reshape(-1)) if not isinstance(y, list) else list(y)
    if len(y) != n:
        raise InputError(f"y has {len(y)} labels but X has {n} samples")
    return [v.item() if hasattr(v, "item") else v for v in y]


class LNNetClassifier:
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
    """

    def __init__(self, method: str = "default", eps=0, seed=None, max_bits: int = DEFAULT_MAX_BITS):
        self.method = method
        self.eps = eps
        self.seed = seed
        self.max_bits = max_bits

    # --- parameters (scikit-learn protocol) ---------------------------
    @classmethod
    def _param_names(cls) -> list:
        sig = inspect.signature(cls.__init__)
        return sorted(p.name for p in sig.parameters.values() if p.name != "self")

    def get_params(self, deep: bool = True) -> dict:
        """The constructor parameters (``deep`` is accepted for compatibility; there are no sub-estimators)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params) -> "LNNetClassifier":
        """Set constructor parameters; unknown names raise InputError.  Returns ``self``.

        >>> LNNetClassifier().set_params(eps="1/1000").eps
        '1/1000'
        """
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise InputError(f"invalid parameter {name!r} for LNNetClassifier; valid parameters: {', '.join(valid)}")
            setattr(self, name, value)
        return self

    def __repr__(self):
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values() if p.name != "self"}
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if v != defaults[k]]
        return f"LNNetClassifier({', '.join(changed)})"

    # --- learning --------------------------------------------------------
    def fit(self, X, y) -> "LNNetClassifier":
        """Build a network that classifies every ``(X[i], y[i])`` (exactly; see module docstring).

        Raises
        ------
        ConflictingLabelsError
            Identical points with different labels.
        InputError
            Malformed ``X`` or ``y``, or labels whose text coincides (``1`` and ``"1"``).
        """
        from .construct import build

        points = _exact_matrix(X)
        labels = _labels(y, len(points))
        classes = sorted(set(labels), key=_sort_key)
        texts = [str(c) for c in classes]
        if len(set(texts)) != len(texts):
            raise InputError(f"labels {classes} have coinciding text; class names are matched as text")
        self.network_ = build(points, [str(v) for v in labels], method=self.method, eps=self.eps, seed=self.seed)
        mixed = len({isinstance(c, str) for c in classes}) > 1
        self.classes_ = np.array(classes, dtype=object if mixed else None)
        self._by_text = {str(c): c for c in classes}
        self.n_features_in_ = len(points[0])
        return self

    def _check_fitted(self):
        if not hasattr(self, "network_"):
            raise InputError("this LNNetClassifier is not fitted yet; call fit(X, y) first")

    def _points(self, X) -> list:
        self._check_fitted()
        points = _exact_matrix(X)
        if len(points[0]) != self.n_features_in_:
            raise InputError(f"X has {len(points[0])} features, the classifier was fitted with {self.n_features_in_}")
        return points

    def predict(self, X) -> np.ndarray:
        """Certified class of each row (``None`` where undecided; see module docstring)."""
        from .predict import predict

        points = self._points(X)
        preds = predict(self.network_, points, arith="interval", max_bits=self.max_bits)
        labels = [None if p is None else self._by_text[str(p)] for p in preds]
        if any(v is None for v in labels):
            return np.array(labels, dtype=object)
        return np.array(labels, dtype=self.classes_.dtype)

    def score(self, X, y) -> float:
        """Accuracy of :meth:`predict` (undecided points count as wrong)."""
        pred = self.predict(X)
        y = _labels(y, len(pred))
        return float(np.mean([p is not None and p == t for p, t in zip(pred.tolist(), y)]))

    def decision_function(self, X) -> np.ndarray:
        """Float64 network outputs: shape (n,) for a sign decision, (n, K) for argmax.  NOT rigorous.

        As in scikit-learn: for two classes a positive value means
        ``classes_[1]``; for more, column ``k`` scores ``classes_[k]`` and the
        largest wins.
        """
        from .arith import get_arith
        from .forward import batch_input, forward

        points = self._points(X)
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
