"""`wuyou policy load FILE` / `wuyou policy export`: keep warranty policies in a YAML file under version control.

The file format is documented in docs/policies.md. Exit status: 0 on success, 2 when the file is refused
(each fault on stderr, naming its path in the file; nothing is written).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wuyou.accounts.actors import Actor, actor_for_user
from wuyou.accounts.models import Role
from wuyou.core.errors import DomainError
from wuyou.products import services

# Whoever runs the command line can read and write the database directly; it acts as an administrator.
COMMAND_LINE = Actor(user_id=0, role=Role.ADMIN, display_name="command line")


def command_actor(username: str | None) -> Actor:
    """The acting user named by --user, or the command-line operator."""
    if not username:
        return COMMAND_LINE
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"--user: no user {username!r}")
    return actor_for_user(user)


class Command(BaseCommand):
    help = "Load warranty policies from a YAML file (all or nothing) or export the active ones as YAML."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="<action>", required=True)
        load = actions.add_parser("load", help="validate a YAML file of policies and store them all, or none")
        load.add_argument("file", help="the policy file (YAML); - reads standard input")
        load.add_argument("--user", help="act as this user (default: the command-line operator, as administrator)")
        export = actions.add_parser("export", help="print the active policies as YAML")
        export.add_argument("--output", "-o", help="write to this file instead of standard output")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "load":
            self.load(options)
        else:
            text = services.policy_export()
            if options.get("output"):
                Path(options["output"]).write_text(text, encoding="utf-8")
            else:
                self.stdout.write(text, ending="")

    def load(self, options: dict[str, Any]) -> None:
        """Read the file and load it; refuse it with every fault named."""
        name = options["file"]
        try:
            text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{name}: cannot read: {error}", returncode=2) from None
        try:
            stored = services.policy_load(actor=command_actor(options.get("user")), text=text)
        except DomainError as error:
            for path, message in (error.errors or {"file": error.message}).items():
                self.stderr.write(f"{name}: {path}: {message}")
            raise CommandError(f"{name}: refused, nothing was written", returncode=2) from None
        for row in stored:
            target = f"{row.applies_to_kind} {row.applies_to_code}".strip()
            self.stdout.write(f"loaded {row.code} ({target})")
