"""API shapes of the complaint desk (R-G3): a complaint with its disposition and plan, and the inputs that act on it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from ninja import Schema
from pydantic import Field

from wuyou.core.schemas import BoundedDate, CleanText, ObjectId
from wuyou.quality import complaints as rules

Yuan = Annotated[Decimal, Field(max_digits=12, decimal_places=2)]
Version = Annotated[int | None, Field(None, ge=1, description="The version last read; a stale one is 409.")]


class RectificationOut(Schema):
    """One action of the rectification plan."""

    id: int
    action: str
    owner_id: int
    owner: str
    due_on: dt.date
    done_at: dt.datetime | None
    escalation_level: int


class ComplaintOut(Schema):
    """A complaint: what it is about, the promise, the disposition, the approval, the plan."""

    id: int
    request_id: int
    request_number: str
    outlet: str
    channel: str
    status: str
    category: str
    severity: str
    unit_serial: str | None
    about_engineer_id: int | None
    promised_by: dt.datetime | None
    promise_told_at: dt.datetime | None
    promise_script: str
    repeat_of: int | None
    responsible: str
    finding: str
    remedy: str
    remedy_amount: Decimal | None
    approved_at: dt.datetime | None
    disposed_at: dt.datetime | None
    customer_informed_at: dt.datetime | None
    face_to_face_on: dt.date | None
    version: int
    actions: list[RectificationOut] = []


class ComplaintPage(Schema):
    """One page of complaints (without their plans)."""

    items: list[ComplaintOut]
    count: int
    limit: int
    offset: int


class ComplaintIn(Schema):
    """Register the complaint record of a complaint request."""

    request_id: ObjectId
    category: CleanText = Field(max_length=30)
    severity: CleanText = Field("minor", max_length=30)
    unit_id: ObjectId | None = None
    about_engineer_id: ObjectId | None = None


class VersionIn(Schema):
    """An action on a complaint as last read."""

    version: Version = None


class DisposeIn(Schema):
    """The disposition: finding, responsible party (required), remedy and its amount."""

    finding: CleanText = Field("", max_length=rules.FINDING_MAX)
    responsible: CleanText = Field("", max_length=30)
    remedy: CleanText = Field("", max_length=30)
    remedy_amount: Yuan | None = None
    version: Version = None


class FaceToFaceIn(Schema):
    """The date of the manager's face-to-face reply (面复)."""

    face_to_face_on: BoundedDate
    version: Version = None


class RectificationIn(Schema):
    """A new action of the rectification plan."""

    action: CleanText = Field(max_length=rules.ACTION_MAX)
    owner_id: ObjectId
    due_on: BoundedDate


class RectificationDoneIn(Schema):
    """Marking an action done."""

    note: CleanText = Field("", max_length=rules.FINDING_MAX)
