"""Loaner API under /api/v1/loans (R-F5): the pool, take-back repairs, loans; thin over wuyou.loaners."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router

from wuyou.accounts.actors import Actor, api_actor
from wuyou.core.idempotency import idempotent
from wuyou.core.schemas import IdempotencyKey, Limit, ObjectId, Offset, page_of
from wuyou.dispatch.selectors import work_order_get
from wuyou.loaners import services as loaners_services
from wuyou.loaners.models import Loan, LoanerUnit, TakeBack
from wuyou.loaners.schemas import (
    AdvanceIn,
    LendIn,
    LoanerOut,
    LoanerPage,
    LoanOut,
    LoanPage,
    LoanReturnIn,
    TakeBackIn,
    TakeBackOut,
    TakeBackPage,
)
from wuyou.loaners.selectors import (
    loan_get,
    loaners_visible,
    loans_overdue,
    loans_visible,
    take_back_get,
    take_back_next_stage,
    take_backs_open,
    take_backs_short_of_loaner,
    take_backs_visible,
)
from wuyou.loaners.services import loaner_lend, loaner_return, take_back_record

router = Router(tags=["loans"])


def take_back_out(take_back: TakeBack, *, short: set[int]) -> TakeBackOut:
    return TakeBackOut(
        id=take_back.pk,
        work_order_id=take_back.work_order_id,
        unit_serial=take_back.unit.serial,
        unit_model=take_back.unit.product_model.name,
        stage=take_back.stage,  # type: ignore[arg-type]
        next_stage=take_back_next_stage(take_back),  # type: ignore[arg-type]
        taken_at=take_back.taken_at,
        receipt_number=take_back.receipt_number,
        signed_by=take_back.signed_by,
        returned_at=take_back.returned_at,
        no_loaner_available=take_back.pk in short,
    )


def loan_out(loan: Loan) -> LoanOut:
    return LoanOut(
        id=loan.pk,
        loaner_id=loan.loaner_id,
        loaner_serial=loan.loaner.serial,
        take_back_id=loan.take_back_id,
        work_order_id=loan.work_order_id,
        unit_serial=loan.unit.serial,
        lent_at=loan.lent_at,
        due_back_on=loan.due_back_on,
        receipt_number=loan.receipt_number,
        signed_by=loan.signed_by,
        returned_at=loan.returned_at,
        returned_condition=loan.returned_condition,
        overdue=loan.returned_at is None and loan.due_back_on < timezone.localdate(),
    )


def loaner_out(loaner: LoanerUnit) -> LoanerOut:
    return LoanerOut(
        id=loaner.pk,
        serial=loaner.serial,
        outlet_id=loaner.outlet_id,
        product_model_code=loaner.product_model.code,
        product_model_name=loaner.product_model.name,
        status=loaner.status,  # type: ignore[arg-type]
        condition=loaner.condition_note,
    )


def _take_back(actor: Actor, take_back_id: int) -> TakeBackOut:
    found = take_back_get(actor=actor, take_back_id=take_back_id)
    return take_back_out(found, short=take_backs_short_of_loaner([found]))


@router.get("/loaners", response=LoanerPage, summary="Loaner units")
def loaner_list(request: HttpRequest, limit: Limit = 50, offset: Offset = 0) -> LoanerPage:
    """The pool of the caller's outlets (an engineer: his outlet's available loaners)."""
    qs = loaners_visible(actor=api_actor(request)).order_by("outlet__code", "serial")
    return page_of(LoanerPage, qs, loaner_out, limit, offset)


@router.get("/take-backs", response=TakeBackPage, summary="Take-back repairs")
def take_back_list(
    request: HttpRequest,
    open_only: Annotated[bool, Query(alias="open")] = True,
    limit: Limit = 50,
    offset: Offset = 0,
) -> TakeBackPage:
    """Customers' units taken for repair, oldest first (`open=false` includes those returned)."""
    actor = api_actor(request)
    qs = take_backs_open(actor=actor) if open_only else take_backs_visible(actor=actor)
    qs = qs.select_related("work_order").order_by("taken_at", "pk")
    page = list(qs[offset : offset + limit])
    short = take_backs_short_of_loaner(page)
    return TakeBackPage(
        items=[take_back_out(tb, short=short) for tb in page], count=qs.count(), limit=limit, offset=offset
    )


@router.post("/take-backs", response={201: TakeBackOut}, summary="Take a unit back for repair")
@idempotent
def take_back_create(request: HttpRequest, payload: TakeBackIn, idempotency_key: IdempotencyKey = None) -> TakeBackOut:
    """The visit's unit leaves with the service on a signed receipt; with no loaner available the manager is told."""
    actor = api_actor(request)
    wo = work_order_get(actor=actor, work_order_id=payload.work_order_id)
    take_back = take_back_record(
        actor=actor, work_order=wo, receipt_number=payload.receipt_number, signed_by=payload.signed_by
    )
    return _take_back(actor, take_back.pk)


@router.get("/take-backs/{take_back_id}", response=TakeBackOut, summary="A take-back repair")
def take_back_detail(request: HttpRequest, take_back_id: ObjectId) -> TakeBackOut:
    """Where the customer's unit is."""
    return _take_back(api_actor(request), take_back_id)


@router.post("/take-backs/{take_back_id}/advance", response=TakeBackOut, summary="Move the unit on")
def take_back_advance(request: HttpRequest, take_back_id: ObjectId, payload: AdvanceIn) -> TakeBackOut:
    """To the next stage only: taken → at outlet → in repair → repaired → returned."""
    actor = api_actor(request)
    found = take_back_get(actor=actor, take_back_id=take_back_id)
    loaners_services.take_back_advance(actor=actor, take_back=found, stage=payload.stage)
    return _take_back(actor, take_back_id)


@router.post("/take-backs/{take_back_id}/lend", response={201: LoanOut}, summary="Lend a loaner")
@idempotent
def lend(
    request: HttpRequest, take_back_id: ObjectId, payload: LendIn, idempotency_key: IdempotencyKey = None
) -> LoanOut:
    """Lend an available loaner of the visit's outlet; 409 when it is already out."""
    actor = api_actor(request)
    found = take_back_get(actor=actor, take_back_id=take_back_id)
    loan = loaner_lend(
        actor=actor,
        take_back=found,
        loaner_id=payload.loaner_id,
        due_back_on=payload.due_back_on,
        receipt_number=payload.receipt_number,
        signed_by=payload.signed_by,
    )
    return loan_out(loan_get(actor=actor, loan_id=loan.pk))


@router.get("", response=LoanPage, summary="Loans")
def loan_list(
    request: HttpRequest,
    overdue: bool = False,
    returned: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> LoanPage:
    """Loans out, soonest due first; `overdue=true` only those past their due-back date; `returned=true` all."""
    actor = api_actor(request)
    if overdue:
        qs = loans_overdue(actor=actor)
    else:
        qs = loans_visible(actor=actor).order_by("due_back_on", "pk")
        if not returned:
            qs = qs.filter(returned_at__isnull=True)
    return page_of(LoanPage, qs, loan_out, limit, offset)


@router.get("/{loan_id}", response=LoanOut, summary="A loan")
def loan_detail(request: HttpRequest, loan_id: ObjectId) -> LoanOut:
    """A loan and whether it is overdue."""
    return loan_out(loan_get(actor=api_actor(request), loan_id=loan_id))


@router.post("/{loan_id}/return", response=LoanOut, summary="The loaner is back")
def loan_return(request: HttpRequest, loan_id: ObjectId, payload: LoanReturnIn) -> LoanOut:
    """Close the loan with the loaner's condition; the loaner is available again."""
    actor = api_actor(request)
    found = loan_get(actor=actor, loan_id=loan_id)
    loaner_return(actor=actor, loan=found, condition=payload.condition)
    return loan_out(loan_get(actor=actor, loan_id=loan_id))
