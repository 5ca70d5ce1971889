"""AMap (高德) web-service geocoding: https://restapi.amap.com/v3/geocode/geo with a key (docs/geocoding.md).

The address leaves the machine: use it only where the operator has agreed to it (PIPL art. 21, entrusted processing).
Any failure (no network, timeout, a refused key, an answer we cannot read) is logged and answers None, so the offline
gazetteer behind it takes over.
"""

from __future__ import annotations

import json
import logging
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from django.conf import settings

from wuyou.core.geocoding.placement import Placement, Precision

logger = logging.getLogger("wuyou.geocoding")

ENDPOINT = "https://restapi.amap.com/v3/geocode/geo"
DEFAULT_TIMEOUT = 3.0  # seconds: an agent is on the phone while the customer is filed

# AMap's `level` of a match → how finely it places the address (anything coarser than a city is no use here).
_LEVELS: dict[str, tuple[Precision, bool]] = {
    "门牌号": ("address", False),
    "单元号": ("address", False),
    "楼栋": ("address", False),
    "兴趣点": ("address", False),
    "道路": ("street", True),
    "道路交叉路口": ("street", True),
    "村庄": ("street", True),
    "乡镇": ("district", True),
    "热点商圈": ("district", True),
    "开发区": ("district", True),
    "区县": ("district", True),
    "市": ("city", True),
}

# Opens a request with a timeout and returns the response body: urllib's opener by default, a fake in tests.
Opener = Callable[[urllib.request.Request, float], bytes]


def _urlopen(request: urllib.request.Request, timeout: float) -> bytes:
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (the URL is our fixed https one)
        body: bytes = response.read(1_000_000)
        return body


class AmapGeocoder:
    """One AMap geocode request per address; `opener` is injectable for tests (no network)."""

    name = "amap"

    def __init__(self, key: str, *, timeout: float = DEFAULT_TIMEOUT, opener: Opener | None = None) -> None:
        if not key:
            raise ValueError("WUYOU_AMAP_KEY is empty")
        self.key = key
        self.timeout = timeout
        self.opener = opener or _urlopen

    @classmethod
    def from_settings(cls) -> AmapGeocoder:
        return cls(
            getattr(settings, "WUYOU_AMAP_KEY", ""),
            timeout=float(getattr(settings, "WUYOU_GEOCODER_TIMEOUT", DEFAULT_TIMEOUT)),
        )

    def locate(self, city: str, district: str, detail: str) -> Placement | None:
        address = f"{city.strip()}{district.strip()}{detail.strip()}"
        if not address:
            return None
        query = {"key": self.key, "address": address[:200], "output": "JSON"}
        if city.strip():
            query["city"] = city.strip()
        request = urllib.request.Request(
            f"{ENDPOINT}?{urllib.parse.urlencode(query)}", headers={"Accept": "application/json"}
        )
        try:
            body = self.opener(request, self.timeout)
            data = json.loads(body.decode("utf-8"))
        except (OSError, ValueError) as exc:  # URLError, timeouts and HTTP errors are OSErrors; bad JSON ValueError
            logger.warning("amap geocoding failed: %s", type(exc).__name__)
            return None
        return self.parse(data)

    def parse(self, data: Any) -> Placement | None:
        """The placement in an AMap answer, or None (refused, nothing found, unreadable)."""
        if not isinstance(data, dict) or str(data.get("status")) != "1":
            info = data.get("info") if isinstance(data, dict) else None
            logger.warning("amap geocoding refused: %s", str(info)[:80])
            return None
        geocodes = data.get("geocodes") or []
        if not isinstance(geocodes, list) or not geocodes or not isinstance(geocodes[0], dict):
            return None
        first = geocodes[0]
        try:
            lng_text, lat_text = str(first.get("location", "")).split(",")
            latitude, longitude = float(lat_text), float(lng_text)
        except ValueError:
            logger.warning("amap geocoding: unreadable location %r", str(first.get("location"))[:40])
            return None
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            return None
        level = _LEVELS.get(str(first.get("level", "")))
        if level is None:
            return None  # a province or a country: no use for routing
        precision, approximate = level
        return Placement(
            latitude=round(latitude, 6),
            longitude=round(longitude, 6),
            precision=precision,
            source=self.name,
            approximate=approximate,
        )
