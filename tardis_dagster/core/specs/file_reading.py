"""Reading spec and side files (schemas, .sql) without letting a hostile file hang or exhaust validation.

A FIFO opened for reading blocks until a writer appears; `/dev/zero` (or a symlink to it) never
ends; a 10 GB file fills memory before any size check after reading. So the file's type and size
are checked with ``os.stat`` before opening, the open itself never blocks (``O_NONBLOCK``), the
opened descriptor is checked again (the path may have been swapped in between), and at most
``cap + 1`` bytes are read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class UnreadableFileError(Exception):
    """Why a file cannot be read as text, with how to fix it."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


def _kind(mode: int) -> str | None:
    """What a non-regular file is ("a FIFO (named pipe)", ...); None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_capped(path: Path, cap: int) -> bytes:
    """The bytes of regular file ``path`` (symlinks followed), refusing anything else or over ``cap`` bytes.

    Raises UnreadableFileError with a message for the user; never blocks on FIFOs or devices.
    """
    try:
        info = os.stat(path)  # noqa: PTH116 - follows symlinks: what counts is what the link points at
    except FileNotFoundError:
        raise UnreadableFileError("does not exist", "check the path") from None
    except OSError as error:
        raise UnreadableFileError(
            f"cannot be read: {error.strerror or error}", "check its permissions"
        ) from None
    kind = _kind(info.st_mode)
    if kind is not None:
        raise UnreadableFileError(f"is {kind}, not a regular file", "point it at a regular file")
    if info.st_size > cap:
        raise UnreadableFileError(f"is {info.st_size:,} bytes", f"keep it under {cap:,} bytes")
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as error:
        raise UnreadableFileError(
            f"cannot be read: {error.strerror or error}", "check its permissions"
        ) from None
    try:
        kind = _kind(os.fstat(fd).st_mode)
        if kind is not None:  # swapped for a FIFO or device between the stat and the open
            raise UnreadableFileError(f"is {kind}, not a regular file", "point it at a regular file")
        chunks: list[bytes] = []
        left = cap + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as error:
        raise UnreadableFileError(f"cannot be read: {error.strerror or error}", "check the file") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > cap:  # grew after the stat
        raise UnreadableFileError(f"is over {cap:,} bytes", f"keep it under {cap:,} bytes")
    return data
