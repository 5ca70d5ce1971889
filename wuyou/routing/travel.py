"""Travel models for the dispatch optimiser (pure): great-circle for real days, explicit and Euclidean for benchmarks.

Each model answers `matrices(points)` with (durations, distances), two n×n lists of non-negative integers in
the order of the points given. Identical points get zero travel between them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from wuyou.core.geo import EARTH_RADIUS_KM
from wuyou.routing.optimizer import Point


class GreatCircleTravel:
    """Great-circle distance times a road factor, driven at a fixed average speed (seconds, metres)."""

    def __init__(self, road_factor: float = 1.35, speed_kmh: float = 28.0) -> None:
        if road_factor <= 0 or speed_kmh <= 0:
            raise ValueError("road_factor and speed_kmh must be positive")
        self.road_factor = road_factor
        self.speed_kmh = speed_kmh

    def road_km(self, points: Sequence[Point]) -> np.ndarray:
        """Road kilometres between all points: the haversine of `wuyou.core.geo` times the road factor."""
        lat = np.radians(np.array([p.lat for p in points], dtype=float))
        lon = np.radians(np.array([p.lon for p in points], dtype=float))
        dp = lat[None, :] - lat[:, None]
        dl = lon[None, :] - lon[:, None]
        a = np.sin(dp / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dl / 2) ** 2
        km = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))
        return km * self.road_factor

    def matrices(self, points: Sequence[Point]) -> tuple[list[list[int]], list[list[int]]]:
        """(durations in seconds, distances in metres) between all points."""
        if not points:
            return [], []
        km = self.road_km(points)
        durations = np.rint(km / self.speed_kmh * 3600.0).astype(np.int64)
        distances = np.rint(km * 1000.0).astype(np.int64)
        return durations.tolist(), distances.tolist()


class ExplicitTravel:
    """Given matrices (benchmark instances, a road-network service).

    With `points`, row i of the matrices belongs to `points[i]` and `matrices()` looks each point up (so the
    points may come in any order; equal points must have equal rows). Without `points`, a point's `lat` is
    its row number: build the points as `ExplicitTravel.point(i)`.
    """

    def __init__(
        self,
        durations: Sequence[Sequence[int]],
        distances: Sequence[Sequence[int]],
        points: Sequence[Point] | None = None,
    ) -> None:
        self.durations = np.asarray(durations, dtype=np.int64)
        self.distances = np.asarray(distances, dtype=np.int64)
        n = len(self.durations)
        if self.durations.shape != (n, n) or self.distances.shape != (n, n):
            raise ValueError("durations and distances must be square matrices of the same size")
        if points is not None and len(points) != n:
            raise ValueError("give one point per matrix row")
        self.index: dict[Point, int] | None = None
        if points is not None:
            self.index = {}
            for i, p in enumerate(points):
                self.index.setdefault(p, i)

    @staticmethod
    def point(row: int) -> Point:
        """The point standing for matrix row `row` when no coordinates were given."""
        return Point(lat=float(row), lon=0.0)

    def _row(self, point: Point) -> int:
        if self.index is not None:
            try:
                return self.index[point]
            except KeyError:
                raise ValueError(f"point {point} is not in the travel matrix") from None
        row = int(point.lat)
        if row != point.lat or not 0 <= row < len(self.durations):
            raise ValueError(f"point {point} does not name a matrix row")
        return row

    def matrices(self, points: Sequence[Point]) -> tuple[list[list[int]], list[list[int]]]:
        """Sub-matrices for the given points, in their order."""
        rows = np.array([self._row(p) for p in points], dtype=np.int64)
        if not len(rows):
            return [], []
        pick = np.ix_(rows, rows)
        return self.durations[pick].tolist(), self.distances[pick].tolist()


class EuclideanTravel:
    """Plane coordinates (Point.lat = x, Point.lon = y) for benchmark instances such as Solomon's.

    With `dimacs` (the DIMACS / CVRPLIB rule) the distance is floor(scale·euclid) in integer units of
    1/scale, and the travel time equals the distance; so instance times must be multiplied by `scale` too.
    Without `dimacs` the scaled distance is rounded instead of truncated.
    """

    def __init__(self, scale: int = 10, dimacs: bool = True) -> None:
        if scale <= 0:
            raise ValueError("scale must be positive")
        self.scale = scale
        self.dimacs = dimacs

    def matrices(self, points: Sequence[Point]) -> tuple[list[list[int]], list[list[int]]]:
        """(durations, distances) in scaled units; equal under the DIMACS convention."""
        if not points:
            return [], []
        xy = np.array([(p.lat, p.lon) for p in points], dtype=float)
        euclid = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=-1)) * self.scale
        # Plain truncation, exactly as CVRPLIB and `pyvrp.read(round_func="dimacs")` do, so costs match the BKS.
        scaled = np.floor(euclid) if self.dimacs else np.rint(euclid)
        d = scaled.astype(np.int64).tolist()
        return d, [list(row) for row in d]
