r"""Shattering-witness files (``format: "lnnet-witness"``, ``version: 1``; FORMATS.md).

A witness is a point set plus one network per labelling of it (MATH.md §4)::

    {"format": "lnnet-witness", "version": 1, "depth": 4,
     "points": [["0"], ["1"], ...],
     "meta": {...},
     "labellings": [{"labels": [0, 1, ...], "network": {"format": "lnnet", ...}}, ...]}

``meta`` (top level, optional, free-form provenance) is the one key this
toolkit adds to FORMATS.md; readers that do not know it may ignore it.
Any other unknown key is refused.

Loading is strict: every defect is one :class:`~lnnet_construct.errors.WitnessFormatError`
line naming the file and the field (JSON floats, bad numbers, ragged points,
wrong label types, malformed networks).  Loading does *not* judge whether
the witness is valid (all labellings present, networks correct): that is
:func:`lnnet_construct.theory.vc.verify_witness`.

Networks that have the plain shape of a width-3 LN chain (alternating
affine / LayerNorm layers, one output, ``decision: "sign"``, no LN affine)
are read by a fast strict reader and built into
:class:`~lnnet_construct.network.Network` objects only when asked
(:attr:`Labelling.network`); every other network goes through
:func:`~lnnet_construct.io.network_file.network_from_dict`.  Either way a
malformed network is refused at load time.

Examples
--------
>>> import tempfile, pathlib
>>> from lnnet_construct.fold import fold_network
>>> nets = [fold_network([1], [], ("constant", k), classes=[0, 1]) for k in (0, 1)]
>>> w = Witness(0, [["0"]], [Labelling((0,), nets[0]), Labelling((1,), nets[1])])
>>> p = pathlib.Path(tempfile.mkdtemp()) / "w.json"
>>> save_witness(w, p)
>>> w2 = load_witness(p)
>>> w2.n_points, w2.dim, [lab.labels for lab in w2.labellings]
(1, 1, [(0,), (1,)])
>>> w2.labellings[1].network == nets[1]
True
>>> _ = p.write_text('{"format": "lnnet-witness", "version": 1, "depth": 0, "points": [[0.5]], "labellings": []}')
>>> load_witness(p)
Traceback (most recent call last):
...
lnnet_construct.errors.WitnessFormatError: ...w.json: points[0][0]: JSON float 0.5 is refused; write exact numbers as strings such as "0.5"
"""

from __future__ import annotations

import json
import re
from fractions import Fraction
from types import MappingProxyType

from ..errors import NetworkFormatError, NumberFormatError, WitnessFormatError
from ..network import Affine, LayerNorm, Network
from ..numbers import format_number, parse_number, to_exact
from .jsonutil import JsonFloat, dumps_value, loads_strict, read_json
from .network_file import TOOL, network_from_dict, network_to_dict

__all__ = [
    "FORMAT",
    "VERSION",
    "Witness",
    "Labelling",
    "witness_to_dict",
    "witness_from_dict",
    "dumps_witness",
    "loads_witness",
    "save_witness",
    "load_witness",
]

FORMAT = "lnnet-witness"
VERSION = 1
_TOP_KEYS = {"format", "version", "depth", "points", "labellings", "meta"}
_ENTRY_KEYS = {"labels", "network"}


class Labelling:
    """One labelling of a witness's points and the network that realises it.

    Parameters
    ----------
    labels : sequence of int or str
        One label per point; each must be (by text) a class of the network.
    network : Network, optional
        The network.  Either ``network`` or ``layers`` is given.
    layers : tuple, optional
        (Internal, used by the fast reader.)  The network's layers as plain
        tuples ``("affine", weight, bias)`` / ``("layernorm", eps)`` with
        ``input_dim``, ``classes`` and ``meta`` given as keywords; the
        :class:`Network` is built on first access of :attr:`network`.
    """

    __slots__ = ("labels", "_network", "_layers", "_input_dim", "_classes", "_meta")

    def __init__(self, labels, network: Network | None = None, *, layers=None, input_dim=None,
                 classes=None, meta=None):
        self.labels = tuple(labels)
        if (network is None) == (layers is None):
            raise ValueError("give exactly one of network and layers")
        self._network = network
        self._layers = layers
        self._input_dim = input_dim
        self._classes = None if classes is None else tuple(classes)
        self._meta = meta

    @property
    def network(self) -> Network:
        """The network (built on first access when read by the fast reader)."""
        if self._network is None:
            layers = [Affine(spec[1], spec[2]) if spec[0] == "affine" else _layer_norm(spec[1])
                      for spec in self._layers]
            self._network = Network(self._input_dim, layers, self._classes, "sign", self._meta)
        return self._network

    def layer_specs(self) -> tuple:
        """The layers as plain tuples (see class docstring), or ``()`` if this network is not plain."""
        if self._layers is not None:
            return self._layers
        return _plain_specs(self._network)

    @property
    def input_dim(self) -> int:
        return self._input_dim if self._network is None else self._network.input_dim

    @property
    def classes(self) -> tuple:
        return self._classes if self._network is None else self._network.classes

    def __repr__(self):
        return f"Labelling(labels={list(self.labels)!r})"


_LN_CACHE: dict = {}


def _layer_norm(eps) -> LayerNorm:
    """A shared (immutable) LayerNorm per eps: building one decides the sign of eps exactly."""
    ln = _LN_CACHE.get(eps)
    if ln is None:
        ln = LayerNorm(eps=eps)
        if len(_LN_CACHE) < 1000:
            _LN_CACHE[eps] = ln
    return ln


def _plain_specs(net: Network) -> tuple:
    """Plain-tuple layers of a sign network without LN affine / groups (else ``()``)."""
    if net.decision != "sign":
        return ()
    out = []
    for layer in net.layers:
        if isinstance(layer, Affine):
            out.append(("affine", layer.weight, layer.bias))
        elif layer.groups == 1 and not layer.has_affine:
            out.append(("layernorm", layer.eps))
        else:
            return ()
    return tuple(out)


class Witness:
    """A shattering witness: points and one labelled network per labelling (MATH.md §4).

    Parameters
    ----------
    depth : int
        The claimed bound on the number of LayerNorm layers of every network.
    points : sequence of sequences of exact numbers
    labellings : sequence of Labelling
    meta : mapping, optional
        Free-form provenance (method, search budget, ...).

    Notes
    -----
    A ``Witness`` is only a container; :func:`lnnet_construct.theory.vc.verify_witness`
    decides whether it is a valid one.
    """

    __slots__ = ("depth", "points", "labellings", "meta")

    def __init__(self, depth: int, points, labellings, meta=None):
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
            raise WitnessFormatError(f"depth must be an integer >= 0, got {depth!r}")
        self.depth = depth
        self.points = tuple(tuple(to_exact(v) for v in p) for p in points)
        self.labellings = tuple(labellings)
        self.meta = MappingProxyType(dict(meta or {}))

    @property
    def n_points(self) -> int:
        return len(self.points)

    @property
    def dim(self) -> int:
        return len(self.points[0]) if self.points else 0

    def __len__(self):
        return len(self.labellings)

    def __repr__(self):
        return (f"Witness(depth={self.depth}, n_points={self.n_points}, dim={self.dim}, "
                f"labellings={len(self.labellings)})")


# ----------------------------------------------------------------------------- writing


def witness_to_dict(witness: Witness) -> dict:
    """The format-v1 document of ``witness`` (numbers as canonical exact strings)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "depth": witness.depth,
        "points": [[format_number(v) for v in p] for p in witness.points],
        "meta": dict(witness.meta),
        "labellings": [{"labels": list(lab.labels), "network": network_to_dict(lab.network)}
                       for lab in witness.labellings],
    }


def dumps_witness(witness: Witness) -> str:
    """Canonical text: header fields one per line, then one line per labelling."""
    head = [
        f'  "format": {dumps_value(FORMAT)}',
        f'  "version": {VERSION}',
        f'  "depth": {witness.depth}',
        '  "points": ' + dumps_value([[format_number(v) for v in p] for p in witness.points]),
        '  "meta": ' + dumps_value(dict(sorted(dict(witness.meta).items()))),
    ]
    rows = []
    text: dict = {}  # number -> canonical text (parameters repeat a lot across a witness)
    for lab in witness.labellings:
        doc = _doc_from_specs(lab, text) if lab._network is None else network_to_dict(lab.network)
        meta = dumps_value(dict(sorted(doc.pop("meta").items())))
        # everything but meta is str / int / list / dict: the json module writes it exactly like dumps_value
        net = json.dumps(doc, ensure_ascii=False, separators=(", ", ": "))[:-1] + ', "meta": ' + meta + "}"
        rows.append('    {"labels": ' + dumps_value(list(lab.labels)) + ', "network": ' + net + "}")
    body = '  "labellings": [\n' + ",\n".join(rows) + "\n  ]" if rows else '  "labellings": []'
    return "{\n" + ",\n".join(head + [body]) + "\n}\n"


def _doc_from_specs(lab: Labelling, text: dict) -> dict:
    """``network_to_dict(lab.network)`` without building the Network (plain chains only; tested equal)."""

    def fmt(v):
        key = (v.numerator, v.denominator) if type(v) is Fraction else v
        t = text.get(key)
        if t is None:
            t = text[key] = format_number(v)
        return t

    layers = []
    for spec in lab._layers:
        if spec[0] == "affine":
            layers.append({"type": "affine", "weight": [[fmt(v) for v in row] for row in spec[1]],
                           "bias": [fmt(v) for v in spec[2]]})
        else:
            layers.append({"type": "layernorm", "eps": fmt(spec[1]), "groups": 1})
    meta = dict(lab._meta or {})
    meta.setdefault("tool", TOOL)
    return {"format": "lnnet", "version": 1, "input_dim": lab._input_dim, "classes": list(lab._classes),
            "decision": "sign", "layers": layers, "meta": meta}


def save_witness(witness: Witness, path) -> None:
    """Write ``witness`` canonically to ``path``."""
    text = dumps_witness(witness)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


# ----------------------------------------------------------------------------- reading

_SIMPLE = re.compile(r"-?[0-9]{1,40}(?:/[0-9]{1,40})?\Z")


class _NumberCache:
    """``parse_number`` with a cache and a fast path for short integer and ``p/q`` strings."""

    def __init__(self):
        self.cache: dict = {}
        self.matrices: dict = {}

    def __call__(self, value, where: str):
        if isinstance(value, JsonFloat):
            raise WitnessFormatError(
                f"{where}: JSON float {value} is refused; write exact numbers as strings such as \"{value}\""
            )
        if isinstance(value, bool):
            raise WitnessFormatError(f"{where}: expected an exact number, got {str(value).lower()}")
        if isinstance(value, int):
            return Fraction(value)
        if not isinstance(value, str):
            raise WitnessFormatError(f"{where}: expected an exact number (a string or an integer), "
                                     f"got {type(value).__name__}")
        try:
            return self.cache[value]
        except KeyError:
            pass
        if _SIMPLE.match(value):
            num, _, den = value.partition("/")
            if den and int(den) == 0:
                raise WitnessFormatError(f"{where}: {value!r} divides by zero")
            q = Fraction(int(num), int(den) if den else 1)
        else:
            try:
                q = parse_number(value)
            except NumberFormatError as e:
                raise WitnessFormatError(f"{where}: {e}") from None
        if len(self.cache) < 200_000:
            self.cache[value] = q
        return q

    def matrix(self, rows, where: str) -> tuple:
        """A weight matrix; identical matrices (common across a witness) are parsed once."""
        try:
            key = tuple(map(tuple, rows))
            plain = all(type(v) is str or type(v) is int for r in key for v in r)  # not JsonFloat, not bool
        except TypeError:
            key, plain = None, False
        if plain:
            hit = self.matrices.get(key)
            if hit is not None:
                return hit
        out = tuple(tuple(self(v, f"{where}.weight[{k}][{j}]") for j, v in enumerate(r)) for k, r in enumerate(rows))
        if plain and len(self.matrices) < 10_000:
            self.matrices[key] = out
        return out


def _fast_network(doc, parse: _NumberCache, where: str):
    """Parse a plain width-3 sign chain strictly, or return None (the caller uses the full reader).

    Accepts exactly: keys ⊆ {format, version, input_dim, classes, decision,
    layers, meta}; ``format == "lnnet"``, ``version == 1``, positive integer
    ``input_dim``, two distinct classes (str or int), ``decision == "sign"``,
    layers alternating affine / layernorm (``eps`` only, or with
    ``groups: 1``) starting and ending with an affine, all hidden widths 3,
    one output, ``meta`` an object.  Anything else returns None, so the full
    reader decides (it accepts or raises).
    """
    if not isinstance(doc, dict) or not set(doc) <= {"format", "version", "input_dim", "classes", "decision",
                                                       "layers", "meta"}:
        return None
    if doc.get("format") != "lnnet" or doc.get("version") != 1 or doc.get("decision") != "sign":
        return None
    d = doc.get("input_dim")
    classes = doc.get("classes")
    layers = doc.get("layers")
    meta = doc.get("meta", {})
    if isinstance(d, bool) or not isinstance(d, int) or d < 1 or not isinstance(meta, dict):
        return None
    if not isinstance(classes, list) or len(classes) != 2 or not isinstance(layers, list) or len(layers) % 2 != 1:
        return None
    if any(isinstance(c, (bool, JsonFloat)) or not isinstance(c, (str, int)) for c in classes):
        return None
    if str(classes[0]) == str(classes[1]):
        return None
    specs = []
    width = d
    n = len(layers)
    for i, layer in enumerate(layers):
        lw = f"{where}.layers[{i}]"
        if not isinstance(layer, dict):
            return None
        if i % 2 == 0:
            if set(layer) != {"type", "weight", "bias"} or layer["type"] != "affine":
                return None
            rows, bias = layer["weight"], layer["bias"]
            out = 1 if i == n - 1 else 3
            if not isinstance(rows, list) or not isinstance(bias, list) or len(rows) != out or len(bias) != out:
                return None
            if any(not isinstance(r, list) or len(r) != width for r in rows):
                return None
            weight = parse.matrix(rows, lw)
            specs.append(("affine", weight, tuple(parse(v, f"{lw}.bias[{k}]") for k, v in enumerate(bias))))
            width = out
        else:
            keys = set(layer)
            if layer.get("type") != "layernorm" or not keys <= {"type", "eps", "groups"}:
                return None
            if "groups" in layer and (layer["groups"] != 1 or isinstance(layer["groups"], bool)):
                return None
            eps = parse(layer.get("eps", "0"), f"{lw}.eps")
            if not isinstance(eps, Fraction):
                return None  # algebraic eps: the full reader decides its sign
            if eps < 0:
                raise WitnessFormatError(f"{lw}.eps: eps must be >= 0, got {format_number(eps)}")
            specs.append(("layernorm", eps))
    return tuple(specs), d, tuple(classes), dict(meta)


def _label(value, where: str):
    if isinstance(value, bool) or isinstance(value, JsonFloat) or not isinstance(value, (str, int)):
        raise WitnessFormatError(f"{where}: a label must be a string or an integer, got {value!r}")
    return value


def witness_from_dict(doc, source: str = "witness") -> Witness:
    """Build a :class:`Witness` from a parsed format-v1 document (strictly checked)."""
    if not isinstance(doc, dict):
        raise WitnessFormatError(f"{source}: expected a JSON object at the top level")
    if doc.get("format") != FORMAT:
        raise WitnessFormatError(f"{source}: format must be \"{FORMAT}\", got {doc.get('format')!r}")
    if doc.get("version") != VERSION or isinstance(doc.get("version"), bool):
        raise WitnessFormatError(f"{source}: unsupported version {doc.get('version')!r} (this tool reads version 1)")
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise WitnessFormatError(f"{source}: unknown key {unknown[0]!r} (expected {', '.join(sorted(_TOP_KEYS))})")
    for key in ("depth", "points", "labellings"):
        if key not in doc:
            raise WitnessFormatError(f"{source}: missing key {key!r}")
    depth = doc["depth"]
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
        raise WitnessFormatError(f"{source}: depth must be an integer >= 0, got {depth!r}")
    meta = doc.get("meta", {})
    if not isinstance(meta, dict):
        raise WitnessFormatError(f"{source}: meta must be an object")
    parse = _NumberCache()
    pts = doc["points"]
    if not isinstance(pts, list) or not pts:
        raise WitnessFormatError(f"{source}: points must be a non-empty list of coordinate lists")
    dim = None
    points = []
    for i, p in enumerate(pts):
        if not isinstance(p, list) or not p:
            raise WitnessFormatError(f"{source}: points[{i}]: expected a non-empty list of numbers")
        if dim is None:
            dim = len(p)
        elif len(p) != dim:
            raise WitnessFormatError(f"{source}: points[{i}] has {len(p)} coordinates, points[0] has {dim}")
        points.append(tuple(parse(v, f"{source}: points[{i}][{j}]") for j, v in enumerate(p)))
    entries = doc["labellings"]
    if not isinstance(entries, list):
        raise WitnessFormatError(f"{source}: labellings must be a list")
    labellings = []
    for k, entry in enumerate(entries):
        where = f"{source}: labellings[{k}]"
        if not isinstance(entry, dict):
            raise WitnessFormatError(f"{where}: expected an object with 'labels' and 'network'")
        if set(entry) != _ENTRY_KEYS:
            extra = sorted(set(entry) - _ENTRY_KEYS)
            what = f"unknown key {extra[0]!r}" if extra else f"missing key {sorted(_ENTRY_KEYS - set(entry))[0]!r}"
            raise WitnessFormatError(f"{where}: {what} (expected 'labels' and 'network')")
        labels = entry["labels"]
        if not isinstance(labels, list) or len(labels) != len(points):
            raise WitnessFormatError(f"{where}.labels: expected a list of {len(points)} labels (one per point)")
        labels = tuple(_label(v, f"{where}.labels[{i}]") for i, v in enumerate(labels))
        fast = _fast_network(entry["network"], parse, f"{where}.network")
        if fast is not None:
            layers, d, classes, nmeta = fast
            labellings.append(Labelling(labels, layers=layers, input_dim=d, classes=classes, meta=nmeta))
        else:
            try:
                net = network_from_dict(entry["network"], source=f"{where}.network")
            except NetworkFormatError as e:
                raise WitnessFormatError(str(e)) from None
            labellings.append(Labelling(labels, net))
    return Witness(depth, points, labellings, meta)


def loads_witness(text: str, source: str = "witness") -> Witness:
    """Parse a witness file's text."""
    return witness_from_dict(loads_strict(text, source, WitnessFormatError), source)


def load_witness(path) -> Witness:
    """Load a witness file strictly (see module docstring)."""
    return witness_from_dict(read_json(path, WitnessFormatError), str(path))

