"""Atomic writes: a saved file is the whole new one or the old one, with ordinary permissions."""

import os
import stat

import pytest

from tinygrad_lr.atomic_write import write_atomically


def test_a_new_file_gets_the_permissions_of_a_plain_open(tmp_path):
    previous = os.umask(0o022)
    try:
        path = write_atomically(tmp_path / "page.html", "<p>x</p>")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert path.read_text() == "<p>x</p>"


def test_an_existing_file_keeps_its_mode(tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(b"old")
    os.chmod(path, 0o600)
    write_atomically(path, b"new")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_bytes() == b"new"


def test_a_failing_writer_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(b"old")

    def broken(stream):
        stream.write(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_atomically(path, broken)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["model.npz"]


def test_a_folder_is_never_replaced(tmp_path):
    with pytest.raises(IsADirectoryError, match="it is a folder"):
        write_atomically(tmp_path, b"x")
