"""The README's Python example runs as printed, in a fresh interpreter (it once recursed forever)."""

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def _python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_the_readme_python_example_builds_verifies_and_saves(tmp_path):
    block = next(b for b in _python_blocks() if "verify(" in b)
    (tmp_path / "data.csv").write_text("x,y,label\n0,0,a\n1,0,b\n2,0,a\n0,1,b\n3,1,a\n", encoding="utf-8")
    code = block + "\nprint(report.exit_code, report.verified, net.width)\n"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["0", "5", "3"]
    assert (tmp_path / "net.json").is_file()


def test_verify_from_the_package_is_both_the_function_and_the_subpackage():
    code = ("from lnnet_construct import verify\n"
            "import lnnet_construct.verify.replay as r\n"
            "from lnnet_construct.fold import fold_network\n"
            "net = fold_network([1], [(2, 1)], ('sign', '3.6', 1), classes=['out', 'in'])\n"
            "print(verify(net, [[0], [2]], ['out', 'in']).verified, r.__name__)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["2", "lnnet_construct.verify.replay"]
