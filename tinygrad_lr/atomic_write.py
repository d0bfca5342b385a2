"""Writing files so that nothing a user saved is ever lost: the whole new file or the old one.

A new file is written next to its target (same folder, so the final rename is atomic),
flushed and fsynced, then renamed over the target; the folder is fsynced so the rename
itself survives a crash. A failure at any point removes the temporary and leaves the
target as it was.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path


def create_temporary(path: Path):
    """Open a new, empty file next to ``path``; return ``(fd, temporary_path)``.

    It gets the permissions a plain ``open(path, "w")`` would give (``0o666`` less the
    umask), and a name that stays within the 255 bytes a file name may have.

    >>> import os, tempfile
    >>> from pathlib import Path
    >>> fd, temporary = create_temporary(Path(tempfile.mkdtemp()) / "model.npz")
    >>> os.close(fd); temporary.name.startswith(".model.npz.") and temporary.name.endswith(".tmp")
    True
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    name = path.name.encode()[:240].decode(errors="ignore")
    while True:
        temporary = path.with_name(f".{name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:
            continue


def write_atomically(path, write) -> Path:
    """Write ``path`` by calling ``write(stream)`` on a binary stream, atomically.

    ``write`` may also be ``bytes`` or ``str`` (written as UTF-8). An existing file keeps
    its permission bits. Returns ``path``.

    >>> import tempfile
    >>> from pathlib import Path
    >>> target = Path(tempfile.mkdtemp()) / "notes.txt"
    >>> _ = write_atomically(target, "first")
    >>> _ = write_atomically(target, b"second")
    >>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
    ('second', ['notes.txt'])
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"cannot write {path}: it is a folder")
    if isinstance(write, str):
        write = write.encode("utf-8")
    if isinstance(write, (bytes, bytearray)):
        data = write

        def write(stream):
            stream.write(data)

    handle, temporary = create_temporary(path)
    try:
        with contextlib.suppress(OSError):
            os.chmod(handle, os.stat(path).st_mode & 0o7777)
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_folder(path.parent)
    return path


def _fsync_folder(folder: Path) -> None:
    """Make a rename durable (POSIX; folders cannot be opened on Windows)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
