"""SQLite: an online copy through SQLite's backup API, verified, and a restore through the same API in reverse.

The backup API copies the database as one read transaction: in WAL mode the web, worker and sweeper processes
keep writing while it runs, and the copy is the database as it was at one moment (every transaction in or out).
The restore writes the backup into the live file the same way, under SQLite's own locks (never a file copy
beside a `-wal` file that would then be replayed onto it).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from django.utils.translation import gettext as _

from wuyou.core.backup.common import EXIT_BAD_INPUT, EXIT_FAILED, BackupError, Counts, atomic_file, file_kind

BUSY_TIMEOUT_SECONDS = 30.0


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlite_counts(db: sqlite3.Connection) -> Counts:
    """Rows in every table of the database but SQLite's own."""
    tables = [
        name
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
            "ORDER BY name"
        )
    ]
    rows: dict[str, int] = {}
    for table in tables:  # names from the catalogue, quoted
        rows[table] = db.execute(f"SELECT count(*) FROM {_quote(table)}").fetchone()[0]  # noqa: S608
    return Counts(rows)


def _integrity_problems(db: sqlite3.Connection) -> list[str]:
    """What `PRAGMA integrity_check` found wrong; empty when it answers `ok`."""
    answers = [row[0] for row in db.execute("PRAGMA integrity_check").fetchall()]
    return [] if answers == ["ok"] else answers


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_SECONDS)


def sqlite_backup(*, source: Path, destination: Path) -> Counts:
    """Copy the database at `source` to the new file `destination` (atomically, verified); its counts."""
    if not source.is_file():
        raise BackupError(_("There is no database at %(path)s: nothing to back up.") % {"path": source}, EXIT_BAD_INPUT)
    try:
        with atomic_file(destination) as temporary:
            live = sqlite3.connect(source, timeout=BUSY_TIMEOUT_SECONDS)
            try:
                copy = sqlite3.connect(temporary)
                try:
                    live.backup(copy)  # in one step: one read transaction, so one consistent moment
                    copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
                    problems = _integrity_problems(copy)
                    if problems:
                        raise BackupError(
                            _("The copy failed its integrity check (%(problems)s); nothing was written.")
                            % {"problems": "; ".join(problems[:5])}
                        )
                    counts = sqlite_counts(copy)
                finally:
                    copy.close()
            finally:
                live.close()
    except sqlite3.Error as error:
        raise BackupError(
            _("Could not copy the database %(path)s: %(error)s") % {"path": source, "error": error}, EXIT_FAILED
        ) from error
    return counts


def sqlite_inspect(path: Path) -> Counts:
    """Check that `path` is a whole SQLite copy of a Wuyou database; its counts. Refuses anything else."""
    kind = file_kind(path)
    if kind != "sqlite":
        if kind.startswith("postgresql"):
            message = _(
                "%(path)s is a PostgreSQL backup, but this installation's database is SQLite: restore it where "
                "DATABASE_URL names the PostgreSQL database."
            )
        else:
            message = _("%(path)s is not a SQLite backup (it does not start with the SQLite file header).")
        raise BackupError(message % {"path": path}, EXIT_BAD_INPUT)
    try:
        backup = _read_only(path)
        try:
            problems = _integrity_problems(backup)
            counts = sqlite_counts(backup) if not problems else Counts()
        finally:
            backup.close()
    except sqlite3.Error as error:
        raise BackupError(
            _("%(path)s is a damaged SQLite file: %(error)s") % {"path": path, "error": error}, EXIT_BAD_INPUT
        ) from error
    if problems:
        raise BackupError(
            _("%(path)s is a damaged SQLite file (integrity check: %(problems)s).")
            % {"path": path, "problems": "; ".join(problems[:5])},
            EXIT_BAD_INPUT,
        )
    if "django_migrations" not in counts.rows:
        raise BackupError(
            _("%(path)s is a SQLite database but not a Wuyou backup (it has no django_migrations table).")
            % {"path": path},
            EXIT_BAD_INPUT,
        )
    return counts


def sqlite_target_counts(target: Path) -> Counts:
    """What the database about to be replaced holds (nothing when there is no file yet)."""
    if not target.exists() or target.stat().st_size == 0:
        return Counts()
    try:
        db = sqlite3.connect(target, timeout=BUSY_TIMEOUT_SECONDS)
        try:
            return sqlite_counts(db)
        finally:
            db.close()
    except sqlite3.Error as error:
        raise BackupError(
            _("The database %(path)s cannot be read (%(error)s); move it away before restoring.")
            % {"path": target, "error": error},
            EXIT_FAILED,
        ) from error


def sqlite_restore(*, source: Path, target: Path) -> Counts:
    """Replace the database at `target` with the backup at `source` (checked with `sqlite_inspect` first)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        backup = _read_only(source)
        try:
            live = sqlite3.connect(target, timeout=BUSY_TIMEOUT_SECONDS)
            try:
                backup.backup(live)  # one write transaction on the target: other processes see before or after
                problems = _integrity_problems(live)
                counts = sqlite_counts(live)
            finally:
                live.close()
        finally:
            backup.close()
    except sqlite3.Error as error:
        raise BackupError(
            _("Could not restore into %(path)s: %(error)s (is a server writing to it? Stop it and try again.)")
            % {"path": target, "error": error},
            EXIT_FAILED,
        ) from error
    if problems:
        raise BackupError(
            _("The restored database %(path)s failed its integrity check: %(problems)s")
            % {"path": target, "problems": "; ".join(problems[:5])},
            EXIT_FAILED,
        )
    return counts
