"""The day the board opens on without ?day= (issue 13 item 8): today if it has booked work, else the next one."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from tests.field_service import TODAY
from wuyou.dispatch.models import WorkOrder, WorkOrderStatus


def login(client, staff):
    client.force_login(staff.user)
    client.cookies.load({"django_language": "en"})
    return client


def opened_on(client, f) -> tuple[dt.date, str]:
    response = login(client, f.network.clerk_a).get(reverse("dispatch:board"))
    assert response.status_code == 200
    return response.context["day"], response.content.decode()


def test_today_with_booked_work_opens_today(client, field_service):
    f = field_service
    f.work_order(day=TODAY)
    f.work_order(day=TODAY + dt.timedelta(days=1))
    day, page = opened_on(client, f)
    assert day == TODAY
    assert "board-notice" not in page


def test_demo_loaded_after_three_opens_on_tomorrow_where_the_work_is(client, field_service):
    # Given work booked only for tomorrow (the demo loaded after 15:00 plans tomorrow)
    f = field_service
    wo = f.work_order(day=TODAY + dt.timedelta(days=1), windows=(("09:00", "11:00"), ("13:30", "15:30")))
    # When the clerk opens the board with no day
    day, page = opened_on(client, f)
    # Then it shows tomorrow and its waiting job
    assert day == TODAY + dt.timedelta(days=1)
    assert wo.number in page


def test_the_next_booked_day_within_fourteen_days(client, field_service):
    f = field_service
    f.work_order(day=TODAY + dt.timedelta(days=9))
    f.work_order(day=TODAY + dt.timedelta(days=12))
    day, _page = opened_on(client, f)
    assert day == TODAY + dt.timedelta(days=9)


def test_planned_work_counts_on_its_planned_day(client, field_service):
    f = field_service
    wo = f.work_order(day=TODAY + dt.timedelta(days=20))
    start = dt.datetime.combine(TODAY + dt.timedelta(days=3), dt.time(2, 0), tzinfo=dt.UTC)  # 10:00 Shanghai
    WorkOrder.objects.filter(pk=wo.pk).update(
        status=WorkOrderStatus.PLANNED, engineer=f.network.engineer_a, planned_start=start
    )
    day, _page = opened_on(client, f)
    assert day == TODAY + dt.timedelta(days=3)


def test_no_work_in_fourteen_days_opens_today_and_says_where_the_nearest_is(client, field_service):
    f = field_service
    f.work_order(day=TODAY + dt.timedelta(days=30))
    cancelled = f.work_order(day=TODAY + dt.timedelta(days=2))
    WorkOrder.objects.filter(pk=cancelled.pk).update(status=WorkOrderStatus.CANCELLED)
    day, page = opened_on(client, f)
    assert day == TODAY
    assert "board-notice" in page
    assert (TODAY + dt.timedelta(days=30)).isoformat() in page


def test_nothing_booked_at_all_opens_today_and_says_so(client, field_service):
    day, page = opened_on(client, field_service)
    assert day == TODAY
    assert "No work is booked at this outlet yet." in page


def test_another_outlets_work_does_not_move_the_board(client, field_service):
    f = field_service
    f.work_order(day=TODAY + dt.timedelta(days=2), outlet=f.network.outlet_b)
    day, _page = opened_on(client, f)
    assert day == TODAY


def test_an_asked_day_is_kept(client, field_service):
    f = field_service
    f.work_order(day=TODAY + dt.timedelta(days=1))
    asked = TODAY + dt.timedelta(days=5)
    response = login(client, f.network.clerk_a).get(
        f"{reverse('dispatch:board')}?outlet={f.network.outlet_a.pk}&day={asked.isoformat()}"
    )
    assert response.context["day"] == asked
