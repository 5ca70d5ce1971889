"""The customer page's small map: each address the actor sees whole, its point and the outlets near it, as SVG marks.

Drawn like the dispatcher board's map (wuyou.routing.geometry.Projection); static/js/address_map.js turns a click
into latitude/longitude with the projection's numbers, which the map carries as data attributes.
"""

from __future__ import annotations

from dataclasses import dataclass

from wuyou.accounts.actors import Actor
from wuyou.accounts.models import Outlet
from wuyou.accounts.selectors import outlets_visible
from wuyou.core.geo import great_circle_km
from wuyou.customers import selectors
from wuyou.customers.models import Customer, GeoPrecision
from wuyou.customers.selectors import AddressShown
from wuyou.routing.geometry import Projection

NEAREST_OUTLETS = 3  # at most, within NEAR_KM of the point (else the one nearest), and the customer's own outlet
NEAR_KM = 12.0
# Degrees around the point (or the outlet) the map always shows, so a click can reach a few kilometres away.
PADDING = 0.03


@dataclass(frozen=True)
class Mark:
    """A point in the SVG view box with its hover text."""

    x: float
    y: float
    label: str


@dataclass(frozen=True)
class AddressMap:
    """One address on its map; `projection` values go to the page as strings (no locale formats them)."""

    shown: AddressShown
    point: Mark | None
    outlets: list[Mark]
    width: int
    height: int
    view_box: str
    projection: dict[str, str]
    precision: str
    approximate: bool

    @property
    def address_id(self) -> int:
        return self.shown.address.pk


def _located(outlets: list[Outlet]) -> list[tuple[Outlet, float, float]]:
    return [
        (o, float(o.latitude), float(o.longitude))
        for o in outlets
        if o.latitude is not None and o.longitude is not None
    ]


def address_maps(*, actor: Actor, customer: Customer) -> list[AddressMap]:
    """A map for each address the actor sees whole (a masked address gets none: its point would give it away)."""
    visible = list(outlets_visible(actor=actor))
    if all(o.pk != customer.outlet_id for o in visible):
        visible.append(customer.outlet)  # the customer's own outlet is shown on his page in any case
    located = _located(visible)
    maps = []
    for shown in selectors.addresses_shown(actor=actor, customer=customer):
        if shown.masked:
            continue
        point = (
            (shown.latitude, shown.longitude) if shown.latitude is not None and shown.longitude is not None else None
        )
        maps.append(_address_map(shown, point, customer, located))
    return maps


def _address_map(
    shown: AddressShown,
    point: tuple[float, float] | None,
    customer: Customer,
    located: list[tuple[Outlet, float, float]],
) -> AddressMap:
    home = next(((o, lat, lon) for o, lat, lon in located if o.pk == customer.outlet_id), None)
    centre = point or (home[1:] if home else None)
    if centre is not None:
        by_distance = sorted(located, key=lambda t: great_circle_km(centre[0], centre[1], t[1], t[2]))
        near = [t for t in by_distance if great_circle_km(centre[0], centre[1], t[1], t[2]) <= NEAR_KM]
        near = near[:NEAREST_OUTLETS] or by_distance[:1]
    else:
        near = located[:NEAREST_OUTLETS]
    if home is not None and home not in near:
        near.append(home)
    points = [(lat, lon) for _o, lat, lon in near]
    if centre is not None:
        points += [(centre[0] + dy, centre[1] + dx) for dy in (-PADDING, PADDING) for dx in (-PADDING, PADDING)]
    if point is not None:
        points.append(point)
    if not points:  # no point and no outlet on the map: the coordinates can still be typed in
        return AddressMap(shown, None, [], 0, 0, "", {}, "", False)
    projection = Projection(points)
    mark = None
    if point is not None:
        x, y = projection.xy(*point)
        mark = Mark(x, y, shown.full_text)
    outlets = [Mark(*projection.xy(lat, lon), label=o.name) for o, lat, lon in near]
    precision = shown.address.geo_precision
    return AddressMap(
        shown=shown,
        point=mark,
        outlets=outlets,
        width=projection.width,
        height=projection.height,
        view_box=projection.view_box,
        projection={
            "k": repr(projection.k),
            "cx": repr(projection.cx),
            "cy": repr(projection.cy),
            "scale": repr(projection.scale),
        },
        precision=str(GeoPrecision(precision).label) if precision in GeoPrecision.values else "",
        approximate=precision in (GeoPrecision.STREET, GeoPrecision.DISTRICT, GeoPrecision.CITY),
    )
