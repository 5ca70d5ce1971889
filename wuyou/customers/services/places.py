"""Addresses on the map: moving an address's point by hand (docs/geocoding.md; placing at creation: archive.py)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor
from wuyou.core.errors import NotFound, PermissionDenied, ValidationFailed
from wuyou.core.geo import check_coordinates
from wuyou.customers import selectors
from wuyou.customers.models import Address, GeoPrecision, TimelineEntry
from wuyou.customers.services.archive import timeline_record


def address_place(*, actor: Actor, customer_id: int, address_id: int, latitude: float, longitude: float) -> Address:
    """Move an address's map point where the agent put it (precision "manual"), with a line on the timeline.

    Only an address the actor sees whole can be moved: another outlet's customer, or one whose street is masked for
    him, is NotFound (the coordinates would give the street away).
    """
    if not actor.can_run_desk:
        raise PermissionDenied(_("Your role may not change the customer archive."))
    customer = selectors.customer_get(actor=actor, customer_id=customer_id)
    if customer.anonymised_at is not None:
        raise PermissionDenied(_("This customer was anonymised: his addresses stay off the map."))
    shown = next(
        (s for s in selectors.addresses_shown(actor=actor, customer=customer) if s.address.pk == address_id), None
    )
    if shown is None or shown.masked:
        raise NotFound("address not found", field="address_id")
    errors = check_coordinates(latitude, longitude)
    if errors:
        raise ValidationFailed(next(iter(errors.values())), errors=errors, field=next(iter(errors)))
    lat, lon = Decimal(f"{latitude:.6f}"), Decimal(f"{longitude:.6f}")
    with transaction.atomic():
        address = Address.objects.select_for_update().get(pk=address_id, customer_id=customer.pk)
        before = (address.latitude, address.longitude)
        address.latitude, address.longitude, address.geo_precision = lat, lon, GeoPrecision.MANUAL
        address.save(update_fields=["latitude", "longitude", "geo_precision"])
        was = (
            _("not on the map before")
            if before[0] is None or before[1] is None
            else _("was %(lat).5f, %(lon).5f") % {"lat": before[0], "lon": before[1]}
        )
        timeline_record(
            customer_id=customer.pk,
            actor=actor,
            kind=TimelineEntry.Kind.CUSTOMER,
            summary=_("Map point of the address in %(area)s set to %(lat).5f, %(lon).5f (%(was)s)")
            % {"area": f"{address.city}{address.district}", "lat": lat, "lon": lon, "was": was},
        )
    return address
