"""`wuyou demo totp <username>`: the current 6-digit code of a demo login's authenticator (the demo only)."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from wuyou.demo.world import DEMO_AUTHENTICATOR_NAME


def demo_code(username: str, *, at: float | None = None) -> tuple[str, int]:
    """The code the demo authenticator of `username` shows now, and the seconds it stays valid.

    Only devices the demo created are read: a real user's authenticator is never printed.
    """
    device = (
        TOTPDevice.objects.filter(user__username=username, name=DEMO_AUTHENTICATOR_NAME, confirmed=True)
        .order_by("-pk")
        .first()
    )
    if device is None:
        raise CommandError(
            _("%(username)s has no demo authenticator: only the demo's head-office and admin logins have one.")
            % {"username": username}
        )
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if at is None else at
    code = f"{totp.token():0{device.digits}d}"
    left = device.step - int(totp.time - device.t0) % device.step
    return code, left


class Command(BaseCommand):
    help = "Print the current one-time code of a demo login's authenticator (head-office and admin demo logins)."

    def add_arguments(self, parser: CommandParser | ArgumentParser) -> None:
        parser.add_argument("username", help="a demo login, e.g. manager, agent or admin")

    def handle(self, *args: Any, **options: Any) -> None:
        code, left = demo_code(options["username"])
        self.stdout.write(code)
        if options["verbosity"] > 0:
            self.stderr.write(_("valid for %(seconds)d more seconds") % {"seconds": left})
