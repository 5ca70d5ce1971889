"""pytest plugin (loaded by the root conftest): `client.force_login` also passes the second factor.

Tests log staff in with `force_login` to set a scene, not to test the login; for users who must use a second
factor (administrators, head office) it would otherwise end at the code page. So, in tests only, `force_login`
verifies the session with the user's authenticator — a real confirmed django-otp device, created if the user has
none — exactly as the code page does after a right code. The production rule is untouched: a session without a
verified device is still refused. Tests of the second factor itself log in through the login page, or mark
themselves `@pytest.mark.second_factor_unverified` to keep `force_login` plain.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY, user_has_device

TEST_DEVICE_NAME = "test authenticator"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "second_factor_unverified: client.force_login leaves the second factor to be entered"
    )


def verify_session(client: Client, user: Any) -> None:
    """Mark the client's session as verified by the user's authenticator (created if missing)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from wuyou.accounts.twofactor import HAS_DEVICE_SESSION_KEY, totp_device_of

    device = totp_device_of(user) or TOTPDevice.objects.create(user=user, name=TEST_DEVICE_NAME, confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[HAS_DEVICE_SESSION_KEY] = True
    session.save()


@pytest.fixture(autouse=True)
def _force_login_passes_the_second_factor(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.get_closest_marker("second_factor_unverified"):
        yield
        return
    original = Client.force_login

    def force_login(self: Client, user: Any, backend: str | None = None) -> None:
        original(self, user, backend)
        from wuyou.accounts.twofactor import second_factor_required

        if second_factor_required(user) or user_has_device(user):
            verify_session(self, user)

    Client.force_login = force_login  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        Client.force_login = original  # type: ignore[method-assign]
