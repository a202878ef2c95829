r"""Import a PyTorch model as an exact :class:`~lnnet_construct.network.Network`.

:func:`from_torch` reads an ``nn.Sequential`` (nested Sequentials allowed) of

=======================  =====================================================
torch module             becomes
=======================  =====================================================
``nn.Linear``            ``Affine`` (no bias → zero bias)
``nn.LayerNorm(n)``      ``LayerNorm(eps, groups=1, weight, bias)``
``nn.GroupNorm(g, n)``   ``LayerNorm(eps, groups=g, weight, bias)`` (on
                         ``(N, n)`` inputs GroupNorm is exactly LN-G)
``GroupedLayerNorm``     ``LayerNorm(eps, groups, weight, bias)`` (our export)
``nn.Identity``          nothing
=======================  =====================================================

and refuses anything else with an :class:`~lnnet_construct.errors.InputError`
naming the module.  Every float parameter becomes its **exact** binary value
(``Fraction(float)``); float32, float16 and bfloat16 values are exact in
float64, so nothing is rounded.  ``eps`` is a Python float in torch: by
default it is taken at its exact binary value too (``eps_as="binary"``;
``1e-5`` is then not ``1/100000``), or at its shortest decimal text with
``eps_as="decimal"``.  An all-ones LayerNorm weight and an all-zeros bias are
dropped: multiplying by 1 and adding 0 are exact, so the network is the same.

The result is the network the float model *means*: certifying it certifies
the real-number function with the model's weights, not its float evaluation
(for that, see :mod:`lnnet_construct.io.exports.parity`).

**What is loaded, and what is refused** (:func:`load_torch_model`).

* TorchScript archives (``torch.jit.script(model).save(path)``), read with
  ``torch.jit.load``: TorchScript is compiled code plus tensors, not Python
  pickles.  Each submodule's compiled ``forward`` is compared with the code
  torch generates for a fresh module of the same type and settings, so an
  archive whose "Linear" does something else is refused rather than
  misread.
* A ``state_dict`` with an architecture description (``arch``), read with
  ``torch.load(path, weights_only=True)``, which only rebuilds tensors and
  plain containers.  The description is JSON (numbers may be strings)::

      {"layers": [{"type": "linear", "in_features": 2, "out_features": 3, "bias": true},
                  {"type": "layernorm", "normalized_shape": 3, "eps": "1e-5",
                   "elementwise_affine": true, "bias": true},
                  {"type": "groupnorm", "num_groups": 2, "num_channels": 6, "eps": 0, "affine": false},
                  {"type": "identity"}],
       "prefix": ""}

  layer ``k`` takes the state-dict keys ``<prefix>k.weight``/``<prefix>k.bias``,
  as in ``nn.Sequential``.
* A whole pickled module (``torch.save(model)``) is **refused**: unpickling
  it would run code from the file.

Examples
--------
>>> import torch
>>> m = torch.nn.Sequential(torch.nn.Linear(1, 3), torch.nn.LayerNorm(3, eps=0.0), torch.nn.Linear(3, 1))
>>> with torch.no_grad():
...     _ = m[0].weight.copy_(torch.tensor([[1.0], [-1.0], [0.1]]))
>>> net = from_torch(m)
>>> net.depth, net.decision, net.classes
(1, 'sign', (0, 1))
>>> net.layers[0].weight[2][0] == Fraction(float(torch.tensor(0.1)))   # exact float32 value
True
>>> net.layers[1].weight is None      # default LayerNorm affine (ones, zeros) is the identity
True
>>> from_torch(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU()))
Traceback (most recent call last):
...
lnnet_construct.errors.InputError: module '1' (ReLU) is not supported; an LN-Net contains only Linear, LayerNorm, GroupNorm, GroupedLayerNorm, Identity and nested Sequential modules
"""

from __future__ import annotations

from fractions import Fraction

from ...errors import InputError, NetworkFormatError, NumberFormatError
from ...network import Affine, LayerNorm, Network
from ...numbers import parse_number
from . import require

__all__ = ["from_torch", "load_torch_model", "from_state_dict", "EPS_MODES"]

EPS_MODES = ("binary", "decimal")
_SUPPORTED = "Linear, LayerNorm, GroupNorm, GroupedLayerNorm, Identity and nested Sequential modules"


def _torch():
    return require("torch", "torch")


def _kind(module) -> str:
    torch = _torch()
    if isinstance(module, torch.jit.ScriptModule):
        return getattr(module, "original_name", type(module).__name__)
    nn = torch.nn
    for cls in (nn.Sequential, nn.Linear, nn.LayerNorm, nn.GroupNorm, nn.Identity):
        if type(module) is cls:
            return cls.__name__
    from .torch_modules import GroupedLayerNorm

    if type(module) is GroupedLayerNorm:
        return "GroupedLayerNorm"
    return type(module).__name__ + " (custom subclass)" if isinstance(module, (nn.Linear, nn.LayerNorm)) else type(module).__name__


def _floats(tensor, where: str) -> list:
    torch = _torch()
    if tensor is None:
        return None
    if not torch.is_floating_point(tensor):
        raise InputError(f"{where} has dtype {tensor.dtype}, expected a floating-point tensor")
    values = tensor.detach().to("cpu", torch.float64)
    if not bool(torch.isfinite(values).all()):
        raise InputError(f"{where} contains NaN or inf")
    return values.tolist()


def _exact_vec(values):
    return None if values is None else [Fraction(v) for v in values]


def _eps(value, eps_as: str, where: str):
    value = float(value)
    if eps_as == "binary":
        return Fraction(value)
    try:
        return parse_number(repr(value))
    except NumberFormatError as e:
        raise InputError(f"{where}: eps {value!r}: {e}") from None


def _drop_identity_affine(weight, bias):
    if weight is not None and all(w == 1 for w in weight):
        weight = None
    if bias is not None and all(b == 0 for b in bias):
        bias = None
    return weight, bias


def _flatten(module, path, out):
    kind = _kind(module)
    if kind == "Sequential":
        for name, child in module.named_children():
            _flatten(child, f"{path}.{name}" if path else name, out)
        return
    if kind not in ("Linear", "LayerNorm", "GroupNorm", "GroupedLayerNorm", "Identity"):
        raise InputError(f"module {path or '(top)'!r} ({kind}) is not supported; an LN-Net contains only {_SUPPORTED}")
    out.append((path or "(top)", kind, module))


def _convert(path, kind, m, eps_as):
    where = f"module {path!r} ({kind})"
    if kind == "Linear":
        W = _floats(m.weight, f"{where} weight")
        b = _floats(m.bias, f"{where} bias") if m.bias is not None else [0.0] * len(W)
        return Affine([[Fraction(v) for v in row] for row in W], _exact_vec(b))
    if kind == "LayerNorm":
        shape = tuple(m.normalized_shape)
        if len(shape) != 1:
            raise InputError(f"{where}: normalized_shape {shape} is not one-dimensional; only LayerNorm over the last dimension is supported")
        w = _floats(m.weight, f"{where} weight") if getattr(m, "weight", None) is not None else None
        b = _floats(m.bias, f"{where} bias") if getattr(m, "bias", None) is not None else None
        w, b = _drop_identity_affine(_exact_vec(w), _exact_vec(b))
        return LayerNorm(eps=_eps(m.eps, eps_as, where), groups=1, weight=w, bias=b), shape[0]
    if kind == "GroupNorm":
        w = _floats(m.weight, f"{where} weight") if getattr(m, "weight", None) is not None else None
        b = _floats(m.bias, f"{where} bias") if getattr(m, "bias", None) is not None else None
        w, b = _drop_identity_affine(_exact_vec(w), _exact_vec(b))
        return LayerNorm(eps=_eps(m.eps, eps_as, where), groups=int(m.num_groups), weight=w, bias=b), int(m.num_channels)
    # GroupedLayerNorm: the eps that runs is the inner LayerNorm's
    norm = m.norm
    width, groups, size = int(m.width), int(m.groups), int(m.group_size)
    if width != groups * size or tuple(norm.normalized_shape) != (size,):
        raise InputError(f"{where}: inconsistent sizes (width {width}, groups {groups}, group size {size})")
    w = _floats(m.weight, f"{where} weight") if m.weight is not None else None
    b = _floats(m.bias, f"{where} bias") if m.bias is not None else None
    w, b = _drop_identity_affine(_exact_vec(w), _exact_vec(b))
    return LayerNorm(eps=_eps(norm.eps, eps_as, where), groups=groups, weight=w, bias=b), width


def _reference(kind, m):
    """A fresh eager module of the same type and settings (for the TorchScript code check)."""
    torch = _torch()
    nn = torch.nn
    if kind == "Sequential":
        return nn.Sequential(*[_reference(_kind(c), c) for _, c in m.named_children()])
    if kind == "Linear":
        return nn.Linear(int(m.in_features), int(m.out_features), bias=m.bias is not None)
    if kind == "LayerNorm":
        return nn.LayerNorm(tuple(m.normalized_shape), eps=float(m.eps), elementwise_affine=bool(m.elementwise_affine),
                            bias=getattr(m, "bias", None) is not None)
    if kind == "GroupNorm":
        return nn.GroupNorm(int(m.num_groups), int(m.num_channels), eps=float(m.eps), affine=bool(m.affine))
    if kind == "GroupedLayerNorm":
        from .torch_modules import GroupedLayerNorm

        ref = GroupedLayerNorm(int(m.width), int(m.groups), float(m.eps),
                               None if m.weight is None else [1.0] * int(m.width),
                               None if m.bias is None else [0.0] * int(m.width))
        ref.norm = _reference("LayerNorm", m.norm)
        return ref
    if kind == "Identity":
        return nn.Identity()
    raise InputError(f"module ({kind}) is not supported; an LN-Net contains only {_SUPPORTED}")


def _check_script_code(module, path="(top)"):
    """Refuse a TorchScript module whose compiled code differs from torch's own for its declared type."""
    from .to_torch import jit_quiet

    torch = _torch()
    kind = _kind(module)
    if kind not in ("Sequential", "Linear", "LayerNorm", "GroupNorm", "GroupedLayerNorm", "Identity"):
        raise InputError(f"module {path!r} ({kind}) is not supported; an LN-Net contains only {_SUPPORTED}")
    with jit_quiet():
        ref = torch.jit.script(_reference(kind, module))
    _compare_code(module, ref, path)


def _compare_code(got, ref, path):
    if got.code != ref.code:
        raise InputError(
            f"module {path!r} ({_kind(got)}): its TorchScript code differs from torch's own {_kind(got)}; "
            "refusing to guess what it computes"
        )
    got_children = dict(got.named_children())
    ref_children = dict(ref.named_children())
    if list(got_children) != list(ref_children):
        raise InputError(f"module {path!r}: unexpected submodules {sorted(set(got_children) ^ set(ref_children))}")
    for name in got_children:
        _compare_code(got_children[name], ref_children[name], f"{path}.{name}" if path != "(top)" else name)


def from_torch(module, *, classes=None, decision=None, eps_as: str = "binary", meta=None) -> Network:
    """Exact :class:`Network` of a torch ``nn.Sequential`` (eager or TorchScript); see module docstring.

    Parameters
    ----------
    module : torch.nn.Module
        ``nn.Sequential`` (or one supported layer), eager or TorchScript.
    classes : sequence of str or int, optional
        Default ``[0, 1]`` for one output, else ``[0, ..., K-1]``.
    decision : {"sign", "argmax"}, optional
        Default ``"sign"`` for one output, else ``"argmax"``.
    eps_as : {"binary", "decimal"}
        How to read LayerNorm ``eps`` (a float in torch).

    Raises
    ------
    InputError
        An unsupported module (named by its path), non-float or non-finite
        parameters, mismatched widths, a TorchScript module whose code is not
        torch's own for its type.
    """
    torch = _torch()
    if eps_as not in EPS_MODES:
        raise InputError(f"eps_as must be 'binary' or 'decimal', got {eps_as!r}")
    if isinstance(module, torch.jit.ScriptModule):
        _check_script_code(module)
    flat: list = []
    _flatten(module, "", flat)
    layers, width, input_dim = [], None, None
    for path, kind, m in flat:
        if kind == "Identity":
            continue
        converted = _convert(path, kind, m, eps_as)
        if kind == "Linear":
            layer, n_in, n_out = converted, converted.in_dim, converted.out_dim
        else:
            layer, n_in = converted
            n_out = n_in
        if width is None:
            input_dim = n_in
        elif n_in != width:
            raise InputError(f"module {path!r} ({kind}) expects width {n_in}, but the previous layer outputs {width}")
        if kind == "GroupNorm" and n_in % layer.groups:
            raise InputError(f"module {path!r} (GroupNorm): {layer.groups} groups do not divide {n_in} channels")
        layers.append(layer)
        width = n_out
    if not layers:
        raise InputError("the module has no Linear or normalisation layers")
    decision = decision or ("sign" if width == 1 else "argmax")
    if classes is None:
        classes = [0, 1] if decision == "sign" else list(range(width))
    info = {"source": "torch", "eps_as": eps_as}
    info.update(meta or {})
    try:
        return Network(input_dim, layers, classes, decision, info)
    except NetworkFormatError as e:
        raise InputError(f"cannot form a network from the module: {e}") from None


def load_torch_model(path, *, arch=None):
    """``(module, info)`` from a TorchScript archive, or from a state_dict plus ``arch`` (see module docstring).

    ``info`` is the archive's ``lnnet.json`` (classes, decision) when it came
    from our export, else ``{}``.
    """
    torch = _torch()
    from ..jsonutil import read_json

    if arch is not None:
        desc = read_json(arch) if not isinstance(arch, dict) else arch
        try:
            state = torch.load(str(path), map_location="cpu", weights_only=True)
        except FileNotFoundError:
            raise InputError(f"{path}: no such file") from None
        except Exception as e:  # noqa: BLE001 - torch raises many types for bad files
            raise InputError(f"{path}: not a state_dict readable with weights_only=True ({type(e).__name__}: {_first_line(e)})") from None
        return from_state_dict(state, desc, source=str(path)), {}
    from .to_torch import load_torchscript

    try:
        return load_torchscript(path)
    except InputError:
        raise
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (RuntimeError, ValueError) as e:
        text = str(e)
        hint = ("it looks like a torch.save file; whole pickled modules are refused because loading them runs code "
                "from the file: save the model with torch.jit.script(model).save(PATH), or pass its state_dict with --arch"
                if "constants.pkl" in text else _first_line(e))
        raise InputError(f"{path}: not a TorchScript archive ({hint})") from None


def _first_line(e) -> str:
    lines = str(e).strip().splitlines()
    return lines[0][:200] if lines else type(e).__name__


def _arch_number(value, where):
    if isinstance(value, bool):
        raise InputError(f"{where}: expected a number, got {value!r}")
    try:
        return float(parse_number(str(value)))
    except NumberFormatError as e:
        raise InputError(f"{where}: {e}") from None


def _arch_int(d, key, where):
    v = d.get(key)
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise InputError(f"{where}.{key}: expected a positive integer, got {v!r}")
    return v


def from_state_dict(state, arch: dict, *, source: str = "state_dict"):
    """An eager ``nn.Sequential`` built from an architecture description and loaded with ``state`` (strict)."""
    torch = _torch()
    nn = torch.nn
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()):
        raise InputError(f"{source}: expected a state_dict (a mapping of names to tensors)")
    if not isinstance(arch, dict) or not isinstance(arch.get("layers"), list):
        raise InputError("architecture: expected a JSON object with a 'layers' list")
    modules = []
    for k, d in enumerate(arch["layers"]):
        where = f"architecture.layers[{k}]"
        if not isinstance(d, dict):
            raise InputError(f"{where}: expected an object")
        t = d.get("type")
        if t == "linear":
            modules.append(nn.Linear(_arch_int(d, "in_features", where), _arch_int(d, "out_features", where),
                                     bias=bool(d.get("bias", True)), dtype=torch.float64))
        elif t == "layernorm":
            n = d.get("normalized_shape")
            n = n[0] if isinstance(n, list) and len(n) == 1 else n
            n = _arch_int({"normalized_shape": n}, "normalized_shape", where)
            modules.append(nn.LayerNorm(n, eps=_arch_number(d.get("eps", "1e-5"), f"{where}.eps"),
                                        elementwise_affine=bool(d.get("elementwise_affine", True)),
                                        bias=bool(d.get("bias", True)), dtype=torch.float64))
        elif t == "groupnorm":
            modules.append(nn.GroupNorm(_arch_int(d, "num_groups", where), _arch_int(d, "num_channels", where),
                                        eps=_arch_number(d.get("eps", "1e-5"), f"{where}.eps"),
                                        affine=bool(d.get("affine", True)), dtype=torch.float64))
        elif t == "identity":
            modules.append(nn.Identity())
        else:
            raise InputError(f"{where}.type: expected linear, layernorm, groupnorm or identity, got {t!r}")
    seq = nn.Sequential(*modules)
    prefix = arch.get("prefix", "")
    if not isinstance(prefix, str):
        raise InputError("architecture.prefix: expected a string")
    sd = {key[len(prefix):]: v for key, v in state.items() if key.startswith(prefix)}
    # float64 copies of the stored values are exact for every float dtype
    sd = {key: v.to(torch.float64) if torch.is_floating_point(v) else v for key, v in sd.items()}
    try:
        seq.load_state_dict(sd, strict=True)
    except RuntimeError as e:
        raise InputError(f"{source}: does not match the architecture: {' '.join(str(e).split())[:300]}") from None
    return seq
