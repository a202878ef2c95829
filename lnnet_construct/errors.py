"""One error hierarchy for the whole package.

Every error a user can cause derives from :class:`LNNetError`; the CLI turns
it into one line on stderr and exit code 3.  Each class also subclasses the
matching built-in so that ``except ValueError`` keeps working.
"""

from __future__ import annotations


class LNNetError(Exception):
    """Base class of every error raised on purpose by ``lnnet_construct``."""


class InputError(LNNetError, ValueError):
    """Bad user input: a file, an argument or a data set that cannot be used."""


class NumberFormatError(InputError):
    """A number string outside the exact-number grammar of FORMATS.md."""


class NetworkFormatError(InputError):
    """A network file (or in-memory network) that breaks format v1 or an invariant."""


class PointsFormatError(InputError):
    """A points file that is malformed (NaN, ragged rows, missing label, ...)."""


class ConflictingLabelsError(InputError):
    """Identical points carry different labels, so no classifier exists."""


class WitnessFormatError(InputError):
    """A shattering-witness file that breaks the witness format."""


class CertificateError(InputError):
    """A certificate that is malformed or does not re-check."""


class ArithmeticUndecided(LNNetError, ArithmeticError):
    """A sign or comparison could not be decided at the available precision."""


class ZeroVarianceError(LNNetError, ZeroDivisionError):
    """A LayerNorm input is proven to have zero variance (and eps = 0)."""


class PrecisionExhausted(LNNetError, ArithmeticError):
    """Raising the precision up to the cap did not decide the answer."""


class ConstructionError(LNNetError, RuntimeError):
    """A construction could not complete (should never happen on valid input)."""


class MissingDependencyError(LNNetError, ImportError):
    """An optional dependency (torch, onnx, matplotlib, ...) is not installed."""
