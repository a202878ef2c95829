"""Keep pytest (with --doctest-modules) from importing the notebook sources: importing one runs the notebook."""

collect_ignore_glob = ["src/*.py"]
