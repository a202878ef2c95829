"""Worker processes change how fast the planner runs, never what it plans."""

import multiprocessing
import random
from fractions import Fraction

import pytest

from lnnet_construct.construct import build, parallel
from lnnet_construct.errors import InputError
from lnnet_construct.network import Affine


def _affines(net):
    return [(layer.weight, layer.bias) for layer in net.layers if isinstance(layer, Affine)]


def test_the_plan_does_not_depend_on_the_number_of_workers(monkeypatch):
    monkeypatch.setattr(parallel, "PARALLEL_MIN_POINTS", 40)
    rng = random.Random(5)
    pts = sorted({(Fraction(rng.randint(-999, 999), 1000), Fraction(rng.randint(-999, 999), 1000)) for _ in range(150)})
    labels = [rng.randint(0, 1) for _ in pts]
    used = []

    def progress(done, total):
        used.append(parallel.current() is not None)

    serial = build(pts, labels, workers=1, progress=progress)
    assert used and not any(used)
    used.clear()
    pooled = build(pts, labels, workers=2, progress=progress)
    assert used and all(used)  # the search really ran in worker processes
    assert pooled.depth == serial.depth >= 1
    assert _affines(pooled) == _affines(serial)
    assert parallel.current() is None and not multiprocessing.active_children()


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_bad_worker_counts_are_input_errors(bad):
    with pytest.raises(InputError, match="workers"):
        build([[0], [1], [2]], [0, 1, 0], workers=bad)


def test_a_script_without_a_main_guard_can_build_with_workers(tmp_path):
    # spawn / forkserver workers would re-run this script and fail; forked workers do not
    import subprocess
    import sys

    script = tmp_path / "plain_script.py"
    script.write_text(
        "import random\n"
        "from lnnet_construct.construct import build, parallel\n"
        "parallel.PARALLEL_MIN_POINTS = 40\n"
        "rng = random.Random(3)\n"
        "pts = sorted({(rng.randint(-99, 99), rng.randint(-99, 99)) for _ in range(90)})\n"
        "seen = []\n"
        "net = build(pts, [rng.randint(0, 1) for _ in pts], workers=2,\n"
        "            progress=lambda d, t: seen.append(parallel.current() is not None))\n"
        "print(net.width, all(seen) and bool(seen))\n",
        encoding="utf-8",
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["3", "True"]


def test_every_planner_view_survives_the_trip_to_a_worker():
    import pickle

    import numpy as np

    from lnnet_construct.construct.numeric import FixedBackend, FloatBackend

    vals = [Fraction(-3, 7), Fraction(1, 3), Fraction(5, 2)]
    for be in (FloatBackend(), FloatBackend(np.longdouble), FixedBackend(200)):
        twin = pickle.loads(pickle.dumps(be))
        a = be.fold(be.array(vals), Fraction(1, 5), Fraction(2, 3), Fraction(0))
        b = twin.fold(twin.array(vals), Fraction(1, 5), Fraction(2, 3), Fraction(0))
        assert type(twin) is type(be) and list(a) == list(b)
