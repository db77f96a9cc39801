"""Writing outputs safely: checked before any work, written whole or not at all.

Every output goes to a temporary file beside its target and is renamed into place, so a crash or
Ctrl-C leaves the old file or none, never half of one. Inputs are only ever opened for reading.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from clipindex.errors import OutputError

STDOUT = "-"


def check_output_path(
    output: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]]
) -> None:
    """Refuse an output that would overwrite an input or cannot be written, before any work."""
    if os.fspath(output) == STDOUT:
        return
    target = Path(output)
    for source in inputs:
        source = Path(source)
        same = target.resolve() == source.resolve()
        if not same and target.exists() and source.exists():
            same = os.path.samefile(target, source)
        if same:
            raise OutputError(f"{target}: refusing to write the output over the input file")
    if target.is_dir():
        raise OutputError(f"{target}: is a folder; give a file name for the output")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"{target}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{target}: the folder {folder} is not writable")


def write_atomically(output: str | os.PathLike[str], data: str | bytes) -> None:
    """Write ``data`` to ``output`` (or standard output for ``-``) all at once."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if os.fspath(output) == STDOUT:
        import sys

        sys.stdout.buffer.write(payload)
        sys.stdout.flush()
        return
    target = Path(output)
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or "."
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def sha256_of(path: str | os.PathLike[str], chunk_bytes: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks (memory stays flat)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


def credits_digest(path: str | os.PathLike[str] | None) -> str | None:
    """SHA-256 of a credits file's bytes (None without one), recorded in an index's settings so
    that a change of credits re-indexes."""
    return sha256_of(path) if path is not None else None
