"""`manage.py load_demo` (or `wuyou demo`): load the Qingdao demo once and print its logins."""

from __future__ import annotations

import os
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from wuyou.core.errors import DomainError
from wuyou.demo.services import DemoLogin, DemoScale, demo_is_loaded, demo_load, demo_token_issue
from wuyou.demo.world import DEMO_AUTHENTICATOR_NAME, DEMO_PASSWORD


def _port_from_environment() -> int:
    """WUYOU_PORT (set by `make run` from PORT), else 8000: where the printed API example points."""
    text = os.environ.get("WUYOU_PORT", "")
    return int(text) if text.isdigit() and 0 < int(text) < 65536 else 8000


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    """Load the demo: 海信达电器 in Qingdao, ~2,000 customers, ~3,000 units, ~500 requests."""

    help = (
        "Load the demo organisation (海信达电器, Qingdao) with its network, staff, customers, units and requests; "
        "does nothing if it is loaded already. Demo-only password: " + DEMO_PASSWORD
    )

    def add_arguments(self, parser: CommandParser | ArgumentParser) -> None:
        defaults = DemoScale()
        parser.add_argument(
            "--customers",
            type=_non_negative,
            default=defaults.customers,
            help=_("number of customers (default %(default)s)"),
        )
        parser.add_argument(
            "--units",
            type=_non_negative,
            default=defaults.units,
            help=_("number of product units (default %(default)s)"),
        )
        parser.add_argument(
            "--requests",
            type=_non_negative,
            default=defaults.requests,
            help=_("number of service requests (default %(default)s)"),
        )
        parser.add_argument(
            "--engineers",
            type=_non_negative,
            default=defaults.engineers,
            help=_("number of engineers, spread over the 8 outlets (default %(default)s)"),
        )
        parser.add_argument("--seed", type=int, default=defaults.seed, help=_("random seed (default %(default)s)"))
        parser.add_argument(
            "--port",
            type=int,
            default=_port_from_environment(),
            help=_(
                "the port `wuyou serve` listens on, for the API example printed with the token "
                "(default: WUYOU_PORT, else 8000)"
            ),
        )
        parser.add_argument(
            "--new-token",
            action="store_true",
            help=_("issue a new API token for the demo integration (also when already loaded)"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        scale = DemoScale(
            customers=options["customers"],
            units=options["units"],
            requests=options["requests"],
            engineers=options["engineers"],
            seed=options["seed"],
        )
        already = demo_is_loaded()
        progress = self._progress if options["verbosity"] > 1 else None
        try:
            result = demo_load(scale=scale, progress=progress)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if already:
            self.stdout.write("The demo is loaded already (organisation “haixin” exists); nothing was added.")
        else:
            counts = ", ".join(f"{n} {what}" for what, n in result.counts.items())
            self.stdout.write(self.style.SUCCESS(f"Demo loaded in {result.seconds:.1f} s: {counts}."))
        self._print_logins(result.logins)
        secret = result.token_secret
        if options["new_token"] and secret is None:
            secret = demo_token_issue()
        if secret:
            self.stdout.write("")
            self.stdout.write("API token for the demo integration (shown once; stored only hashed):")
            self.stdout.write(f"    {secret}")
            self.stdout.write(
                f"    try: curl -H 'Authorization: Bearer <token>' http://127.0.0.1:{options['port']}/api/v1/requests"
            )
        else:
            self.stdout.write(
                "An API token was printed when the demo was first loaded; `wuyou demo --new-token` issues another."
            )

    def _progress(self, line: str) -> None:
        self.stdout.write(f"  · {line}")

    def _print_logins(self, logins: list[DemoLogin]) -> None:
        if not logins:
            return
        header = ("username", "password", "role", "outlet / region")
        rows = [(row.username, DEMO_PASSWORD, row.role, row.place) for row in logins]
        widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(3)]
        self.stdout.write("")
        self.stdout.write("Demo logins (demo only — never use this password elsewhere):")
        for row in [header, *rows]:
            cells = [row[i] + " " * (widths[i] - _width(row[i])) for i in range(3)]
            self.stdout.write("  " + "  ".join([*cells, row[3]]))
        with_code = set(
            TOTPDevice.objects.filter(
                name=DEMO_AUTHENTICATOR_NAME, confirmed=True, user__username__in=[row.username for row in logins]
            ).values_list("user__username", flat=True)
        )
        if with_code:
            names = ", ".join(row.username for row in logins if row.username in with_code)
            self.stdout.write(
                f"Second step for {names}: after the password they ask for a one-time code; "
                "`wuyou demo totp <username>` prints it (e.g. `wuyou demo totp manager`)."
            )


def _width(text: str) -> int:
    """Display width in a terminal: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
