"""Who is acting: a user or an API token, reduced to a role and a scope that selectors apply."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest

from wuyou.accounts.models import ApiToken, Role, StaffProfile

HEAD_OFFICE_ROLES = frozenset(
    {Role.SERVICE_MANAGER, Role.CLERK, Role.FOLLOW_UP, Role.TECH_SUPERVISOR, Role.ADMIN, Role.INTEGRATION}
)
# Roles that may run the request desk (open, verify, accept, assign, cancel, close).
DESK_ROLES = frozenset(
    {
        Role.SERVICE_MANAGER,
        Role.CLERK,
        Role.FOLLOW_UP,
        Role.TECH_SUPERVISOR,
        Role.OUTLET_MANAGER,
        Role.ADMIN,
        Role.INTEGRATION,
        Role.REGIONAL_MANAGER,
    }
)


class Scope(enum.Enum):
    """How far an actor sees."""

    ALL = "all"
    REGION = "region"
    OUTLET = "outlet"
    OWN_JOBS = "own_jobs"
    NONE = "none"


@dataclass(frozen=True)
class Actor:
    """The acting person or integration, as selectors and services need it."""

    user_id: int | None
    role: str | None
    outlet_id: int | None = None
    region_id: int | None = None
    display_name: str = ""
    token_id: int | None = None

    @property
    def scope(self) -> Scope:
        """Default deny: only a known role with a place in the network sees anything."""
        if self.role is None or self.user_id is None:
            return Scope.NONE
        if self.role == Role.ENGINEER:
            return Scope.OWN_JOBS
        if self.outlet_id is not None:
            return Scope.OUTLET
        if self.role == Role.REGIONAL_MANAGER:
            return Scope.REGION if self.region_id is not None else Scope.NONE
        if self.role in HEAD_OFFICE_ROLES:
            return Scope.ALL
        return Scope.NONE

    @property
    def sees_full_phones(self) -> bool:
        """Head-office desk staff work the hotline and see numbers; others reveal on purpose (logged)."""
        return self.scope is Scope.ALL

    @property
    def can_run_desk(self) -> bool:
        """May open, verify, accept, assign, cancel and close requests in scope."""
        return self.role in DESK_ROLES and self.scope is not Scope.NONE

    @property
    def caller_key(self) -> str:
        """Who owns an Idempotency-Key: a token or a user, never shared between them."""
        return f"token:{self.token_id}" if self.token_id else f"user:{self.user_id}"


NOBODY = Actor(user_id=None, role=None)


def actor_for_user(user: AbstractBaseUser | AnonymousUser) -> Actor:
    """The actor for a logged-in user; superusers without a profile act as administrators."""
    if not user.is_authenticated or not user.is_active:
        return NOBODY
    try:
        profile: StaffProfile = user.staff  # type: ignore[union-attr,attr-defined]
    except StaffProfile.DoesNotExist:
        if getattr(user, "is_superuser", False):
            return Actor(user_id=user.pk, role=Role.ADMIN, display_name=user.get_username())
        return Actor(user_id=user.pk, role=None)
    return Actor(
        user_id=user.pk,
        role=profile.role,
        outlet_id=profile.outlet_id,
        region_id=profile.region_id,
        display_name=profile.display_name,
    )


def actor_for_token(token: ApiToken) -> Actor:
    """The actor for an API token: the token's own role and outlet, recorded as its account."""
    return Actor(
        user_id=token.user_id, role=token.role, outlet_id=token.outlet_id, display_name=token.name, token_id=token.pk
    )


def api_actor(request: HttpRequest) -> Actor:
    """The authenticated actor of an API request (set by the API's authentication classes)."""
    actor: Actor = request.auth  # type: ignore[attr-defined]
    return actor
