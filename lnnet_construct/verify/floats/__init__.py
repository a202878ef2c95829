r"""Sound floating-point verdicts: what torch, onnxruntime and numpy will predict, proven per point.

The exact verifier (:func:`lnnet_construct.verify.verify`) proves what the
network computes in exact arithmetic.  This subpackage proves what its float
exports compute: per point, a rigorous enclosure of every output that an
IEEE evaluation in float64 or float32 can produce (:mod:`.check` states the
object verified; :mod:`.zono` the propagation, :mod:`.lnmodel` the
LayerNorm algorithms, :mod:`.bounds` the operation-level error bounds,
:mod:`.formats` the exact rounding of rationals), and a reference evaluation
in the format (:mod:`.replay`) whose disagreement is a counterexample.

>>> from lnnet_construct.verify.testnets import paper_fold_network
>>> net = paper_fold_network(range(6), [0, 1, 0, 1, 0, 1], eps="1e-5")
>>> rep = float_verify(net, [[t] for t in range(6)], [0, 1, 0, 1, 0, 1], "float64")
>>> rep.verified, rep.exit_code
(6, 0)
"""

from .check import FLOAT_EXIT, STATS_FORMATS, FloatPointResult, FloatReport, FloatVerdict, float_enclosures, float_verify
from .formats import FORMATS, FloatFormat, get_format, round_exact, round_hull
from .lnmodel import ALGORITHMS
from .replay import float_parameters, replay

__all__ = ["float_verify", "float_enclosures", "FloatReport", "FloatPointResult", "FloatVerdict", "FLOAT_EXIT",
           "STATS_FORMATS", "FORMATS", "FloatFormat", "get_format", "round_exact", "round_hull", "ALGORITHMS",
           "float_parameters", "replay"]
