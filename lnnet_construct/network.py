r"""The immutable LN-Net: a frozen sequence of affine and LayerNorm layers.

An LN-Net (MATH.md §1.3) maps ``x`` in R^d through layers

* :class:`Affine` — ``x -> W x + b`` with exact ``W`` (rows are outputs);
* :class:`LayerNorm` — grouped LayerNorm with ``eps >= 0`` and an optional
  elementwise affine (formula in :func:`lnnet_construct.ops.layer_norm`),

and decides a class from the outputs: ``decision="sign"`` (one output;
``> 0`` is ``classes[1]``, ``< 0`` is ``classes[0]``, 0 decides nothing) or
``decision="argmax"`` (one output per class; a tie decides nothing).

Every invariant is checked once, at construction: shapes chain, ``eps >= 0``
(exactly), groups divide the width, classes match the output size.  All
parameters are stored as exact numbers (Fraction or Expr) in tuples.

Examples
--------
>>> net = Network(2, [Affine([[1, -1], [0, 1], [-1, 0]], [0, 0, 1]),
...                   LayerNorm(),
...                   Affine([[1, 1, -2]], ["-1/2"])],
...               classes=["neg", "pos"])
>>> net.depth, net.width, net.output_dim
(1, 3, 1)
>>> net.layers[2].bias
(Fraction(-1, 2),)
>>> Network(2, [Affine([[1, 2]], [0]), LayerNorm(groups=2)], classes=["a", "b"])
Traceback (most recent call last):
...
lnnet_construct.errors.NetworkFormatError: layers[1] (layernorm): groups 2 does not divide the width 1
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType
from typing import Any, Mapping, Sequence, Union

from .errors import NetworkFormatError, NumberFormatError
from .numbers import Expr, to_exact

__all__ = ["Affine", "LayerNorm", "Layer", "Network", "DECISIONS"]

DECISIONS = ("sign", "argmax")


def _exact(value, where: str):
    try:
        return to_exact(value)
    except NumberFormatError as e:
        raise NetworkFormatError(f"{where}: {e}") from None


def _vector(values, where: str) -> tuple:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) and not hasattr(values, "__iter__"):
        raise NetworkFormatError(f"{where}: expected a list of numbers")
    return tuple(_exact(v, f"{where}[{i}]") for i, v in enumerate(values))


@dataclass(frozen=True)
class Affine:
    """Affine layer ``x -> W x + b`` (``weight`` is out × in; rows are output units)."""

    weight: tuple
    bias: tuple

    def __init__(self, weight, bias):
        rows = tuple(_vector(r, f"weight[{i}]") for i, r in enumerate(weight))
        b = _vector(bias, "bias")
        if not rows:
            raise NetworkFormatError("affine weight has no rows")
        n_in = len(rows[0])
        if n_in == 0:
            raise NetworkFormatError("affine weight rows are empty")
        for i, r in enumerate(rows):
            if len(r) != n_in:
                raise NetworkFormatError(f"weight row {i} has {len(r)} entries, expected {n_in}")
        if len(b) != len(rows):
            raise NetworkFormatError(f"bias has {len(b)} entries but weight has {len(rows)} rows")
        object.__setattr__(self, "weight", rows)
        object.__setattr__(self, "bias", b)

    @property
    def in_dim(self) -> int:
        return len(self.weight[0])

    @property
    def out_dim(self) -> int:
        return len(self.weight)

    kind = "affine"


@dataclass(frozen=True)
class LayerNorm:
    r"""Grouped LayerNorm ``gamma * LN_eps(x) + beta`` per contiguous group (MATH.md §1)."""

    eps: Any = Fraction(0)
    groups: int = 1
    weight: tuple | None = None
    bias: tuple | None = None

    def __init__(self, eps=0, groups=1, weight=None, bias=None):
        e = _exact(eps, "eps")
        from .arith.exact import exact_sign
        from .arith.base import Sign

        if exact_sign(e) is Sign.NEGATIVE:
            raise NetworkFormatError(f"eps must be >= 0, got {e}")
        if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
            raise NetworkFormatError(f"groups must be a positive integer, got {groups!r}")
        object.__setattr__(self, "eps", e)
        object.__setattr__(self, "groups", groups)
        object.__setattr__(self, "weight", None if weight is None else _vector(weight, "weight"))
        object.__setattr__(self, "bias", None if bias is None else _vector(bias, "bias"))

    kind = "layernorm"

    @property
    def has_affine(self) -> bool:
        return self.weight is not None or self.bias is not None


Layer = Union[Affine, LayerNorm]


@dataclass(frozen=True)
class Network:
    """An immutable LN-Net (see module docstring).

    Parameters
    ----------
    input_dim : int
    layers : sequence of Affine or LayerNorm
    classes : sequence of str or int
        Class names; ``len(classes)`` is 2 for ``"sign"`` and the output
        size for ``"argmax"``.
    decision : {"sign", "argmax"}
    meta : mapping, optional
        Free-form JSON-compatible provenance.
    """

    input_dim: int
    layers: tuple
    classes: tuple
    decision: str = "sign"
    meta: Mapping = field(default_factory=dict, compare=False)

    def __init__(self, input_dim, layers, classes, decision="sign", meta=None):
        if isinstance(input_dim, bool) or not isinstance(input_dim, int) or input_dim < 1:
            raise NetworkFormatError(f"input_dim must be a positive integer, got {input_dim!r}")
        layers = tuple(layers)
        width = input_dim
        for i, layer in enumerate(layers):
            if isinstance(layer, Affine):
                if layer.in_dim != width:
                    raise NetworkFormatError(
                        f"layers[{i}] (affine): weight has {layer.in_dim} columns but its input has width {width}"
                    )
                width = layer.out_dim
            elif isinstance(layer, LayerNorm):
                if width % layer.groups:
                    raise NetworkFormatError(
                        f"layers[{i}] (layernorm): groups {layer.groups} does not divide the width {width}"
                    )
                for name in ("weight", "bias"):
                    v = getattr(layer, name)
                    if v is not None and len(v) != width:
                        raise NetworkFormatError(
                            f"layers[{i}] (layernorm): {name} has {len(v)} entries, expected {width}"
                        )
            else:
                raise NetworkFormatError(f"layers[{i}]: unknown layer type {type(layer).__name__}")
        if decision not in DECISIONS:
            raise NetworkFormatError(f"decision must be 'sign' or 'argmax', got {decision!r}")
        classes = tuple(classes)
        for c in classes:
            if isinstance(c, bool) or not isinstance(c, (str, int)):
                raise NetworkFormatError(f"classes must be strings or integers, got {c!r}")
        texts = [str(c) for c in classes]
        if len(set(texts)) != len(texts):
            raise NetworkFormatError(f"classes contain duplicates: {texts}")
        if decision == "sign":
            if width != 1:
                raise NetworkFormatError(f"decision 'sign' needs 1 output, the network has {width}")
            if len(classes) != 2:
                raise NetworkFormatError(f"decision 'sign' needs exactly 2 classes, got {len(classes)}")
        elif len(classes) != width:
            raise NetworkFormatError(f"decision 'argmax' needs one class per output: {len(classes)} classes, {width} outputs")
        object.__setattr__(self, "input_dim", input_dim)
        object.__setattr__(self, "layers", layers)
        object.__setattr__(self, "classes", classes)
        object.__setattr__(self, "decision", decision)
        object.__setattr__(self, "meta", MappingProxyType(dict(meta or {})))

    # --- derived properties -------------------------------------------
    @property
    def depth(self) -> int:
        """Number of LayerNorm layers."""
        return sum(isinstance(layer, LayerNorm) for layer in self.layers)

    @property
    def widths(self) -> tuple:
        """Widths after each layer."""
        out, w = [], self.input_dim
        for layer in self.layers:
            if isinstance(layer, Affine):
                w = layer.out_dim
            out.append(w)
        return tuple(out)

    @property
    def output_dim(self) -> int:
        return self.widths[-1] if self.layers else self.input_dim

    @property
    def width(self) -> int:
        """Largest hidden width (outputs of every layer but the last); 0 without hidden layers."""
        hidden = self.widths[:-1]
        return max(hidden) if hidden else 0

    @property
    def class_texts(self) -> tuple:
        """Class names as text (how data labels are matched)."""
        return tuple(str(c) for c in self.classes)

    @property
    def is_exact_rational(self) -> bool:
        """True if every parameter is rational (no algebraic ``Expr``)."""
        return not any(isinstance(v, Expr) for v in self.parameters())

    def parameters(self):
        """Iterate over every exact parameter."""
        for layer in self.layers:
            if isinstance(layer, Affine):
                for row in layer.weight:
                    yield from row
                yield from layer.bias
            else:
                yield layer.eps
                for v in (layer.weight, layer.bias):
                    if v is not None:
                        yield from v

    def with_meta(self, **updates) -> "Network":
        """A copy with ``meta`` updated."""
        meta = dict(self.meta)
        meta.update(updates)
        return Network(self.input_dim, self.layers, self.classes, self.decision, meta)

    def with_layers(self, layers) -> "Network":
        """A copy with other layers (same classes, decision and meta)."""
        return Network(self.input_dim, layers, self.classes, self.decision, dict(self.meta))

    def __repr__(self):
        return (
            f"Network(input_dim={self.input_dim}, depth={self.depth}, width={self.width}, "
            f"outputs={self.output_dim}, decision={self.decision!r}, classes={list(self.classes)!r})"
        )
