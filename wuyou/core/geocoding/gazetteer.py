"""The offline gazetteer: district and road centroids from a data file that ships with Wuyou (gazetteer.yaml).

A road named in the street text places the address at the road's centroid, else a district named in the district
field (or the text) at the district's centroid, else nothing: every answer is approximate, and an address it cannot
tell apart (a road in two districts with no district given, another city) is left unplaced rather than guessed.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from wuyou.core.geocoding.placement import Placement

DATA_FILE = Path(__file__).with_name("gazetteer.yaml")

# A district's short name followed by one of these is a road's name (胶州路 lies in 市北区, not in 胶州市).
_ROAD_SUFFIXES = "路街道巷里"


def _normal(text: str) -> str:
    """NFKC, no white space: full-width digits and spaces as typed on Chinese keyboards compare equal."""
    return "".join(unicodedata.normalize("NFKC", text or "").split())


@dataclass(frozen=True)
class District:
    name: str
    aliases: tuple[str, ...]
    centre: tuple[float, float]
    streets: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class City:
    name: str
    aliases: tuple[str, ...]
    centre: tuple[float, float]
    districts: tuple[District, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


def _point(value: Any) -> tuple[float, float]:
    lat, lon = (float(v) for v in value)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"coordinates out of range: {value!r}")
    return lat, lon


def load_cities(path: Path = DATA_FILE) -> tuple[City, ...]:
    """Read and check a gazetteer file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple(
        City(
            name=c["name"],
            aliases=tuple(c.get("aliases") or ()),
            centre=_point(c["centre"]),
            districts=tuple(
                District(
                    name=d["name"],
                    aliases=tuple(d.get("aliases") or ()),
                    centre=_point(d["centre"]),
                    streets={_normal(s): _point(p) for s, p in (d.get("streets") or {}).items()},
                )
                for d in c["districts"]
            ),
        )
        for c in data["cities"]
    )


def _named_in(text: str, names: tuple[str, ...]) -> bool:
    """One of the names occurs in the text, not as the start of a road's name."""
    for name in names:
        start = text.find(name)
        while start != -1:
            after = text[start + len(name) : start + len(name) + 1]
            if not after or after not in _ROAD_SUFFIXES:
                return True
            start = text.find(name, start + 1)
    return False


class GazetteerGeocoder:
    """Places addresses by the road or district they name (see the module's docstring)."""

    name = "gazetteer"

    def __init__(self, cities: tuple[City, ...]) -> None:
        self.cities = cities

    def locate(self, city: str, district: str, detail: str) -> Placement | None:
        city_text, district_text, detail_text = _normal(city), _normal(district), _normal(detail)
        for known in self.cities:
            if city_text and not any(n in city_text or city_text in n for n in known.names):
                continue
            if not city_text and not _named_in(district_text + detail_text, known.names):
                continue
            placement = self._locate_in(known, district_text, detail_text)
            if placement is not None:
                return placement
        return None

    def _locate_in(self, city: City, district_text: str, detail_text: str) -> Placement | None:
        district = self._district(city, district_text, detail_text)
        # Every road named in the text, longest name first (东海西路 before a shorter name inside it).
        roads = sorted(
            ((name, d, point) for d in city.districts for name, point in d.streets.items() if name in detail_text),
            key=lambda r: -len(r[0]),
        )
        if roads:
            longest = [r for r in roads if len(r[0]) == len(roads[0][0])]
            in_district = [r for r in longest if district is not None and r[1] is district]
            if in_district:
                return self._placed(in_district[0][2], "street")
            if district is None and len({r[1].name for r in longest}) == 1:
                return self._placed(longest[0][2], "street")
            if district is None:
                return None  # the same road in two districts and no district said: do not guess
        if district is not None:
            return self._placed(district.centre, "district")
        return None

    @staticmethod
    def _district(city: City, district_text: str, detail_text: str) -> District | None:
        if district_text:
            for d in city.districts:
                if district_text in d.names or any(n in district_text for n in d.names):
                    return d
        matches = [d for d in city.districts if _named_in(detail_text, d.names)]
        return matches[0] if len(matches) == 1 else None

    def _placed(self, point: tuple[float, float], precision: str) -> Placement:
        return Placement(
            latitude=point[0],
            longitude=point[1],
            precision="street" if precision == "street" else "district",
            source=self.name,
            approximate=True,
        )


@functools.cache
def gazetteer_default() -> GazetteerGeocoder:
    """The gazetteer of the file that ships with Wuyou, read once per process."""
    return GazetteerGeocoder(load_cities())
