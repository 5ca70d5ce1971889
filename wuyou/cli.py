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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

SETTINGS_MODULE = "config.settings"

# The command line speaks one language, for every subcommand (issue 13 item 12): `--language`, else the environment's.
LANGUAGES = ("zh-hans", "en")
_language = "en"  # set by main() before any subcommand runs


def language_from_environment(environ: Mapping[str, str] | None = None) -> str:
    """zh-hans when the locale (LC_ALL, else LC_MESSAGES, else LANG) is Chinese (zh*), else en."""
    environ = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            return "zh-hans" if value.lower().startswith("zh") else "en"
    return "en"


def activate_language() -> None:
    """Make the command line's language Django's active one (help, answers, errors)."""
    from django.utils import translation

    translation.activate(_language)


@dataclass(frozen=True)
class Subcommand:
    """A `wuyou` subcommand: its name, one-line help, how to set up its parser, and what it runs."""

    name: str
    help: str | Promise
    run: Callable[[argparse.Namespace], int]
    configure: Callable[[argparse.ArgumentParser], None] | None = None
    passthrough: bool = False  # hands its remaining arguments on to Django untouched


SUBCOMMANDS: dict[str, Subcommand] = {}


def subcommand(
    name: str,
    help: str | Promise,
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
    activate_language()


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
    parser.add_argument("--host", default="127.0.0.1", help=_("address to listen on (default %(default)s)"))
    parser.add_argument("--port", type=int, default=8000, help=_("port to listen on (default %(default)s)"))
    parser.add_argument("--workers", type=int, default=2, help=_("gunicorn web worker processes (default %(default)s)"))
    parser.add_argument(
        "--task-workers",
        type=int,
        default=1,
        help=_("background task worker processes (db_worker; default %(default)s; 0 for none)"),
    )
    parser.add_argument(
        "--sweepers",
        type=int,
        default=1,
        help=_("deadline sweeper processes (default %(default)s; 0 when another host runs it)"),
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
                        print(
                            _("wuyou: %(name)s exited with status %(status)s; stopping the others")
                            % {"name": name, "status": exited},
                            file=sys.stderr,
                        )
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
    gettext_lazy(
        "migrate, collect static files, then run gunicorn, the task worker and the deadline sweeper until Ctrl-C"
    ),
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
        _(
            "Wuyou is starting on http://%(host)s:%(port)s/ (%(workers)s web workers, %(task_workers)s task workers, "
            "%(sweepers)s deadline sweeper). Ctrl-C stops it."
        )
        % {
            "host": args.host,
            "port": args.port,
            "workers": args.workers,
            "task_workers": args.task_workers,
            "sweepers": args.sweepers,
        },
        flush=True,
    )
    return Supervisor(commands, cwd=base_dir).run()


# -- wuyou demo ------------------------------------------------------------------------------------


@subcommand(
    "demo",
    gettext_lazy(
        "migrate, then load the demo data once and print the demo logins (wuyou demo --help for options); "
        "wuyou demo totp <username>: a demo login's current one-time code"
    ),
    passthrough=True,
)
def run_demo(args: argparse.Namespace) -> int:
    setup_django()
    if args.rest[:1] == ["totp"]:
        manage("demo_totp", *args.rest[1:])
        return 0
    if {"-h", "--help"} & set(args.rest):
        command_help("demo")  # Wuyou's options only, without touching the database
        return 0
    prepare_database()
    manage("load_demo", *args.rest)
    return 0


# -- wuyou sweep -----------------------------------------------------------------------------------


@subcommand(
    "sweep",
    gettext_lazy("run the deadline sweeper: warn and escalate due requests (wuyou sweep --once, --interval S)"),
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
    common.add_argument("--outlet", help=_("an outlet's code: its calendar instead of the organisation's"))
    common.add_argument("--json", action="store_true", help=_("print the answer as JSON"))
    add = checks.add_parser("add-workdays", parents=[common], help=_("the date N working days after a date"))
    add.add_argument("date", help=_("YYYY-MM-DD"))
    add.add_argument("n", help=_("working days to add (0 or more)"))
    hours = checks.add_parser("add-hours", parents=[common], help=_("the moment H business hours after a moment"))
    hours.add_argument("start", help=_('"YYYY-MM-DD HH:MM" on the calendar\'s wall clock'))
    hours.add_argument("hours", help=_("business hours to add (0 or more, fractions allowed)"))
    day = checks.add_parser("is-workday", parents=[common], help=_("whether a date is a working day, and why"))
    day.add_argument("date", help=_("YYYY-MM-DD"))


@subcommand(
    "calendar",
    gettext_lazy("check the working-day calendar: add-workdays, add-hours, is-workday (wuyou calendar --help)"),
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
        labels = {
            "date": _("date"),
            "n": _("working days"),
            "start": _("start"),
            "hours": _("business hours"),
            "outlet": _("outlet"),
        }
        print(f"wuyou calendar: {labels.get(error.field or '', error.field)}: {error.message}", file=sys.stderr)
        return 2
    print(json.dumps(answer.facts, ensure_ascii=False) if args.json else answer.line)
    return 0


# -- wuyou dispatch --------------------------------------------------------------------------------


@subcommand(
    "dispatch",
    gettext_lazy(
        "plan a day from a JSON problem file: wuyou dispatch solve problem.json [--seconds N] [--output plan.json]"
    ),
    passthrough=True,
)
def run_dispatch(args: argparse.Namespace) -> int:
    setup_django()  # no database: the optimiser works on the file alone
    manage("dispatch", *(args.rest or ["--help"]))
    return 0


# -- wuyou policy / wuyou fees --------------------------------------------------------------------


@subcommand(
    "policy",
    gettext_lazy("warranty policies as YAML: wuyou policy load FILE, wuyou policy export [-o FILE] (docs/policies.md)"),
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
    gettext_lazy("quote a job with its explanations: wuyou fees quote --serial S --job-type repair --cause quality …"),
    passthrough=True,
)
def run_fees(args: argparse.Namespace) -> int:
    setup_django()
    if not {"-h", "--help"} & set(args.rest):
        prepare_database()
    rest = list(args.rest)
    if rest[:1] == ["quote"] and not any(a == "--language" or a.startswith("--language=") for a in rest):
        rest += ["--language", _language]  # the explanations in the command line's language
    manage("fees", *(rest or ["--help"]))
    return 0


# -- wuyou migrate ---------------------------------------------------------------------------------


@subcommand("migrate", gettext_lazy("apply database migrations and create the cache table"))
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
        help=_("the new file to write, or a folder for it (default var/backups/wuyou-<date>-<time>.sqlite3 or .dump)"),
    )


@subcommand(
    "backup",
    gettext_lazy("back the database up while it runs: SQLite's backup API or pg_dump, checked (docs/deploying.md)"),
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
    parser.add_argument("path", type=Path, help=_("a file written by `wuyou backup`"))
    parser.add_argument("--yes", action="store_true", help=_("replace a database that holds data without asking"))


@subcommand(
    "restore",
    gettext_lazy(
        "replace the database with a backup: wuyou restore PATH [--yes] (stop the server first; docs/deploying.md)"
    ),
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


@subcommand(
    "manage", gettext_lazy("run any Django management command: wuyou manage <command> [options]"), passthrough=True
)
def run_manage(args: argparse.Namespace) -> int:
    setup_django()
    manage(*(args.rest or ["help"]))
    return 0


# -- wuyou help ------------------------------------------------------------------------------------

# The Django command behind each pass-through subcommand: its help is shown as Wuyou's own (`wuyou demo --help`).
DJANGO_COMMANDS = {"demo": "load_demo", "sweep": "sweep", "dispatch": "dispatch", "policy": "policy", "fees": "fees"}
DJANGO_GENERIC_OPTIONS = frozenset(
    {"--version", "-v", "--settings", "--pythonpath", "--traceback", "--no-color", "--force-color", "--skip-checks"}
)
COMMAND_NOTES: dict[str, Promise] = {
    "demo": gettext_lazy("wuyou demo totp <username> prints a demo login's current one-time code."),
}


def command_help(name: str) -> None:
    """Print a pass-through subcommand's help: prog `wuyou NAME`, its own options, none of Django's generic ones."""
    from django.core.management import get_commands, load_command_class

    django_name = DJANGO_COMMANDS[name]
    command = load_command_class(get_commands()[django_name], django_name)
    command.suppressed_base_arguments = set(DJANGO_GENERIC_OPTIONS)
    parser = command.create_parser("wuyou", name)
    for action in parser._actions:  # --skip-checks is added outside `suppressed_base_arguments`
        if DJANGO_GENERIC_OPTIONS & set(action.option_strings):
            action.help = argparse.SUPPRESS
    parser.description = str(SUBCOMMANDS[name].help)
    if name in COMMAND_NOTES:
        parser.epilog = str(COMMAND_NOTES[name])
    parser.print_help()


def _configure_help(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "topic", nargs="?", metavar="<command>", help=_("a wuyou command, or a Django command (as for wuyou manage)")
    )


@subcommand("help", gettext_lazy("show the help of a command: wuyou help <command>"), configure=_configure_help)
def run_help(args: argparse.Namespace) -> int:
    topic = args.topic
    if topic is None:
        build_parser().print_help()
        return 0
    if topic in DJANGO_COMMANDS:
        command_help(topic)
        return 0
    if topic in SUBCOMMANDS:
        if SUBCOMMANDS[topic].passthrough:
            return SUBCOMMANDS[topic].run(argparse.Namespace(command=topic, rest=["--help"]))
        try:
            build_parser().parse_args([topic, "--help"])
        except SystemExit as exit_:
            return exit_.code if isinstance(exit_.code, int) else 0
        return 0
    setup_django()
    manage("help", topic)  # a Django command: `wuyou manage` tells people to type `wuyou help <subcommand>`
    return 0


# -- entry point -----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The `wuyou` argument parser with one sub-parser per registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="wuyou",
        description=_(
            "Wuyou (无忧) customer-service management: run the server, load the demo, manage the database. "
            "wuyou help <command> shows a command's help."
        ),
    )
    parser.add_argument(  # read by main() before the command name; here for the help
        "--language",
        choices=LANGUAGES,
        help=_("the language of help, answers and errors (default from LC_ALL or LANG: zh* is zh-hans, else en)"),
    )
    commands = parser.add_subparsers(dest="command", metavar="<command>", title=_("commands"))
    for command in SUBCOMMANDS.values():
        text = str(command.help)
        sub = commands.add_parser(command.name, help=text, description=text, add_help=not command.passthrough)
        if command.configure is not None:
            command.configure(sub)
        if command.passthrough:
            sub.add_argument("arguments", nargs="*", help=_("handed on to Django untouched"))
    return parser


def _global_language(arguments: list[str]) -> tuple[str | None, list[str]]:
    """`--language X` (or `--language=X`) given before the command name, and the arguments without it."""
    language = None
    while arguments:
        if arguments[0] == "--language" and len(arguments) > 1:
            language, arguments = arguments[1], arguments[2:]
        elif arguments[0].startswith("--language="):
            language, arguments = arguments[0].split("=", 1)[1], arguments[1:]
        else:
            break
    return language, arguments


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `wuyou` console script: `wuyou [--language L] <command> …`."""
    global _language
    language, arguments = _global_language(list(sys.argv[1:] if argv is None else argv))
    _language = language if language in LANGUAGES else language_from_environment()
    setup_django()  # the language applies to the help too
    from django.utils import translation

    previous = translation.get_language()
    activate_language()
    try:
        if language is not None and language not in LANGUAGES:
            build_parser().error(
                _("--language: %(value)s is not one of %(choices)s")
                % {"value": language, "choices": ", ".join(LANGUAGES)}
            )
        return _run(arguments)
    finally:  # a caller in the same process (tests) keeps its language
        translation.activate(previous) if previous else translation.deactivate()


def _run(arguments: list[str]) -> int:
    if arguments and arguments[0] in SUBCOMMANDS and SUBCOMMANDS[arguments[0]].passthrough:
        # Everything after the name belongs to Django, options included: argparse must not see it.
        name, rest = arguments[0], arguments[1:]
        if rest[:1] in (["-h"], ["--help"]) and name in DJANGO_COMMANDS:
            command_help(name)
            return 0
        return SUBCOMMANDS[name].run(argparse.Namespace(command=name, rest=rest))
    parser = build_parser()
    args = parser.parse_args(arguments)
    if args.command is None:
        parser.print_help()
        return 2
    return SUBCOMMANDS[args.command].run(args)


if __name__ == "__main__":
    sys.exit(main())
