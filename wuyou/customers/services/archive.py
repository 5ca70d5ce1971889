"""Writes to the customer archive and its timeline: filing customers, call notes, the timeline, reveals."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor, Scope
from wuyou.accounts.models import Outlet
from wuyou.accounts.selectors import outlets_visible
from wuyou.core import geocoding
from wuyou.core.bulk import rows_insert
from wuyou.core.errors import PermissionDenied, ValidationFailed
from wuyou.core.geo import check_coordinates, great_circle_km
from wuyou.core.phones import InvalidPhone, parse_phone
from wuyou.customers.models import (
    Address,
    ContactWindow,
    Customer,
    CustomerPhone,
    PersonalDataReveal,
    TimelineEntry,
)

audit_log = logging.getLogger("wuyou.audit")


@dataclass(frozen=True)
class AddressInput:
    """An address as typed at intake."""

    city: str
    detail: str
    district: str = ""
    label: str = ""
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class ContactWindowInput:
    days: str
    starts_at: dt.time
    ends_at: dt.time


@dataclass(frozen=True)
class CustomerInput:
    """A new customer as captured by an agent or an integration."""

    name: str
    phones: list[str]
    kind: str = Customer.Kind.PERSON
    contact_person: str = ""
    addresses: list[AddressInput] = field(default_factory=list)
    contact_windows: list[ContactWindowInput] = field(default_factory=list)
    outlet_id: int | None = None
    dont_call_at_work: bool = False
    consent_service_calls: bool = True
    consent_marketing: bool = False
    note: str = ""


def _require_desk(actor: Actor) -> None:
    if not actor.can_run_desk:
        raise PermissionDenied(_("Your role may not change the customer archive."))


def _parse_phones(numbers: list[str], field_name: str = "phones") -> list[tuple[str, str]]:
    parsed: list[tuple[str, str]] = []
    for i, raw in enumerate(numbers):
        try:
            phone = parse_phone(raw)
        except InvalidPhone:
            raise ValidationFailed(
                _("%(value)s is not a mainland mobile (1[3-9] + 9 digits) or landline (area code + 7–8 digits).")
                % {"value": raw[:30]},
                field=f"{field_name}[{i}]",
            ) from None
        if phone.number not in {p for p, _k in parsed}:
            parsed.append((phone.number, phone.kind))
    return parsed


def _check_address(address: AddressInput, prefix: str) -> None:
    errors = {f"{prefix}.{k}": v for k, v in check_coordinates(address.latitude, address.longitude).items()}
    if not address.city.strip():
        errors[f"{prefix}.city"] = _("The city is required.")
    if not address.detail.strip():
        errors[f"{prefix}.detail"] = _("The street address is required.")
    if errors:
        raise ValidationFailed(next(iter(errors.values())), errors=errors, field=next(iter(errors)))


def address_geocode(address: AddressInput) -> tuple[AddressInput, str]:
    """The address with its map point and the point's precision: as typed (precision blank), placed from its text by
    the geocoder (wuyou.core.geocoding), or left without a point when the geocoder cannot tell where it is."""
    if address.latitude is not None and address.longitude is not None:
        return address, ""
    placement = geocoding.locate(address.city, address.district, address.detail)
    if placement is None:
        return address, ""
    placed = replace(address, latitude=round(placement.latitude, 6), longitude=round(placement.longitude, 6))
    return placed, placement.precision


def nearest_outlet(*, latitude: float | None, longitude: float | None, candidates: list[Outlet]) -> Outlet | None:
    """The located candidate outlet closest to a point; None when the point or every outlet's location is unknown."""
    located = [o for o in candidates if o.latitude is not None and o.longitude is not None]
    if latitude is None or longitude is None or not located:
        return None
    return min(
        located, key=lambda o: great_circle_km(latitude, longitude, float(o.latitude or 0), float(o.longitude or 0))
    )


def _resolve_outlet(actor: Actor, outlet_id: int | None, address: AddressInput | None) -> Outlet:
    visible = outlets_visible(actor=actor)
    if actor.scope is Scope.OUTLET and actor.outlet_id is not None:
        if outlet_id is not None and outlet_id != actor.outlet_id:
            raise ValidationFailed(_("You can only file customers under your own outlet."), field="outlet_id")
        return visible.get(pk=actor.outlet_id)
    if outlet_id is not None:
        outlet = visible.filter(pk=outlet_id).first()
        if outlet is None:
            raise ValidationFailed(_("Unknown outlet."), field="outlet_id")
        return outlet
    candidates = list(visible)
    if not candidates:
        raise ValidationFailed(_("No outlet is available to serve this customer."), field="outlet_id")
    outlet = nearest_outlet(
        latitude=address.latitude if address else None,
        longitude=address.longitude if address else None,
        candidates=candidates,
    )
    if outlet is None and len(candidates) == 1:
        outlet = candidates[0]  # the only outlet there is: no choice to guess
    if outlet is None:
        # Never guess: the first outlet in the list once filed a 市南区 customer under 城阳.
        raise ValidationFailed(
            _("We could not place this address on the map: choose the outlet that serves it."), field="outlet_id"
        )
    return outlet


def customer_create(*, actor: Actor, profile: CustomerInput) -> Customer:
    """File a new customer with phones, addresses and contact windows; nothing is written on error."""
    _require_desk(actor)
    name = profile.name.strip()
    if not name:
        raise ValidationFailed(_("The name is required."), field="name")
    if len(name) > 100:
        raise ValidationFailed(_("The name is too long (100 characters at most)."), field="name")
    if profile.kind not in Customer.Kind.values:
        raise ValidationFailed(_("Unknown customer kind."), field="kind")
    if not profile.phones:
        raise ValidationFailed(_("At least one phone number is required."), field="phones")
    phones = _parse_phones(profile.phones)
    for i, address in enumerate(profile.addresses):
        _check_address(address, f"addresses[{i}]")
    for i, window in enumerate(profile.contact_windows):
        if window.days not in ContactWindow.Days.values:
            raise ValidationFailed(_("Unknown day set."), field=f"contact_windows[{i}].days")
        if window.ends_at <= window.starts_at:
            raise ValidationFailed(_("The window must end after it starts."), field=f"contact_windows[{i}].ends_at")
    placed = [address_geocode(a) for a in profile.addresses]  # outside the transaction: a web geocoder is slow
    outlet = _resolve_outlet(actor, profile.outlet_id, placed[0][0] if placed else None)
    with transaction.atomic():
        customer = Customer.objects.create(
            kind=profile.kind,
            name=name,
            contact_person=profile.contact_person.strip(),
            outlet=outlet,
            dont_call_at_work=profile.dont_call_at_work,
            consent_service_calls=profile.consent_service_calls,
            consent_marketing=profile.consent_marketing,
            note=profile.note,
        )
        CustomerPhone.objects.bulk_create(
            [CustomerPhone(customer=customer, number=n, kind=k, is_primary=i == 0) for i, (n, k) in enumerate(phones)]
        )
        Address.objects.bulk_create(
            [
                Address(
                    customer=customer,
                    label=a.label,
                    city=a.city.strip(),
                    district=a.district.strip(),
                    detail=a.detail.strip(),
                    latitude=a.latitude,
                    longitude=a.longitude,
                    geo_precision=precision,
                    is_primary=i == 0,
                )
                for i, (a, precision) in enumerate(placed)
            ]
        )
        ContactWindow.objects.bulk_create(
            [
                ContactWindow(customer=customer, days=w.days, starts_at=w.starts_at, ends_at=w.ends_at)
                for w in profile.contact_windows
            ]
        )
        timeline_record(
            customer_id=customer.pk,
            actor=actor,
            kind=TimelineEntry.Kind.CUSTOMER,
            summary=_("Customer filed at %(outlet)s") % {"outlet": outlet.name},
        )
    return customer


def customer_note_add(
    *,
    actor: Actor,
    customer: Customer,
    summary: str,
    body: str = "",
    channel: str = "hotline",
    phase: str = TimelineEntry.Phase.AFTER_SALES,
) -> TimelineEntry:
    """Write a call note on the customer's timeline."""
    if actor.scope is Scope.NONE:
        raise PermissionDenied(_("You may not write notes."))
    summary = summary.strip()
    if not summary:
        raise ValidationFailed(_("The note is empty."), field="summary")
    if len(summary) > 500:
        raise ValidationFailed(
            _("Keep the summary under 500 characters; put the rest in the details."), field="summary"
        )
    if phase not in TimelineEntry.Phase.values:
        raise ValidationFailed(_("Unknown phase."), field="phase")
    return timeline_record(
        customer_id=customer.pk,
        actor=actor,
        kind=TimelineEntry.Kind.NOTE,
        summary=summary,
        body=body,
        channel=channel[:20],
        phase=phase,
    )


def timeline_record(
    *,
    customer_id: int,
    actor: Actor | None,
    kind: str,
    summary: str,
    body: str = "",
    channel: str = "",
    phase: str = TimelineEntry.Phase.AFTER_SALES,
    ref_kind: str = "",
    ref_id: int | None = None,
    ref_label: str = "",
    occurred_at: dt.datetime | None = None,
    outlet_id: int | None = None,
) -> TimelineEntry:
    """Append a line to a customer's timeline; other apps call this inside their own transaction.

    `outlet_id`: where the line was written (it shows there and at the head office); default the actor's outlet.
    """
    return TimelineEntry.objects.create(
        customer_id=customer_id,
        outlet_id=outlet_id if outlet_id is not None else (actor.outlet_id if actor else None),
        occurred_at=occurred_at or timezone.now(),
        kind=kind,
        summary=summary[:500],
        body=body,
        channel=channel,
        phase=phase,
        actor_id=actor.user_id if actor else None,
        ref_kind=ref_kind,
        ref_id=ref_id,
        ref_label=ref_label,
    )


@dataclass(frozen=True)
class TimelineLine:
    """One line for `timeline_record_many`, as `timeline_record` would write it."""

    customer_id: int
    outlet_id: int | None
    kind: str
    summary: str
    phase: str = TimelineEntry.Phase.AFTER_SALES
    ref_kind: str = ""
    ref_id: int | None = None
    ref_label: str = ""
    body: str = ""
    channel: str = ""


def timeline_record_many(*, actor: Actor | None, lines: Sequence[TimelineLine], at: dt.datetime) -> None:
    """Append many lines at once (a bulk job such as the daily sample draw), in the caller's transaction."""
    rows_insert(
        TimelineEntry,
        [
            {
                "customer_id": line.customer_id,
                "outlet_id": line.outlet_id if line.outlet_id is not None else (actor.outlet_id if actor else None),
                "occurred_at": at,
                "kind": line.kind,
                "summary": line.summary[:500],
                "body": line.body,
                "channel": line.channel,
                "phase": line.phase,
                "actor_id": actor.user_id if actor else None,
                "ref_kind": line.ref_kind,
                "ref_id": line.ref_id,
                "ref_label": line.ref_label,
            }
            for line in lines
        ],
        now=at,
    )


def customer_reveal_phones(*, actor: Actor, customer: Customer, reason: str) -> list[str]:
    """Show a customer's full numbers on purpose, logging who, whose, when and why."""
    if actor.user_id is None or actor.scope is Scope.NONE:
        raise PermissionDenied(_("You may not reveal personal data."))
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(_("Say why you need the full number."), field="reason")
    PersonalDataReveal.objects.create(customer=customer, actor_id=actor.user_id, field="phones", reason=reason[:200])
    return list(customer.phones.values_list("number", flat=True))
