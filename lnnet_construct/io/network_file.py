"""Network file format v1 (FORMATS.md): strict loading, canonical saving.

A network file is untrusted input.  Loading checks, in order: JSON syntax
(floats and NaN refused), the shipped JSON Schema
(``io/schema/network-v1.schema.json``), every number against the exact
grammar, and the network invariants.  Each failure is one
:class:`~lnnet_construct.errors.NetworkFormatError` line naming the file and
field.

Examples
--------
>>> from lnnet_construct.network import Network, Affine, LayerNorm
>>> net = Network(1, [Affine([[1], [-1], [0]], ["0", "0", "sqrt(2)/2"]), LayerNorm(eps="1e-5"),
...                   Affine([[1, 1, -2]], [0])], classes=["neg", "pos"])
>>> d = network_to_dict(net)
>>> d["layers"][0]["bias"], d["layers"][1]
(['0', '0', 'sqrt(2)/2'], {'type': 'layernorm', 'eps': '1/100000', 'groups': 1})
>>> network_from_dict(d) == net
True
>>> network_from_dict({**d, "layers": [{"type": "relu"}]}, source="n.json")
Traceback (most recent call last):
...
lnnet_construct.errors.NetworkFormatError: n.json: layers[0]: unknown layer type 'relu' (expected 'affine' or 'layernorm')
"""

from __future__ import annotations

import functools
import json
from importlib import resources

from ..errors import NetworkFormatError, NumberFormatError
from ..network import Affine, LayerNorm, Network
from ..numbers import format_number, parse_number
from .jsonutil import JsonFloat, dumps_value, loads_strict, read_json

__all__ = [
    "load_network",
    "save_network",
    "network_to_dict",
    "network_from_dict",
    "dumps_network",
    "loads_network",
    "network_schema",
]

TOOL = "lnnet_construct 0.1.0"


@functools.lru_cache(maxsize=1)
def network_schema() -> dict:
    """The JSON Schema of format v1 shipped with the package."""
    text = resources.files("lnnet_construct.io").joinpath("schema/network-v1.schema.json").read_text("utf-8")
    return json.loads(text)


def _num(value, where: str):
    if isinstance(value, JsonFloat):
        raise NetworkFormatError(
            f"{where}: JSON float {value} is refused; write exact numbers as strings such as \"{value}\""
        )
    try:
        return parse_number(value)
    except NumberFormatError as e:
        raise NetworkFormatError(f"{where}: {e}") from None


def _nums(values, where: str):
    if not isinstance(values, list):
        raise NetworkFormatError(f"{where}: expected a list of numbers")
    return [_num(v, f"{where}[{i}]") for i, v in enumerate(values)]


def _schema_error(doc, source: str):
    import jsonschema

    validator = jsonschema.Draft202012Validator(network_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(doc))
    if error is None:
        return None
    while error.context:  # a failed oneOf: the deepest sub-error is where the document goes wrong
        error = max(error.context, key=lambda e: len(e.absolute_path))
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
    msg = error.message
    if error.validator == "maxLength" and isinstance(error.instance, str):
        msg = f"a number string of {len(error.instance)} characters (at most {error.validator_value})"
    if len(msg) > 160:
        msg = msg[:157] + "..."
    return NetworkFormatError(f"{source}: {where or 'top level'}: {msg}")


def network_from_dict(doc, source: str = "network") -> Network:
    """Build a :class:`Network` from a parsed format-v1 document (strictly checked)."""
    if not isinstance(doc, dict):
        raise NetworkFormatError(f"{source}: expected a JSON object at the top level")
    if doc.get("format") != "lnnet":
        raise NetworkFormatError(f"{source}: format must be \"lnnet\", got {doc.get('format')!r}")
    if doc.get("version") != 1:
        raise NetworkFormatError(f"{source}: unsupported version {doc.get('version')!r} (this tool reads version 1)")
    layers = doc.get("layers")
    if isinstance(layers, list):
        for i, layer in enumerate(layers):
            if not isinstance(layer, dict):
                raise NetworkFormatError(f"{source}: layers[{i}]: expected an object")
            if layer.get("type") not in ("affine", "layernorm"):
                raise NetworkFormatError(
                    f"{source}: layers[{i}]: unknown layer type {layer.get('type')!r} (expected 'affine' or 'layernorm')"
                )
    err = _schema_error(doc, source)
    if err is not None:
        raise err
    built = []
    try:
        for i, layer in enumerate(doc["layers"]):
            where = f"layers[{i}]"
            if layer["type"] == "affine":
                weight = [_nums(r, f"{where}.weight[{k}]") for k, r in enumerate(layer["weight"])]
                built.append(Affine(weight, _nums(layer["bias"], f"{where}.bias")))
            else:
                groups = layer.get("groups", 1)
                eps = _num(layer.get("eps", "0"), f"{where}.eps")
                try:
                    built.append(
                        LayerNorm(
                            eps=eps,
                            groups=groups,
                            weight=None if "weight" not in layer else _nums(layer["weight"], f"{where}.weight"),
                            bias=None if "bias" not in layer else _nums(layer["bias"], f"{where}.bias"),
                        )
                    )
                except NetworkFormatError as e:
                    raise NetworkFormatError(f"{where}: {e}") from None
        classes = [str(c) if isinstance(c, JsonFloat) else c for c in doc["classes"]]
        return Network(doc["input_dim"], built, classes, doc["decision"], doc.get("meta", {}))
    except NetworkFormatError as e:
        raise NetworkFormatError(f"{source}: {e}") from None


def network_to_dict(network: Network) -> dict:
    """Format-v1 document of ``network`` (numbers as canonical exact strings)."""
    layers = []
    for layer in network.layers:
        if isinstance(layer, Affine):
            layers.append({
                "type": "affine",
                "weight": [[format_number(v) for v in row] for row in layer.weight],
                "bias": [format_number(v) for v in layer.bias],
            })
        else:
            d = {"type": "layernorm", "eps": format_number(layer.eps), "groups": layer.groups}
            if layer.weight is not None:
                d["weight"] = [format_number(v) for v in layer.weight]
            if layer.bias is not None:
                d["bias"] = [format_number(v) for v in layer.bias]
            layers.append(d)
    doc = {
        "format": "lnnet",
        "version": 1,
        "input_dim": network.input_dim,
        "classes": list(network.classes),
        "decision": network.decision,
        "layers": layers,
    }
    meta = dict(network.meta)
    meta.setdefault("tool", TOOL)
    doc["meta"] = meta
    return doc


def dumps_network(network: Network) -> str:
    """Canonical text of a network file: one layer per line, sorted ``meta`` keys."""
    doc = network_to_dict(network)
    head = [f'  "{k}": {dumps_value(doc[k])}' for k in ("format", "version", "input_dim", "classes", "decision")]
    layer_lines = ",\n".join(f"    {dumps_value(layer)}" for layer in doc["layers"])
    layers = '  "layers": [\n' + layer_lines + "\n  ]" if doc["layers"] else '  "layers": []'
    meta = '  "meta": ' + dumps_value(dict(sorted(doc["meta"].items())))
    return "{\n" + ",\n".join(head + [layers, meta]) + "\n}\n"


def loads_network(text: str, source: str = "network") -> Network:
    """Parse a network file's text."""
    return network_from_dict(loads_strict(text, source, NetworkFormatError), source)


def load_network(path) -> Network:
    """Load and check a network file (format v1)."""
    return network_from_dict(read_json(path, NetworkFormatError), str(path))


def save_network(network: Network, path) -> None:
    """Write ``network`` canonically to ``path``."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(dumps_network(network))
