"""The ``clipindex`` command group and the error handling around every command.

Exit codes: 0 done, 1 a check failed, 2 bad input or usage, 70 an internal error (a bug; rerun
with --verbose for the traceback), 130 interrupted (Ctrl-C), 143 stopped by SIGTERM, 129 by
SIGHUP.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys

import click

from clipindex import __version__
from clipindex.errors import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    ClipindexError,
)
from clipindex.interrupts import Interrupted, raise_if_stopping, stopping_on_signals

_VERBOSE_FLAGS = ("--verbose", "-v")

_COMMAND_MODULES = {
    "chapters": "clipindex.cli.outputs",
    "check": "clipindex.cli.check",
    "embed": "clipindex.cli.outputs",
    "index": "clipindex.cli.index",
    "mux": "clipindex.cli.outputs",
    "report": "clipindex.cli.outputs",
    "schema": "clipindex.cli.check",
}
"""Which module adds each command. A command's module is imported only when it is needed, so
``clipindex index`` starts decoding before the output writers (and pydantic) have loaded."""


class _CommandsOnDemand(click.Group):
    """A command group that imports a command's module when the command is looked up."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMAND_MODULES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _COMMAND_MODULES:
            importlib.import_module(_COMMAND_MODULES[cmd_name])  # its decorators add it
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=_CommandsOnDemand,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Example: clipindex index samples/training-montage.mp4 "
    "--credits samples/rocky-iv-training.credits.toml -o montage.json",
)
@click.version_option(__version__, prog_name="clipindex")
@click.option("-v", "--verbose", is_flag=True, help="Show the traceback of an internal error.")
def cli(verbose: bool) -> None:
    """Index a video montage: every cut, the musical segments, and the credits of each track.

    Exit codes: 0 done, 1 check failed, 2 bad input or usage, 70 internal error, 130 interrupted
    (143 by SIGTERM, 129 by SIGHUP).
    """


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; turn user errors into one line and an exit code, never a traceback."""
    args = sys.argv[1:] if argv is None else argv
    verbose = any(flag in args for flag in _VERBOSE_FLAGS)
    # ffmpeg's decoder keeps every core busy; NumPy's BLAS threads would only compete with it,
    # and spin on a core for a while after each matrix product. Takes effect if NumPy is not
    # loaded yet (as when run as a command).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        _run_stopping_on_signals(args)
    except click.exceptions.Abort:
        click.echo("clipindex: interrupted", err=True)
        return EXIT_INTERRUPTED
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.exceptions.NoArgsIsHelpError as error:  # a bare command: its help
        error.show()
        return error.exit_code
    except click.UsageError as error:  # a mistake on the command line is bad input too: one line
        where = error.ctx.command_path if error.ctx is not None else "clipindex"
        message = error.format_message().rstrip(".")
        click.echo(f"clipindex: error: {message} (see '{where} --help')", err=True)
        return error.exit_code
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except ClipindexError as error:
        click.echo(f"clipindex: error: {error}", err=True)
        return error.exit_code
    except KeyboardInterrupt as interrupt:
        return _interrupted(interrupt)
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else EXIT_BAD_INPUT
    except Exception as error:  # a bug: one line unless asked for the traceback
        if verbose:
            raise
        click.echo(
            f"clipindex: internal error: {type(error).__name__}: {error} "
            "(rerun with --verbose for the traceback)",
            err=True,
        )
        return EXIT_INTERNAL
    return 0


def _run_stopping_on_signals(args: list[str]) -> None:
    """Run the command; SIGTERM and SIGHUP stop it as Ctrl-C does (every ffmpeg stopped, every
    temporary file removed). Whatever error a stop brings about (click's Abort, a decoder that
    ended early, a terminal gone) is the stop."""
    with stopping_on_signals():
        try:
            cli.main(args=args, prog_name="clipindex", standalone_mode=False)
        except Exception:
            raise_if_stopping()
            raise


def _interrupted(interrupt: KeyboardInterrupt) -> int:
    """Say that the command was stopped, if standard error is still there, and return the exit
    code: 128 + the signal's number (130, :data:`EXIT_INTERRUPTED`, for Ctrl-C)."""
    if not isinstance(interrupt, Interrupted):
        interrupt = Interrupted(signal.SIGINT)
    how = "" if interrupt.signum == signal.SIGINT else f" ({interrupt})"
    try:
        click.echo(f"clipindex: interrupted{how}", err=True)
    except OSError:  # the terminal has gone (SIGHUP)
        pass
    return interrupt.exit_code


def entry_point() -> None:
    """Console-script entry point: run, then leave without tearing the interpreter down.

    Every output is written and closed by the time :func:`main` returns; freeing NumPy's,
    OpenCV's and PySceneDetect's objects one by one would only add a tenth of a second to each run.
    """
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed or broken pipe: nothing more can be said
            pass
    os._exit(code)
