"""API shapes of the engineer's day and the steps of a visit."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field

from wuyou.core.schemas import CleanText
from wuyou.core.signatures import MAX_SIGNATURE_CHARS
from wuyou.dispatch.schemas import MAX_PARTS, Version
from wuyou.fieldservice.steps import LATE_MINUTES_RANGE

# The names of wuyou.fieldservice.steps spelt out so that the OpenAPI document lists them; a test keeps them in step.
StepValue = Literal[
    "confirm_call",
    "on_the_way",
    "arrived",
    "diagnosis",
    "work_done",
    "parts_used",
    "take_back",
    "test_run",
    "rating",
    "done",
]
ExceptionValue = Literal["nobody_home", "entry_refused", "running_late", "compensation", "hand_back"]


class StopOut(Schema):
    """A stop of the engineer's day; `phone` is given only while the visit is active for him."""

    work_order_id: int
    number: str
    status: str
    job_type: str
    route_position: int | None
    customer_name: str
    phone: str | None
    phone_visible: bool
    address: str  # "" where the caller may not see it (an engineer's finished visit)
    latitude: float | None  # with the address only
    longitude: float | None
    product_model: str
    symptom: str
    window_start: dt.datetime | None
    window_end: dt.datetime | None
    leave_at: dt.datetime | None
    planned_arrival: dt.datetime | None
    planned_start: dt.datetime | None
    planned_end: dt.datetime | None
    travel_minutes: int | None
    duration_minutes: int
    late_minutes: int | None
    version: int


class MyDayOut(Schema):
    """The acting engineer's jobs of a day in route order."""

    day: dt.date
    stops: list[StopOut]


class PartIn(Schema):
    """A part fitted from the van: catalogue code, serial number (serialised parts), quantity."""

    code: CleanText = Field(..., min_length=1, max_length=40)
    serial: CleanText = Field("", max_length=60)
    quantity: int = Field(1, ge=1, le=99)


class StepIn(Schema):
    """What the engineer enters for a step; only the fields of that step are read."""

    note: CleanText = Field("", max_length=4000)
    parts: list[PartIn] = Field(default_factory=list, max_length=MAX_PARTS)
    receipt: CleanText = Field("", max_length=40)
    test_run_ok: bool | None = None
    quality: int | None = Field(None, ge=1, le=5)
    attitude: int | None = Field(None, ge=1, le=5)
    signature: CleanText = Field("", max_length=MAX_SIGNATURE_CHARS, description="data:image/png;base64,…")
    signed_by: CleanText = Field("", max_length=50)
    not_sure_fixed: bool = Field(
        False, description="done: the engineer is not sure it is fully fixed (callback in 3 h)"
    )
    no_time_for_test_run: bool = Field(False, description="done: no time for a test run (callback in 3 h)")
    version: Version | None = None


class ExceptionIn(Schema):
    """An exception on a visit; a note is required except for running late, which says how late."""

    note: CleanText = Field("", max_length=4000)
    late_minutes: int | None = Field(None, ge=LATE_MINUTES_RANGE[0], le=LATE_MINUTES_RANGE[1])
    version: Version | None = None
