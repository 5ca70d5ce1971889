"""API endpoints for units (register, list, get with history) and the phone/serial lookup."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Query, Router

from wuyou.accounts.actors import Actor, api_actor
from wuyou.core.errors import ValidationFailed
from wuyou.core.idempotency import idempotent
from wuyou.core.phones import InvalidPhone, parse_phone
from wuyou.core.schemas import OFFSET_MAX, PAGE_MAX, CleanText, IdempotencyKey, ObjectId
from wuyou.customers.api import customer_out
from wuyou.customers.selectors import customers_visible
from wuyou.products import selectors, services
from wuyou.products.models import Unit, UnitEvent
from wuyou.products.schemas import (
    LookupOut,
    UnitDetailOut,
    UnitEventOut,
    UnitIn,
    UnitOut,
    UnitPage,
)

router = Router(tags=["units"])
lookup_router = Router(tags=["lookup"])

HISTORY_LIMIT = 200


def unit_out(unit: Unit) -> UnitOut:
    """A unit as the API shows it."""
    return UnitOut(**_unit_fields(unit))


def _unit_fields(unit: Unit) -> dict[str, Any]:
    return {
        "id": unit.pk,
        "serial": unit.serial,
        "model_code": unit.product_model.code,
        "model_name": unit.product_model.name,
        "category": unit.product_model.category.name,
        "owner_id": unit.owner_id,
        "owner_name": unit.owner.name,
        "purchase_date": unit.purchase_date,
        "selling_outlet_id": unit.selling_outlet_id,
        "installed_on": unit.installed_on,
        "install_address_id": unit.install_address_id,
        "created_at": unit.created_at,
    }


def _event_out(event: UnitEvent) -> UnitEventOut:
    user = event.actor
    staff = getattr(user, "staff", None) if user is not None else None  # no profile: AttributeError subclass
    name = staff.display_name if staff is not None else (user.get_username() if user is not None else "")
    return UnitEventOut(
        id=event.pk,
        verb=event.verb,
        occurred_at=event.occurred_at,
        actor_name=name,
        data=event.data if isinstance(event.data, dict) else {},
    )


@router.post("", response={201: UnitOut}, summary="Register a unit")
@idempotent
def unit_create(
    request: HttpRequest,
    payload: UnitIn,
    idempotency_key: IdempotencyKey = None,
) -> UnitOut:
    """Register a serial-numbered unit to a visible owner; a serial already registered is a 409."""
    actor = api_actor(request)
    owner = customers_visible(actor=actor).filter(pk=payload.owner_id).first()
    if owner is None:
        raise ValidationFailed(_("Unknown owner."), field="owner_id")
    unit = services.unit_register(
        actor=actor,
        owner=owner,
        registration=services.UnitInput(
            serial=payload.serial,
            model_code=payload.model_code,
            purchase_date=payload.purchase_date,
            selling_outlet_id=payload.selling_outlet_id,
            installed_on=payload.installed_on,
            install_address_id=payload.install_address_id,
        ),
    )
    return unit_out(unit)


@router.get("", response=UnitPage, summary="List units")
def unit_list(
    request: HttpRequest,
    owner_id: Annotated[ObjectId | None, Query(None)] = None,
    limit: int = Query(50, ge=1, le=PAGE_MAX),
    offset: int = Query(0, ge=0, le=OFFSET_MAX),
) -> UnitPage:
    """Visible units, newest first, optionally of one owner."""
    qs = selectors.units_visible(actor=api_actor(request))
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    qs = qs.order_by("-created_at", "-id")
    return UnitPage(
        items=[unit_out(u) for u in qs[offset : offset + limit]], count=qs.count(), limit=limit, offset=offset
    )


@router.get("/{serial}", response=UnitDetailOut, summary="A unit with its history")
def unit_detail(request: HttpRequest, serial: Annotated[CleanText, Path(max_length=40)]) -> UnitDetailOut:
    """One visible unit by serial number, with its history across owners."""
    actor = api_actor(request)
    unit = selectors.unit_get_by_serial(actor=actor, serial=serial)
    history = [_event_out(e) for e in selectors.unit_history(actor=actor, unit=unit)[:HISTORY_LIMIT]]
    return UnitDetailOut(**_unit_fields(unit), history=history)


def _lookup_by_phone(actor: Actor, phone: str) -> LookupOut:
    try:
        number = parse_phone(phone).number
    except InvalidPhone:
        raise ValidationFailed(
            _("%(value)s is not a mainland mobile (11 digits, 1[3-9]…) or landline (area code + 7–8 digits) number.")
            % {"value": phone[:30]},
            field="phone",
        ) from None
    customers = list(
        customers_visible(actor=actor)
        .filter(phones__number=number)
        .distinct()
        .select_related("outlet")
        .prefetch_related("phones", "addresses", "contact_windows")
        .order_by("name", "pk")[:PAGE_MAX]
    )
    units = (
        selectors.units_visible(actor=actor)
        .filter(owner__in=[c.pk for c in customers])
        .order_by("owner_id", "-created_at")[:PAGE_MAX]
    )
    return LookupOut(customers=[customer_out(actor, c) for c in customers], units=[unit_out(u) for u in units])


def _lookup_by_serial(actor: Actor, serial: str) -> LookupOut:
    units = list(selectors.units_visible(actor=actor).filter(serial=services.normalise_serial(serial))[:1])
    customers = (
        customers_visible(actor=actor)
        .filter(pk__in=[u.owner_id for u in units])
        .select_related("outlet")
        .prefetch_related("phones", "addresses", "contact_windows")
        if units
        else []
    )
    return LookupOut(customers=[customer_out(actor, c) for c in customers], units=[unit_out(u) for u in units])


@lookup_router.get("", response=LookupOut, summary="Look up a caller's number or a serial number")
def lookup(
    request: HttpRequest,
    phone: Annotated[
        CleanText | None, Query(None, max_length=40, description="Mobile or landline, e.g. 13812341234.")
    ] = None,
    serial: Annotated[CleanText | None, Query(None, max_length=40, description="A unit's serial number.")] = None,
) -> LookupOut:
    """Give exactly one of `phone` or `serial`: the visible customers and units it finds (empty if none)."""
    if (phone is None) == (serial is None):
        message = _("Give exactly one of phone or serial.")
        raise ValidationFailed(message, errors={"phone": message, "serial": message}, field="phone")
    actor = api_actor(request)
    if phone is not None:
        return _lookup_by_phone(actor, phone)
    return _lookup_by_serial(actor, serial or "")
