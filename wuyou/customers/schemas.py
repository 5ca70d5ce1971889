"""API shapes of the customer archive: what clients send and what they get back."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field

from wuyou.core.schemas import CleanText, ObjectId

# The TextChoices values, spelt out so that the OpenAPI document lists them (a test keeps them in step).
CustomerKindValue = Literal["person", "company"]
ContactDaysValue = Literal["any", "weekdays", "weekend"]
PhaseValue = Literal["pre", "in", "after"]


class AddressIn(Schema):
    """An address as typed at intake; coordinates are optional but must be on the globe."""

    city: CleanText = Field(min_length=1, max_length=50)
    district: CleanText = Field("", max_length=50)
    detail: CleanText = Field(min_length=1, max_length=200)
    label: CleanText = Field("", max_length=30)
    latitude: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False)
    longitude: float | None = Field(None, ge=-180, le=180, allow_inf_nan=False)


class ContactWindowIn(Schema):
    """When the customer prefers to be called or visited."""

    days: ContactDaysValue = "any"
    starts_at: dt.time
    ends_at: dt.time


class CustomerIn(Schema):
    """A new customer with phones, addresses and contact windows."""

    kind: CustomerKindValue = "person"
    name: CleanText = Field(min_length=1, max_length=100)
    contact_person: CleanText = Field("", max_length=100)
    phones: list[CleanText] = Field(min_length=1, max_length=10)
    addresses: list[AddressIn] = Field(default_factory=list, max_length=20)
    contact_windows: list[ContactWindowIn] = Field(default_factory=list, max_length=10)
    outlet_id: ObjectId | None = None
    dont_call_at_work: bool = False
    consent_service_calls: bool = True
    consent_marketing: bool = False
    note: CleanText = Field("", max_length=4000)
    file_anyway: bool = Field(
        False, description="File even though a customer you can see already has one of these phones (else 409)."
    )


class NoteIn(Schema):
    """A call note for the customer's timeline."""

    summary: CleanText = Field(min_length=1, max_length=500)
    body: CleanText = Field("", max_length=10000)
    channel: CleanText = Field("hotline", max_length=20)
    phase: PhaseValue = "after"


class RevealIn(Schema):
    """Why the full numbers are needed; every reveal is logged."""

    reason: CleanText = Field(min_length=1, max_length=200)


class PhoneOut(Schema):
    """A phone number as this caller may see it (masked unless revealed or allowed)."""

    number: str
    kind: str
    label: str
    is_primary: bool
    masked: bool


class AddressOut(Schema):
    """One of the customer's addresses: masked (street hidden, no map point) where the caller's work needs none."""

    id: int
    label: str
    city: str
    district: str
    detail: str
    full_text: str
    latitude: float | None
    longitude: float | None
    is_primary: bool
    masked: bool = False


class ContactWindowOut(Schema):
    """A preferred contact window, local wall-clock times as "HH:MM" (no zone: they repeat every day)."""

    days: str
    starts_at: str = Field(pattern=r"^\d{2}:\d{2}$", examples=["20:00"])
    ends_at: str = Field(pattern=r"^\d{2}:\d{2}$", examples=["21:00"])


class CustomerOut(Schema):
    """A customer's card."""

    id: int
    kind: str
    name: str
    contact_person: str
    outlet_id: int
    outlet_name: str
    phones: list[PhoneOut]
    addresses: list[AddressOut]
    contact_windows: list[ContactWindowOut]
    dont_call_at_work: bool
    consent_service_calls: bool
    consent_marketing: bool
    note: str
    created_at: dt.datetime
    version: int = Field(description='The record\'s version: send it back as `version` or `If-Match: "<version>"`.')


class CustomerPage(Schema):
    """One page of customers."""

    items: list[CustomerOut]
    count: int
    limit: int
    offset: int


class TimelineEntryOut(Schema):
    """One line of the customer's timeline."""

    id: int
    occurred_at: dt.datetime
    phase: str
    kind: str
    channel: str
    summary: str
    body: str
    actor_name: str
    ref_kind: str
    ref_id: int | None
    ref_label: str


class TimelinePage(Schema):
    """Timeline entries newest first; pass `next_before_id` as `before_id` for the next page."""

    items: list[TimelineEntryOut]
    limit: int
    next_before_id: int | None


class RevealedPhones(Schema):
    """The customer's full numbers, revealed on purpose (the reveal is logged)."""

    customer_id: int
    phones: list[str]
    revealed_at: dt.datetime


class AddressEditIn(AddressIn):
    """An address of the edited record: with the `id` of one of his addresses it is changed in place, else added."""

    id: ObjectId | None = None


class CustomerPatchIn(Schema):
    """The fields to change (absent ones stay); a list replaces the whole list (addresses not sent are removed)."""

    version: int | None = Field(None, ge=1, le=2**31, description='The version edited; or send `If-Match: "<n>"`.')
    kind: CustomerKindValue | None = None
    name: CleanText | None = Field(None, min_length=1, max_length=100)
    contact_person: CleanText | None = Field(None, max_length=100)
    phones: list[CleanText] | None = Field(None, min_length=1, max_length=10)
    addresses: list[AddressEditIn] | None = Field(None, max_length=20)
    contact_windows: list[ContactWindowIn] | None = Field(None, max_length=10)
    dont_call_at_work: bool | None = None
    consent_service_calls: bool | None = None
    consent_marketing: bool | None = None
    note: CleanText | None = Field(None, max_length=4000)


class MergeIn(Schema):
    """The duplicate record to merge into this one (head-office service manager)."""

    other_id: ObjectId


class MovedOut(Schema):
    label: str
    count: int


class MergeOut(Schema):
    """The surviving record and what moved to it."""

    customer: CustomerOut
    moved: list[MovedOut]
