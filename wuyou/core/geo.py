"""Great-circle geometry on plain floats (pure)."""

from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.0088


def great_circle_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Haversine distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def check_coordinates(latitude: float | None, longitude: float | None) -> dict[str, str]:
    """Field errors for coordinates out of range or given only half."""
    errors: dict[str, str] = {}
    if (latitude is None) != (longitude is None):
        errors["latitude" if latitude is None else "longitude"] = "give both latitude and longitude, or neither"
    if latitude is not None and not -90 <= latitude <= 90:
        errors["latitude"] = "latitude must be between -90 and 90"
    if longitude is not None and not -180 <= longitude <= 180:
        errors["longitude"] = "longitude must be between -180 and 180"
    return errors
