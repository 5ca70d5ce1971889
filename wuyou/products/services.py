"""Writes for products: registering serial-numbered units (R-B2)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor
from wuyou.accounts.models import Outlet
from wuyou.core.errors import Conflict, PermissionDenied, ValidationFailed
from wuyou.customers.models import Customer, TimelineEntry
from wuyou.customers.services import timeline_record
from wuyou.products.models import ProductModel, Unit, UnitEvent

SERIAL_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9\-]{5,39}$")
EARLIEST_PURCHASE = dt.date(1990, 1, 1)


@dataclass(frozen=True)
class UnitInput:
    """A unit as read off its nameplate and the customer's invoice."""

    serial: str
    model_code: str
    purchase_date: dt.date | None = None
    selling_outlet_id: int | None = None
    installed_on: dt.date | None = None
    install_address_id: int | None = None


def normalise_serial(serial: str) -> str:
    """Serials are compared upper-case without surrounding blanks."""
    return serial.strip().upper()


def _check_dates(data: UnitInput) -> None:
    today = timezone.localdate()
    if data.purchase_date is not None and not EARLIEST_PURCHASE <= data.purchase_date <= today:
        raise ValidationFailed(_("The purchase date must be between 1990-01-01 and today."), field="purchase_date")
    if data.installed_on is not None:
        if data.installed_on > today + dt.timedelta(days=365):
            raise ValidationFailed(_("The installation date is too far ahead."), field="installed_on")
        if data.purchase_date is not None and data.installed_on < data.purchase_date:
            raise ValidationFailed(_("The unit cannot be installed before it was bought."), field="installed_on")


def unit_register(*, actor: Actor, owner: Customer, data: UnitInput) -> Unit:
    """Register a unit to a (visible) owner; a serial already registered is a conflict."""
    if not actor.can_run_desk:
        raise PermissionDenied(_("Your role may not register units."))
    serial = normalise_serial(data.serial)
    if not SERIAL_PATTERN.match(serial):
        raise ValidationFailed(_("A serial number is 6–40 letters, digits or dashes."), field="serial")
    product_model = ProductModel.objects.filter(code=data.model_code.strip()).first()
    if product_model is None:
        raise ValidationFailed(
            _("Unknown product model %(code)s.") % {"code": data.model_code[:50]}, field="model_code"
        )
    _check_dates(data)
    selling_outlet = None
    if data.selling_outlet_id is not None:
        selling_outlet = Outlet.objects.filter(pk=data.selling_outlet_id).first()
        if selling_outlet is None:
            raise ValidationFailed(_("Unknown selling outlet."), field="selling_outlet_id")
    install_address = None
    if data.install_address_id is not None:
        install_address = owner.addresses.filter(pk=data.install_address_id).first()
        if install_address is None:
            raise ValidationFailed(_("The address is not one of the owner's."), field="install_address_id")
    if Unit.objects.filter(serial=serial).exists():
        raise Conflict(_("Serial number %(serial)s is already registered.") % {"serial": serial}, field="serial")
    try:
        with transaction.atomic():
            unit = Unit.objects.create(
                serial=serial,
                product_model=product_model,
                owner=owner,
                purchase_date=data.purchase_date,
                selling_outlet=selling_outlet,
                installed_on=data.installed_on,
                install_address=install_address,
            )
            UnitEvent.objects.create(
                unit=unit,
                verb=UnitEvent.Verb.REGISTERED,
                actor_id=actor.user_id,
                data={"owner_id": owner.pk, "purchase_date": str(data.purchase_date or "")},
            )
            timeline_record(
                customer_id=owner.pk,
                actor=actor,
                kind=TimelineEntry.Kind.UNIT,
                phase=TimelineEntry.Phase.IN_SALES,
                ref_kind="unit",
                ref_id=unit.pk,
                ref_label=serial,
                summary=_("Registered %(model)s, serial %(serial)s") % {"model": product_model.code, "serial": serial},
            )
    except IntegrityError:
        # Two clerks registering the same serial at once: the database's unique index decides.
        raise Conflict(
            _("Serial number %(serial)s is already registered.") % {"serial": serial}, field="serial"
        ) from None
    return unit
