"""Reads of the catalogue, of units (scoped to the acting user), of warranty policies and fee quotes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor, Scope
from wuyou.accounts.selectors import scoped_to_actor
from wuyou.core.errors import NotFound, ValidationFailed
from wuyou.customers.selectors import customers_visible, engineer_active_jobs
from wuyou.products.models import ProductModel, Unit, UnitEvent, WarrantyPolicy
from wuyou.products.policy import (
    FAULT_CAUSES,
    JOB_TYPES,
    NATIONAL_THREE_GUARANTEES,
    PartInput,
    Policy,
    PolicyError,
    Quote,
    policy_from_dict,
    quote,
)


def product_models_active() -> QuerySet[ProductModel]:
    """The catalogue, as offered in forms (the catalogue is not personal data: everyone sees it)."""
    return ProductModel.objects.filter(is_active=True).select_related("category").order_by("code")


def units_visible(*, actor: Actor) -> QuerySet[Unit]:
    """Units whose owner the actor may see; engineers see only units on their own jobs."""
    qs = Unit.objects.select_related("product_model", "product_model__category", "owner", "selling_outlet")
    if actor.scope is Scope.ALL:
        return qs
    if actor.scope is Scope.OWN_JOBS:
        jobs = engineer_active_jobs(actor.user_id or 0)  # his active jobs' units only: the archive's one rule
        return qs.none() if jobs is None else qs.filter(pk__in=jobs.values("unit_id"))
    return qs.filter(owner__in=customers_visible(actor=actor))


def unit_get_by_serial(*, actor: Actor, serial: str) -> Unit:
    """A visible unit by serial number (case-insensitive input), or NotFound naming the field."""
    unit = units_visible(actor=actor).filter(serial=serial.strip().upper()).first()
    if unit is None:
        raise NotFound(_("Unknown serial number."), field="serial")
    return unit


def unit_history(*, actor: Actor, unit: Unit) -> QuerySet[UnitEvent]:
    """The unit's own history across owners, newest first, as the actor may see it.

    A unit passes between owners and outlets: the head office sees every line, anyone else the lines written by the
    head office or the system and those of his own outlet (region; an engineer his own), not another outlet's work.
    """
    qs = unit.events.select_related("actor__staff").order_by("-occurred_at", "-id")
    if actor.scope is Scope.ALL:
        return qs
    shared = Q(actor__isnull=True) | Q(actor__staff__isnull=True) | Q(actor__staff__outlet__isnull=True)
    if actor.scope is Scope.OWN_JOBS:
        return qs.filter(shared | Q(actor_id=actor.user_id or 0))
    own = scoped_to_actor(UnitEvent.objects.filter(unit=unit), actor=actor, outlet="actor__staff__outlet")
    return qs.filter(shared | Q(pk__in=own.values("pk")))


def policy_for_unit(unit: Unit) -> Policy:
    """The unit's policy: its model's, else its category's, else the default (三包 if none is stored)."""
    product_model = unit.product_model
    candidates = WarrantyPolicy.objects.filter(is_active=True)
    for kind, code in (
        (WarrantyPolicy.AppliesTo.PRODUCT_MODEL, product_model.code),
        (WarrantyPolicy.AppliesTo.CATEGORY, product_model.category.code),
        (WarrantyPolicy.AppliesTo.DEFAULT, ""),
    ):
        row = candidates.filter(applies_to_kind=kind, applies_to_code=code).order_by("code").first()
        if row is not None:
            return policy_from_dict(row.document)  # stored documents were validated on load
    return NATIONAL_THREE_GUARANTEES


def unit_for_quote(*, actor: Actor, serial: str) -> Unit:
    """The visible unit with this serial; another outlet's unit reads exactly like a missing one (no leak)."""
    try:
        return unit_get_by_serial(actor=actor, serial=serial)
    except NotFound:
        raise ValidationFailed(_("Unknown serial number."), field="serial") from None


def unit_fee_quote(
    unit: Unit,
    *,
    job_type: str,
    fault_cause: str,
    service_date: dt.date,
    parts: Iterable[PartInput] = (),
    labour_fee: Decimal = Decimal("0.00"),
    card_prices: Mapping[str, Decimal] | None = None,
) -> Quote:
    """Price a job on a unit the caller has already found in the actor's scope (e.g. through a visible visit)."""
    if unit.purchase_date is None:
        raise ValidationFailed(_("The unit has no purchase date; record it before quoting."), field="serial")
    # The request's own fields are checked here in the user's language; the pure rules repeat the check in English.
    if service_date < unit.purchase_date:
        message = _("The service date is before the purchase date (%(day)s).") % {"day": unit.purchase_date}
        raise ValidationFailed(message, field="service_date")
    for name, value, allowed in (("job_type", job_type, JOB_TYPES), ("fault_cause", fault_cause, FAULT_CAUSES)):
        if value not in allowed:
            message = _("Choose one of: %(allowed)s.") % {"allowed": ", ".join(allowed)}
            raise ValidationFailed(message, field=name)
    try:
        return quote(
            policy_for_unit(unit),
            purchased_on=unit.purchase_date,
            installed_on=unit.installed_on,
            service_date=service_date,
            job_type=job_type,
            fault_cause=fault_cause,
            parts=parts,
            labour_fee=labour_fee,
            card_prices=card_prices,
        )
    except PolicyError as error:
        first = next(iter(error.errors))
        raise ValidationFailed(
            _("The quote request is invalid: %(path)s: %(message)s") % {"path": first, "message": error.errors[first]},
            errors=error.errors,
            field=first,
        ) from None
