"""Login and the actor in every template."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from wuyou.accounts.actors import actor_for_user


def actor_context(request: HttpRequest) -> dict[str, Any]:
    """Puts `actor` (role and scope of the logged-in user) into every template."""
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {"actor": actor_for_user(user)}
