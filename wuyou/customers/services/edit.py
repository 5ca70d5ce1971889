"""Editing a customer's record: the creation's checks, an optimistic lock against stale forms, an event listing it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor, Scope
from wuyou.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from wuyou.core.locks import version_claim
from wuyou.core.masking import mask_phone
from wuyou.customers.models import Address, ContactWindow, Customer, CustomerPhone, TimelineEntry
from wuyou.customers.selectors import customers_visible
from wuyou.customers.services.archive import (
    AddressInput,
    ContactWindowInput,
    _check_address,
    _parse_phones,
    _require_desk,
    timeline_record,
)


@dataclass(frozen=True)
class AddressEdit(AddressInput):
    """An address of the edited record: `id` names one of his addresses (changed in place), none a new one."""

    id: int | None = None


@dataclass(frozen=True)
class CustomerEdit:
    """What an agent changes on a record; a field left None stays as it is (lists replace the whole list).

    `addresses` are kept by id (a request may point at one): those not listed are removed.
    """

    name: str | None = None
    kind: str | None = None
    contact_person: str | None = None
    phones: list[str] | None = None
    addresses: list[AddressEdit] | None = None
    contact_windows: list[ContactWindowInput] | None = None
    dont_call_at_work: bool | None = None
    consent_service_calls: bool | None = None
    consent_marketing: bool | None = None
    note: str | None = None


def may_edit(actor: Actor, customer: Customer) -> bool:
    """Desk roles edit the records of their own outlet (region, or any at the head office), not a shared one's."""
    if not actor.can_run_desk:
        return False
    if actor.scope is Scope.ALL:
        return True
    if actor.scope is Scope.OUTLET:
        return customer.outlet_id == actor.outlet_id
    if actor.scope is Scope.REGION:
        return customer.outlet.region_id == actor.region_id
    return False


def _flag_text(value: bool) -> str:
    return _("yes") if value else _("no")


def _check(changes: CustomerEdit) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
    """Validate like customer_create; the scalar fields to write and the parsed phones (None: unchanged)."""
    scalars: dict[str, Any] = {}
    if changes.name is not None:
        name = changes.name.strip()
        if not name:
            raise ValidationFailed(_("The name is required."), field="name")
        if len(name) > 100:
            raise ValidationFailed(_("The name is too long (100 characters at most)."), field="name")
        scalars["name"] = name
    if changes.kind is not None:
        if changes.kind not in Customer.Kind.values:
            raise ValidationFailed(_("Unknown customer kind."), field="kind")
        scalars["kind"] = changes.kind
    if changes.contact_person is not None:
        if len(changes.contact_person.strip()) > 100:
            raise ValidationFailed(
                _("The contact person is too long (100 characters at most)."), field="contact_person"
            )
        scalars["contact_person"] = changes.contact_person.strip()
    for flag in ("dont_call_at_work", "consent_service_calls", "consent_marketing"):
        value = getattr(changes, flag)
        if value is not None:
            scalars[flag] = bool(value)
    if changes.note is not None:
        scalars["note"] = changes.note
    phones = None
    if changes.phones is not None:
        if not [p for p in changes.phones if p.strip()]:
            raise ValidationFailed(_("At least one phone number is required."), field="phones")
        phones = _parse_phones([p for p in changes.phones if p.strip()])
    for i, address in enumerate(changes.addresses or []):
        _check_address(address, f"addresses[{i}]")
    for i, window in enumerate(changes.contact_windows or []):
        if window.days not in ContactWindow.Days.values:
            raise ValidationFailed(_("Unknown day set."), field=f"contact_windows[{i}].days")
        if window.ends_at <= window.starts_at:
            raise ValidationFailed(_("The window must end after it starts."), field=f"contact_windows[{i}].ends_at")
    return scalars, phones


def customer_edit(
    *, actor: Actor, customer_id: int, changes: CustomerEdit, expected_version: int | None
) -> tuple[Customer, list[str]]:
    """Change a customer's record; the fields changed (labels), written with one timeline event, or nothing at all.

    Another outlet's customer is NotFound; a stale `expected_version` is a Conflict and changes nothing.
    """
    customer = customers_visible(actor=actor).select_related("outlet").filter(pk=customer_id).first()
    if customer is None:
        raise NotFound("customer not found", field="customer_id")
    _require_desk(actor)
    if not may_edit(actor, customer):
        raise PermissionDenied(_("This customer belongs to another outlet: ask it or the head office to change him."))
    if customer.anonymised_at is not None:
        raise Conflict(_("This customer was anonymised; his record can no longer be edited."))
    if customer.merged_into_id is not None:
        raise Conflict(_("This record was merged into another; edit that one."))
    if expected_version is None:
        raise ValidationFailed(_("Send the version of the record you edited."), field="version")
    scalars, phones = _check(changes)
    own_addresses = {a.pk: a for a in customer.addresses.all()}
    for i, address in enumerate(changes.addresses or []):
        if address.id is not None and address.id not in own_addresses:
            raise ValidationFailed(_("Unknown address of this customer."), field=f"addresses[{i}].id")

    changed: list[str] = []
    lines: list[str] = []
    labels = {f.name: str(f.verbose_name) for f in Customer._meta.get_fields() if hasattr(f, "verbose_name")}
    for name, value in list(scalars.items()):
        old = getattr(customer, name)
        if old == value:
            del scalars[name]
            continue
        changed.append(labels[name])
        if isinstance(value, bool):
            lines.append(f"{labels[name]}: {_flag_text(old)} → {_flag_text(value)}")
        elif name in ("name", "kind", "contact_person"):
            lines.append(f"{labels[name]}: {old} → {value}")
        else:
            lines.append(labels[name])

    with transaction.atomic():
        version_claim(
            customer,
            expected_version=expected_version,
            stale_message=_("Someone else changed this customer meanwhile: reload the record and try again."),
            **scalars,
        )
        if phones is not None:
            before = list(customer.phones.values_list("number", flat=True))
            if before != [n for n, _k in phones]:
                customer.phones.all().delete()
                CustomerPhone.objects.bulk_create(
                    [
                        CustomerPhone(customer=customer, number=n, kind=k, is_primary=i == 0)
                        for i, (n, k) in enumerate(phones)
                    ]
                )
                changed.append(_("phones"))
                lines.append(
                    _("phones: %(old)s → %(new)s")
                    % {
                        "old": ", ".join(mask_phone(n) for n in before),
                        "new": ", ".join(mask_phone(n) for n, _k in phones),
                    }
                )
        if changes.addresses is not None and _addresses_write(customer, changes.addresses, own_addresses):
            changed.append(_("addresses"))
            lines.append(_("addresses"))
        if changes.contact_windows is not None and _windows_write(customer, changes.contact_windows):
            changed.append(_("contact windows"))
            lines.append(_("contact windows"))
        if not changed:
            # Nothing to tell: the claimed version still moved (the form in hand is now the one on record).
            return customer, []
        timeline_record(
            customer_id=customer.pk,
            actor=actor,
            kind=TimelineEntry.Kind.CUSTOMER,
            summary=_("Customer record changed: %(fields)s") % {"fields": ", ".join(changed)},
            body="\n".join(lines),
        )
    return customer, changed


def _addresses_write(customer: Customer, addresses: list[AddressEdit], own: dict[int, Address]) -> bool:
    """Update, add and remove addresses in place (requests keep pointing at theirs); whether anything changed."""
    dirty = False
    kept: set[int] = set()
    for i, a in enumerate(addresses):
        values = {
            "label": a.label,
            "city": a.city.strip(),
            "district": a.district.strip(),
            "detail": a.detail.strip(),
            "latitude": a.latitude,
            "longitude": a.longitude,
            "is_primary": i == 0,
        }
        if a.id is None:
            Address.objects.create(customer=customer, **values)
            dirty = True
            continue
        kept.add(a.id)
        row = own[a.id]
        if any(_differs(getattr(row, k), v) for k, v in values.items()):
            Address.objects.filter(pk=row.pk).update(**values)
            dirty = True
    gone = [pk for pk in own if pk not in kept]
    if gone:
        Address.objects.filter(pk__in=gone).delete()  # a request that pointed there loses its address (SET_NULL)
        dirty = True
    return dirty


def _differs(old: Any, new: Any) -> bool:
    if old is None or new is None:
        return old is not new
    if isinstance(new, float):
        return abs(float(old) - new) > 1e-6
    return bool(old != new)


def _windows_write(customer: Customer, windows: list[ContactWindowInput]) -> bool:
    before = [(w.days, w.starts_at, w.ends_at) for w in customer.contact_windows.order_by("pk")]
    after = [(w.days, w.starts_at, w.ends_at) for w in windows]
    if before == after:
        return False
    customer.contact_windows.all().delete()
    ContactWindow.objects.bulk_create(
        [ContactWindow(customer=customer, days=d, starts_at=s, ends_at=e) for d, s, e in after]
    )
    return True
