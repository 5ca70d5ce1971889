"""The `wuyou` command: serve, demo, migrate, and a pass-through to Django's management commands.

Each subcommand is one function registered with `@subcommand`; adding one (e.g. `wuyou sweep`)
means writing a function and, if it takes options, a `configure` function for its parser.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

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


# -- the commands register themselves on import ------------------------------------------------------

from wuyou.cli import checks, data, serve  # noqa: E402  (they need the registry above)
from wuyou.cli.serve import Supervisor, serve_commands  # noqa: E402

__all__ = ["SUBCOMMANDS", "Subcommand", "Supervisor", "checks", "data", "main", "serve", "serve_commands", "subcommand"]


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
