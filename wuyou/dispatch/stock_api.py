"""Spare-parts API under /api/v1/parts and loaner API under /api/v1/loans (issue 5 items 4 and 5).

Thin over wuyou.dispatch.stock and wuyou.dispatch.loans: selectors scope every read (another outlet's place,
requisition, take-back or loan is a 404), services decide, and their DomainErrors become problem+json naming the
field in config.api. Creating POSTs honour Idempotency-Key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router

from config.api import actor_of
from wuyou.accounts.actors import Actor, Scope
from wuyou.core.idempotency import idempotent
from wuyou.core.schemas import OFFSET_MAX, PAGE_MAX, IdempotencyKey, ObjectId
from wuyou.dispatch import loans, stock
from wuyou.dispatch.models import Loan, LoanerUnit, Requisition, RequisitionLine, StockMove, StockPlace, TakeBack
from wuyou.dispatch.selectors import work_order_get
from wuyou.dispatch.stock_schemas import (
    AdjustIn,
    AdvanceIn,
    CataloguePage,
    CataloguePartOut,
    LendIn,
    LoanerOut,
    LoanerPage,
    LoanOut,
    LoanPage,
    LoanReturnIn,
    PartOnVisitIn,
    ReceiveIn,
    RejectIn,
    RequisitionIn,
    RequisitionLineOut,
    RequisitionOut,
    RequisitionPage,
    RequisitionStatusValue,
    StockLineOut,
    StockMoveOut,
    StockMovePage,
    StockPlaceOut,
    TakeBackIn,
    TakeBackOut,
    TakeBackPage,
)

parts_router = Router(tags=["parts"])
loans_router = Router(tags=["loans"])

Limit = Annotated[int, Query(50, ge=1, le=PAGE_MAX)]
Offset = Annotated[int, Query(0, ge=0, le=OFFSET_MAX)]
PageT = TypeVar("PageT")
ModelT = TypeVar("ModelT", bound=Model)


# -- shaping answers -----------------------------------------------------------------------------------------------


def place_out(place: StockPlace) -> StockPlaceOut:
    return StockPlaceOut(
        id=place.pk,
        kind=place.kind,  # type: ignore[arg-type]
        name=str(place),
        outlet_id=place.outlet_id,
        engineer_id=place.engineer_id,
    )


def line_out(line: stock.StockLine) -> StockLineOut:
    return StockLineOut(
        place_id=line.place.pk,
        part_code=line.part.code,
        part_name=line.part.name,
        quantity=line.quantity,
        faulty=line.faulty,
        low_stock_level=line.part.low_stock_level,
        low=line.is_low,
    )


def move_out(move: StockMove) -> StockMoveOut:
    return StockMoveOut(
        id=move.pk,
        at=move.created_at,
        kind=move.kind,  # type: ignore[arg-type]
        place_id=move.place_id,
        part_code=move.part.code,
        part_name=move.part.name,
        quantity=move.quantity,
        serial=move.serial,
        work_order_id=move.work_order_id,
        requisition_id=move.requisition_id,
        actor_id=move.actor_id,
        note=move.note,
    )


def requisition_out(requisition: Requisition, *, lines: list[RequisitionLine] | None = None) -> RequisitionOut:
    return RequisitionOut(
        id=requisition.pk,
        status=requisition.status,  # type: ignore[arg-type]
        source_id=requisition.source_id,
        source_name=str(requisition.source),
        destination_id=requisition.destination_id,
        destination_name=str(requisition.destination),
        lines=[
            RequisitionLineOut(part_code=line.part.code, part_name=line.part.name, quantity=line.quantity)
            for line in (requisition.lines.all() if lines is None else lines)
        ],
        note=requisition.note,
        requested_by_id=requisition.requested_by_id,
        decided_by_id=requisition.decided_by_id,
        decided_at=requisition.decided_at,
        reason=requisition.reason,
        fulfilled_at=requisition.fulfilled_at,
        created_at=requisition.created_at,
    )


def take_back_out(take_back: TakeBack, *, short: set[int]) -> TakeBackOut:
    return TakeBackOut(
        id=take_back.pk,
        work_order_id=take_back.work_order_id,
        unit_serial=take_back.unit.serial,
        unit_model=take_back.unit.product_model.name,
        stage=take_back.stage,  # type: ignore[arg-type]
        next_stage=loans.take_back_next_stage(take_back),  # type: ignore[arg-type]
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


def _requisition(actor: Actor, requisition_id: int) -> RequisitionOut:
    found = stock.requisition_get(actor=actor, requisition_id=requisition_id)
    lines = found.lines.select_related("part").order_by("part__code")
    return requisition_out(found, lines=list(lines))


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
    found = loans.take_back_get(actor=actor, take_back_id=take_back_id)
    return take_back_out(found, short=loans.take_backs_short_of_loaner([found]))


def _page(
    page: Callable[..., PageT], qs: QuerySet[ModelT], out: Callable[[ModelT], Any], limit: int, offset: int
) -> PageT:
    """One page of `qs` shaped by `out`, with the total count (the lists' common answer)."""
    return page(items=[out(obj) for obj in qs[offset : offset + limit]], count=qs.count(), limit=limit, offset=offset)


# -- parts ---------------------------------------------------------------------------------------------------------


@parts_router.get("", response=CataloguePage, summary="The parts catalogue")
def catalogue(
    request: HttpRequest,
    q: Annotated[str, Query(max_length=100)] = "",
    limit: Limit = 50,
    offset: Offset = 0,
) -> CataloguePage:
    """Active parts with cost and retail prices; `q` searches code and name."""
    qs = stock.parts_catalogue(query=q)
    if actor_of(request).scope is Scope.NONE:  # default deny: a login without a role sees an empty catalogue
        qs = qs.none()
    return _page(CataloguePage, qs, CataloguePartOut.from_orm, limit, offset)


@parts_router.get("/places", response=list[StockPlaceOut], summary="Stock places")
def places(request: HttpRequest) -> list[StockPlaceOut]:
    """Places the caller sees: his outlet's store and vans, an engineer his van, head office all."""
    actor = actor_of(request)
    qs = stock.stock_places_visible(actor=actor).order_by("kind", "outlet__code", "engineer__display_name", "pk")
    return [place_out(p) for p in qs]


@parts_router.get("/places/{place_id}/stock", response=list[StockLineOut], summary="A place's stock levels")
def place_stock(request: HttpRequest, place_id: ObjectId) -> list[StockLineOut]:
    """Every part the place has held: good stock from the ledger, the faulty tally, the low mark."""
    return [line_out(line) for line in stock.stock_levels(actor=actor_of(request), place_id=place_id)]


@parts_router.get("/places/{place_id}/moves", response=StockMovePage, summary="A place's ledger")
def place_moves(request: HttpRequest, place_id: ObjectId, limit: Limit = 50, offset: Offset = 0) -> StockMovePage:
    """The place's stock moves, newest first."""
    qs = stock.stock_moves(actor=actor_of(request), place_id=place_id)
    return _page(StockMovePage, qs, move_out, limit, offset)


@parts_router.get("/low-stock", response=list[StockLineOut], summary="Parts running low")
def low_stock(request: HttpRequest) -> list[StockLineOut]:
    """Active parts at or below their low level in the places the caller sees."""
    return [line_out(line) for line in stock.low_stock(actor=actor_of(request))]


@parts_router.post("/receive", response={201: StockMoveOut}, summary="Book parts in")
@idempotent
def receive(request: HttpRequest, payload: ReceiveIn, idempotency_key: IdempotencyKey = None) -> StockMoveOut:
    """Parts arriving from a supplier into an outlet's store or the head-office warehouse."""
    move = stock.part_receive(
        actor=actor_of(request),
        place_id=payload.place_id,
        part_code=payload.part_code,
        quantity=payload.quantity,
        serial=payload.serial,
        note=payload.note,
    )
    return move_out(move)


@parts_router.post("/adjust", response={201: StockMoveOut}, summary="Correct a count")
@idempotent
def adjust(request: HttpRequest, payload: AdjustIn, idempotency_key: IdempotencyKey = None) -> StockMoveOut:
    """A manager books the counted stock: one adjustment move for the difference, with the reason."""
    move = stock.stock_adjust(
        actor=actor_of(request),
        place_id=payload.place_id,
        part_code=payload.part_code,
        counted=payload.counted,
        note=payload.note,
    )
    return move_out(move)


@parts_router.get("/requisitions", response=RequisitionPage, summary="Requisitions")
def requisition_list(
    request: HttpRequest,
    status: Annotated[RequisitionStatusValue | None, Query()] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> RequisitionPage:
    """Requisitions from or to the caller's places, newest first."""
    qs = stock.requisitions_visible(actor=actor_of(request)).order_by("-created_at", "-pk")
    if status is not None:
        qs = qs.filter(status=status)
    return _page(RequisitionPage, qs.prefetch_related("lines__part"), requisition_out, limit, offset)


@parts_router.post("/requisitions", response={201: RequisitionOut}, summary="Ask for parts")
@idempotent
def requisition_create(
    request: HttpRequest, payload: RequisitionIn, idempotency_key: IdempotencyKey = None
) -> RequisitionOut:
    """A van asks its outlet's store, an outlet's store asks the head-office warehouse; a manager approves."""
    actor = actor_of(request)
    requisition = stock.requisition_request(
        actor=actor,
        destination_id=payload.destination_id,
        lines=[stock.PartQuantity(line.part_code, line.quantity) for line in payload.lines],
        note=payload.note,
    )
    return _requisition(actor, requisition.pk)


@parts_router.get("/requisitions/{requisition_id}", response=RequisitionOut, summary="A requisition")
def requisition_detail(request: HttpRequest, requisition_id: ObjectId) -> RequisitionOut:
    """A requisition, its lines and where it stands."""
    return _requisition(actor_of(request), requisition_id)


@parts_router.post("/requisitions/{requisition_id}/approve", response=RequisitionOut, summary="Approve")
def requisition_approve(request: HttpRequest, requisition_id: ObjectId) -> RequisitionOut:
    """The sending place's manager agrees (requested → approved)."""
    actor = actor_of(request)
    stock.requisition_approve(actor=actor, requisition_id=requisition_id)
    return _requisition(actor, requisition_id)


@parts_router.post("/requisitions/{requisition_id}/reject", response=RequisitionOut, summary="Reject")
def requisition_reject(request: HttpRequest, requisition_id: ObjectId, payload: RejectIn) -> RequisitionOut:
    """The sending place's manager refuses, saying why (requested → rejected)."""
    actor = actor_of(request)
    stock.requisition_reject(actor=actor, requisition_id=requisition_id, reason=payload.reason)
    return _requisition(actor, requisition_id)


@parts_router.post("/requisitions/{requisition_id}/fulfil", response=RequisitionOut, summary="Ship")
def requisition_fulfil(request: HttpRequest, requisition_id: ObjectId) -> RequisitionOut:
    """Ship an approved requisition: the parts leave the source and reach the destination, all or nothing."""
    actor = actor_of(request)
    stock.requisition_fulfil(actor=actor, requisition_id=requisition_id)
    return _requisition(actor, requisition_id)


def _part_on_visit(book: Callable[..., StockMove], request: HttpRequest, payload: PartOnVisitIn) -> StockMoveOut:
    """Book a part moved on a visit (used from the van, or the faulty one returned): both take the same fields."""
    move = book(
        actor=actor_of(request),
        work_order_id=payload.work_order_id,
        part_code=payload.part_code,
        quantity=payload.quantity,
        serial=payload.serial,
        note=payload.note,
    )
    return move_out(move)


@parts_router.post("/consume", response={201: StockMoveOut}, summary="Use a part on a visit")
@idempotent
def consume(request: HttpRequest, payload: PartOnVisitIn, idempotency_key: IdempotencyKey = None) -> StockMoveOut:
    """Book a part out of the visit's engineer's van (a serialised part by its serial); 409 when the van is short."""
    return _part_on_visit(stock.part_consume, request, payload)


@parts_router.post("/return-faulty", response={201: StockMoveOut}, summary="Return a faulty part")
@idempotent
def return_faulty(request: HttpRequest, payload: PartOnVisitIn, idempotency_key: IdempotencyKey = None) -> StockMoveOut:
    """The faulty part taken out on a visit goes to the outlet's store, into its faulty tally."""
    return _part_on_visit(stock.part_return_faulty, request, payload)


# -- loaners -------------------------------------------------------------------------------------------------------


@loans_router.get("/loaners", response=LoanerPage, summary="Loaner units")
def loaner_list(request: HttpRequest, limit: Limit = 50, offset: Offset = 0) -> LoanerPage:
    """The pool of the caller's outlets (an engineer: his outlet's available loaners)."""
    qs = loans.loaners_visible(actor=actor_of(request)).order_by("outlet__code", "serial")
    return _page(LoanerPage, qs, loaner_out, limit, offset)


@loans_router.get("/take-backs", response=TakeBackPage, summary="Take-back repairs")
def take_back_list(
    request: HttpRequest,
    open_only: Annotated[bool, Query(alias="open")] = True,
    limit: Limit = 50,
    offset: Offset = 0,
) -> TakeBackPage:
    """Customers' units taken for repair, oldest first (`open=false` includes those returned)."""
    actor = actor_of(request)
    qs = loans.take_backs_open(actor=actor) if open_only else loans.take_backs_visible(actor=actor)
    qs = qs.select_related("work_order").order_by("taken_at", "pk")
    page = list(qs[offset : offset + limit])
    short = loans.take_backs_short_of_loaner(page)
    return TakeBackPage(
        items=[take_back_out(tb, short=short) for tb in page], count=qs.count(), limit=limit, offset=offset
    )


@loans_router.post("/take-backs", response={201: TakeBackOut}, summary="Take a unit back for repair")
@idempotent
def take_back_create(request: HttpRequest, payload: TakeBackIn, idempotency_key: IdempotencyKey = None) -> TakeBackOut:
    """The visit's unit leaves with the service on a signed receipt; with no loaner available the manager is told."""
    actor = actor_of(request)
    wo = work_order_get(actor=actor, work_order_id=payload.work_order_id)
    take_back = loans.take_back_record(
        actor=actor, work_order=wo, receipt_number=payload.receipt_number, signed_by=payload.signed_by
    )
    return _take_back(actor, take_back.pk)


@loans_router.get("/take-backs/{take_back_id}", response=TakeBackOut, summary="A take-back repair")
def take_back_detail(request: HttpRequest, take_back_id: ObjectId) -> TakeBackOut:
    """Where the customer's unit is."""
    return _take_back(actor_of(request), take_back_id)


@loans_router.post("/take-backs/{take_back_id}/advance", response=TakeBackOut, summary="Move the unit on")
def take_back_advance(request: HttpRequest, take_back_id: ObjectId, payload: AdvanceIn) -> TakeBackOut:
    """To the next stage only: taken → at outlet → in repair → repaired → returned."""
    actor = actor_of(request)
    found = loans.take_back_get(actor=actor, take_back_id=take_back_id)
    loans.take_back_advance(actor=actor, take_back=found, stage=payload.stage)
    return _take_back(actor, take_back_id)


@loans_router.post("/take-backs/{take_back_id}/lend", response={201: LoanOut}, summary="Lend a loaner")
@idempotent
def lend(
    request: HttpRequest, take_back_id: ObjectId, payload: LendIn, idempotency_key: IdempotencyKey = None
) -> LoanOut:
    """Lend an available loaner of the visit's outlet; 409 when it is already out."""
    actor = actor_of(request)
    found = loans.take_back_get(actor=actor, take_back_id=take_back_id)
    loan = loans.loaner_lend(
        actor=actor,
        take_back=found,
        loaner_id=payload.loaner_id,
        due_back_on=payload.due_back_on,
        receipt_number=payload.receipt_number,
        signed_by=payload.signed_by,
    )
    return loan_out(loans.loan_get(actor=actor, loan_id=loan.pk))


@loans_router.get("", response=LoanPage, summary="Loans")
def loan_list(
    request: HttpRequest,
    overdue: bool = False,
    returned: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> LoanPage:
    """Loans out, soonest due first; `overdue=true` only those past their due-back date; `returned=true` all."""
    actor = actor_of(request)
    if overdue:
        qs = loans.loans_overdue(actor=actor)
    else:
        qs = loans.loans_visible(actor=actor).order_by("due_back_on", "pk")
        if not returned:
            qs = qs.filter(returned_at__isnull=True)
    return _page(LoanPage, qs, loan_out, limit, offset)


@loans_router.get("/{loan_id}", response=LoanOut, summary="A loan")
def loan_detail(request: HttpRequest, loan_id: ObjectId) -> LoanOut:
    """A loan and whether it is overdue."""
    return loan_out(loans.loan_get(actor=actor_of(request), loan_id=loan_id))


@loans_router.post("/{loan_id}/return", response=LoanOut, summary="The loaner is back")
def loan_return(request: HttpRequest, loan_id: ObjectId, payload: LoanReturnIn) -> LoanOut:
    """Close the loan with the loaner's condition; the loaner is available again."""
    actor = actor_of(request)
    found = loans.loan_get(actor=actor, loan_id=loan_id)
    loans.loaner_return(actor=actor, loan=found, condition=payload.condition)
    return loan_out(loans.loan_get(actor=actor, loan_id=loan_id))
