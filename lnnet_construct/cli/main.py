"""Entry point of the ``lnnet`` command: dispatch, and the bad-input contract.

Every :class:`~lnnet_construct.errors.LNNetError` (and every usage error)
becomes one line on stderr and exit code 3; no traceback reaches the user.
Set ``LNNET_DEBUG=1`` to see tracebacks of unexpected errors.  A reader
that stops early (``lnnet check --list | head``) ends the command quietly
with exit code 141 (128 + SIGPIPE, what the shell reports for tools that
die of the signal).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from .. import __version__
from ..errors import LNNetError

#: Sub-commands in the order shown by ``--help``; each is ``cmd_<name>.py``.
COMMANDS = ("build", "verify", "predict", "shatter", "check", "lssr", "export", "import", "demo")

EXIT_BAD_INPUT = 3
EXIT_BROKEN_PIPE = 128 + 13  # 128 + SIGPIPE


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="lnnet",
        description=(
            "Explicit width-3 LayerNorm networks from the constructive proofs of "
            "'On the Nonlinearity of Layer Normalization' (Ni et al., ICML 2024), "
            "with exact parameters and rigorous certificates."
        ),
        epilog="Exit codes: 0 success, 3 bad input; verify/check also use 1 (refuted/fails) and 2 (inconclusive); "
               "141 when the reader of stdout closed the pipe early.",
    )
    parser.add_argument("--version", action="version", version=f"lnnet_construct {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        modname = f"{__package__}.cmd_{name}"
        try:
            mod = importlib.import_module(modname)
        except ModuleNotFoundError as e:
            if e.name == modname:
                continue
            raise
        mod.add_parser(sub)
    return parser


def main(argv=None) -> int:
    """Run ``lnnet`` with ``argv`` (default: ``sys.argv[1:]``); returns the exit code.

    Examples
    --------
    >>> main(["check", "--list", "--bogus"])
    3
    """
    try:
        code = _run(argv)
        # flush here so a closed pipe shows up as BrokenPipeError now, not at interpreter exit
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        _discard_stdout()
        return EXIT_BROKEN_PIPE


def _discard_stdout() -> None:
    """Point stdout at devnull so the interpreter's final flush cannot fail again (Python docs, 'Note on SIGPIPE')."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, AttributeError, ValueError):  # stdout without a file descriptor (tests capture it)
        pass


def _run(argv) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version, usage errors: return the code instead of exiting
        return int(e.code or 0) if not isinstance(e.code, str) else EXIT_BAD_INPUT
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return int(args.func(args) or 0)
    except LNNetError as e:
        print(f"lnnet {args.command}: error: {_one_line(e)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # the reader went away: no message (stderr may be the same pipe)
        raise
    except KeyboardInterrupt:
        print(f"lnnet {args.command}: interrupted", file=sys.stderr)
        return 130
    except (OSError, MemoryError, RecursionError) as e:
        print(f"lnnet {args.command}: error: {_one_line(e)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as e:  # noqa: BLE001 - the contract is: never a traceback
        if os.environ.get("LNNET_DEBUG"):
            raise
        print(
            f"lnnet {args.command}: error: unexpected {type(e).__name__}: {_one_line(e)} "
            "(set LNNET_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT


def _one_line(e: BaseException) -> str:
    text = str(e) or type(e).__name__
    return " ".join(text.split())


if __name__ == "__main__":
    sys.exit(main())
