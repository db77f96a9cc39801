"""The ``clipindex`` command line: a thin shell over the library's public functions.

Each module here adds its commands to the group in :mod:`clipindex.cli.app`, which imports a
module only when one of its commands runs.

Exit codes: 0 done, 1 a check failed, 2 bad input or usage, 70 an internal error (a bug; rerun
with --verbose for the traceback), 74 an output could not be written (a full disk), 130
interrupted (Ctrl-C), 143 stopped by SIGTERM, 129 by SIGHUP, 141 the reader of standard
output stopped reading.
"""

from clipindex.cli.app import cli, entry_point, main

__all__ = ["cli", "entry_point", "main"]
