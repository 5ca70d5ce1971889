"""API shapes of serial-numbered units and of the phone/serial lookup."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

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


# -- fee quote (R-B3, R-B4) ------------------------------------------------------------------------

Yuan = Annotated[Decimal, Field(max_digits=12, decimal_places=2)]


class QuotePartIn(Schema):
    """A spare part the job needs, with both catalogue prices."""

    code: CleanText = Field(min_length=1, max_length=50)
    name: CleanText = Field(min_length=1, max_length=200)
    cost_price: Yuan
    retail_price: Yuan
    quantity: int = Field(1, ge=-1000, le=1000)
    component: CleanText = Field("whole_unit", min_length=1, max_length=50)


class QuoteIn(Schema):
    """A job to price: the unit, what is wrong, the parts and labour, and the service date."""

    serial: CleanText = Field(min_length=1, max_length=40)
    job_type: CleanText = Field(min_length=1, max_length=30)
    fault_cause: CleanText = Field(min_length=1, max_length=30)
    service_date: BoundedDate
    parts: list[QuotePartIn] = Field(default_factory=list, max_length=100)
    labour_fee: Yuan = Decimal("0.00")
    card_prices: dict[str, Yuan] = Field(default_factory=dict, max_length=100)


class QuoteLineOut(Schema):
    """One priced line and the promise behind it."""

    kind: str
    code: str
    name: str
    quantity: int
    amount: Decimal
    customer_share: Decimal
    rule: str
    policy_version: str
    explanation_key: str
    explanation: str
    notes: list[str]


class QuoteOptionOut(Schema):
    """Return or exchange instead of repair, and until when."""

    kind: str
    eligible: bool
    deadline: dt.date
    explanation: str


class QuoteOut(Schema):
    """A priced job: lines, totals, the customer's options, and the policy version applied."""

    serial: str
    policy: str
    policy_version: str
    lines: list[QuoteLineOut]
    total: Decimal
    customer_total: Decimal
    options: list[QuoteOptionOut]
