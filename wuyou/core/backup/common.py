"""What both kinds of backup share: the refusal they raise, the counts they report, and the file they write."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

# Exit statuses of `wuyou backup` and `wuyou restore`.
EXIT_OK = 0
EXIT_FAILED = 1  # the copy itself failed: a tool missing or failing, a damaged copy, a database that answers not
EXIT_BAD_INPUT = 2  # the file is missing, is no backup, or is one of the other kind; the output exists already
EXIT_REFUSED = 3  # the target database holds data and the replacement was not confirmed

SQLITE_HEADER = b"SQLite format 3\x00"
PG_CUSTOM_HEADER = b"PGDMP"  # pg_dump --format=custom
PG_PLAIN_HEADER = b"--\n-- PostgreSQL database dump"


class BackupError(Exception):
    """An expected refusal or failure of a backup or a restore: a message for the user and the exit status."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


@dataclass(frozen=True)
class Counts:
    """Rows per table of a database (or of a backup), every table of its schema included."""

    rows: dict[str, int] = field(default_factory=dict)

    @property
    def table_count(self) -> int:
        return len(self.rows)

    @property
    def row_count(self) -> int:
        return sum(self.rows.values())

    @property
    def non_empty(self) -> dict[str, int]:
        return {table: n for table, n in self.rows.items() if n}


def file_kind(path: Path) -> str:
    """`sqlite`, `postgresql` (custom format), `postgresql-plain` (plain SQL) or `unknown`, by the first bytes."""
    with path.open("rb") as file:
        head = file.read(64)
    if head.startswith(SQLITE_HEADER):
        return "sqlite"
    if head.startswith(PG_CUSTOM_HEADER):
        return "postgresql"
    if head.startswith(PG_PLAIN_HEADER):
        return "postgresql-plain"
    return "unknown"


def _fsync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a folder be opened for this
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


@contextlib.contextmanager
def atomic_file(destination: Path) -> Iterator[Path]:
    """A temporary file beside `destination` (mode 0600: backups hold personal data), renamed onto it on success.

    A copy that fails or is interrupted leaves nothing under the final name; an existing file is never replaced
    (FileExistsError).
    """
    descriptor, name = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.", suffix=".partial")
    os.close(descriptor)
    temporary = Path(name)
    try:
        yield temporary
        with temporary.open("rb") as file:
            os.fsync(file.fileno())
        try:
            os.link(temporary, destination)  # never over a file that appeared meanwhile
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links
            os.replace(temporary, destination)
        _fsync_directory(destination.parent)
    finally:
        temporary.unlink(missing_ok=True)
