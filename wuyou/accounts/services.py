"""Writes for accounts: API tokens and second-factor devices."""

from __future__ import annotations

import logging
import secrets

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from wuyou.accounts.models import ApiToken, Outlet, Role
from wuyou.core.errors import ValidationFailed

log = logging.getLogger("wuyou.security")


def api_token_issue(
    *, name: str, user_id: int, role: str = Role.INTEGRATION, outlet: Outlet | None = None
) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is shown once and stored only hashed."""
    if role not in Role.values:
        raise ValidationFailed(f"unknown role {role!r}", field="role")
    secret = "wy_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            name=name,
            user_id=user_id,
            role=role,
            outlet=outlet,
            prefix=secret[:10],
            token_hash=ApiToken.hash_secret(secret),
        )
    log.info("api token issued id=%s name=%s", token.pk, name)
    return token, secret


def api_token_revoke(*, token: ApiToken) -> None:
    """Revoke a token at once; later requests with it are refused."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    log.info("api token revoked id=%s", token.pk)


def api_token_authenticate(*, secret: str) -> ApiToken | None:
    """The live token for a secret, touching its last-used time (at most once a minute)."""
    if not secret or len(secret) > 200:
        return None
    token = ApiToken.objects.filter(token_hash=ApiToken.hash_secret(secret), revoked_at__isnull=True).first()
    if token is None:
        log.warning("api token refused prefix=%s", secret[:10])
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


# -- second factor (django-otp) ----------------------------------------------------------------------------------

RECOVERY_CODE_COUNT = 10
RECOVERY_DEVICE_NAME = "recovery codes"


def otp_enrolment_start(*, user: AbstractBaseUser) -> TOTPDevice:
    """The user's pending (unconfirmed) authenticator: the one begun before, or a new one with a fresh secret."""
    with transaction.atomic():
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=str(_("Authenticator app")), confirmed=False)
    return device


def otp_enrolment_confirm(*, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm a pending authenticator with its first code; returns the new recovery codes, or None if wrong.

    The confirmed device replaces the user's earlier authenticators and recovery codes (re-enrolment after a lost
    phone), so their remembered-browser cookies stop working too.
    """
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if locked.confirmed or not locked.verify_token(code):
            return None
        locked.confirmed = True
        locked.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user_id=locked.user_id).exclude(pk=locked.pk).delete()
        StaticDevice.objects.filter(user_id=locked.user_id).delete()
        recovery = StaticDevice.objects.create(user_id=locked.user_id, name=RECOVERY_DEVICE_NAME, confirmed=True)
        codes = [StaticToken.random_token() for _n in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create([StaticToken(device=recovery, token=c) for c in codes])
    device.refresh_from_db()
    log.info("second factor enrolled user=%s device=%s", locked.user_id, locked.pk)
    return codes


def otp_device_enrol_confirmed(*, user: AbstractBaseUser, name: str) -> TOTPDevice:
    """A confirmed authenticator set up without a first code (the demo's logins; an administrator's import)."""
    with transaction.atomic():
        device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
    log.info("second factor device created user=%s device=%s", user.pk, device.pk)
    return device
