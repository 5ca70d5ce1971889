"""At login: the session's absolute end (12 hours after login, whatever happens) and its second-factor note."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone
from django_otp import user_has_device

from wuyou.accounts.twofactor import note_device
from wuyou.core.middleware import SessionTimeoutMiddleware


def session_lifetime_seconds() -> int:
    """The absolute session lifetime (WUYOU_SESSION_MAX_SECONDS, 12 hours by default)."""
    return int(getattr(settings, "WUYOU_SESSION_MAX_SECONDS", settings.SESSION_COOKIE_AGE))


@receiver(user_logged_in, dispatch_uid="wuyou.accounts.session_start")
def session_start(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Stamp the login time and fix the session's expiry to an absolute moment (no sliding with activity)."""
    session = getattr(request, "session", None)
    if request is None or session is None:
        return
    lifetime = session_lifetime_seconds()
    session[SessionTimeoutMiddleware.LOGIN_AT_KEY] = int(time.time())
    # A datetime expiry is absolute: re-saving the session (every request) no longer pushes the cookie's end.
    session.set_expiry(timezone.now() + dt.timedelta(seconds=lifetime))
    note_device(request, present=user_has_device(user))
