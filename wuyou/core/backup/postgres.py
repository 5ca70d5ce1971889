"""PostgreSQL: `pg_dump --format=custom` of the configured database, and `pg_restore` into it.

The connection comes from `settings.DATABASES["default"]`: host, port, user and database on the command line,
the password only in the child's environment (PGPASSWORD), libpq's options (sslmode, …) as their PG* variables.
The dump runs in a snapshot exported from a read-only repeatable-read transaction of ours, so the counts we report
are exactly those of the dump. The restore is one transaction (`--single-transaction`): it lands whole or not at all.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.db.utils import Error as DatabaseError
from django.utils.translation import gettext as _

from wuyou.core.backup.common import EXIT_BAD_INPUT, EXIT_FAILED, BackupError, Counts, atomic_file, file_kind

# libpq connection options that dj-database-url may leave in OPTIONS, and the environment variable for each.
LIBPQ_ENVIRONMENT = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslcrl": "PGSSLCRL",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
    "options": "PGOPTIONS",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "service": "PGSERVICE",
    "passfile": "PGPASSFILE",
    "gssencmode": "PGGSSENCMODE",
    "channel_binding": "PGCHANNELBINDING",
}
RESTORE_LOCK_TIMEOUT = "60s"  # a server still holding the tables makes the restore fail, not hang
TOOL_TIMEOUT_SECONDS = 6 * 3600


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            _(
                "%(tool)s was not found on PATH: install the PostgreSQL client programs of the server's major "
                "version or newer (Debian: apt-get install postgresql-client)."
            )
            % {"tool": name},
            EXIT_FAILED,
        )
    return found


def connection_arguments(database: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """The command-line options and the environment that connect a PostgreSQL client to `database`."""
    arguments: list[str] = ["--no-password"]  # never a prompt: the password comes from the settings or nowhere
    environment = dict(os.environ)
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if database.get(key):
            arguments += [option, str(database[key])]
    arguments += ["--dbname", str(database["NAME"])]
    if database.get("PASSWORD"):
        environment["PGPASSWORD"] = str(database["PASSWORD"])
    for option, value in (database.get("OPTIONS") or {}).items():
        if option in LIBPQ_ENVIRONMENT and value not in (None, ""):
            environment[LIBPQ_ENVIRONMENT[option]] = str(value)
    return arguments, environment


def _run(command: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  # our own argument list, no shell
        command, env=environment, capture_output=True, text=True, timeout=TOOL_TIMEOUT_SECONDS, check=False
    )


def _last_lines(text: str, lines: int = 6) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def postgres_counts() -> Counts:
    """Rows in every table that the configured database shows on its search path, read on Django's connection."""
    with connection.cursor() as cursor:
        tables = sorted(connection.introspection.table_names(cursor))
        rows: dict[str, int] = {}
        for table in tables:
            # a name from the catalogue, quoted
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows[table] = cursor.fetchone()[0]
    return Counts(rows)


def _database() -> dict[str, Any]:
    return dict(connection.settings_dict)


def postgres_backup(*, destination: Path) -> Counts:
    """`pg_dump --format=custom` of the configured database to the new file `destination`, listed back to check it."""
    pg_dump, pg_restore = _tool("pg_dump"), _tool("pg_restore")
    arguments, environment = connection_arguments(_database())
    try:
        with atomic_file(destination) as temporary, transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
            counts = postgres_counts()  # in the snapshot that pg_dump dumps
            dumped = _run(
                [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={temporary}", *arguments],
                environment,
            )
            if dumped.returncode != 0:
                raise BackupError(
                    _("pg_dump failed (exit status %(status)s); nothing was written:\n%(error)s")
                    % {"status": dumped.returncode, "error": _last_lines(dumped.stderr)},
                    EXIT_FAILED,
                )
            listed = _run([pg_restore, "--list", str(temporary)], environment)
            if listed.returncode != 0 or "TABLE DATA" not in listed.stdout:
                raise BackupError(
                    _("pg_dump wrote a file that pg_restore cannot read; nothing was written:\n%(error)s")
                    % {"error": _last_lines(listed.stderr)},
                    EXIT_FAILED,
                )
    except DatabaseError as error:
        raise BackupError(
            _("Could not read the database %(name)s: %(error)s") % {"name": _database()["NAME"], "error": error},
            EXIT_FAILED,
        ) from error
    return counts


def postgres_inspect(path: Path) -> None:
    """Check that `path` is a dump pg_restore can read (`pg_restore --list`). Refuses anything else."""
    kind = file_kind(path)
    if kind == "sqlite":
        raise BackupError(
            _(
                "%(path)s is a SQLite backup, but this installation's database is PostgreSQL: restore it without "
                "DATABASE_URL (into the embedded SQLite database)."
            )
            % {"path": path},
            EXIT_BAD_INPUT,
        )
    if kind == "postgresql-plain":
        raise BackupError(
            _("%(path)s is a plain SQL dump: restore it with psql, or make the backup with `wuyou backup`.")
            % {"path": path},
            EXIT_BAD_INPUT,
        )
    listed = _run([_tool("pg_restore"), "--list", str(path)], dict(os.environ))
    if kind != "postgresql" or listed.returncode != 0:
        raise BackupError(
            _("%(path)s is not a PostgreSQL backup of `wuyou backup` (pg_dump --format=custom): %(error)s")
            % {"path": path, "error": _last_lines(listed.stderr, 2) or _("pg_restore cannot list it")},
            EXIT_BAD_INPUT,
        )
    if "django_migrations" not in listed.stdout:
        raise BackupError(
            _("%(path)s is a PostgreSQL dump but not of a Wuyou database (it has no django_migrations table).")
            % {"path": path},
            EXIT_BAD_INPUT,
        )


def postgres_target_counts() -> Counts:
    """What the configured database holds now."""
    try:
        return postgres_counts()
    except DatabaseError as error:
        raise BackupError(
            _("Could not connect to the database %(name)s: %(error)s") % {"name": _database()["NAME"], "error": error},
            EXIT_FAILED,
        ) from error


def postgres_restore(*, source: Path) -> Counts:
    """`pg_restore --clean --if-exists --no-owner` of `source` into the configured database, in one transaction."""
    database = _database()
    arguments, environment = connection_arguments(database)
    environment["PGOPTIONS"] = f"{environment.get('PGOPTIONS', '')} -c lock_timeout={RESTORE_LOCK_TIMEOUT}".strip()
    connection.close()  # ours holds no lock on what is dropped and made anew
    restored = _run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-acl",  # grants name roles another server may lack; the restoring user owns everything
            "--single-transaction",
            *arguments,
            str(source),
        ],
        environment,
    )
    if restored.returncode != 0:
        raise BackupError(
            _(
                "pg_restore failed (exit status %(status)s); the database %(name)s is unchanged (one transaction). "
                "If a server is still using it, stop it and try again.\n%(error)s"
            )
            % {"status": restored.returncode, "name": database["NAME"], "error": _last_lines(restored.stderr)},
            EXIT_FAILED,
        )
    return postgres_target_counts()
