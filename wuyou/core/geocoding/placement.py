"""What a geocoder answers (Placement) and what a geocoder is (Geocoder): the interface every provider meets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

# How finely a point is known: a house number or building, the middle of a road, of a district, of a city.
Precision = Literal["address", "street", "district", "city"]
PRECISIONS: tuple[Precision, ...] = ("address", "street", "district", "city")


@dataclass(frozen=True)
class Placement:
    """Where an address lies on the map, how finely, and who said so."""

    latitude: float
    longitude: float
    precision: Precision
    source: str  # the provider's name ("gazetteer", "amap")
    approximate: bool


class Geocoder(Protocol):
    """Places an address on the map, or answers None; never raises for a bad or unknown address."""

    name: str

    def locate(self, city: str, district: str, detail: str) -> Placement | None: ...
