"""API shapes of spare parts (/api/v1/parts), issue 5 item 4.

Input bounds here only keep absurd bodies out; the services in wuyou.parts and wuyou.loaners hold
the rules (quantity 1–999, due date within 90 days, receipts required) and name the field at fault.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field

from wuyou.core.schemas import CleanText, ObjectId

# The TextChoices values spelt out so that the OpenAPI document lists them; a test keeps them in step with models.
StockPlaceKindValue = Literal["outlet", "van", "head_office"]
StockMoveKindValue = Literal["receipt", "transfer_in", "transfer_out", "consumption", "faulty_return", "adjustment"]
RequisitionStatusValue = Literal["requested", "approved", "fulfilled", "rejected"]

Quantity = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]  # the service says 1–999; this keeps the integer sane
PartCode = Annotated[CleanText, Field(min_length=1, max_length=40)]
Note = Annotated[CleanText, Field(max_length=300)]
Short = Annotated[CleanText, Field(max_length=100)]
MAX_LINES = 50


# -- parts ---------------------------------------------------------------------------------------------------------


class CataloguePartOut(Schema):
    """A catalogue part with its cost and retail price (yuan)."""

    id: int
    code: str
    name: str
    unit: str
    cost_price: Decimal
    retail_price: Decimal
    low_stock_level: int
    is_consumable: bool
    active: bool


class CataloguePage(Schema):
    """One page of the catalogue."""

    items: list[CataloguePartOut]
    count: int
    limit: int
    offset: int


class StockPlaceOut(Schema):
    """A place parts are kept: an outlet's store, an engineer's van, the head-office warehouse."""

    id: int
    kind: StockPlaceKindValue
    name: str
    outlet_id: int | None
    engineer_id: int | None


class StockLineOut(Schema):
    """A part's good stock and faulty tally at a place; `low` when at or below the part's low level."""

    place_id: int
    part_code: str
    part_name: str
    quantity: int
    faulty: int
    low_stock_level: int
    low: bool


class StockMoveOut(Schema):
    """One ledger row: a part into (+) or out of (−) a place, and why."""

    id: int
    at: dt.datetime
    kind: StockMoveKindValue
    place_id: int
    part_code: str
    part_name: str
    quantity: int
    serial: str
    work_order_id: int | None
    requisition_id: int | None
    actor_id: int | None
    note: str


class StockMovePage(Schema):
    """One page of a place's ledger, newest first."""

    items: list[StockMoveOut]
    count: int
    limit: int
    offset: int


class ReceiveIn(Schema):
    """Parts arriving from a supplier into an outlet's store or the head-office warehouse."""

    place_id: ObjectId
    part_code: PartCode
    quantity: Quantity
    serial: Annotated[CleanText, Field(max_length=64)] = ""
    note: Note = ""


class StockAdjustIn(Schema):
    """A manager's count: what is on the shelf, and why it differs from the ledger."""

    place_id: ObjectId
    part_code: PartCode
    counted: Quantity
    note: Note


class RequisitionLineIn(Schema):
    """One part and how many of it."""

    part_code: PartCode
    quantity: Quantity


class RequisitionIn(Schema):
    """Ask for parts for a van (from its outlet's store) or a store (from head office)."""

    destination_id: ObjectId
    lines: list[RequisitionLineIn] = Field(..., max_length=MAX_LINES)
    note: Note = ""


class RequisitionLineOut(Schema):
    """A line of a requisition."""

    part_code: str
    part_name: str
    quantity: int


class RequisitionOut(Schema):
    """A requisition, its lines and where it stands."""

    id: int
    status: RequisitionStatusValue
    source_id: int
    source_name: str
    destination_id: int
    destination_name: str
    lines: list[RequisitionLineOut]
    note: str
    requested_by_id: int
    decided_by_id: int | None
    decided_at: dt.datetime | None
    reason: str
    fulfilled_at: dt.datetime | None
    created_at: dt.datetime


class RequisitionPage(Schema):
    """One page of requisitions, newest first."""

    items: list[RequisitionOut]
    count: int
    limit: int
    offset: int


class RejectIn(Schema):
    """Why the requisition is refused."""

    reason: Note


class PartOnVisitIn(Schema):
    """A part used on a visit (out of the engineer's van) or a faulty one brought back (to the outlet's store)."""

    work_order_id: ObjectId
    part_code: PartCode
    quantity: Quantity = 1
    serial: Annotated[CleanText, Field(max_length=64)] = ""
    note: Note = ""
