"""Strict JSON reading and canonical JSON writing shared by every file format.

Reading keeps JSON floats apart (:class:`JsonFloat`, their text) so exact
fields can refuse them, and refuses ``NaN``/``Infinity`` outright.  Writing is
canonical (stable key order inside ``meta``, fixed layout), so that
load → save is byte-stable.

>>> doc = loads_strict('{"a": 1.50, "b": [1, "x"]}', "f.json")
>>> doc["a"], type(doc["a"]).__name__
('1.50', 'JsonFloat')
>>> dumps_value(doc)
'{"a": 1.50, "b": [1, "x"]}'
"""

from __future__ import annotations

import json

from ..errors import InputError

__all__ = ["JsonFloat", "loads_strict", "read_json", "dumps_value"]


class JsonFloat(str):
    """The text of a JSON float literal (kept exact, refused where exact numbers are required)."""


def _no_constant(name):
    raise ValueError(f"{name} is not allowed (only finite numbers)")


def loads_strict(text: str, source: str, error=InputError):
    """Parse JSON text; any syntax problem becomes one ``error`` line naming ``source``."""
    try:
        return json.loads(text, parse_float=JsonFloat, parse_constant=_no_constant)
    except json.JSONDecodeError as e:
        raise error(f"{source}: malformed JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    except ValueError as e:
        raise error(f"{source}: malformed JSON: {e}") from None
    except RecursionError:
        raise error(f"{source}: malformed JSON: nested too deeply") from None


def read_json(path, error=InputError):
    """Read and strictly parse a JSON file."""
    text = read_text(path, error)
    if not text.strip():
        raise error(f"{path}: file is empty")
    return loads_strict(text, str(path), error)


def read_text(path, error=InputError) -> str:
    """Read a UTF-8 text file; OS and decoding problems become one ``error`` line."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            return fh.read()
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except IsADirectoryError:
        raise error(f"{path}: is a directory, expected a file") from None
    except UnicodeDecodeError as e:
        raise error(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except OSError as e:
        raise error(f"{path}: cannot read ({e.strerror})") from None


def dumps_value(value) -> str:
    """Compact canonical JSON of a value (JsonFloat written back as its literal)."""
    if isinstance(value, JsonFloat):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if value is None or isinstance(value, (bool, int)):
        return json.dumps(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return "null"
        return json.dumps(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)}: {dumps_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(dumps_value(v) for v in value) + "]"
    if hasattr(value, "item"):  # numpy scalar
        return dumps_value(value.item())
    return json.dumps(str(value), ensure_ascii=False)
