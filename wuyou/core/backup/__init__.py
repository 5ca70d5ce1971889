"""Backups of the configured database (`wuyou backup`) and their restore (`wuyou restore`): docs/deploying.md.

SQLite (the embedded database) is copied online with SQLite's backup API; PostgreSQL with `pg_dump --format=custom`
and restored with `pg_restore`. Either way the copy is written under a temporary name, checked, then renamed, and
the restore refuses a file of the other kind, a file that is no backup, and, unless confirmed, a database that
holds data. Expected refusals are `BackupError`s carrying a message and the exit status.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import connection, connections
from django.db.utils import Error as DatabaseError
from django.utils.translation import gettext as _

from wuyou.core.backup.common import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_REFUSED,
    BackupError,
    Counts,
)
from wuyou.core.backup.postgres import postgres_backup, postgres_inspect, postgres_restore, postgres_target_counts
from wuyou.core.backup.sqlite import sqlite_backup, sqlite_inspect, sqlite_restore, sqlite_target_counts

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_REFUSED",
    "BackupError",
    "BackupReport",
    "Counts",
    "RestoreReport",
    "backup_default_path",
    "backup_restore",
    "backup_write",
    "confirm_on_terminal",
]

SUFFIXES = {"sqlite": ".sqlite3", "postgresql": ".dump"}


@dataclass(frozen=True)
class BackupReport:
    """What `backup_write` wrote: the file, its size, and the tables and rows in it."""

    path: Path
    size: int
    kind: str
    counts: Counts


@dataclass(frozen=True)
class RestoreReport:
    """What `backup_restore` replaced the database with, and what its migrations say of the backup's age."""

    source: Path
    target: str
    kind: str
    counts: Counts
    replaced: Counts
    pending_migrations: int = 0
    unknown_migrations: list[str] = field(default_factory=list)


def database_kind() -> str:
    """`sqlite` or `postgresql`: the engine of the default database; any other is refused."""
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        return "sqlite"
    if engine in {"django.db.backends.postgresql", "django.contrib.gis.db.backends.postgis"}:
        return "postgresql"
    raise BackupError(
        _("Backups know SQLite and PostgreSQL only; the database engine is %(engine)s.") % {"engine": engine},
        EXIT_BAD_INPUT,
    )


def database_label() -> str:
    """The database as the user knows it: the SQLite file, or the PostgreSQL database name and host."""
    database = settings.DATABASES["default"]
    if database_kind() == "sqlite":
        return str(database["NAME"])
    return f"{database['NAME']}@{database.get('HOST') or 'localhost'}:{database.get('PORT') or 5432}"


def backup_default_path(*, kind: str, folder: Path | None = None, now: datetime | None = None) -> Path:
    """`var/backups/wuyou-YYYYMMDD-HHMMSS.sqlite3` (`.dump` for PostgreSQL), in local time, never an existing file."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    folder = folder or Path(settings.VAR_DIR) / "backups"
    path = folder / f"wuyou-{stamp}{SUFFIXES[kind]}"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"wuyou-{stamp}-{n}{SUFFIXES[kind]}"
    return path


def _destination(output: Path | None, kind: str) -> Path:
    if output is None:
        destination = backup_default_path(kind=kind)
        destination.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        return destination
    if output.is_dir():
        return backup_default_path(kind=kind, folder=output)
    if output.exists():
        raise BackupError(
            _("%(path)s exists already; a backup never replaces a file: name another.") % {"path": output},
            EXIT_BAD_INPUT,
        )
    if not output.parent.is_dir():
        raise BackupError(
            _("The folder %(path)s does not exist; create it or name another output.") % {"path": output.parent},
            EXIT_BAD_INPUT,
        )
    return output


def backup_write(*, output: Path | None = None) -> BackupReport:
    """Back the configured database up to `output` (a new file, or a folder), or to var/backups/ by default."""
    kind = database_kind()
    destination = _destination(output, kind)
    try:
        if kind == "sqlite":
            counts = sqlite_backup(source=Path(settings.DATABASES["default"]["NAME"]), destination=destination)
        else:
            counts = postgres_backup(destination=destination)
    except FileExistsError as error:
        raise BackupError(
            _("%(path)s appeared while the backup ran; it was left alone.") % {"path": destination}, EXIT_FAILED
        ) from error
    except OSError as error:
        raise BackupError(
            _("Could not write %(path)s: %(error)s") % {"path": destination, "error": error.strerror or error},
            EXIT_FAILED,
        ) from error
    return BackupReport(path=destination, size=destination.stat().st_size, kind=kind, counts=counts)


def confirm_on_terminal(database: str, held: Counts) -> bool:
    """Asks before a database that holds data is replaced, when someone is at a terminal to answer; else no."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return False
    question = _("The database %(database)s holds %(rows)s rows in %(tables)s tables. Replace them? [y/N] ")
    try:
        answer = input(question % {"database": database, "rows": held.row_count, "tables": len(held.non_empty)})
    except EOFError:
        return False
    return answer.strip().lower() in {"y", "yes", _("y"), _("yes")}


def _migrations_state() -> tuple[int, list[str]]:
    """Migrations the restored database lacks, and those it records that this code does not know."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    unknown = sorted(
        f"{app}.{name}" for app, name in executor.loader.applied_migrations if (app, name) not in graph.nodes
    )
    return len(executor.migration_plan(graph.leaf_nodes())), unknown


def backup_restore(
    *, source: Path, replace: bool = False, confirm: Callable[[str, Counts], bool] | None = None
) -> RestoreReport:
    """Replace the configured database with the backup at `source`.

    A database that holds rows is replaced only with `replace`, or when `confirm` (asked with the database and
    what it holds) answers yes; otherwise EXIT_REFUSED. The file must be a backup of the configured database's kind.
    """
    kind = database_kind()
    if not source.is_file():
        raise BackupError(_("There is no file %(path)s.") % {"path": source}, EXIT_BAD_INPUT)
    target = Path(settings.DATABASES["default"]["NAME"])
    try:
        if kind == "sqlite":
            sqlite_inspect(source)
            held = sqlite_target_counts(target)
        else:
            postgres_inspect(source)
            held = postgres_target_counts()
    except OSError as error:
        raise BackupError(
            _("Could not read %(path)s: %(error)s") % {"path": source, "error": error.strerror or error},
            EXIT_BAD_INPUT,
        ) from error
    if held.row_count and not replace and not (confirm is not None and confirm(database_label(), held)):
        raise BackupError(
            _(
                "The database %(database)s holds %(rows)s rows in %(tables)s tables; the restore would replace them. "
                "Run it again with --yes to replace them."
            )
            % {"database": database_label(), "rows": held.row_count, "tables": len(held.non_empty)},
            EXIT_REFUSED,
        )
    connections.close_all()
    if kind == "sqlite":
        counts = sqlite_restore(source=source, target=target)
    else:
        counts = postgres_restore(source=source)
    try:
        pending, unknown = _migrations_state()
    except DatabaseError as error:
        raise BackupError(
            _("The database was restored, but its migrations could not be read: %(error)s") % {"error": error},
            EXIT_FAILED,
        ) from error
    finally:
        connections.close_all()
    return RestoreReport(
        source=source,
        target=database_label(),
        kind=kind,
        counts=counts,
        replaced=held,
        pending_migrations=pending,
        unknown_migrations=unknown,
    )
