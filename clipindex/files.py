"""Writing outputs safely: checked before any work, written whole or not at all.

What an output path may name, and how it is written:

- ``-``, ``/dev/stdout``, ``/dev/fd/N``: standard output, or another descriptor the shell opened,
  written straight through.
- a new file, or an existing regular file: written to a temporary file beside it and renamed into
  place, so a crash, a full disk or Ctrl-C leaves the old file or none, never half of one. Through
  a symbolic link, the file it names is replaced and the link kept (not a link someone else made
  in a shared folder such as ``/tmp``, which the kernel would not follow either).
- a character device (``/dev/null``) or a named pipe: written straight through, never renamed
  over.
- anything else (a folder, a block device, a socket, a link to nothing) is refused before any
  work.

Inputs are only ever opened for reading; :func:`read_capped` reads one without letting its size
run away.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from clipindex.errors import BrokenPipe, OutputError, WriteError

STDOUT = "-"

_DESCRIPTOR_PATH = re.compile(r"^/(?:dev/fd|proc/(?P<pid>self|thread-self|\d+)/fd)/(?P<fd>\d+)$")
_MAX_LINKS = 40
_NEW_FILE_MODE = 0o644


@dataclass(frozen=True)
class _Target:
    """Where an output goes: a descriptor to write through, a device or pipe to open and write
    through (``stream``), or a regular file to replace (or create)."""

    name: str
    kind: Literal["descriptor", "stream", "file"]
    path: Path | None = None
    descriptor: int | None = None


def _descriptor_named(name: str) -> int | None:
    """The open descriptor a name such as ``/dev/stdout`` or ``/dev/fd/3`` stands for, if any."""
    path = os.path.abspath(name)
    for _ in range(_MAX_LINKS):
        match = _DESCRIPTOR_PATH.match(path)
        if match:
            if match["pid"] in (None, "self", "thread-self", str(os.getpid())):
                return int(match["fd"])
            return None
        try:
            if not os.path.islink(path):
                return None
            path = os.path.join(os.path.dirname(path), os.readlink(path))
        except (OSError, ValueError):
            return None
    return None


def _target(output: str | os.PathLike[str]) -> _Target:
    """What ``output`` names, or :class:`OutputError` if it must not be written."""
    name = os.fspath(output)
    if name == STDOUT:
        return _Target("standard output", "descriptor", descriptor=1)
    descriptor = _descriptor_named(name)
    if descriptor is not None:
        return _Target(name, "descriptor", descriptor=descriptor)
    path = Path(name)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise OutputError(
                f"{name}: a link to {os.readlink(path)}, which does not exist"
            ) from None
        return _Target(name, "file", path=path)
    except NotADirectoryError:
        raise OutputError(f"{name}: a part of this path is a file, not a folder") from None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not a usable file name"
        raise OutputError(f"{name}: cannot be written ({reason})") from None
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        raise OutputError(f"{name}: is a folder; give a file name for the output")
    if stat.S_ISREG(mode):
        return _Target(name, "file", path=_followed(path))
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return _Target(name, "stream", path=path)
    what = "a block device" if stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else ""
    raise OutputError(
        f"{name}: is {what or 'not a file'}; outputs go to files, to character devices such as "
        "/dev/null, and to pipes"
    )


def _followed(path: Path) -> Path:
    """The regular file ``path`` names, through its symbolic links; a link someone else made in a
    shared folder (sticky and writable by all, as ``/tmp``) is refused, as the kernel's
    ``protected_symlinks`` refuses to follow it."""
    current = path
    for _ in range(_MAX_LINKS):
        if not current.is_symlink():
            return current
        folder = os.stat(current.parent)
        owner = os.lstat(current).st_uid
        shared = folder.st_mode & stat.S_ISVTX and folder.st_mode & stat.S_IWOTH
        if shared and owner not in (os.geteuid(), folder.st_uid):
            raise OutputError(
                f"{path}: a link made by someone else in a shared folder; refusing to write "
                "through it"
            )
        current = current.parent / os.readlink(current)
    raise OutputError(f"{path}: too many symbolic links")


def check_output_path(
    output: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]]
) -> None:
    """Refuse an output that would overwrite an input or cannot be written, before any work."""
    target = _target(output)
    if target.kind == "descriptor":
        _check_descriptor(target)
        return
    if target.kind == "stream":
        if not os.access(target.path, os.W_OK):
            raise OutputError(f"{target.name}: not writable")
        return
    path = target.path
    for source in inputs:
        source = Path(source)
        same = path.resolve() == source.resolve()
        if not same and path.exists() and source.exists():
            same = os.path.samefile(path, source)
        if same:
            raise OutputError(f"{target.name}: refusing to write the output over the input file")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"{target.name}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{target.name}: the folder {folder} is not writable")


def check_output_folder(folder: str | os.PathLike[str], what: str = "folder") -> None:
    """Refuse, before any work, an output folder (``what``) that cannot be made or written to.
    It is not made here: :meth:`StagedOutputs.make_folder` makes it when its files are written."""
    folder = Path(folder)
    if folder.exists():
        if not folder.is_dir():
            raise OutputError(f"{folder}: not a folder; give a folder for the {what}")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise OutputError(f"{folder}: the {what} is not writable")
        return
    parent = folder.absolute().parent
    while not parent.exists() and not parent.is_symlink() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"{folder}: cannot create the {what} ({parent} is not a folder)")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{folder}: cannot create the {what} ({parent} is not writable)")


def _check_descriptor(target: _Target) -> None:
    if target.descriptor == 1 and sys.stdout is None:
        raise OutputError("standard output is closed: nothing can be written to it")
    if target.descriptor not in (1, 2):
        try:
            os.fstat(target.descriptor)
        except OSError:
            raise OutputError(f"{target.name}: no such open file descriptor") from None


class StagedOutputs:
    """Outputs written first under temporary names beside their targets, then put in place
    together by :meth:`commit`, or all removed by :meth:`discard`.

    As a context manager, it commits when the block ends and discards if it fails, so a set of
    files (an index and its shot pictures) is left whole or not at all.

    >>> with StagedOutputs() as outputs:          # doctest: +SKIP
    ...     outputs.write("thumbs/shot-0000.jpg", jpeg)
    ...     outputs.write("montage.json", index.to_json())
    """

    def __init__(self) -> None:
        self._staged: list[tuple[_Target, Path | None, bytes | None]] = []
        self._folders: list[Path] = []

    def __enter__(self) -> StagedOutputs:
        return self

    def __exit__(self, kind, error, trace) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()

    def write(self, output: str | os.PathLike[str], data: str | bytes) -> None:
        """Stage ``data`` (text is written as UTF-8) to go to ``output``."""
        payload = data.encode("utf-8") if isinstance(data, str) else data
        target = _target(output)
        if target.kind != "file":  # written through when committed
            self._staged.append((target, None, payload))
            return
        temporary = self._temporary(target, ".tmp")
        try:
            with open(temporary, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise WriteError(f"{target.name}: cannot write ({exc.strerror})") from None

    def path(self, output: str | os.PathLike[str], suffix: str = "") -> Path:
        """A temporary file for another program (ffmpeg) to write what goes to ``output``; it
        ends in ``suffix``. A device or pipe gets it copied into it when committed."""
        return self._temporary(_target(output), suffix)

    def make_folder(self, folder: str | os.PathLike[str]) -> None:
        """Create ``folder`` and its missing parents now; those created are removed again,
        if left empty, when the outputs are discarded."""
        missing = []
        current = Path(folder)
        while not current.exists() and current != current.parent:
            missing.append(current)
            current = current.parent
        for each in reversed(missing):
            try:
                each.mkdir()
            except OSError as exc:
                raise OutputError(f"{folder}: cannot create the folder ({exc.strerror})") from None
            self._folders.append(each)

    def commit(self) -> None:
        """Put every staged output in place: first what is written through (a device, a pipe,
        standard output), which can still fail, then the files, renamed in the order staged."""
        self._staged.sort(key=lambda staged: staged[0].kind == "file")  # stable
        try:
            while self._staged:
                target, temporary, payload = self._staged[0]
                if target.kind == "file":
                    _replace(temporary, target)
                else:
                    _write_through(target, temporary, payload)
                self._staged.pop(0)
            self._folders.clear()
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        """Remove every staged output, and the folders made for them if left empty."""
        for _, temporary, _ in self._staged:
            if temporary is not None:
                temporary.unlink(missing_ok=True)
        self._staged.clear()
        for folder in reversed(self._folders):
            try:
                folder.rmdir()
            except OSError:
                pass
        self._folders.clear()

    def _temporary(self, target: _Target, suffix: str) -> Path:
        """A new empty temporary file, beside a file target, or in the temporary folder for a
        device, a pipe or a descriptor; staged for ``target``."""
        if target.kind == "file":
            folder = target.path.parent if str(target.path.parent) else Path(".")
            prefix = f".{target.path.name}."
        else:
            folder, prefix = Path(tempfile.gettempdir()), "clipindex-"
        try:
            descriptor, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=folder)
        except OSError as exc:
            raise WriteError(f"{target.name}: cannot write ({exc.strerror})") from None
        os.close(descriptor)
        self._staged.append((target, Path(name), None))
        return Path(name)


def _replace(temporary: Path, target: _Target) -> None:
    """Rename ``temporary`` over the file ``target`` names, keeping an existing file's mode."""
    try:
        mode = stat.S_IMODE(os.stat(target.path).st_mode)
    except OSError:
        mode = _NEW_FILE_MODE
    try:
        os.chmod(temporary, mode)
        os.replace(temporary, target.path)
    except OSError as exc:
        raise WriteError(f"{target.name}: cannot write ({exc.strerror})") from None


def _write_through(target: _Target, temporary: Path | None, payload: bytes | None) -> None:
    """Write ``payload``, or the file ``temporary``, into a descriptor, a device or a pipe."""
    try:
        if target.kind == "descriptor" and target.descriptor in (1, 2):
            stream = sys.stdout if target.descriptor == 1 else sys.stderr
            if stream is None:
                raise OutputError("standard output is closed: nothing can be written to it")
            stream.flush()
            _copy_into(stream.buffer, temporary, payload)
            stream.buffer.flush()
        elif target.kind == "descriptor":
            with open(os.dup(target.descriptor), "wb", closefd=True) as handle:
                _copy_into(handle, temporary, payload)
        else:
            descriptor = os.open(target.path, os.O_WRONLY | os.O_NOCTTY | os.O_CLOEXEC)
            if stat.S_ISREG(os.fstat(descriptor).st_mode):  # replaced by a file since checked
                os.close(descriptor)
                raise OutputError(f"{target.name}: changed into a file while being written")
            with open(descriptor, "wb", closefd=True) as handle:
                _copy_into(handle, temporary, payload)
    except BrokenPipeError:
        raise BrokenPipe(f"{target.name}: the reader stopped reading") from None
    except OSError as exc:
        raise WriteError(f"{target.name}: cannot write ({exc.strerror})") from None
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)


def _copy_into(handle, temporary: Path | None, payload: bytes | None) -> None:
    if temporary is None:
        handle.write(payload)
        return
    with open(temporary, "rb") as source:
        shutil.copyfileobj(source, handle)


def write_atomically(output: str | os.PathLike[str], data: str | bytes) -> None:
    """Write ``data`` to ``output`` (or standard output for ``-``) all at once: a file is
    replaced whole, a device or pipe is written through; :class:`WriteError` naming the output
    if it cannot be (the disk is full), and nothing is left of it."""
    with StagedOutputs() as outputs:
        outputs.write(output, data)


def read_capped(path: str | os.PathLike[str], max_bytes: int) -> bytes | None:
    """The bytes of the file at ``path``, or None if it holds more than ``max_bytes`` (a pipe or
    a device such as ``/dev/zero`` is read no further than that). ``OSError`` as ``open``."""
    with open(path, "rb") as handle:
        data = handle.read(max_bytes + 1)
    return data if len(data) <= max_bytes else None


def sha256_of(path: str | os.PathLike[str], chunk_bytes: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks (memory stays flat)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


def file_digest(path: str | os.PathLike[str] | None) -> str | None:
    """SHA-256 of an input file's bytes (None without one): the credits and corrections files'
    are recorded in an index's settings, so that a change of either re-indexes."""
    return sha256_of(path) if path is not None else None
