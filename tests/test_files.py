"""Outputs: checked before work, written whole or not at all, never over an input; devices and
pipes written through, never renamed over."""

import errno
import os
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from clipindex.errors import EXIT_WRITE_FAILED, OutputError, WriteError
from clipindex.files import StagedOutputs, check_output_path, write_atomically


def test_output_over_the_input_is_refused_however_it_is_spelled(tmp_path):
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"video")
    link = tmp_path / "link.mp4"
    link.symlink_to(video)
    for output in (video, tmp_path / "." / "clip.mp4", link):
        with pytest.raises(OutputError, match="over the input"):
            check_output_path(output, [video])


@pytest.mark.parametrize(
    "where, message", [("missing/out.json", "does not exist"), (".", "is a folder")]
)
def test_unwritable_targets_are_refused(tmp_path, where, message):
    with pytest.raises(OutputError, match=message):
        check_output_path(tmp_path / where, [])


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_a_full_disk_is_one_error_naming_the_file_and_leaves_the_old_one(
    tmp_path, monkeypatch, failing
):
    target = tmp_path / "index.json"
    target.write_text("old")

    def full(*args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, failing, full)
    with pytest.raises(WriteError, match=r"index\.json: cannot write \(No space left on device\)"):
        write_atomically(target, "new")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["index.json"]


def test_write_replaces_whole_file(tmp_path):
    target = tmp_path / "index.json"
    target.write_text("old content that is longer")
    write_atomically(target, "new")
    assert target.read_text() == "new"
    assert os.listdir(tmp_path) == ["index.json"]


def _character_device(folder: Path) -> Path:
    """A character device that swallows what is written to it: a new /dev/null made in
    ``folder`` as root, otherwise the real /dev/null (which only root could rename over)."""
    if os.geteuid() != 0:
        return Path(os.devnull)
    device = folder / "null"
    os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    return device


def test_a_device_is_written_through_never_renamed_over(tmp_path):
    device = _character_device(tmp_path)
    link = tmp_path / "to-null"
    link.symlink_to(device)
    for output in (device, link):
        check_output_path(output, [])
        write_atomically(output, "WEBVTT\n")
        assert stat.S_ISCHR(os.stat(output).st_mode)
    assert link.is_symlink()
    made_here = {device.name} if device.parent == tmp_path else set()
    assert set(os.listdir(tmp_path)) == {"to-null"} | made_here


def test_a_named_pipe_gets_the_output_and_stays_a_pipe(tmp_path):
    pipe = tmp_path / "chapters.vtt"
    os.mkfifo(pipe)
    received = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()), daemon=True)
    reader.start()
    write_atomically(pipe, "WEBVTT\n")
    reader.join(timeout=10)
    assert received == [b"WEBVTT\n"]
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)
    assert os.listdir(tmp_path) == ["chapters.vtt"]


def test_through_a_link_the_file_it_names_is_replaced_and_the_link_kept(tmp_path):
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "chapters.vtt"
    real.write_text("old")
    real.chmod(0o600)
    link = tmp_path / "chapters.vtt"
    link.symlink_to(real)
    check_output_path(link, [])
    write_atomically(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "new"
    assert stat.S_IMODE(real.stat().st_mode) == 0o600  # its mode kept
    assert os.listdir(tmp_path / "real") == ["chapters.vtt"]


@pytest.mark.parametrize("descriptor_name", ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"])
def test_standard_output_by_name_is_written_through(tmp_path, descriptor_name):
    """Named as a file, standard output is written as with -o -: into whatever the shell opened
    (here a file opened for appending, whose first line stays)."""
    received = tmp_path / "received.txt"
    received.write_text("kept\n")
    code = f"import clipindex.files as f; f.write_atomically({descriptor_name!r}, 'x')"
    with open(received, "a") as stdout:
        done = subprocess.run([sys.executable, "-c", code], stdout=stdout, stderr=subprocess.PIPE)
    assert done.returncode == 0, done.stderr
    assert received.read_text() == "kept\nx"
    assert os.listdir(tmp_path) == ["received.txt"]


def test_what_cannot_be_an_output_is_refused_before_any_work(tmp_path):
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "socket"))
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere" / "file")
    (tmp_path / "file").write_text("")
    cases = {
        "socket": "is a socket",
        "dangling": "which does not exist",
        ".": "is a folder",
        "file/below.json": "is a file, not a folder",
    }
    try:
        for name, message in cases.items():
            with pytest.raises(OutputError, match=message):
                check_output_path(tmp_path / name, [])
    finally:
        server.close()
    assert not (tmp_path / "nowhere").exists()


def test_a_link_someone_else_made_in_a_shared_folder_is_not_followed(tmp_path, monkeypatch):
    """As the kernel's protected_symlinks: a link planted in a folder like /tmp by another user
    must not make clipindex (run as root, say) replace the file it points at."""
    victim = tmp_path / "victim"
    victim.write_text("precious")
    if os.geteuid() == 0:  # root gives the link to nobody, in a shared folder of its own
        shared = tmp_path / "shared"
        shared.mkdir()
        shared.chmod(0o1777)
        planted = shared / "out.json"
        planted.symlink_to(victim)
        os.lchown(planted, 65534, 65534)
    else:  # a user's link in root's /tmp, seen by a third user
        planted = Path("/tmp") / f"clipindex-test-{os.getpid()}.json"
        planted.symlink_to(victim)
        monkeypatch.setattr(os, "geteuid", lambda: 65533)
    try:
        with pytest.raises(OutputError, match="made by someone else in a shared folder"):
            check_output_path(planted, [])
    finally:
        planted.unlink()
    assert victim.read_text() == "precious"


def test_staged_outputs_are_all_put_in_place_or_none(tmp_path, monkeypatch):
    (tmp_path / "thumbs").mkdir()
    old = tmp_path / "thumbs" / "shot-0000.jpg"
    old.write_bytes(b"old picture")
    writes = []

    def full_after_two(descriptor):
        writes.append(descriptor)
        if len(writes) > 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full_after_two)
    with pytest.raises(WriteError, match="shot-0002.jpg: cannot write"):
        with StagedOutputs() as outputs:
            outputs.make_folder(tmp_path / "new" / "pictures")
            for number in range(4):
                outputs.write(tmp_path / "thumbs" / f"shot-{number:04d}.jpg", b"picture")
    assert os.listdir(tmp_path / "thumbs") == ["shot-0000.jpg"]
    assert old.read_bytes() == b"old picture"
    assert not (tmp_path / "new").exists()


def test_a_full_disk_on_the_command_line_is_one_line_naming_the_file(tmp_path):
    """The output grows past what the file system allows (a file size limit stands in for a full
    disk): exit 74, one line naming the output, nothing left of it."""
    import resource

    from output_helpers import make_index

    index = tmp_path / "montage.json"
    index.write_text(make_index([(0.0, 30.0, None), (30.0, 60.0, None)], 60.0).to_json())
    output = tmp_path / "chapters.vtt"

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))

    done = subprocess.run(
        [sys.executable, "-m", "clipindex", "chapters", index, "--format", "webvtt", "-o", output],
        capture_output=True,
        text=True,
        preexec_fn=small_files,
    )
    assert done.returncode == EXIT_WRITE_FAILED, done.stderr
    assert done.stderr == f"clipindex: error: {output}: cannot write (File too large)\n"
    assert sorted(os.listdir(tmp_path)) == ["montage.json"]
