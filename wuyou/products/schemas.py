"""API shapes of serial-numbered units and of the phone/serial lookup."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from wuyou.core.schemas import BoundedDate, CleanText, ObjectId
from wuyou.customers.schemas import CustomerOut


class UnitIn(Schema):
    """A unit as read off its nameplate and the customer's invoice."""

    serial: CleanText = Field(min_length=1, max_length=40)
    model_code: CleanText = Field(min_length=1, max_length=50)
    owner_id: ObjectId
    purchase_date: BoundedDate | None = None
    selling_outlet_id: ObjectId | None = None
    installed_on: BoundedDate | None = None
    install_address_id: ObjectId | None = None


class UnitEventOut(Schema):
    """One line of a unit's own history."""

    id: int
    verb: str
    occurred_at: dt.datetime
    actor_name: str
    data: dict[str, Any]


class UnitOut(Schema):
    """A unit with its model and owner."""

    id: int
    serial: str
    model_code: str
    model_name: str
    category: str
    owner_id: int
    owner_name: str
    purchase_date: dt.date | None
    selling_outlet_id: int | None
    installed_on: dt.date | None
    install_address_id: int | None
    created_at: dt.datetime


class UnitDetailOut(UnitOut):
    """A unit with its history, newest first."""

    history: list[UnitEventOut]


class UnitPage(Schema):
    """One page of units."""

    items: list[UnitOut]
    count: int
    limit: int
    offset: int


class LookupOut(Schema):
    """What a caller's number or a nameplate's serial finds: the customers and their units."""

    customers: list[CustomerOut]
    units: list[UnitOut]
