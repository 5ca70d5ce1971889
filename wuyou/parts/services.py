"""The spare-parts ledger (issue 5 item 4, R-F4): receive, requisition, consume, return faulty, adjust; stock views.

Stock is never an edited number. Every change is a StockMove row; StockBalance caches each place's sum and is the
row a writer locks (SELECT … FOR UPDATE) before moving stock, so two engineers taking the last unit at once are
served one after the other: the first gets it, the second is told it is out of stock, and no level turns negative.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor, Scope
from wuyou.accounts.models import Role, StaffProfile
from wuyou.accounts.selectors import outlet_contact_ids
from wuyou.core.errors import Conflict, PermissionDenied, TransitionNotAllowed, ValidationFailed
from wuyou.dispatch.models import WorkOrder, WorkOrderStatus
from wuyou.dispatch.selectors import work_order_get
from wuyou.notifications.services import message_to_staff
from wuyou.parts.models import (
    Part,
    PartsVerb,
    Requisition,
    RequisitionLine,
    RequisitionStatus,
    StockBalance,
    StockMove,
    StockMoveKind,
    StockPlace,
    StockPlaceKind,
)
from wuyou.parts.selectors import requisition_get, stock_place_get, stock_places_visible
from wuyou.tickets.services import request_record

MAX_QUANTITY = 999  # more than a van or a store would move in one go: a typo, not an order
MAX_COUNTED = 99_999
# Who approves requisitions and corrects counts: the outlet manager (his store) and the service manager (all).
STOCK_MANAGER_ROLES = frozenset({Role.OUTLET_MANAGER, Role.SERVICE_MANAGER})


@dataclass(frozen=True)
class PartQuantity:
    """One line of a requisition: a catalogue code and how many."""

    part_code: str
    quantity: int


# --------------------------------------------------------------------------- where the actor may ask parts for


def requisition_destinations(*, actor: Actor) -> list[StockPlace]:
    """Places the actor may ask parts for: an engineer his own van, desk staff the visible stores and vans.

    The actor's own van or store is made on first use, so that a new engineer or outlet can ask at once.
    """
    if actor.scope is Scope.OWN_JOBS and actor.user_id is not None:
        engineer = StaffProfile.objects.filter(user_id=actor.user_id, role=Role.ENGINEER).first()
        if engineer is None or engineer.outlet_id is None:
            return []
        return [stock_place_ensure(kind=StockPlaceKind.VAN, engineer=engineer)]
    if not actor.can_run_desk:
        return []
    if actor.outlet_id is not None:
        stock_place_ensure(kind=StockPlaceKind.OUTLET, outlet_id=actor.outlet_id)
    places = stock_places_visible(actor=actor).exclude(kind=StockPlaceKind.HEAD_OFFICE)
    return sorted(places, key=lambda p: (p.outlet_id or 0, p.kind != StockPlaceKind.OUTLET, str(p)))


# ------------------------------------------------------------------------------------------------------- services


def stock_place_ensure(*, kind: str, outlet_id: int | None = None, engineer: StaffProfile | None = None) -> StockPlace:
    """The outlet's store, the engineer's van (at his outlet) or the head-office warehouse; made on first use."""
    if kind == StockPlaceKind.VAN:
        if engineer is None or engineer.outlet_id is None:
            raise ValidationFailed(_("A van belongs to an engineer of an outlet."), field="engineer")
        place, _created = StockPlace.objects.get_or_create(
            kind=kind, engineer=engineer, defaults={"outlet_id": engineer.outlet_id}
        )
    elif kind == StockPlaceKind.OUTLET:
        if outlet_id is None:
            raise ValidationFailed(_("An outlet store needs its outlet."), field="outlet")
        place, _created = StockPlace.objects.get_or_create(kind=kind, outlet_id=outlet_id)
    elif kind == StockPlaceKind.HEAD_OFFICE:
        place, _created = StockPlace.objects.get_or_create(kind=kind)
    else:
        raise ValidationFailed(_("Unknown kind of stock place."), field="kind")
    return place


def part_receive(
    *, actor: Actor, place_id: int, part_code: str, quantity: int, serial: str = "", note: str = ""
) -> StockMove:
    """Book parts arriving from a supplier into an outlet's store or the head-office warehouse."""
    part = _part(part_code)
    _check_quantity(quantity)
    with transaction.atomic():
        place = stock_place_get(actor=actor, place_id=place_id)
        if not actor.can_run_desk:
            raise PermissionDenied(_("Only outlet or head-office staff book parts in."))
        if place.kind == StockPlaceKind.VAN:
            raise ValidationFailed(_("Parts reach a van by requisition, not by receipt."), field="place")
        return _move(
            part=part, place=place, delta=quantity, kind=StockMoveKind.RECEIPT, actor=actor, serial=serial, note=note
        )


def requisition_request(
    *, actor: Actor, destination_id: int, lines: Sequence[PartQuantity], note: str = ""
) -> Requisition:
    """Ask for parts: a van from its outlet's store, an outlet's store from the head-office warehouse."""
    wanted = _requisition_lines(lines)
    with transaction.atomic():
        destination = stock_place_get(actor=actor, place_id=destination_id)
        own_van = destination.engineer is not None and destination.engineer.user_id == actor.user_id
        if not (own_van or actor.can_run_desk):
            raise PermissionDenied(_("Only the van's engineer or outlet staff ask for parts."))
        if destination.kind == StockPlaceKind.VAN:
            source = stock_place_ensure(kind=StockPlaceKind.OUTLET, outlet_id=destination.outlet_id)
        elif destination.kind == StockPlaceKind.OUTLET:
            source = stock_place_ensure(kind=StockPlaceKind.HEAD_OFFICE)
        else:
            raise ValidationFailed(_("The head-office warehouse buys parts; it does not requisition."), field="place")
        if actor.user_id is None:  # unreachable: an actor without a user sees no place
            raise PermissionDenied(_("Sign in to ask for parts."))
        requisition = Requisition.objects.create(
            source=source, destination=destination, note=note[:300], requested_by_id=actor.user_id
        )
        RequisitionLine.objects.bulk_create(
            RequisitionLine(requisition=requisition, part=part, quantity=quantity) for part, quantity in wanted
        )
    return requisition


def requisition_approve(*, actor: Actor, requisition_id: int) -> Requisition:
    """The source's manager agrees to send the parts (requested → approved)."""
    return _requisition_decide(actor=actor, requisition_id=requisition_id, approve=True, reason="")


def requisition_reject(*, actor: Actor, requisition_id: int, reason: str) -> Requisition:
    """The source's manager refuses, saying why (requested → rejected)."""
    if not reason.strip():
        raise ValidationFailed(_("Say why the requisition is rejected."), field="reason")
    return _requisition_decide(actor=actor, requisition_id=requisition_id, approve=False, reason=reason.strip())


def requisition_fulfil(*, actor: Actor, requisition_id: int) -> Requisition:
    """Send an approved requisition: transfer moves out of the source and into the destination, all or nothing."""
    with transaction.atomic():
        requisition = _requisition_locked(actor=actor, requisition_id=requisition_id)
        if not actor.can_run_desk or not stock_places_visible(actor=actor).filter(pk=requisition.source_id).exists():
            raise PermissionDenied(_("Only staff of the sending place ship a requisition."))
        if requisition.status != RequisitionStatus.APPROVED:
            raise TransitionNotAllowed(_("Only an approved requisition is shipped."), field="status")
        steps: list[tuple[Part, StockPlace, int, str]] = []
        for line in requisition.lines.select_related("part"):
            steps.append((line.part, requisition.source, -line.quantity, StockMoveKind.TRANSFER_OUT))
            steps.append((line.part, requisition.destination, line.quantity, StockMoveKind.TRANSFER_IN))
        # Lock balance rows in one global order so two shipments crossing the same places cannot deadlock.
        for part, place, delta, kind in sorted(steps, key=lambda s: (s[0].pk, s[1].pk)):
            _move(part=part, place=place, delta=delta, kind=kind, actor=actor, requisition=requisition)
        requisition.status = RequisitionStatus.FULFILLED
        requisition.fulfilled_at = timezone.now()
        requisition.save(update_fields=["status", "fulfilled_at", "updated_at"])
    return requisition


def part_consume(
    *, actor: Actor, work_order_id: int, part_code: str, quantity: int = 1, serial: str = "", note: str = ""
) -> StockMove:
    """Use parts from the engineer's van on a visit (serialised parts by serial); Conflict when the van is short."""
    part = _part(part_code)
    _check_quantity(quantity)
    serial = _check_serial(part, serial, quantity)
    with transaction.atomic():
        wo = _work_order_for_parts(actor=actor, work_order_id=work_order_id)
        # The van follows from the visible work order: its engineer's, whoever books the part.
        van = StockPlace.objects.filter(kind=StockPlaceKind.VAN, engineer_id=wo.engineer_id).first()
        if van is None:
            raise Conflict(_("Out of stock: the engineer's van holds no %(part)s.") % {"part": part.name}, field="part")
        move, before, after = _move_counted(
            part=part,
            place=van,
            delta=-quantity,
            kind=StockMoveKind.CONSUMPTION,
            actor=actor,
            serial=serial,
            note=note,
            work_order=wo,
        )
        request_record(
            actor=actor,
            request=wo.request,
            verb=PartsVerb.PART_CONSUMED,
            summary=_("Part used: %(part)s × %(n)d") % {"part": part.name, "n": quantity},
            data={"part": part.code, "quantity": quantity, "serial": serial, "work_order": wo.pk, "move": move.pk},
        )
        if part.low_stock_level and before > part.low_stock_level >= after:
            _warn_low_stock(part=part, place=van, level=after)
    return move


def part_return_faulty(
    *, actor: Actor, work_order_id: int, part_code: str, quantity: int = 1, serial: str = "", note: str = ""
) -> StockMove:
    """The faulty part taken out on a visit goes back to the outlet's store, into its faulty tally (not stock)."""
    part = _part(part_code)
    _check_quantity(quantity)
    serial = _check_serial(part, serial, quantity)
    with transaction.atomic():
        wo = _work_order_for_parts(actor=actor, work_order_id=work_order_id)
        store = stock_place_ensure(kind=StockPlaceKind.OUTLET, outlet_id=wo.outlet_id)
        move = StockMove.objects.create(
            part=part,
            place=store,
            quantity=quantity,
            kind=StockMoveKind.FAULTY_RETURN,
            serial=serial,
            work_order=wo,
            actor_id=actor.user_id,
            note=note[:300],
        )
        request_record(
            actor=actor,
            request=wo.request,
            verb=PartsVerb.FAULTY_PART_RETURNED,
            summary=_("Faulty part returned: %(part)s × %(n)d") % {"part": part.name, "n": quantity},
            data={"part": part.code, "quantity": quantity, "serial": serial, "work_order": wo.pk, "move": move.pk},
        )
    return move


def stock_adjust(*, actor: Actor, place_id: int, part_code: str, counted: int, note: str) -> StockMove:
    """A manager books the counted stock: one adjustment move for the difference, with the reason."""
    part = _part(part_code)
    if isinstance(counted, bool) or not isinstance(counted, int) or not 0 <= counted <= MAX_COUNTED:
        raise ValidationFailed(_("Enter the counted quantity, 0 to %(max)d.") % {"max": MAX_COUNTED}, field="counted")
    if not note.strip():
        raise ValidationFailed(_("Say why the count differs."), field="note")
    with transaction.atomic():
        place = stock_place_get(actor=actor, place_id=place_id)
        if actor.role not in STOCK_MANAGER_ROLES:
            raise PermissionDenied(_("Only a manager corrects stock counts."))
        balance, _created = StockBalance.objects.select_for_update().get_or_create(part=part, place=place)
        delta = counted - balance.quantity
        if delta == 0:
            raise ValidationFailed(_("The count matches the stock; nothing to adjust."), field="counted")
        return _move(part=part, place=place, delta=delta, kind=StockMoveKind.ADJUSTMENT, actor=actor, note=note.strip())


# -------------------------------------------------------------------------------------------------------- private


def _part(code: str) -> Part:
    part = Part.objects.filter(code=(code or "").strip(), active=True).first()
    if part is None:
        raise ValidationFailed(_("No such part in the catalogue."), field="part")
    return part


def _check_quantity(quantity: Any, field: str = "quantity") -> None:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationFailed(_("Enter a quantity from 1 to %(max)d.") % {"max": MAX_QUANTITY}, field=field)


def _check_serial(part: Part, serial: str, quantity: int) -> str:
    # A serialised (non-consumable) part is traced one by one: one serial, one unit per move.
    serial = (serial or "").strip()
    if len(serial) > 64:
        raise ValidationFailed(_("The serial number is too long."), field="serial")
    if not part.is_consumable:
        if not serial:
            raise ValidationFailed(_("Enter the part's serial number."), field="serial")
        if quantity != 1:
            raise ValidationFailed(_("A serialised part is booked one at a time."), field="quantity")
    return serial


def _requisition_lines(lines: Sequence[PartQuantity]) -> list[tuple[Part, int]]:
    if not lines:
        raise ValidationFailed(_("Ask for at least one part."), field="lines")
    wanted: list[tuple[Part, int]] = []
    seen: set[int] = set()
    for line in lines:
        part = _part(line.part_code)
        _check_quantity(line.quantity)
        if part.pk in seen:
            raise ValidationFailed(_("Each part once per requisition."), field="lines")
        seen.add(part.pk)
        wanted.append((part, line.quantity))
    return wanted


def _requisition_locked(*, actor: Actor, requisition_id: int) -> Requisition:
    requisition_get(actor=actor, requisition_id=requisition_id)  # NotFound outside the actor's scope
    return Requisition.objects.select_for_update().select_related("source", "destination").get(pk=requisition_id)


def _requisition_decide(*, actor: Actor, requisition_id: int, approve: bool, reason: str) -> Requisition:
    with transaction.atomic():
        requisition = _requisition_locked(actor=actor, requisition_id=requisition_id)
        source = requisition.source
        allowed = actor.role == Role.SERVICE_MANAGER and actor.scope is Scope.ALL
        allowed |= (
            actor.role == Role.OUTLET_MANAGER
            and source.kind == StockPlaceKind.OUTLET
            and source.outlet_id == actor.outlet_id
        )
        if not allowed:
            raise PermissionDenied(_("Only the manager of the sending place decides on a requisition."))
        if requisition.status != RequisitionStatus.REQUESTED:
            raise TransitionNotAllowed(_("This requisition has already been decided."), field="status")
        requisition.status = RequisitionStatus.APPROVED if approve else RequisitionStatus.REJECTED
        requisition.decided_by_id = actor.user_id
        requisition.decided_at = timezone.now()
        requisition.reason = reason[:300]
        requisition.save(update_fields=["status", "decided_by", "decided_at", "reason", "updated_at"])
    return requisition


def _work_order_for_parts(*, actor: Actor, work_order_id: int) -> WorkOrder:
    wo = work_order_get(actor=actor, work_order_id=work_order_id)
    if wo.status in (WorkOrderStatus.CANCELLED, WorkOrderStatus.UNBOOKED):
        raise TransitionNotAllowed(_("Parts are booked only on a visit that is going ahead."), field="work_order")
    if wo.engineer is None:
        raise ValidationFailed(_("The visit has no engineer yet."), field="work_order")
    own = wo.engineer.user_id == actor.user_id
    if not (own or actor.can_run_desk):
        raise PermissionDenied(_("Only the visit's engineer or outlet staff book its parts."))
    return wo


def _move(*, part: Part, place: StockPlace, delta: int, kind: str, actor: Actor, **row: Any) -> StockMove:
    return _move_counted(part=part, place=place, delta=delta, kind=kind, actor=actor, **row)[0]


def _move_counted(
    *, part: Part, place: StockPlace, delta: int, kind: str, actor: Actor, **row: Any
) -> tuple[StockMove, int, int]:
    """Write one ledger row and its balance under the balance row's lock; (move, level before, level after)."""
    balance, _created = StockBalance.objects.select_for_update().get_or_create(part=part, place=place)
    before = balance.quantity
    after = before + delta
    if after < 0:
        raise Conflict(
            _("Out of stock: %(place)s holds %(held)d of %(part)s, %(wanted)d wanted.")
            % {"place": place, "held": before, "part": part.name, "wanted": -delta},
            field="quantity",
        )
    StockBalance.objects.filter(pk=balance.pk).update(quantity=F("quantity") + delta)
    note = str(row.pop("note", "") or "")[:300]
    move = StockMove.objects.create(
        part=part, place=place, quantity=delta, kind=kind, actor_id=actor.user_id, note=note, **row
    )
    return move, before, after


def _warn_low_stock(*, part: Part, place: StockPlace, level: int) -> None:
    # Once per part, place and day: the outlet manager (or, with none, the service managers) restocks.
    if place.outlet_id is None:
        return
    today: dt.date = timezone.localdate()
    message_to_staff(
        user_ids=outlet_contact_ids(place.outlet_id, managers=True),
        kind="low_stock",
        subject=_("Low stock: %(part)s") % {"part": part.name},
        body=_("%(place)s holds %(level)d of %(code)s %(part)s (low level %(low)d).")
        % {"place": place, "level": level, "code": part.code, "part": part.name, "low": part.low_stock_level},
        ref=f"stock_place:{place.pk}",
        dedupe_key=f"low-stock:{part.pk}:{place.pk}:{today.isoformat()}",
    )
