"""The commands over the data: demo, sweep, migrate, backup, restore and the pass-through to Django (manage)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

import wuyou.cli as cli  # the registry and helpers, looked up when called

# -- wuyou demo ------------------------------------------------------------------------------------


@cli.subcommand(
    "demo",
    gettext_lazy(
        "migrate, then load the demo data once and print the demo logins (wuyou demo --help for options); "
        "wuyou demo totp <username>: a demo login's current one-time code"
    ),
    passthrough=True,
)
def run_demo(args: argparse.Namespace) -> int:
    cli.setup_django()
    if args.rest[:1] == ["totp"]:
        cli.manage("demo_totp", *args.rest[1:])
        return 0
    if {"-h", "--help"} & set(args.rest):
        cli.command_help("demo")  # Wuyou's options only, without touching the database
        return 0
    cli.prepare_database()
    cli.manage("load_demo", *args.rest)
    return 0


# -- wuyou sweep -----------------------------------------------------------------------------------


@cli.subcommand(
    "sweep",
    gettext_lazy("run the deadline sweeper: warn and escalate due requests (wuyou sweep --once, --interval S)"),
    passthrough=True,
)
def run_sweep(args: argparse.Namespace) -> int:
    cli.setup_django()
    cli.manage("sweep", *args.rest)
    return 0


# -- wuyou migrate ---------------------------------------------------------------------------------


@cli.subcommand("migrate", gettext_lazy("apply database migrations and create the cache table"))
def run_migrate(args: argparse.Namespace) -> int:
    cli.setup_django()
    cli.prepare_database()
    return 0


# -- wuyou backup / wuyou restore ------------------------------------------------------------------


def _configure_backup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output",
        "-o",
        type=Path,
        help=_("the new file to write, or a folder for it (default var/backups/wuyou-<date>-<time>.sqlite3 or .dump)"),
    )


@cli.subcommand(
    "backup",
    gettext_lazy("back the database up while it runs: SQLite's backup API or pg_dump, checked (docs/deploying.md)"),
    configure=_configure_backup,
)
def run_backup(args: argparse.Namespace) -> int:
    cli.setup_django()
    from django.template.defaultfilters import filesizeformat
    from django.utils.translation import gettext as _

    from wuyou.core.backup import BackupError, backup_write

    try:
        report = backup_write(output=args.output)
    except BackupError as error:
        print(f"wuyou backup: {error.message}", file=sys.stderr)
        return error.exit_code
    print(
        _("Backup written: %(path)s (%(size)s, %(bytes)s bytes): %(tables)s tables, %(rows)s rows.")
        % {
            "path": report.path,
            "size": filesizeformat(report.size),
            "bytes": report.size,
            "tables": report.counts.table_count,
            "rows": report.counts.row_count,
        }
    )
    return 0


def _configure_restore(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help=_("a file written by `wuyou backup`"))
    parser.add_argument("--yes", action="store_true", help=_("replace a database that holds data without asking"))


@cli.subcommand(
    "restore",
    gettext_lazy(
        "replace the database with a backup: wuyou restore PATH [--yes] (stop the server first; docs/deploying.md)"
    ),
    configure=_configure_restore,
)
def run_restore(args: argparse.Namespace) -> int:
    cli.setup_django()
    from django.utils.translation import gettext as _

    from wuyou.core.backup import BackupError, backup_restore, confirm_on_terminal

    try:
        report = backup_restore(source=args.path, replace=args.yes, confirm=confirm_on_terminal)
    except BackupError as error:
        print(f"wuyou restore: {error.message}", file=sys.stderr)
        return error.exit_code
    print(
        _("Restored %(path)s into %(database)s: %(tables)s tables, %(rows)s rows.")
        % {
            "path": report.source,
            "database": report.target,
            "tables": report.counts.table_count,
            "rows": report.counts.row_count,
        }
    )
    if report.pending_migrations:
        print(
            _("The backup is older than this code: %(n)s migrations are pending. Run `wuyou migrate` now.")
            % {"n": report.pending_migrations}
        )
    if report.unknown_migrations:
        print(
            _(
                "The backup is newer than this code: it records migrations this code does not have (%(names)s). "
                "Install the release that made it."
            )
            % {"names": ", ".join(report.unknown_migrations[:5])},
            file=sys.stderr,
        )
    return 0


# -- wuyou manage ----------------------------------------------------------------------------------


@cli.subcommand(
    "manage", gettext_lazy("run any Django management command: wuyou manage <command> [options]"), passthrough=True
)
def run_manage(args: argparse.Namespace) -> int:
    cli.setup_django()
    cli.manage(*(args.rest or ["help"]))
    return 0
