"""Reads for accounts, scoped to the acting user."""

from __future__ import annotations

from django.db.models import QuerySet

from wuyou.accounts.actors import Actor, Scope
from wuyou.accounts.models import Outlet, Role, StaffProfile


def outlets_visible(*, actor: Actor) -> QuerySet[Outlet]:
    """The outlets whose work the actor may see."""
    qs = Outlet.objects.select_related("region").filter(is_active=True)
    scope = actor.scope
    if scope is Scope.ALL:
        return qs
    if scope is Scope.REGION and actor.region_id is not None:
        return qs.filter(region_id=actor.region_id)
    if scope in (Scope.OUTLET, Scope.OWN_JOBS) and actor.outlet_id:
        return qs.filter(pk=actor.outlet_id)
    return qs.none()


def engineers_visible(*, actor: Actor, outlet_id: int | None = None) -> QuerySet[StaffProfile]:
    """Engineers the actor may assign work to (own outlet, region or all)."""
    qs = StaffProfile.objects.filter(role=Role.ENGINEER, user__is_active=True).select_related("outlet")
    qs = qs.filter(outlet__in=outlets_visible(actor=actor))
    if actor.scope is Scope.OWN_JOBS and actor.user_id is not None:
        qs = qs.filter(user_id=actor.user_id)
    if outlet_id is not None:
        qs = qs.filter(outlet_id=outlet_id)
    return qs.order_by("outlet__code", "display_name")
