"""The ``clipindex`` command group and the error handling around every command.

Exit codes: 0 done, 1 a check failed, 2 bad input or usage, 70 an internal error (a bug; rerun
with --verbose for the traceback), 74 an output could not be written (a full disk), 130
interrupted (Ctrl-C), 143 stopped by SIGTERM, 129 by SIGHUP, 141 the reader of standard
output stopped reading.
"""

from __future__ import annotations

import errno
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
    BrokenPipe,
    ClipindexError,
    WriteError,
    one_line,
)
from clipindex.interrupts import Interrupted, raise_if_stopping, stopping_on_signals

_VERBOSE_FLAGS = ("--verbose", "-v")

_COMMAND_MODULES = {
    "chapters": "clipindex.cli.outputs",
    "check": "clipindex.cli.check",
    "correct": "clipindex.cli.correct",
    "embed": "clipindex.cli.outputs",
    "export": "clipindex.cli.export",
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

    def invoke(self, ctx: click.Context):
        """Run the command; a closed pipe or a full disk, wherever met, is said as such (click
        would take a broken pipe for exit 1, the code of a failed check)."""
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            raise BrokenPipe("standard output: the reader stopped reading") from None
        except OSError as error:
            if error.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
                raise
            where = error.filename or "a temporary file"
            raise WriteError(f"{where}: cannot write ({error.strerror})") from None


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

    Exit codes: 0 done, 1 check failed, 2 bad input or usage, 70 internal error, 74 an output
    could not be written, 130 interrupted (143 by SIGTERM, 129 by SIGHUP), 141 standard output
    closed by its reader.
    """


def counted(number: int, noun: str) -> str:
    """``1 shot``, ``2 shots``: a count and its noun, plural when it is not one."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; turn user errors into one line and an exit code, never a traceback."""
    args = sys.argv[1:] if argv is None else list(argv)
    verbose = any(flag in args for flag in _VERBOSE_FLAGS)
    if verbose:  # taken anywhere on the line, after the command too, as people type it
        args = ["--verbose"] + [arg for arg in args if arg not in _VERBOSE_FLAGS]
    # ffmpeg's decoder keeps every core busy; NumPy's BLAS threads would only compete with it,
    # and spin on a core for a while after each matrix product. Takes effect if NumPy is not
    # loaded yet (as when run as a command).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    _hold_closed_standard_descriptors()
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
        message = " ".join(error.format_message().split()).rstrip(".")
        click.echo(f"clipindex: error: {message} (see '{where} --help')", err=True)
        return error.exit_code
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except BrokenPipe:  # stopped by the reader (| head): nothing to say, as any tool
        return BrokenPipe.exit_code
    except ClipindexError as error:
        click.echo(f"clipindex: error: {one_line(str(error))}", err=True)
        return error.exit_code
    except KeyboardInterrupt as interrupt:
        return _interrupted(interrupt)
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else EXIT_BAD_INPUT
    except Exception as error:  # a bug: one line unless asked for the traceback
        if verbose:
            raise
        click.echo(
            f"clipindex: internal error: {type(error).__name__}: {one_line(str(error))} "
            "(rerun with --verbose for the traceback)",
            err=True,
        )
        return EXIT_INTERNAL
    return 0


def _hold_closed_standard_descriptors() -> None:
    """Open /dev/null on standard descriptors the command was started without (``>&-``), so no
    file opened later takes their number and receives what was meant for them; writing to a
    closed standard output is still refused (Python has set ``sys.stdout`` to None)."""
    for descriptor in (0, 1, 2):
        try:
            os.fstat(descriptor)
        except OSError:
            held = os.open(os.devnull, os.O_RDWR)
            if held != descriptor:  # the lower ones were open after all
                os.close(held)


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
        if stream is None:  # started without it (>&-)
            continue
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed or broken pipe: nothing more can be said
            pass
    os._exit(code)
