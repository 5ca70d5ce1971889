"""The `wuyou` command: serve, demo, migrate, and a pass-through to Django's management commands.

Each subcommand is one function registered with `@subcommand`; adding one (e.g. `wuyou sweep`)
means writing a function and, if it takes options, a `configure` function for its parser.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

SETTINGS_MODULE = "config.settings"


@dataclass(frozen=True)
class Subcommand:
    """A `wuyou` subcommand: its name, one-line help, how to set up its parser, and what it runs."""

    name: str
    help: str
    run: Callable[[argparse.Namespace], int]
    configure: Callable[[argparse.ArgumentParser], None] | None = None
    passthrough: bool = False  # hands its remaining arguments on to Django untouched


SUBCOMMANDS: dict[str, Subcommand] = {}


def subcommand(
    name: str,
    help: str,
    configure: Callable[[argparse.ArgumentParser], None] | None = None,
    passthrough: bool = False,
) -> Callable[[Callable[[argparse.Namespace], int]], Callable[[argparse.Namespace], int]]:
    """Register a function as a `wuyou` subcommand."""

    def register(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        SUBCOMMANDS[name] = Subcommand(name=name, help=help, run=run, configure=configure, passthrough=passthrough)
        return run

    return register


def setup_django() -> None:
    """Point Django at Wuyou's settings (unless the environment names others) and set it up."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    import django

    django.setup()


def manage(*args: str) -> None:
    """Run one Django management command with command-line arguments, as manage.py would."""
    from django.core.management import execute_from_command_line

    execute_from_command_line(["wuyou", *args])


def pending_migrations() -> int:
    """How many migrations the database still lacks (all of them on a fresh checkout)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def prepare_database() -> None:
    """Migrate the database (creating the embedded SQLite file on a fresh checkout) and the cache table."""
    manage("migrate", "--no-input", "--verbosity", "1" if pending_migrations() else "0")
    manage("createcachetable", "--verbosity", "0")


# -- wuyou serve -----------------------------------------------------------------------------------


def _configure_serve(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default %(default)s)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default %(default)s)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn web worker processes (default %(default)s)")
    parser.add_argument(
        "--task-workers",
        type=int,
        default=1,
        help="background task worker processes (db_worker; default %(default)s; 0 for none)",
    )
    parser.add_argument(
        "--sweepers",
        type=int,
        default=1,
        help="deadline sweeper processes (default %(default)s; 0 when another host runs it)",
    )


def serve_commands(
    *, host: str, port: int, workers: int, task_workers: int, base_dir: Path, sweepers: int = 1
) -> list[tuple[str, list[str]]]:
    """The child processes of `wuyou serve`, named: gunicorn, the task workers, the deadline sweeper."""
    python = sys.executable
    web = [
        python,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--chdir",
        str(base_dir),
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        # The access log masks phone numbers and token/key/secret/password values in request lines (ASVS 7.1.1).
        "--logger-class",
        "wuyou.core.gunicorn_logger.MaskingLogger",
        "--graceful-timeout",
        "10",
    ]
    if _gunicorn_knows("--no-control-socket"):
        # gunicorn ≥ 25 opens a control socket at one fixed path per user; two servers would fight over it.
        web.append("--no-control-socket")
    worker = [python, "-m", "django", "db_worker", "--no-reload", "--queue-name", "*"]
    sweeper = [python, "-m", "django", "sweep"]
    return (
        [("web", web)]
        + [(f"task-worker-{n + 1}", worker) for n in range(task_workers)]
        + [(f"sweeper-{n + 1}", sweeper) for n in range(sweepers)]
    )


def _gunicorn_knows(option: str) -> bool:
    from gunicorn.config import KNOWN_SETTINGS

    return any(option in (setting.cli or ()) for setting in KNOWN_SETTINGS)


class Supervisor:
    """Runs child processes together: when one stops, or on Ctrl-C/SIGTERM, all are stopped."""

    def __init__(
        self,
        commands: Sequence[tuple[str, Sequence[str]]],
        *,
        cwd: Path,
        grace_seconds: float = 15.0,
        popen: Callable[..., subprocess.Popen[bytes]] = subprocess.Popen,
    ):
        self.commands = [(name, list(command)) for name, command in commands]
        self.cwd = cwd
        self.grace_seconds = grace_seconds
        self.popen = popen
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.stopping = False

    def request_stop(self, signum: int, frame: FrameType | None = None) -> None:
        """Signal handler: ask the loop to stop the children."""
        self.stopping = True

    def run(self, poll_seconds: float = 0.5) -> int:
        """Start every child, wait until one exits or a stop is requested, then stop the rest."""
        previous = {s: signal.signal(s, self.request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            for name, command in self.commands:
                self.children.append((name, self.popen(command, cwd=self.cwd, env=os.environ.copy())))
            exited: int | None = None
            while not self.stopping and exited is None:
                for name, child in self.children:
                    if child.poll() is not None:
                        exited = child.returncode
                        print(f"wuyou: {name} exited with status {exited}; stopping the others", file=sys.stderr)
                        break
                else:
                    time.sleep(poll_seconds)
            self.stop()
            return 0 if exited is None else (exited or 1)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def stop(self) -> None:
        """SIGTERM to every live child, then SIGKILL to those still alive after the grace period."""
        for _name, child in self.children:
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + self.grace_seconds
        for _name, child in self.children:
            try:
                child.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


@subcommand(
    "serve",
    "migrate, collect static files, then run gunicorn, the task worker and the deadline sweeper until Ctrl-C",
    configure=_configure_serve,
)
def run_serve(args: argparse.Namespace) -> int:
    setup_django()
    from django.conf import settings

    prepare_database()
    manage("collectstatic", "--no-input", "--verbosity", "0")
    base_dir = Path(settings.BASE_DIR)
    commands = serve_commands(
        host=args.host,
        port=args.port,
        workers=args.workers,
        task_workers=args.task_workers,
        base_dir=base_dir,
        sweepers=args.sweepers,
    )
    print(
        f"Wuyou is starting on http://{args.host}:{args.port}/ ({args.workers} web workers, "
        f"{args.task_workers} task workers, {args.sweepers} deadline sweeper). Ctrl-C stops it.",
        flush=True,
    )
    return Supervisor(commands, cwd=base_dir).run()


# -- wuyou demo ------------------------------------------------------------------------------------


@subcommand(
    "demo",
    "migrate, then load the demo data once and print the demo logins (wuyou demo --help for options); "
    "wuyou demo totp <username>: a demo login's current one-time code",
    passthrough=True,
)
def run_demo(args: argparse.Namespace) -> int:
    setup_django()
    if args.rest[:1] == ["totp"]:
        manage("demo_totp", *args.rest[1:])
        return 0
    if not {"-h", "--help"} & set(args.rest):
        prepare_database()
    manage("load_demo", *args.rest)
    return 0


# -- wuyou sweep -----------------------------------------------------------------------------------


@subcommand(
    "sweep",
    "run the deadline sweeper: warn and escalate due requests (wuyou sweep --once, --interval S)",
    passthrough=True,
)
def run_sweep(args: argparse.Namespace) -> int:
    setup_django()
    manage("sweep", *args.rest)
    return 0


# -- wuyou calendar --------------------------------------------------------------------------------


def _configure_calendar(parser: argparse.ArgumentParser) -> None:
    checks = parser.add_subparsers(dest="check", metavar="<check>", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--outlet", help="an outlet's code: its calendar instead of the organisation's")
    common.add_argument("--json", action="store_true", help="print the answer as JSON")
    add = checks.add_parser("add-workdays", parents=[common], help="the date N working days after a date")
    add.add_argument("date", help="YYYY-MM-DD")
    add.add_argument("n", help="working days to add (0 or more)")
    hours = checks.add_parser("add-hours", parents=[common], help="the moment H business hours after a moment")
    hours.add_argument("start", help='"YYYY-MM-DD HH:MM" on the calendar\'s wall clock')
    hours.add_argument("hours", help="business hours to add (0 or more, fractions allowed)")
    day = checks.add_parser("is-workday", parents=[common], help="whether a date is a working day, and why")
    day.add_argument("date", help="YYYY-MM-DD")


@subcommand(
    "calendar",
    "check the working-day calendar: add-workdays, add-hours, is-workday (wuyou calendar --help)",
    configure=_configure_calendar,
)
def run_calendar(args: argparse.Namespace) -> int:
    setup_django()
    prepare_database()  # a fresh checkout answers too
    import json

    from wuyou.accounts.selectors import calendar_for
    from wuyou.calendars import checks
    from wuyou.core.errors import DomainError

    try:
        calendar = calendar_for(actor=None, outlet_code=args.outlet)
        if args.check == "add-workdays":
            answer = checks.answer_add_workdays(calendar, args.date, args.n)
        elif args.check == "add-hours":
            answer = checks.answer_add_hours(calendar, args.start, args.hours)
        else:
            answer = checks.answer_is_workday(calendar, args.date)
    except DomainError as error:
        print(f"wuyou calendar: {error.field}: {error.message}", file=sys.stderr)
        return 2
    print(json.dumps(answer.facts, ensure_ascii=False) if args.json else answer.line)
    return 0


# -- wuyou dispatch --------------------------------------------------------------------------------


@subcommand(
    "dispatch",
    "plan a day from a JSON problem file: wuyou dispatch solve problem.json [--seconds N] [--output plan.json]",
    passthrough=True,
)
def run_dispatch(args: argparse.Namespace) -> int:
    setup_django()  # no database: the optimiser works on the file alone
    manage("dispatch", *(args.rest or ["--help"]))
    return 0


# -- wuyou policy / wuyou fees --------------------------------------------------------------------


@subcommand(
    "policy",
    "warranty policies as YAML: wuyou policy load FILE, wuyou policy export [-o FILE] (docs/policies.md)",
    passthrough=True,
)
def run_policy(args: argparse.Namespace) -> int:
    setup_django()
    if not {"-h", "--help"} & set(args.rest):
        prepare_database()
    manage("policy", *(args.rest or ["--help"]))
    return 0


@subcommand(
    "fees",
    "quote a job with its explanations: wuyou fees quote --serial S --job-type repair --cause quality …",
    passthrough=True,
)
def run_fees(args: argparse.Namespace) -> int:
    setup_django()
    if not {"-h", "--help"} & set(args.rest):
        prepare_database()
    manage("fees", *(args.rest or ["--help"]))
    return 0


# -- wuyou migrate ---------------------------------------------------------------------------------


@subcommand("migrate", "apply database migrations and create the cache table")
def run_migrate(args: argparse.Namespace) -> int:
    setup_django()
    prepare_database()
    return 0


# -- wuyou backup / wuyou restore ------------------------------------------------------------------


def _configure_backup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output",
        "-o",
        type=Path,
        help="the new file to write, or a folder for it (default var/backups/wuyou-<date>-<time>.sqlite3 or .dump)",
    )


@subcommand(
    "backup",
    "back the database up while it runs: SQLite's backup API or pg_dump, checked (docs/deploying.md)",
    configure=_configure_backup,
)
def run_backup(args: argparse.Namespace) -> int:
    setup_django()
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
    parser.add_argument("path", type=Path, help="a file written by `wuyou backup`")
    parser.add_argument("--yes", action="store_true", help="replace a database that holds data without asking")


@subcommand(
    "restore",
    "replace the database with a backup: wuyou restore PATH [--yes] (stop the server first; docs/deploying.md)",
    configure=_configure_restore,
)
def run_restore(args: argparse.Namespace) -> int:
    setup_django()
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


@subcommand("manage", "run any Django management command: wuyou manage <command> [options]", passthrough=True)
def run_manage(args: argparse.Namespace) -> int:
    setup_django()
    manage(*(args.rest or ["help"]))
    return 0


# -- entry point -----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The `wuyou` argument parser with one sub-parser per registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="wuyou",
        description="Wuyou (无忧) customer-service management: run the server, load the demo, manage the database.",
    )
    commands = parser.add_subparsers(dest="command", metavar="<command>", title="commands")
    for command in SUBCOMMANDS.values():
        sub = commands.add_parser(
            command.name, help=command.help, description=command.help, add_help=not command.passthrough
        )
        if command.configure is not None:
            command.configure(sub)
        if command.passthrough:
            sub.add_argument("arguments", nargs="*", help="handed on to Django untouched")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `wuyou` console script."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments and arguments[0] in SUBCOMMANDS and SUBCOMMANDS[arguments[0]].passthrough:
        # Everything after the name belongs to Django, options included: argparse must not see it.
        return SUBCOMMANDS[arguments[0]].run(argparse.Namespace(command=arguments[0], rest=arguments[1:]))
    parser = build_parser()
    args = parser.parse_args(arguments)
    if args.command is None:
        parser.print_help()
        return 2
    return SUBCOMMANDS[args.command].run(args)


if __name__ == "__main__":
    sys.exit(main())
