"""API endpoints of the customer archive: search/list, create, card, edit, merge, timeline, notes, phone reveal."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Header, Query, Router

from wuyou.accounts.actors import Actor, api_actor
from wuyou.core.errors import ValidationFailed
from wuyou.core.idempotency import idempotent
from wuyou.core.schemas import OFFSET_MAX, PAGE_MAX, CleanText, IdempotencyKey, ObjectId
from wuyou.customers import selectors, services
from wuyou.customers.models import Customer, TimelineEntry
from wuyou.customers.schemas import (
    AddressOut,
    ContactWindowOut,
    CustomerIn,
    CustomerOut,
    CustomerPage,
    CustomerPatchIn,
    MergeIn,
    MergeOut,
    MovedOut,
    NoteIn,
    PhoneOut,
    RevealedPhones,
    RevealIn,
    TimelineEntryOut,
    TimelinePage,
)

router = Router(tags=["customers"])


def phones_out(actor: Actor, customer: Customer, *, job_active: bool = False) -> list[PhoneOut]:
    """The customer's phones as this actor may see them."""
    shown: list[PhoneOut] = []
    for phone in customer.phones.all():
        number = selectors.phone_for_display(actor=actor, number=phone.number, job_active=job_active)
        shown.append(
            PhoneOut(
                number=number,
                kind=phone.kind,
                label=phone.label,
                is_primary=phone.is_primary,
                masked=number != phone.number,
            )
        )
    return shown


def addresses_out(shown_addresses: list[selectors.AddressShown]) -> list[AddressOut]:
    """The customer's addresses as this actor may see them (customers.selectors.addresses_shown)."""
    return [
        AddressOut(
            id=shown.address.pk,
            label=shown.address.label,
            city=shown.address.city,
            district=shown.address.district,
            detail=shown.detail,
            full_text=shown.full_text,
            latitude=shown.latitude,
            longitude=shown.longitude,
            is_primary=shown.address.is_primary,
            masked=shown.masked,
        )
        for shown in shown_addresses
    ]


def customer_out(
    actor: Actor, customer: Customer, addresses: list[selectors.AddressShown] | None = None
) -> CustomerOut:
    """A customer's card for this actor (phones masked unless the actor sees full numbers, addresses as shown)."""
    if addresses is None:
        addresses = selectors.addresses_shown(actor=actor, customer=customer)
    return CustomerOut(
        id=customer.pk,
        kind=customer.kind,
        name=customer.name,
        contact_person=customer.contact_person,
        outlet_id=customer.outlet_id,
        outlet_name=customer.outlet.name,
        phones=phones_out(actor, customer),
        addresses=addresses_out(addresses),
        contact_windows=[
            ContactWindowOut(days=w.days, starts_at=f"{w.starts_at:%H:%M}", ends_at=f"{w.ends_at:%H:%M}")
            for w in customer.contact_windows.all()
        ],
        dont_call_at_work=customer.dont_call_at_work,
        consent_service_calls=customer.consent_service_calls,
        consent_marketing=customer.consent_marketing,
        note=customer.note,
        created_at=customer.created_at,
        version=customer.version,
    )


def _actor_name(entry: TimelineEntry) -> str:
    user = entry.actor
    if user is None:
        return ""
    staff = getattr(user, "staff", None)  # a missing profile raises an AttributeError subclass
    return staff.display_name if staff is not None else user.get_username()


@router.get("", response=CustomerPage, summary="Search or list customers")
def customer_list(
    request: HttpRequest,
    q: Annotated[
        CleanText, Query("", max_length=100, description="Phone, serial number, name or part of an address.")
    ] = "",
    limit: int = Query(50, ge=1, le=PAGE_MAX),
    offset: int = Query(0, ge=0, le=OFFSET_MAX),
) -> CustomerPage:
    """One-box search (`q`) or, without `q`, the visible customers newest first."""
    actor = api_actor(request)
    if q.strip():
        qs = selectors.customer_matches(actor=actor, query=q).order_by("name", "pk")
    else:
        qs = selectors.customers_visible(actor=actor).order_by("-created_at", "-id")
    count = qs.count()
    page = list(
        qs.select_related("outlet").prefetch_related("phones", "addresses", "contact_windows")[offset : offset + limit]
    )
    addresses = selectors.addresses_shown_many(actor=actor, customers=page)
    items = [customer_out(actor, c, addresses[c.pk]) for c in page]
    return CustomerPage(items=items, count=count, limit=limit, offset=offset)


@router.post("", response={201: CustomerOut}, summary="File a new customer")
@idempotent
def customer_create(
    request: HttpRequest,
    payload: CustomerIn,
    idempotency_key: IdempotencyKey = None,
) -> CustomerOut:
    """File a customer with phones, addresses and contact windows (retry-safe with Idempotency-Key)."""
    actor = api_actor(request)
    if not payload.file_anyway:
        services.duplicates_refuse(actor=actor, phones=list(payload.phones))
    created = services.customer_create(
        actor=actor,
        profile=services.CustomerInput(
            name=payload.name,
            phones=list(payload.phones),
            kind=payload.kind,
            contact_person=payload.contact_person,
            addresses=[
                services.AddressInput(
                    city=a.city,
                    detail=a.detail,
                    district=a.district,
                    label=a.label,
                    latitude=a.latitude,
                    longitude=a.longitude,
                )
                for a in payload.addresses
            ],
            contact_windows=[
                services.ContactWindowInput(days=w.days, starts_at=w.starts_at, ends_at=w.ends_at)
                for w in payload.contact_windows
            ],
            outlet_id=payload.outlet_id,
            dont_call_at_work=payload.dont_call_at_work,
            consent_service_calls=payload.consent_service_calls,
            consent_marketing=payload.consent_marketing,
            note=payload.note,
        ),
    )
    # Read back through the actor's scope: a customer filed under another outlet is not shown.
    return customer_out(actor, selectors.customer_get(actor=actor, customer_id=created.pk))


@router.get("/{customer_id}", response=CustomerOut, summary="A customer's card")
def customer_detail(request: HttpRequest, customer_id: ObjectId) -> CustomerOut:
    """One visible customer; phones masked unless the caller sees full numbers."""
    actor = api_actor(request)
    return customer_out(actor, selectors.customer_get(actor=actor, customer_id=customer_id))


@router.get("/{customer_id}/timeline", response=TimelinePage, summary="A customer's timeline")
def customer_timeline(
    request: HttpRequest,
    customer_id: ObjectId,
    before_id: Annotated[ObjectId | None, Query(None, description="Entries older than this entry id.")] = None,
    limit: int = Query(50, ge=1, le=PAGE_MAX),
) -> TimelinePage:
    """Every request, call note and event of the customer, newest first (R-A2)."""
    actor = api_actor(request)
    customer = selectors.customer_get(actor=actor, customer_id=customer_id)
    entries = selectors.customer_timeline(actor=actor, customer=customer, limit=limit, before_id=before_id)
    items = [
        TimelineEntryOut(
            id=e.pk,
            occurred_at=e.occurred_at,
            phase=e.phase,
            kind=e.kind,
            channel=e.channel,
            summary=e.summary,
            body=e.body,
            actor_name=_actor_name(e),
            ref_kind=e.ref_kind,
            ref_id=e.ref_id,
            ref_label=e.ref_label,
        )
        for e in entries
    ]
    return TimelinePage(items=items, limit=limit, next_before_id=items[-1].id if len(items) == limit else None)


@router.post("/{customer_id}/notes", response={201: TimelineEntryOut}, summary="Write a call note")
@idempotent
def customer_note_create(
    request: HttpRequest,
    customer_id: ObjectId,
    payload: NoteIn,
    idempotency_key: IdempotencyKey = None,
) -> TimelineEntryOut:
    """Add a call note to a visible customer's timeline."""
    actor = api_actor(request)
    customer = selectors.customer_get(actor=actor, customer_id=customer_id)
    entry = services.customer_note_add(
        actor=actor,
        customer=customer,
        summary=payload.summary,
        body=payload.body,
        channel=payload.channel,
        phase=payload.phase,
    )
    return TimelineEntryOut(
        id=entry.pk,
        occurred_at=entry.occurred_at,
        phase=entry.phase,
        kind=entry.kind,
        channel=entry.channel,
        summary=entry.summary,
        body=entry.body,
        actor_name=actor.display_name,
        ref_kind=entry.ref_kind,
        ref_id=entry.ref_id,
        ref_label=entry.ref_label,
    )


@router.post("/{customer_id}/phones/reveal", response=RevealedPhones, summary="Reveal full phone numbers")
def customer_phones_reveal(request: HttpRequest, customer_id: ObjectId, payload: RevealIn) -> RevealedPhones:
    """Show a visible customer's full numbers on purpose; who, whose, when and why is logged."""
    actor = api_actor(request)
    customer = selectors.customer_get(actor=actor, customer_id=customer_id)
    numbers = services.customer_reveal_phones(actor=actor, customer=customer, reason=payload.reason)
    return RevealedPhones(customer_id=customer.pk, phones=numbers, revealed_at=timezone.now())


def expected_version(body_version: int | None, if_match: str | None) -> int | None:
    """The version the client last saw: from the body, else from `If-Match: "<version>"`."""
    if body_version is not None or if_match is None:
        return body_version
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not tag.isdigit() or len(tag) > 9:
        raise ValidationFailed(_('If-Match must carry the customer\'s version, e.g. "3".'), field="If-Match")
    return int(tag)


@router.patch("/{customer_id}", response=CustomerOut, summary="Edit a customer's record")
def customer_edit(
    request: HttpRequest,
    customer_id: ObjectId,
    payload: CustomerPatchIn,
    response: HttpResponse,
    if_match: str | None = Header(None, alias="If-Match", max_length=40),
) -> CustomerOut:
    """Change the fields sent, checked as at creation; 409 when the record moved past the version sent."""
    actor = api_actor(request)
    services.customer_edit(
        actor=actor,
        customer_id=customer_id,
        changes=services.CustomerEdit(
            name=payload.name,
            kind=payload.kind,
            contact_person=payload.contact_person,
            phones=None if payload.phones is None else list(payload.phones),
            addresses=None
            if payload.addresses is None
            else [
                services.AddressEdit(
                    id=a.id,
                    city=a.city,
                    detail=a.detail,
                    district=a.district,
                    label=a.label,
                    latitude=a.latitude,
                    longitude=a.longitude,
                )
                for a in payload.addresses
            ],
            contact_windows=None
            if payload.contact_windows is None
            else [
                services.ContactWindowInput(days=w.days, starts_at=w.starts_at, ends_at=w.ends_at)
                for w in payload.contact_windows
            ],
            dont_call_at_work=payload.dont_call_at_work,
            consent_service_calls=payload.consent_service_calls,
            consent_marketing=payload.consent_marketing,
            note=payload.note,
        ),
        expected_version=expected_version(payload.version, if_match),
    )
    customer = selectors.customer_get(actor=actor, customer_id=customer_id)
    response["ETag"] = f'"{customer.version}"'
    return customer_out(actor, customer)


@router.post("/{customer_id}/merge", response=MergeOut, summary="Merge a duplicate into this customer")
def customer_merge(request: HttpRequest, customer_id: ObjectId, payload: MergeIn) -> MergeOut:
    """Move everything of `other_id` to this record and hide the other one (head-office service manager)."""
    actor = api_actor(request)
    survivor, moved = services.customer_merge(actor=actor, survivor_id=customer_id, loser_id=payload.other_id)
    return MergeOut(
        customer=customer_out(actor, selectors.customer_get(actor=actor, customer_id=survivor.pk)),
        moved=[MovedOut(label=m.label, count=m.count) for m in moved],
    )
