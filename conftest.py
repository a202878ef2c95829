"""Whole-suite environment (tests and doctests): numpy raises on floating-point errors."""

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _numpy_raises():
    old = np.seterr(all="raise")
    yield
    np.seterr(**old)
