r"""Rigorous verification: certified verdicts, adaptive precision, replayable certificates.

* :func:`verify` — a VERIFIED / REFUTED / INCONCLUSIVE verdict per point with
  certified output enclosures, relative margins and the precision used
  (:mod:`.engine`).
* :func:`exact_verdicts` — the exact oracle for small networks (:mod:`.oracle`).
* :func:`write_certificate` / :func:`replay_certificate` — certificates that
  a dependency-free checker re-checks (:mod:`.certificate`, :mod:`.replay`).

Speed comes from structure: networks that are rank-1 scalar chains (every
network the constructions emit) are verified one scalar per layer
(:mod:`.chain`; float64 intervals for all points at once in :mod:`.batch`,
double-double balls for the undecided ones in :mod:`.ddtier`, arb balls per
point in :mod:`.scalar`); any other network takes the generic path (the
package's one forward pass in interval or ball arithmetic).

>>> from lnnet_construct.verify.testnets import paper_fold_network
>>> net = paper_fold_network(range(8), [0, 1, 1, 0, 0, 1, 0, 1])
>>> report = verify(net, [[t] for t in range(8)], [0, 1, 1, 0, 0, 1, 0, 1])
>>> report.exit_code, report.structure, report.verified
(0, 'chain', 8)

The subpackage itself is callable, so ``from lnnet_construct import verify``
gives a ``verify`` that works both as the function and as the package:

>>> import lnnet_construct
>>> lnnet_construct.verify(net, [[0]], [0]).verified
1
"""

import sys
import types

from .certificate import build_certificate, write_certificate
from .engine import BACKENDS, DEFAULT_MAX_BITS, verify
from .oracle import exact_verdict, exact_verdicts
from .replay import ReplayResult, replay_certificate
from .report import PointResult, Report, Verdict

__all__ = [
    "verify",
    "Report",
    "PointResult",
    "Verdict",
    "exact_verdict",
    "exact_verdicts",
    "write_certificate",
    "build_certificate",
    "replay_certificate",
    "ReplayResult",
    "BACKENDS",
    "DEFAULT_MAX_BITS",
]


class _CallableModule(types.ModuleType):
    """The ``verify`` package, callable as :func:`verify` (its name clashes with the function's)."""

    def __call__(self, *args, **kwargs):
        return self.verify(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
