"""Geocoding behind one interface: an address (city, district, street text) to an approximate map point.

`geocoder_get()` builds the geocoder chosen by `settings.WUYOU_GEOCODER` ("gazetteer", the default, offline; "amap",
AMap's web service with `WUYOU_AMAP_KEY`), always backed by the offline gazetteer that ships with Wuyou. Another
provider (Baidu, Tianditu) plugs in with `geocoder_register(name, factory)`; see docs/geocoding.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings

from wuyou.core.geocoding.placement import PRECISIONS, Geocoder, Placement, Precision

logger = logging.getLogger("wuyou.geocoding")


class ChainGeocoder:
    """Asks each geocoder in turn; the first placement wins (a web provider first, the offline gazetteer last)."""

    def __init__(self, geocoders: list[Geocoder]) -> None:
        self.geocoders = geocoders
        self.name = "+".join(g.name for g in geocoders)

    def locate(self, city: str, district: str, detail: str) -> Placement | None:
        for geocoder in self.geocoders:
            try:
                placement = geocoder.locate(city, district, detail)
            except Exception:  # a provider's bug must not stop the desk from filing a customer
                logger.exception("geocoder %s failed", geocoder.name)
                continue
            if placement is not None:
                return placement
        return None


GeocoderFactory = Callable[[], Geocoder]
_factories: dict[str, GeocoderFactory] = {}


def geocoder_register(name: str, factory: GeocoderFactory) -> None:
    """Make a provider choosable by `WUYOU_GEOCODER = name`; the factory reads its own settings (keys, timeouts)."""
    _factories[name] = factory


def geocoder_names() -> list[str]:
    """The registered provider names."""
    return sorted(_factories)


def geocoder_get(name: str | None = None) -> Geocoder:
    """The configured geocoder (or the one named), with the offline gazetteer behind it.

    An unknown name or a provider that cannot be built (no key) is logged and leaves the gazetteer alone: a
    misconfiguration makes placements coarser, never stops customers from being filed.
    """
    from wuyou.core.geocoding.gazetteer import gazetteer_default

    chosen = name or getattr(settings, "WUYOU_GEOCODER", "gazetteer") or "gazetteer"
    offline = gazetteer_default()
    if chosen == "gazetteer":
        return offline
    factory = _factories.get(chosen)
    if factory is None:
        logger.error(
            "unknown geocoder %r (known: %s); using the offline gazetteer", chosen, ", ".join(geocoder_names())
        )
        return offline
    try:
        provider = factory()
    except ValueError as exc:
        logger.error("geocoder %s is not configured (%s); using the offline gazetteer", chosen, exc)
        return offline
    return ChainGeocoder([provider, offline])


def locate(city: str, district: str, detail: str) -> Placement | None:
    """Place an address with the configured geocoder."""
    return geocoder_get().locate(city, district, detail)


def _register_builtin() -> None:
    from wuyou.core.geocoding.amap import AmapGeocoder
    from wuyou.core.geocoding.gazetteer import gazetteer_default

    geocoder_register("gazetteer", gazetteer_default)
    geocoder_register("amap", AmapGeocoder.from_settings)


_register_builtin()

__all__ = [
    "PRECISIONS",
    "ChainGeocoder",
    "Geocoder",
    "Placement",
    "Precision",
    "geocoder_get",
    "geocoder_names",
    "geocoder_register",
    "locate",
]
