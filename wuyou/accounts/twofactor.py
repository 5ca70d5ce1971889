"""The second factor (TOTP with django-otp): who must use it, whether a request has passed it, remembered devices.

Administrators (superusers, staff of the admin site) and head-office roles (scope ALL) must enter a TOTP code after
their password while `WUYOU_REQUIRE_2FA` is on (the default); anyone who has enrolled a device must too. Until they
have, every staff page, session-authenticated API call and admin page refuses them (`second_factor_step`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare, salted_hmac
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from wuyou.accounts.actors import Scope, actor_for_user

# Session keys: whether the user had a confirmed device when the session began (saves two queries a request).
HAS_DEVICE_SESSION_KEY = "wuyou_has_otp_device"
REMEMBER_COOKIE = "wuyou_otp_remember"
_REMEMBER_SALT = "wuyou.accounts.twofactor.remember"

STEP_VERIFY = "second_factor_verify"
STEP_SETUP = "second_factor_setup"


def second_factor_required(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Administrators and head-office staff must use a second factor (unless WUYOU_REQUIRE_2FA is off)."""
    if not getattr(settings, "WUYOU_REQUIRE_2FA", True) or not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False) or getattr(user, "is_staff", False):
        return True
    return actor_for_user(user).scope is Scope.ALL


def is_verified(user: Any) -> bool:
    """True when django-otp's middleware found the device that verified this session."""
    return getattr(user, "otp_device", None) is not None


def _has_device(request: HttpRequest) -> bool:
    session = request.session
    known = session.get(HAS_DEVICE_SESSION_KEY)
    if known is None:
        known = user_has_device(request.user)
        session[HAS_DEVICE_SESSION_KEY] = known
    return bool(known)


def note_device(request: HttpRequest, *, present: bool) -> None:
    """Record in the session that the user now has (or no longer has) a confirmed device."""
    request.session[HAS_DEVICE_SESSION_KEY] = present


def second_factor_step(request: HttpRequest) -> str | None:
    """The page a logged-in user must pass first: `second_factor_verify`, `second_factor_setup`, or None."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or is_verified(user):
        return None
    required = second_factor_required(user)
    if required or _has_device(request):
        # A required user's device is looked up afresh: the session's note may predate an enrolment or removal.
        return STEP_VERIFY if user_has_device(user) else STEP_SETUP
    return None


def totp_device_of(user: Any) -> TOTPDevice | None:
    """The user's confirmed authenticator app, if any."""
    device: TOTPDevice | None = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()
    return device


def device_for_code(user: Any, code: str) -> TOTPDevice | StaticDevice | None:
    """Six digits are an authenticator code; anything else is tried as a one-time recovery code."""
    if code.isdigit() and len(code) == 6:
        return totp_device_of(user)
    static: StaticDevice | None = StaticDevice.objects.filter(user=user, confirmed=True).first()
    return static


def recovery_codes_left(user: Any) -> int:
    """How many unused recovery codes the user has."""
    return sum(device.token_set.count() for device in StaticDevice.objects.filter(user=user, confirmed=True))


# -- "remember this device" -----------------------------------------------------------------------------------------


def _fingerprint(device: TOTPDevice) -> str:
    """Binds the cookie to the device's secret: re-enrolment or removal makes old cookies worthless."""
    return salted_hmac(_REMEMBER_SALT, f"{device.pk}:{device.key}").hexdigest()[:24]


def remember_days() -> int:
    return max(0, min(30, int(getattr(settings, "WUYOU_OTP_REMEMBER_DAYS", 30))))


def remember_device(response: HttpResponse, device: TOTPDevice) -> None:
    """A signed, HttpOnly cookie that lets this browser skip the code for this user and device."""
    days = remember_days()
    if not days:
        return
    value = f"{device.user_id}:{device.pk}:{_fingerprint(device)}"
    response.set_signed_cookie(
        REMEMBER_COOKIE,
        value,
        salt=_REMEMBER_SALT,
        max_age=days * 86400,
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
        samesite="Lax",
    )


def remembered_device(request: HttpRequest, user: Any) -> TOTPDevice | None:
    """The device this browser was told to remember for `user`, if the cookie is genuine, fresh and still matches."""
    days = remember_days()
    if not days or REMEMBER_COOKIE not in request.COOKIES:
        return None
    try:
        value = request.get_signed_cookie(REMEMBER_COOKIE, salt=_REMEMBER_SALT, max_age=days * 86400)
    except (signing.BadSignature, KeyError):
        return None
    if not value:
        return None
    user_id, _sep, rest = value.partition(":")
    device_id, _sep, fingerprint = rest.partition(":")
    if user_id != str(user.pk) or not device_id.isdigit():
        return None
    device: TOTPDevice | None = TOTPDevice.objects.filter(pk=int(device_id), user=user, confirmed=True).first()
    if device is None or not constant_time_compare(fingerprint, _fingerprint(device)):
        return None
    return device
