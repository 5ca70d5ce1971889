"""Writes for accounts: API tokens."""

from __future__ import annotations

import logging
import secrets

from django.db import transaction
from django.utils import timezone

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
