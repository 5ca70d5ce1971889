"""The checks of the rules from the command line: calendar, dispatch solve, policy, fees quote."""

from __future__ import annotations

import argparse
import sys

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

import wuyou.cli as cli  # the registry and helpers, looked up when called

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


@cli.subcommand(
    "calendar",
    gettext_lazy("check the working-day calendar: add-workdays, add-hours, is-workday (wuyou calendar --help)"),
    configure=_configure_calendar,
)
def run_calendar(args: argparse.Namespace) -> int:
    cli.setup_django()
    cli.prepare_database()  # a fresh checkout answers too
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


@cli.subcommand(
    "dispatch",
    gettext_lazy(
        "plan a day from a JSON problem file: wuyou dispatch solve problem.json [--seconds N] [--output plan.json]"
    ),
    passthrough=True,
)
def run_dispatch(args: argparse.Namespace) -> int:
    cli.setup_django()  # no database: the optimiser works on the file alone
    cli.manage("dispatch", *(args.rest or ["--help"]))
    return 0


# -- wuyou policy / wuyou fees --------------------------------------------------------------------


@cli.subcommand(
    "policy",
    gettext_lazy("warranty policies as YAML: wuyou policy load FILE, wuyou policy export [-o FILE] (docs/policies.md)"),
    passthrough=True,
)
def run_policy(args: argparse.Namespace) -> int:
    cli.setup_django()
    if not {"-h", "--help"} & set(args.rest):
        cli.prepare_database()
    cli.manage("policy", *(args.rest or ["--help"]))
    return 0


@cli.subcommand(
    "fees",
    gettext_lazy("quote a job with its explanations: wuyou fees quote --serial S --job-type repair --cause quality …"),
    passthrough=True,
)
def run_fees(args: argparse.Namespace) -> int:
    cli.setup_django()
    if not {"-h", "--help"} & set(args.rest):
        cli.prepare_database()
    rest = list(args.rest)
    if rest[:1] == ["quote"] and not any(a == "--language" or a.startswith("--language=") for a in rest):
        rest += ["--language", cli._language]  # the explanations in the command line's language
    cli.manage("fees", *(rest or ["--help"]))
    return 0
