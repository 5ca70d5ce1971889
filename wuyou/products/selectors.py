"""Reads of the catalogue and of units, scoped to the acting user."""

from __future__ import annotations

from django.db.models import QuerySet

from wuyou.accounts.actors import Actor, Scope
from wuyou.core.errors import NotFound
from wuyou.customers.selectors import customers_visible
from wuyou.products.models import ProductModel, Unit, UnitEvent


def product_models_active() -> QuerySet[ProductModel]:
    """The catalogue, as offered in forms (the catalogue is not personal data: everyone sees it)."""
    return ProductModel.objects.filter(is_active=True).select_related("category").order_by("code")


def units_visible(*, actor: Actor) -> QuerySet[Unit]:
    """Units whose owner the actor may see; engineers see only units on their own jobs."""
    qs = Unit.objects.select_related("product_model", "product_model__category", "owner", "selling_outlet")
    if actor.scope is Scope.ALL:
        return qs
    if actor.scope is Scope.OWN_JOBS:
        return qs.filter(pk__in=Unit.objects.filter(requests__assignee__user_id=actor.user_id or 0).values("pk"))
    return qs.filter(owner__in=customers_visible(actor=actor))


def unit_get_by_serial(*, actor: Actor, serial: str) -> Unit:
    """A visible unit by serial number (case-insensitive input), or NotFound naming the field."""
    unit = units_visible(actor=actor).filter(serial=serial.strip().upper()).first()
    if unit is None:
        raise NotFound("unknown serial number", field="serial")
    return unit


def unit_history(*, unit: Unit) -> QuerySet[UnitEvent]:
    """The unit's own history across owners, newest first."""
    return unit.events.select_related("actor__staff").order_by("-occurred_at", "-id")
