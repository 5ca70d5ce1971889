"""The demo's head-office and admin logins come with an authenticator; `wuyou demo totp <username>` prints its code."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client, override_settings
from django.utils import translation
from django_otp.plugins.otp_totp.models import TOTPDevice

from wuyou import cli
from wuyou.demo.management.commands.demo_totp import demo_code
from wuyou.demo.world import DEMO_AUTHENTICATOR_NAME, DEMO_PASSWORD

TINY = {"customers": 12, "units": 14, "requests": 16, "engineers": 8}
FAST_HASHER = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker) -> Iterator[str]:
    """One tiny demo for the module, rolled back at its end."""
    with django_db_blocker.unblock(), FAST_HASHER, transaction.atomic():
        out = StringIO()
        call_command("load_demo", stdout=out, **TINY)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _each_test_in_a_savepoint(demo_output, db) -> None:
    """Request `db` after the module's demo so that each test's changes are rolled back."""


def test_head_office_and_admin_come_enrolled_outlet_staff_do_not():
    enrolled = set(
        TOTPDevice.objects.filter(name=DEMO_AUTHENTICATOR_NAME, confirmed=True).values_list("user__username", flat=True)
    )
    assert {"manager", "agent", "followup", "supervisor", "admin"} <= enrolled
    assert not {"outlet_clerk", "outlet_manager", "engineer", "sales", "regional", "integration"} & enrolled


def test_the_printout_says_how_to_get_the_code(demo_output):
    assert "wuyou demo totp <username>" in demo_output
    line = next(line for line in demo_output.splitlines() if "wuyou demo totp" in line)
    assert "manager" in line and "admin" in line and "outlet_clerk" not in line


def test_the_printed_code_logs_the_demo_user_in():
    client = Client()
    response = client.post("/login/", {"username": "manager", "password": DEMO_PASSWORD})
    assert response["Location"].startswith("/login/code/")
    out = StringIO()
    call_command("demo_totp", "manager", stdout=out, stderr=StringIO())
    code = out.getvalue().strip()
    assert len(code) == 6 and code.isdigit()
    assert client.post("/login/code/", {"code": code})["Location"] == "/"
    assert client.get("/requests/").status_code == 200


def test_only_demo_authenticators_are_printed():
    with translation.override("en"), pytest.raises(CommandError, match="no demo authenticator"):
        demo_code("outlet_clerk")
    with pytest.raises(CommandError):
        demo_code("nobody-of-that-name")


def test_the_cli_routes_demo_totp_to_the_command(monkeypatch):
    calls: list[tuple[str, ...]] = []
    monkeypatch.setattr(cli, "setup_django", lambda: None)
    monkeypatch.setattr(cli, "manage", lambda *args: calls.append(args))
    assert cli.main(["demo", "totp", "admin"]) == 0
    assert calls == [("demo_totp", "admin")]
