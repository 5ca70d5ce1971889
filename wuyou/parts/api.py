"""Spare-parts API under /api/v1/parts (issue 5 item 4, R-F4).

Thin over wuyou.parts: selectors scope every read (another outlet's place or requisition is a 404), services decide,
and their DomainErrors become problem+json naming the field in config.api. Creating POSTs honour Idempotency-Key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from django.http import HttpRequest
from ninja import Query, Router

from wuyou.accounts.actors import Actor, Scope, api_actor
from wuyou.core.idempotency import idempotent
from wuyou.core.schemas import IdempotencyKey, Limit, ObjectId, Offset, page_of
from wuyou.parts import selectors as parts_selectors
from wuyou.parts import services as parts_services
from wuyou.parts.models import Requisition, RequisitionLine, StockMove, StockPlace
from wuyou.parts.schemas import (
    CataloguePage,
    CataloguePartOut,
    PartOnVisitIn,
    ReceiveIn,
    RejectIn,
    RequisitionIn,
    RequisitionLineOut,
    RequisitionOut,
    RequisitionPage,
    RequisitionStatusValue,
    StockAdjustIn,
    StockLineOut,
    StockMoveOut,
    StockMovePage,
    StockPlaceOut,
)
from wuyou.parts.selectors import (
    StockLine,
    parts_catalogue,
    requisition_get,
    requisitions_visible,
    stock_levels,
    stock_moves,
    stock_places_visible,
)
from wuyou.parts.services import (
    PartQuantity,
    part_consume,
    part_receive,
    part_return_faulty,
    requisition_request,
    stock_adjust,
)

router = Router(tags=["parts"])


# -- shaping answers -----------------------------------------------------------------------------------------------


def place_out(place: StockPlace) -> StockPlaceOut:
    return StockPlaceOut(
        id=place.pk,
        kind=place.kind,  # type: ignore[arg-type]
        name=str(place),
        outlet_id=place.outlet_id,
        engineer_id=place.engineer_id,
    )


def line_out(line: StockLine) -> StockLineOut:
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


def _requisition(actor: Actor, requisition_id: int) -> RequisitionOut:
    found = requisition_get(actor=actor, requisition_id=requisition_id)
    lines = found.lines.select_related("part").order_by("part__code")
    return requisition_out(found, lines=list(lines))


# -- parts ---------------------------------------------------------------------------------------------------------


@router.get("", response=CataloguePage, summary="The parts catalogue")
def catalogue(
    request: HttpRequest,
    q: Annotated[str, Query(max_length=100)] = "",
    limit: Limit = 50,
    offset: Offset = 0,
) -> CataloguePage:
    """Active parts with cost and retail prices; `q` searches code and name."""
    qs = parts_catalogue(query=q)
    if api_actor(request).scope is Scope.NONE:  # default deny: a login without a role sees an empty catalogue
        qs = qs.none()
    return page_of(CataloguePage, qs, CataloguePartOut.from_orm, limit, offset)


@router.get("/places", response=list[StockPlaceOut], summary="Stock places")
def places(request: HttpRequest) -> list[StockPlaceOut]:
    """Places the caller sees: his outlet's store and vans, an engineer his van, head office all."""
    actor = api_actor(request)
    qs = stock_places_visible(actor=actor).order_by("kind", "outlet__code", "engineer__display_name", "pk")
    return [place_out(p) for p in qs]


@router.get("/places/{place_id}/stock", response=list[StockLineOut], summary="A place's stock levels")
def place_stock(request: HttpRequest, place_id: ObjectId) -> list[StockLineOut]:
    """Every part the place has held: good stock from the ledger, the faulty tally, the low mark."""
    return [line_out(line) for line in stock_levels(actor=api_actor(request), place_id=place_id)]


@router.get("/places/{place_id}/moves", response=StockMovePage, summary="A place's ledger")
def place_moves(request: HttpRequest, place_id: ObjectId, limit: Limit = 50, offset: Offset = 0) -> StockMovePage:
    """The place's stock moves, newest first."""
    qs = stock_moves(actor=api_actor(request), place_id=place_id)
    return page_of(StockMovePage, qs, move_out, limit, offset)


@router.get("/low-stock", response=list[StockLineOut], summary="Parts running low")
def low_stock(request: HttpRequest) -> list[StockLineOut]:
    """Active parts at or below their low level in the places the caller sees."""
    return [line_out(line) for line in parts_selectors.low_stock(actor=api_actor(request))]


@router.post("/receive", response={201: StockMoveOut}, summary="Book parts in")
@idempotent
def receive(request: HttpRequest, payload: ReceiveIn, idempotency_key: IdempotencyKey = None) -> StockMoveOut:
    """Parts arriving from a supplier into an outlet's store or the head-office warehouse."""
    move = part_receive(
        actor=api_actor(request),
        place_id=payload.place_id,
        part_code=payload.part_code,
        quantity=payload.quantity,
        serial=payload.serial,
        note=payload.note,
    )
    return move_out(move)


@router.post("/adjust", response={201: StockMoveOut}, summary="Correct a count")
@idempotent
def adjust(request: HttpRequest, payload: StockAdjustIn, idempotency_key: IdempotencyKey = None) -> StockMoveOut:
    """A manager books the counted stock: one adjustment move for the difference, with the reason."""
    move = stock_adjust(
        actor=api_actor(request),
        place_id=payload.place_id,
        part_code=payload.part_code,
        counted=payload.counted,
        note=payload.note,
    )
    return move_out(move)


@router.get("/requisitions", response=RequisitionPage, summary="Requisitions")
def requisition_list(
    request: HttpRequest,
    status: Annotated[RequisitionStatusValue | None, Query()] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> RequisitionPage:
    """Requisitions from or to the caller's places, newest first."""
    qs = requisitions_visible(actor=api_actor(request)).order_by("-created_at", "-pk")
    if status is not None:
        qs = qs.filter(status=status)
    return page_of(RequisitionPage, qs.prefetch_related("lines__part"), requisition_out, limit, offset)


@router.post("/requisitions", response={201: RequisitionOut}, summary="Ask for parts")
@idempotent
def requisition_create(
    request: HttpRequest, payload: RequisitionIn, idempotency_key: IdempotencyKey = None
) -> RequisitionOut:
    """A van asks its outlet's store, an outlet's store asks the head-office warehouse; a manager approves."""
    actor = api_actor(request)
    requisition = requisition_request(
        actor=actor,
        destination_id=payload.destination_id,
        lines=[PartQuantity(line.part_code, line.quantity) for line in payload.lines],
        note=payload.note,
    )
    return _requisition(actor, requisition.pk)


@router.get("/requisitions/{requisition_id}", response=RequisitionOut, summary="A requisition")
def requisition_detail(request: HttpRequest, requisition_id: ObjectId) -> RequisitionOut:
    """A requisition, its lines and where it stands."""
    return _requisition(api_actor(request), requisition_id)


@router.post("/requisitions/{requisition_id}/approve", response=RequisitionOut, summary="Approve")
def requisition_approve(request: HttpRequest, requisition_id: ObjectId) -> RequisitionOut:
    """The sending place's manager agrees (requested → approved)."""
    actor = api_actor(request)
    parts_services.requisition_approve(actor=actor, requisition_id=requisition_id)
    return _requisition(actor, requisition_id)


@router.post("/requisitions/{requisition_id}/reject", response=RequisitionOut, summary="Reject")
def requisition_reject(request: HttpRequest, requisition_id: ObjectId, payload: RejectIn) -> RequisitionOut:
    """The sending place's manager refuses, saying why (requested → rejected)."""
    actor = api_actor(request)
    parts_services.requisition_reject(actor=actor, requisition_id=requisition_id, reason=payload.reason)
    return _requisition(actor, requisition_id)


@router.post("/requisitions/{requisition_id}/fulfil", response=RequisitionOut, summary="Ship")
def requisition_fulfil(request: HttpRequest, requisition_id: ObjectId) -> RequisitionOut:
    """Ship an approved requisition: the parts leave the source and reach the destination, all or nothing."""
    actor = api_actor(request)
    parts_services.requisition_fulfil(actor=actor, requisition_id=requisition_id)
    return _requisition(actor, requisition_id)


def _part_on_visit(book: Callable[..., StockMove], request: HttpRequest, payload: PartOnVisitIn) -> StockMoveOut:
    """Book a part moved on a visit (used from the van, or the faulty one returned): both take the same fields."""
    move = book(
        actor=api_actor(request),
        work_order_id=payload.work_order_id,
        part_code=payload.part_code,
        quantity=payload.quantity,
        serial=payload.serial,
        note=payload.note,
    )
    return move_out(move)


@router.post("/consume", response={201: StockMoveOut}, summary="Use a part on a visit")
@idempotent
def consume(request: HttpRequest, payload: PartOnVisitIn, idempotency_key: IdempotencyKey = None) -> StockMoveOut:
    """Book a part out of the visit's engineer's van (a serialised part by its serial); 409 when the van is short."""
    return _part_on_visit(part_consume, request, payload)


@router.post("/return-faulty", response={201: StockMoveOut}, summary="Return a faulty part")
@idempotent
def return_faulty(request: HttpRequest, payload: PartOnVisitIn, idempotency_key: IdempotencyKey = None) -> StockMoveOut:
    """The faulty part taken out on a visit goes to the outlet's store, into its faulty tally."""
    return _part_on_visit(part_return_faulty, request, payload)
