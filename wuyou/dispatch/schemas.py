"""API shapes of field service: visits and their windows, booking options, day plans, the engineer's day, steps."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import AfterValidator, Field, model_validator

from wuyou.core.schemas import EARLIEST_YEAR, LATEST_YEAR, BoundedDate, CleanText, ObjectId
from wuyou.dispatch.services import MAX_WINDOWS, PLAN_SECONDS

# The TextChoices values spelt out so that the OpenAPI document lists them; a test keeps them in step with
# wuyou.dispatch.models and wuyou.dispatch.services (the visit's steps and exceptions: wuyou.fieldservice.schemas).
WorkOrderStatusValue = Literal[
    "unbooked", "booked", "planned", "confirmed", "on_the_way", "on_site", "done", "cancelled"
]
JobTypeValue = Literal["installation", "repair", "maintenance", "delivery", "inspection"]
PlanStatusValue = Literal["queued", "running", "ready", "committed", "failed", "discarded"]
ReasonValue = Literal["no_skill", "no_window", "no_capacity", "deferred", "pinned_unreachable", "by_hand"]

Version = Annotated[int, Field(ge=1, le=2**31 - 1)]
MAX_PARTS = 50


def _check_offset(value: dt.datetime) -> dt.datetime:
    """An appointment is a moment: it must say its UTC offset (the outlet's zone is not the caller's)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(_("Give the time with its UTC offset, e.g. 2026-11-24T09:00+08:00."))
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(
            _("The year must be between %(low)d and %(high)d.") % {"low": EARLIEST_YEAR, "high": LATEST_YEAR}
        )
    return value


OffsetDateTime = Annotated[dt.datetime, AfterValidator(_check_offset)]


class WindowIn(Schema):
    """A time window the customer accepts, as ISO 8601 date-times with offset."""

    start: OffsetDateTime
    end: OffsetDateTime

    @model_validator(mode="after")
    def _ends_after_start(self) -> WindowIn:
        if self.end <= self.start:
            raise ValueError(_("The window must end after it starts."))
        return self


class WorkOrderIn(Schema):
    """A visit to open for a request; what is left out comes from the product's job specification."""

    job_type: JobTypeValue | None = None
    duration_minutes: int | None = Field(None, ge=5, le=600)
    skill_codes: list[Annotated[CleanText, Field(min_length=1, max_length=30)]] | None = Field(None, max_length=20)
    windows: list[WindowIn] = Field(default_factory=list, max_length=MAX_WINDOWS)


class BookIn(Schema):
    """The window(s) the customer accepts: one is the appointment, several let the plan choose."""

    windows: list[WindowIn] = Field(..., min_length=1, max_length=MAX_WINDOWS)
    version: Version | None = None


class CancelIn(Schema):
    """Why the visit is called off."""

    reason: CleanText = Field(..., min_length=1, max_length=200)


class WindowOut(Schema):
    """An offered appointment window."""

    start: dt.datetime
    end: dt.datetime


class PartOut(Schema):
    """A part fitted on the visit, as booked out of the van."""

    code: str
    name: str
    serial: str
    quantity: int


class WorkOrderOut(Schema):
    """A visit; the customer's phone follows the caller's right to see it (masked otherwise)."""

    id: int
    number: str
    request_id: int
    request_number: str
    outlet_id: int
    job_type: str
    status: str
    duration_minutes: int
    skills: list[str]
    customer_name: str
    customer_phone: str
    address: str  # "" where the caller may not see it (an engineer's finished visit)
    latitude: float | None  # with the address only
    longitude: float | None
    window_start: dt.datetime | None
    window_end: dt.datetime | None
    windows: list[WindowOut]
    engineer_id: int | None
    engineer_name: str
    planned_arrival: dt.datetime | None
    planned_start: dt.datetime | None
    planned_end: dt.datetime | None
    route_position: int | None
    travel_minutes: int | None
    pinned: bool
    plan_id: int | None
    confirmed_at: dt.datetime | None
    departed_at: dt.datetime | None
    arrived_at: dt.datetime | None
    finished_at: dt.datetime | None
    diagnosis: str
    work_done: str
    parts_used: list[PartOut]
    take_back_receipt: str
    test_run_ok: bool | None
    test_run_note: str
    quality_rating: int | None
    attitude_rating: int | None
    has_signature: bool
    signed_by: str
    late_minutes: int | None
    version: int
    created_at: dt.datetime


class WorkOrderPage(Schema):
    """One page of work orders."""

    items: list[WorkOrderOut]
    count: int
    limit: int
    offset: int


class BookingSlotOut(Schema):
    """A window the desk may offer; feasible when an engineer with the skills has room nearby."""

    start: dt.datetime
    end: dt.datetime
    feasible: bool
    engineer: str = Field(description="The engineer who would fit it in; empty when none can.")
    extra_travel_minutes: int | None


class BookingOptionsOut(Schema):
    """The next days' slots for a visit."""

    work_order_id: int
    slots: list[BookingSlotOut]


class PlanIn(Schema):
    """Optimise an outlet's day, searching for `seconds`."""

    outlet_id: ObjectId
    day: BoundedDate
    seconds: int = Field(10, ge=PLAN_SECONDS[0], le=PLAN_SECONDS[1])


class PlanAdjustIn(Schema):
    """Move a visit by hand: to an engineer's route at a position (end when left out), or out of the plan (null)."""

    work_order_id: ObjectId
    engineer_id: ObjectId | None
    position: int | None = Field(None, ge=0, le=500)


class PinIn(Schema):
    """Pin a visit to its engineer and time (re-planning keeps it), or release it."""

    work_order_id: ObjectId
    pinned: bool


class PlanVisitOut(Schema):
    """A stop of a proposed route; `travel_minutes` is the drive to it."""

    work_order_id: int
    number: str
    window_start: dt.datetime | None
    window_end: dt.datetime | None
    arrival: dt.datetime
    start: dt.datetime
    departure: dt.datetime
    travel_minutes: int
    pinned: bool


class PlanRouteOut(Schema):
    """One engineer's proposed day in visiting order."""

    engineer_id: int
    engineer_name: str
    leave_at: dt.datetime
    back_at: dt.datetime
    travel_minutes: int
    distance_km: float
    visits: list[PlanVisitOut]


class PlanUnassignedOut(Schema):
    """A visit the plan leaves out, and why."""

    work_order_id: int
    number: str
    reason: str = Field(description="no_skill, no_window, no_capacity, deferred, pinned_unreachable or by_hand.")
    reason_text: str


class PlanOut(Schema):
    """A plan of an outlet's day: its progress while optimising, then the proposal to review, adjust and commit."""

    id: int
    outlet_id: int
    day: dt.date
    status: PlanStatusValue
    progress: float
    seconds: int
    reason: str
    error: str
    routes: list[PlanRouteOut]
    unassigned: list[PlanUnassignedOut]
    travel_minutes: int
    distance_km: float
    feasible: bool | None = Field(description="Null until the proposal is ready.")
    problems: list[str]
    created_at: dt.datetime
    committed_at: dt.datetime | None
