"""Sphinx configuration: API reference from the numpydoc docstrings, MyST pages, the notebooks and proofs.

Build with ``sphinx-build -W -b html docs docs/_build/html``.  The build never
touches the network (no intersphinx, no downloads).  It copies ``proofs/*.md``
and ``notebooks/*.ipynb`` into ``docs/_generated/`` (git-ignored), so those
pages always show the files as they are.  ``LNNET_DOCS_EXECUTE=off`` renders
the notebooks without running them (their sources only); the default runs
each one in a Jupyter kernel so the pages show its outputs and figures.
"""

import importlib.util
import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # document this checkout, not another installed copy

project = "lnnet_construct"
author = "lnnet_construct contributors"
copyright = "lnnet_construct contributors"
from lnnet_construct import __version__ as release  # noqa: E402

version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "myst_nb",
]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}  # .rst first: autosummary stubs
html_static_path = ["_static"]
html_theme = "alabaster"
html_title = f"lnnet_construct {release}"

# numpydoc-style docstrings through napoleon
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
autosummary_generate = True
autosummary_imported_members = False
# each object once, on the page of the module that defines it (packages re-export names in __all__);
# scikit-learn's generated metadata-routing methods are its documentation, not ours
autodoc_default_options = {"members": True, "show-inheritance": True, "ignore-module-all": True,
                           "exclude-members": "set_fit_request,set_score_request,set_predict_request"}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
# optional extras that the docs do not need: mocked only when they are not installed
autodoc_mock_imports = [m for m in ("torch", "onnx", "onnxruntime", "sklearn", "matplotlib")
                        if importlib.util.find_spec(m) is None]

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
nb_execution_mode = os.environ.get("LNNET_DOCS_EXECUTE", "force")
nb_execution_timeout = 300
nb_execution_in_temp = True  # notebooks write files into their working directory
nb_execution_raise_on_error = True
# numpydoc type fields ("sequence of points") become cross-references by word, and bare words such as
# "points" or "Network" match several objects; the types still read correctly as text
suppress_warnings = ["ref.python"]


def _copy_sources():
    """Copy the proofs and notebooks into docs/_generated (rewriting only files that changed)."""
    for sub, pattern in (("proofs", "*.md"), ("notebooks", "*.ipynb")):
        dest = DOCS / "_generated" / sub
        dest.mkdir(parents=True, exist_ok=True)
        sources = {src.name: src.read_bytes() for src in (ROOT / sub).glob(pattern)}
        for old in dest.iterdir():
            if old.name not in sources:
                old.unlink()
        for name, data in sources.items():
            if not (dest / name).is_file() or (dest / name).read_bytes() != data:
                (dest / name).write_bytes(data)


_copy_sources()
