"""Fixtures of the login tests: a head-office user, an outlet clerk, authenticator codes, a clock."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD, OutletFactory, StaffFactory
from wuyou.accounts.models import Role

START = "2026-03-02 09:00:00+08:00"


def code_of(device: TOTPDevice, *, offset_steps: int = 0) -> str:
    """The code the user's authenticator app shows now (django-otp's own TOTP)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset_steps * device.step
    return f"{totp.token():06d}"


def log_in(client: Any, username: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post("/login/", {"username": username, "password": password}, **extra)


@pytest.fixture
def clock() -> Iterator[Any]:
    """A stopped clock at a fixed moment; `clock.shift(seconds)` moves it."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def hq(db) -> Any:
    """A head-office service manager (scope ALL): must use a second factor."""
    return StaffFactory(user__username="supervisor", role=Role.TECH_SUPERVISOR, outlet=None).user


@pytest.fixture
def hq_device(hq) -> TOTPDevice:
    return TOTPDevice.objects.create(user=hq, name="phone", confirmed=True)


@pytest.fixture
def clerk(db) -> Any:
    """An outlet clerk: no second factor unless she enrols one."""
    return StaffFactory(user__username="clerk", role=Role.CLERK, outlet=OutletFactory()).user
