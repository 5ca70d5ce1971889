"""The dispatcher board's drawing geometry (pure): times on the 08:00–22:00 timeline, map points in an SVG view box."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

# The timeline runs from 08:00 to 22:00 local time: field hours include weekday evenings (R-D3).
TIMELINE_HOURS = (8, 22)


# One colour per engineer, told apart on the map and the timeline (the name is always written too).
COLOURS = (
    "#0b5cad",
    "#c2410c",
    "#15803d",
    "#7e22ce",
    "#b91c1c",
    "#0e7490",
    "#a16207",
    "#be185d",
    "#4d7c0f",
    "#1e3a8a",
)


MAP_WIDTH = 640


MAP_HEIGHTS = (300, 560)


MAP_MARGIN = 28


MAP_MIN_SPAN = 0.01  # degrees: a single point still gets a readable neighbourhood


@dataclass(frozen=True)
class Bar:
    """A span on the timeline as CSS percentages (strings, so no locale formats the decimal point)."""

    left: str
    width: str


class Timeline:
    """Places local times of a day on the 08:00–22:00 bar."""

    def __init__(self, origin: dt.datetime):
        self.begin = origin + dt.timedelta(hours=TIMELINE_HOURS[0])
        self.span = (TIMELINE_HOURS[1] - TIMELINE_HOURS[0]) * 3600

    def percent(self, at: dt.datetime) -> float:
        """Where a moment falls, 0–100 (clamped to the bar)."""
        return min(max((at - self.begin).total_seconds() / self.span * 100, 0.0), 100.0)

    def bar(self, start: dt.datetime, end: dt.datetime, *, least: float = 0.3) -> Bar:
        """A span; very short spans keep a visible sliver."""
        left = self.percent(start)
        width = max(self.percent(end) - left, least)
        return Bar(f"{left:.2f}", f"{min(width, 100 - left):.2f}")

    @property
    def hours(self) -> list[tuple[str, str]]:
        """The hour marks: label and position."""
        first, last = TIMELINE_HOURS
        count = last - first
        return [(f"{h:02d}", f"{(h - first) / count * 100:.2f}") for h in range(first, last + 1, 2)]


class Projection:
    """Latitude/longitude to SVG coordinates: equirectangular, scaled to fit every point with a margin."""

    def __init__(self, points: Iterable[tuple[float, float]]):
        pts = list(points) or [(0.0, 0.0)]
        lats = [p[0] for p in pts]
        lons = [p[1] for p in pts]
        self.k = math.cos(math.radians((min(lats) + max(lats)) / 2))
        xs = [lon * self.k for lon in lons]
        ys = [-lat for lat in lats]
        span_x = max(max(xs) - min(xs), MAP_MIN_SPAN)
        span_y = max(max(ys) - min(ys), MAP_MIN_SPAN)
        self.width = MAP_WIDTH
        self.height = round(min(max(MAP_WIDTH * span_y / span_x, MAP_HEIGHTS[0]), MAP_HEIGHTS[1]))
        self.scale = min((self.width - 2 * MAP_MARGIN) / span_x, (self.height - 2 * MAP_MARGIN) / span_y)
        self.cx = (max(xs) + min(xs)) / 2
        self.cy = (max(ys) + min(ys)) / 2

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        """The point in the view box."""
        x = self.width / 2 + (lon * self.k - self.cx) * self.scale
        y = self.height / 2 + (-lat - self.cy) * self.scale
        return round(x, 1), round(y, 1)

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"
