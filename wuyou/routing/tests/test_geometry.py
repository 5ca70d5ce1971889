"""The board's drawing geometry: timeline positions and the map projection (pure, no database)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wuyou.routing.geometry import MAP_HEIGHTS, MAP_MARGIN, MAP_WIDTH, TIMELINE_HOURS, Projection, Timeline

ORIGIN = dt.datetime(2026, 12, 3, tzinfo=ZoneInfo("Asia/Shanghai"))


def at(hh: int, mm: int = 0) -> dt.datetime:
    return ORIGIN + dt.timedelta(hours=hh, minutes=mm)


@pytest.mark.parametrize(
    ("moment", "percent"),
    [
        (at(8), 0.0),  # the bar starts at 08:00
        (at(15), 50.0),  # 15:00 is half way to 22:00
        (at(22), 100.0),
        (at(6), 0.0),  # before the bar: clamped
        (at(23, 30), 100.0),  # after it: clamped
    ],
)
def test_a_moment_falls_on_the_eight_to_ten_bar(moment, percent):
    assert Timeline(ORIGIN).percent(moment) == pytest.approx(percent)


def test_a_span_is_a_css_bar_and_a_very_short_one_keeps_a_sliver():
    timeline = Timeline(ORIGIN)
    bar = timeline.bar(at(8), at(15))
    assert (bar.left, bar.width) == ("0.00", "50.00")
    sliver = timeline.bar(at(10), at(10))
    assert float(sliver.width) == pytest.approx(0.3)
    # A span running past 22:00 never draws outside the bar.
    late = timeline.bar(at(21), at(23))
    assert float(late.left) + float(late.width) <= 100.0


def test_hour_marks_every_two_hours_from_eight_to_twenty_two():
    marks = Timeline(ORIGIN).hours
    assert [label for label, _pos in marks] == [f"{h:02d}" for h in range(TIMELINE_HOURS[0], TIMELINE_HOURS[1] + 1, 2)]
    assert marks[0][1] == "0.00" and marks[-1][1] == "100.00"


def test_a_single_point_sits_in_the_middle_of_a_readable_map():
    projection = Projection([(36.06, 120.38)])
    assert projection.width == MAP_WIDTH
    assert MAP_HEIGHTS[0] <= projection.height <= MAP_HEIGHTS[1]
    assert projection.xy(36.06, 120.38) == (projection.width / 2, projection.height / 2)
    assert projection.view_box == f"0 0 {projection.width} {projection.height}"


def test_north_is_up_and_east_is_right():
    projection = Projection([(36.0, 120.0), (36.2, 120.5)])
    south_west, north_east = projection.xy(36.0, 120.0), projection.xy(36.2, 120.5)
    assert north_east[0] > south_west[0]
    assert north_east[1] < south_west[1]


city = st.tuples(st.floats(35.5, 36.5), st.floats(119.5, 121.0))


@given(st.lists(city, min_size=1, max_size=30))
def test_every_point_lands_inside_the_view_box_with_its_margin(points):
    projection = Projection(points)
    for lat, lon in points:
        x, y = projection.xy(lat, lon)
        assert MAP_MARGIN - 0.1 <= x <= projection.width - MAP_MARGIN + 0.1
        assert MAP_MARGIN - 0.1 <= y <= projection.height - MAP_MARGIN + 0.1
