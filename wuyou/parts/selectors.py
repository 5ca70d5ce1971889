"""Reads of the spare-parts ledger, scoped to the actor: places, levels, moves, requisitions, the catalogue (R-F4)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor
from wuyou.accounts.selectors import scoped_to_actor
from wuyou.core.errors import NotFound
from wuyou.parts.models import (
    GOOD_STOCK_KINDS,
    Part,
    Requisition,
    StockBalance,
    StockMove,
    StockMoveKind,
    StockPlace,
)


@dataclass(frozen=True)
class StockLine:
    """A part's good stock (and faulty tally) at a place, and whether it is at or below the low level."""

    place: StockPlace
    part: Part
    quantity: int
    faulty: int = 0

    @property
    def is_low(self) -> bool:
        """At or below the part's low-stock level (a level of 0 never warns)."""
        return self.part.low_stock_level > 0 and self.quantity <= self.part.low_stock_level


def stock_places_visible(*, actor: Actor) -> QuerySet[StockPlace]:
    """Places the actor sees: outlet staff their outlet's store and vans, engineers their own van, head office all."""
    qs = StockPlace.objects.select_related("outlet", "engineer")
    return scoped_to_actor(qs, actor=actor, own_jobs="engineer__user_id")


def stock_place_get(*, actor: Actor, place_id: int) -> StockPlace:
    """One visible stock place; NotFound otherwise."""
    place = stock_places_visible(actor=actor).filter(pk=place_id).first()
    if place is None:
        raise NotFound(_("No such stock place."), field="place")
    return place


def stock_level(*, part: Part, place: StockPlace) -> int:
    """Good stock of the part at the place: the sum of its ledger moves (faulty returns are counted apart)."""
    total = StockMove.objects.filter(part=part, place=place, kind__in=GOOD_STOCK_KINDS).aggregate(s=Sum("quantity"))
    return int(total["s"] or 0)


def faulty_level(*, part: Part, place: StockPlace) -> int:
    """Faulty parts of this kind brought back to the place and not yet sent on."""
    total = StockMove.objects.filter(part=part, place=place, kind=StockMoveKind.FAULTY_RETURN).aggregate(
        s=Sum("quantity")
    )
    return int(total["s"] or 0)


def stock_levels(*, actor: Actor, place_id: int) -> list[StockLine]:
    """Every part the visible place has ever held, with its good stock and faulty tally from the ledger."""
    place = stock_place_get(actor=actor, place_id=place_id)
    good: dict[int, int] = {}
    faulty: dict[int, int] = {}
    rows = StockMove.objects.filter(place=place).values("part_id", "kind").annotate(s=Sum("quantity"))
    for row in rows:
        target = faulty if row["kind"] == StockMoveKind.FAULTY_RETURN else good
        target[row["part_id"]] = target.get(row["part_id"], 0) + int(row["s"])
    parts = Part.objects.in_bulk(set(good) | set(faulty))
    return sorted(
        (StockLine(place=place, part=parts[pk], quantity=good.get(pk, 0), faulty=faulty.get(pk, 0)) for pk in parts),
        key=lambda line: line.part.code,
    )


def low_stock(*, actor: Actor) -> list[StockLine]:
    """Warnings: active parts at or below their low level in the places the actor sees."""
    balances = (
        StockBalance.objects.filter(
            place__in=stock_places_visible(actor=actor),
            part__active=True,
            part__low_stock_level__gt=0,
            quantity__lte=F("part__low_stock_level"),
        )
        .select_related("part", "place__outlet", "place__engineer")
        .order_by("place_id", "part__code")
    )
    return [StockLine(place=b.place, part=b.part, quantity=b.quantity) for b in balances]


def requisitions_visible(*, actor: Actor) -> QuerySet[Requisition]:
    """Requisitions from or to the places the actor sees (an engineer: those for his van or his own)."""
    qs = Requisition.objects.select_related("source__outlet", "destination__outlet", "destination__engineer")
    from_seen = scoped_to_actor(qs, actor=actor, outlet="source__outlet", own_jobs="destination__engineer__user_id")
    to_seen = scoped_to_actor(qs, actor=actor, outlet="destination__outlet", own_jobs="requested_by_id")
    return from_seen | to_seen


def requisition_get(*, actor: Actor, requisition_id: int) -> Requisition:
    """One visible requisition; NotFound otherwise."""
    found = requisitions_visible(actor=actor).filter(pk=requisition_id).first()
    if found is None:
        raise NotFound(_("No such requisition."), field="requisition")
    return found


def stock_moves(*, actor: Actor, place_id: int) -> QuerySet[StockMove]:
    """The ledger of a visible place, newest first, with what each row points at (for the place's page)."""
    place = stock_place_get(actor=actor, place_id=place_id)
    return (
        StockMove.objects.filter(place=place)
        .select_related("part", "work_order", "requisition", "actor__staff")
        .order_by("-created_at", "-pk")
    )


def stock_overview(*, actor: Actor) -> list[tuple[StockPlace, list[StockLine]]]:
    """Every visible place with its levels (as stock_levels), in two queries whatever the number of places."""
    places = list(stock_places_visible(actor=actor).order_by("kind", "outlet__code", "engineer__display_name", "pk"))
    levels: dict[tuple[int, int], list[int]] = {}
    rows = (
        StockMove.objects.filter(place__in=[p.pk for p in places])
        .values("place_id", "part_id", "kind")
        .annotate(s=Sum("quantity"))
    )
    for row in rows:
        good_faulty = levels.setdefault((row["place_id"], row["part_id"]), [0, 0])
        good_faulty[1 if row["kind"] == StockMoveKind.FAULTY_RETURN else 0] += int(row["s"])
    parts = Part.objects.in_bulk({part_id for _place, part_id in levels})
    by_place: dict[int, list[StockLine]] = {p.pk: [] for p in places}
    place_of = {p.pk: p for p in places}
    for (place_id, part_id), (good, faulty) in levels.items():
        line = StockLine(place=place_of[place_id], part=parts[part_id], quantity=good, faulty=faulty)
        by_place[place_id].append(line)
    return [(p, sorted(by_place[p.pk], key=lambda line: line.part.code)) for p in places]


def parts_catalogue(*, query: str = "", include_inactive: bool = False) -> QuerySet[Part]:
    """The parts catalogue (prices are not outlet data: every staff member may look them up), searched by code/name."""
    qs = Part.objects.all() if include_inactive else Part.objects.filter(active=True)
    query = (query or "").strip()
    if query:
        qs = qs.filter(Q(code__icontains=query) | Q(name__icontains=query))
    return qs.order_by("code")
