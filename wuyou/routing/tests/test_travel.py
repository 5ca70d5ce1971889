"""R-F1: travel behind the optimiser: great-circle for real days, explicit and Euclidean for benchmarks (pure)."""

from __future__ import annotations

import math
import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wuyou.core.geo import great_circle_km
from wuyou.routing.optimizer import Point
from wuyou.routing.travel import EuclideanTravel, ExplicitTravel, GreatCircleTravel

PEOPLES_SQUARE = Point(31.2304, 121.4737)
PUDONG_AIRPORT = Point(31.1443, 121.8083)


def test_great_circle_is_the_haversine_times_road_factor_at_the_given_speed():
    # given two places in Shanghai about 33 km apart as the crow flies
    crow_km = great_circle_km(PEOPLES_SQUARE.lat, PEOPLES_SQUARE.lon, PUDONG_AIRPORT.lat, PUDONG_AIRPORT.lon)
    # when the default model is asked
    durations, distances = GreatCircleTravel().matrices([PEOPLES_SQUARE, PUDONG_AIRPORT])
    # then the road is 1.35 times longer and driven at 28 km/h, in whole metres and seconds
    assert distances[0][1] == round(crow_km * 1.35 * 1000)
    assert durations[0][1] == round(crow_km * 1.35 / 28 * 3600)
    assert durations[0][0] == distances[1][1] == 0
    assert durations[0][1] == durations[1][0]


def test_great_circle_takes_its_road_factor_and_speed():
    slow = GreatCircleTravel(road_factor=1.0, speed_kmh=14.0)
    fast = GreatCircleTravel(road_factor=1.0, speed_kmh=28.0)
    points = [PEOPLES_SQUARE, PUDONG_AIRPORT]
    assert slow.matrices(points)[0][0][1] == pytest.approx(2 * fast.matrices(points)[0][0][1], abs=1)
    with pytest.raises(ValueError):
        GreatCircleTravel(speed_kmh=0)


def test_great_circle_handles_500_points_quickly():
    rnd = random.Random(7)
    points = [Point(31.0 + rnd.random() * 0.5, 121.2 + rnd.random() * 0.6) for _ in range(500)]
    started = time.perf_counter()
    durations, distances = GreatCircleTravel().matrices(points)
    assert time.perf_counter() - started < 0.5
    assert len(durations) == len(distances) == 500
    assert all(len(row) == 500 for row in durations)
    assert isinstance(durations[3][4], int)


def test_no_points_give_empty_matrices():
    for model in (GreatCircleTravel(), EuclideanTravel(), ExplicitTravel([[0]], [[0]])):
        assert model.matrices([]) == ([], [])


@settings(max_examples=100, deadline=None)
@given(
    lat1=st.floats(-80, 80),
    lon1=st.floats(-179, 179),
    lat2=st.floats(-80, 80),
    lon2=st.floats(-179, 179),
)
def test_great_circle_agrees_with_the_scalar_haversine(lat1, lon1, lat2, lon2):
    durations, distances = GreatCircleTravel(road_factor=1.0).matrices([Point(lat1, lon1), Point(lat2, lon2)])
    assert distances[0][1] == pytest.approx(great_circle_km(lat1, lon1, lat2, lon2) * 1000, abs=1.0)


def test_euclidean_truncates_to_tenths_as_dimacs_does():
    # given plane points (x in lat, y in lon) as in Solomon's instances
    a, b, c = Point(0, 0), Point(1, 1), Point(3, 4)
    durations, distances = EuclideanTravel().matrices([a, b, c])
    # then distances are floor(10·euclid) and travel time equals distance
    assert distances[0][1] == math.floor(10 * math.sqrt(2)) == 14
    assert distances[0][2] == 50
    assert distances[1][2] == math.floor(10 * math.hypot(2, 3)) == 36
    assert durations == distances


def test_euclidean_rounds_without_dimacs():
    durations, _ = EuclideanTravel(scale=1, dimacs=False).matrices([Point(0, 0), Point(1, 1.2)])
    assert durations[0][1] == round(math.hypot(1, 1.2)) == 2


def test_explicit_travel_looks_points_up_in_any_order():
    # given a 3×3 matrix for three named points
    p = [Point(0, 0), Point(5, 5), Point(9, 9)]
    durations = [[0, 10, 20], [11, 0, 30], [21, 31, 0]]
    distances = [[0, 100, 200], [110, 0, 300], [210, 310, 0]]
    travel = ExplicitTravel(durations, distances, points=p)
    # when asked for them in another order, with a repeat
    d, m = travel.matrices([p[2], p[0], p[2]])
    # then the rows follow the order asked
    assert d == [[0, 21, 0], [20, 0, 20], [0, 21, 0]]
    assert m[1][0] == 200
    with pytest.raises(ValueError):
        travel.matrices([Point(1, 1)])


def test_explicit_travel_without_points_reads_rows_from_index_points():
    travel = ExplicitTravel([[0, 7], [8, 0]], [[0, 70], [80, 0]])
    d, m = travel.matrices([ExplicitTravel.point(1), ExplicitTravel.point(0)])
    assert d == [[0, 8], [7, 0]]
    assert m == [[0, 80], [70, 0]]
    with pytest.raises(ValueError):
        travel.matrices([ExplicitTravel.point(2)])


def test_explicit_travel_rejects_ragged_matrices():
    with pytest.raises(ValueError):
        ExplicitTravel([[0, 1]], [[0, 1]])
    with pytest.raises(ValueError):
        ExplicitTravel([[0]], [[0]], points=[Point(0, 0), Point(1, 1)])
