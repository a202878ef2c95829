r"""Certificates: everything a third party needs to re-check every verdict.

A certificate (``format: "lnnet-certificate"``, ``version: 1``) is a JSON
object with

* ``network``: the network, format v1 (FORMATS.md);
* ``points`` and ``labels``: exact number strings and label texts;
* ``mode``: ``"chain"`` (one scalar enclosure per LayerNorm layer, for
  rank-1 scalar chains) or ``"generic"`` (one box per layer);
* ``entries``: per point the ``verdict``, the working precision ``bits`` of
  the enclosures, the ``enclosures`` (exact dyadic ``[lo, hi]`` strings),
  ``evidence`` (``"enclosures"``, or ``"exact"`` for a refutation that rests
  on exact algebra) and a human-readable ``reason``;
* ``summary``: the counts, and the verifier's settings.

The enclosures are produced with the step functions of the replay checker
(:mod:`lnnet_construct.verify.replay`), each image rounded outward at the
entry's precision and used as the start of the next step.  The checker
recomputes every step from the claimed enclosure with the same exact
rational arithmetic, so an honest certificate always passes, while a change
to the network, a point, a label, a verdict or an enclosure makes some
containment or decision fail.  The precision of an entry starts at the one
that decided the point in :func:`~lnnet_construct.verify.verify` and is
doubled until the checker's own arithmetic proves the verdict.

Examples
--------
>>> import tempfile, os
>>> from lnnet_construct.verify.testnets import paper_fold_network
>>> from lnnet_construct.verify.replay import replay_certificate
>>> net = paper_fold_network(range(6), [0, 1, 0, 1, 0, 1])
>>> path = os.path.join(tempfile.mkdtemp(), "cert.json")
>>> cert = write_certificate(None, net, [[t] for t in range(6)], [0, 1, 0, 1, 0, 1], path)
>>> cert["mode"], cert["summary"]["verified"]
('chain', 6)
>>> replay_certificate(path).accepted
True
"""

from __future__ import annotations

import json

from ..io.network_file import network_to_dict
from ..numbers import format_number
from . import replay
from .report import Report, Verdict

__all__ = ["build_certificate", "write_certificate"]

#: Largest precision the writer tries before giving up on an entry.
_WRITER_CAP = 1 << 14


def _q(x) -> str:
    return format_number(x)


def _choose_mode(model) -> str:
    try:
        model.chain()
    except replay.CertificateMalformed:
        return "generic"
    if any(not replay._is_rational(v) for row in model.W for v in row):
        return "generic"
    return "chain"


def _encode(encl, mode):
    if mode == "chain":
        return [[_q(lo), _q(hi)] for lo, hi in encl]
    return [[[_q(lo), _q(hi)] for lo, hi in box] for box in encl]


def build_certificate(report: Report | None, network, points, labels, *, max_bits: int | None = None,
                      progress=None) -> dict:
    """The certificate of ``report`` (run :func:`verify` first if None) as a dict."""
    from .engine import DEFAULT_MAX_BITS, verify

    points = [list(p) for p in points]
    labels = [str(lab) for lab in labels]
    if report is None:
        report = verify(network, points, labels, max_bits=max_bits or DEFAULT_MAX_BITS)
    doc = {
        "format": replay.FORMAT,
        "version": replay.VERSION,
        "network": network_to_dict(network),
        "points": [[_q(v) for v in p] for p in _exact_points(points)],
        "labels": labels,
    }
    model = replay.Model(json.loads(json.dumps(doc["network"])))
    mode = _choose_mode(model)
    doc["mode"] = mode
    entries = []
    for res, p_text, lab in zip(report.points, doc["points"], labels):
        entries.append(_entry(model, mode, res, [replay.parse_number(v) for v in p_text], lab))
        if progress is not None:
            progress.update()
    doc["entries"] = entries
    doc["summary"] = {
        "verified": report.verified,
        "refuted": report.refuted,
        "inconclusive": report.inconclusive,
        "max_bits": report.max_bits,
        "backend": report.backend,
        "tool": "lnnet_construct verify",
    }
    return doc


def _exact_points(points):
    from ..numbers import to_exact

    return [[to_exact(v) for v in p] for p in points]


def _entry(model, mode, res, point, label) -> dict:
    e = {"verdict": res.verdict.value, "reason": res.reason}
    if res.verdict is Verdict.INCONCLUSIVE or label not in model.classes:
        return e
    c = model.classes.index(label)
    bits = max(64, res.bits or 64)
    last = None
    while bits <= _WRITER_CAP:
        encl, proven, note = replay.walk(model, mode, point, c, bits)
        last = (bits, encl)
        if proven == res.verdict.value:
            e.update(bits=bits, enclosures=_encode(encl, mode), evidence="enclosures")
            return e
        if proven is not None:
            raise AssertionError(
                f"point {res.index}: the replay arithmetic proves {proven} but the verifier said {res.verdict.value}"
            )
        bits *= 2
    bits, encl = last
    e.update(bits=bits, enclosures=_encode(encl, mode),
             evidence="exact" if res.method in ("exact", "rational") else "none")
    return e


def write_certificate(report: Report | None, network, points, labels, path, *, max_bits: int | None = None,
                      progress=None) -> dict:
    """Write the certificate of ``report`` (see :func:`build_certificate`) to ``path``; returns it."""
    doc = build_certificate(report, network, points, labels, max_bits=max_bits, progress=progress)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, ensure_ascii=False, separators=(",", ":"))
        fh.write("\n")
    return doc
