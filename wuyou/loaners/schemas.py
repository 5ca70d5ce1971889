"""API schemas of loaners, take-backs and loans (/api/v1/loans)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field

from wuyou.core.schemas import BoundedDate, CleanText, ObjectId

# The TextChoices values spelt out so that the OpenAPI document lists them; a test keeps them in step with models.
LoanerStatusValue = Literal["available", "lent", "in_repair", "retired"]
TakeBackStageValue = Literal["taken", "at_outlet", "in_repair", "repaired", "returned"]
Short = Annotated[CleanText, Field(max_length=100)]


class LoanerOut(Schema):
    """A loaner unit of an outlet's pool."""

    id: int
    serial: str
    outlet_id: int
    product_model_code: str
    product_model_name: str
    status: LoanerStatusValue
    condition: str


class LoanerPage(Schema):
    """One page of loaners."""

    items: list[LoanerOut]
    count: int
    limit: int
    offset: int


class TakeBackOut(Schema):
    """The customer's unit taken for repair; `no_loaner_available` flags a take-back the outlet cannot cover."""

    id: int
    work_order_id: int
    unit_serial: str
    unit_model: str
    stage: TakeBackStageValue
    next_stage: TakeBackStageValue | None
    taken_at: dt.datetime
    receipt_number: str
    signed_by: str
    returned_at: dt.datetime | None
    no_loaner_available: bool


class TakeBackPage(Schema):
    """One page of take-backs, oldest first."""

    items: list[TakeBackOut]
    count: int
    limit: int
    offset: int


class TakeBackIn(Schema):
    """Take the visit's unit away for repair on a receipt the customer signs."""

    work_order_id: ObjectId
    receipt_number: Short
    signed_by: Short


class AdvanceIn(Schema):
    """The stage the customer's unit moves to (the next one)."""

    stage: TakeBackStageValue


class LendIn(Schema):
    """Lend an available loaner of the visit's outlet until a date, on a signed receipt."""

    loaner_id: ObjectId
    due_back_on: BoundedDate
    receipt_number: Short
    signed_by: Short


class LoanOut(Schema):
    """A loaner lent against a take-back; `overdue` once its due-back date has passed unreturned."""

    id: int
    loaner_id: int
    loaner_serial: str
    take_back_id: int
    work_order_id: int
    unit_serial: str
    lent_at: dt.datetime
    due_back_on: dt.date
    receipt_number: str
    signed_by: str
    returned_at: dt.datetime | None
    returned_condition: str
    overdue: bool


class LoanPage(Schema):
    """One page of loans, soonest due first."""

    items: list[LoanOut]
    count: int
    limit: int
    offset: int


class LoanReturnIn(Schema):
    """The loaner is back: its condition."""

    condition: Annotated[CleanText, Field(max_length=1000)] = ""
