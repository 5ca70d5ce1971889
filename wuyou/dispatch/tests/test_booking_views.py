"""Opening and booking a visit on the web (issue 4 item 1, R-F1, R-D3), and the request page's visits section."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests.field_service import TODAY, local
from wuyou.dispatch.forms import window_value
from wuyou.dispatch.models import AppointmentWindow, EngineerDay, WorkOrder, WorkOrderStatus
from wuyou.products.models import JobType


def login(client, staff):
    """Log in, speaking English (the messages the tests read)."""
    client.force_login(staff.user)
    client.cookies.load({"django_language": "en"})
    return client


def slot(start: str, end: str, day=TODAY) -> str:
    return window_value(local(day, start), local(day, end))


def test_a_visit_opens_with_the_job_and_time_from_the_call_type_and_product(client, field_service):
    f = field_service
    sr = f.request()
    client = login(client, f.network.clerk_a)
    # The form proposes a repair of the product's standard 60 minutes
    page = client.get(reverse("dispatch:work_order_new", args=[sr.pk])).content.decode()
    assert '<option value="repair" selected>' in page and 'value="60"' in page
    # Asking for another job type proposes that job's default time
    page = client.get(reverse("dispatch:work_order_new", args=[sr.pk]), {"job_type": "installation"}).content.decode()
    assert '<option value="installation" selected>' in page and 'value="90"' in page
    # Opening it goes on to the booking page
    response = client.post(reverse("dispatch:work_order_new", args=[sr.pk]), {"job_type": "repair"})
    wo = WorkOrder.objects.get(request=sr)
    assert response.status_code == 302 and response["Location"] == reverse("dispatch:work_order_book", args=[wo.pk])
    assert wo.status == WorkOrderStatus.UNBOOKED and wo.job_type == JobType.REPAIR and wo.duration_minutes == 60
    assert [s.code for s in wo.skills.all()] == ["ac_repair"]


def test_a_second_visit_or_a_bad_duration_is_refused_on_the_form(client, field_service):
    f = field_service
    wo = f.work_order()
    client = login(client, f.network.clerk_a)
    url = reverse("dispatch:work_order_new", args=[wo.request_id])
    page = client.get(url).content.decode()
    assert "already has an open visit" in page
    response = client.post(url, {"job_type": "repair"})
    assert response.status_code == 409 and "already has an open visit" in response.content.decode()
    response = client.post(url, {"job_type": "repair", "duration_minutes": 3})
    assert response.status_code == 422 and "greater than or equal to 5" in response.content.decode()
    assert WorkOrder.objects.filter(request_id=wo.request_id).count() == 1


def test_the_booking_page_offers_free_windows_and_greys_out_full_ones(client, field_service):
    f = field_service
    net = f.network
    # Given both engineers work only the morning today
    for engineer in (net.engineer_a, net.engineer_a2):
        EngineerDay.objects.create(
            engineer=engineer, day=TODAY, starts_at=local(TODAY, "08:30"), ends_at=local(TODAY, "12:00")
        )
    wo = f.work_order()
    page = login(client, net.clerk_a).get(reverse("dispatch:work_order_book", args=[wo.pk])).content.decode()
    # Then today's morning is offered with the engineer and his extra travel; the afternoon is greyed out
    assert f'value="{slot("08:30", "10:30")}"' in page
    assert f'value="{slot("13:30", "15:30")}"' not in page
    assert "no engineer free nearby" in page and "min travel" in page
    # And tomorrow's evenings are offered like any other window (R-D3)
    tomorrow = TODAY + dt.timedelta(days=1)
    assert f'value="{slot("19:30", "21:30", tomorrow)}"' in page
    assert page.count('type="checkbox" name="windows"') >= 6 * 6


def test_booking_one_window_makes_the_appointment_several_let_the_plan_choose(client, field_service):
    f = field_service
    wo = f.work_order()
    client = login(client, f.network.clerk_a)
    url = reverse("dispatch:work_order_book", args=[wo.pk])
    evening = TODAY + dt.timedelta(days=1)
    # One window: the appointment
    response = client.post(url, {"windows": [slot("18:00", "20:00", evening)], "version": wo.version})
    assert response.status_code == 302 and response["Location"] == reverse("tickets:detail", args=[wo.request_id])
    wo.refresh_from_db()
    assert wo.status == WorkOrderStatus.BOOKED and wo.window_start == local(evening, "18:00")
    # Several windows: the plan picks one
    response = client.post(
        url, {"windows": [slot("08:30", "10:30", evening), slot("13:30", "15:30", evening)], "version": wo.version}
    )
    assert response.status_code == 302
    wo.refresh_from_db()
    assert wo.window_start is None and AppointmentWindow.objects.filter(work_order=wo).count() == 2


def test_booking_errors_are_shown_on_the_form(client, field_service):
    f = field_service
    wo = f.work_order()
    client = login(client, f.network.clerk_a)
    url = reverse("dispatch:work_order_book", args=[wo.pk])
    response = client.post(url, {"version": wo.version})
    assert response.status_code == 422 and "Choose at least one window." in response.content.decode()
    response = client.post(url, {"windows": ["2026-11-24T03:00:00+08:00|2026-11-24T04:00:00+08:00"], "version": 1})
    assert response.status_code == 422 and "no longer free" in response.content.decode()
    chosen = slot("08:30", "10:30", TODAY + dt.timedelta(days=2))
    response = client.post(url, {"windows": [chosen], "version": wo.version - 1 if wo.version > 1 else 99})
    body = response.content.decode()
    assert response.status_code == 409 and "changed by someone else" in body
    assert f'name="version" value="{wo.version}"' in body  # the form now carries the fresh version
    assert f'value="{chosen}" checked' in body  # and keeps what the clerk ticked
    wo.refresh_from_db()
    assert wo.window_start == local(TODAY, "09:00")


def test_the_request_page_lists_its_visits_with_what_to_do_next(client, field_service):
    f = field_service
    sr = f.request()
    client = login(client, f.network.clerk_a)
    page = client.get(reverse("tickets:detail", args=[sr.pk])).content.decode()
    assert reverse("dispatch:work_order_new", args=[sr.pk]) in page and "Open a visit" in page
    client.post(reverse("dispatch:work_order_new", args=[sr.pk]), {"job_type": "repair"})
    wo = WorkOrder.objects.get(request=sr)
    page = client.get(reverse("tickets:detail", args=[sr.pk])).content.decode()
    assert wo.number in page and reverse("fieldservice:work_order", args=[wo.pk]) in page
    assert reverse("dispatch:work_order_book", args=[wo.pk]) in page
    assert reverse("dispatch:work_order_new", args=[sr.pk]) not in page  # one open visit at a time
    # The engineer sees no booking links
    page = login(client, f.network.engineer_a).get(reverse("tickets:detail", args=[sr.pk]))
    assert reverse("dispatch:work_order_book", args=[wo.pk]) not in page.content.decode()


@pytest.mark.parametrize("who", ["clerk_b", "engineer_b"])
def test_another_outlets_people_get_not_found_for_booking(client, field_service, who):
    f = field_service
    wo = f.work_order()
    client = login(client, getattr(f.network, who))
    assert client.get(reverse("dispatch:work_order_book", args=[wo.pk])).status_code == 404
    assert client.post(reverse("dispatch:work_order_book", args=[wo.pk]), {"version": 1}).status_code == 404
    assert client.get(reverse("dispatch:work_order_new", args=[wo.request_id])).status_code == 404
    assert client.post(reverse("dispatch:work_order_new", args=[wo.request_id])).status_code == 404


def test_a_sales_rep_of_the_outlet_may_not_book(client, field_service):
    f = field_service
    wo = f.work_order()
    response = login(client, f.network.sales_rep_a).get(reverse("dispatch:work_order_book", args=[wo.pk]))
    assert response.status_code == 403


def test_a_visit_whose_skills_nobody_holds_says_so_instead_of_no_room_r_f7(client, field_service):
    # Given a visit needing the boiler skill, whose only holder's certificate has lapsed
    f = field_service
    wo = f.work_order()
    wo.skills.add(f.boiler)
    f.network.engineer_a2.certificates.filter(skill=f.boiler).update(
        issued_on=dt.date(2020, 1, 1), expires_on=dt.date(2023, 1, 1)
    )
    login(client, f.network.clerk_a)
    body = client.get(reverse("dispatch:work_order_book", args=[wo.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No engineer of this outlet holds a valid certificate for all of:" in body
    assert "壁挂炉" in body and 'type="checkbox"' not in body


def test_the_desk_calls_off_a_visit_from_the_request_page_with_a_reason(client, field_service):
    f = field_service
    wo = f.work_order()
    login(client, f.network.clerk_a)
    page = client.get(reverse("tickets:detail", args=[wo.request_id])).content.decode()
    assert reverse("dispatch:work_order_cancel", args=[wo.pk]) in page
    url = reverse("dispatch:work_order_cancel", args=[wo.pk])
    client.post(url, {"reason": ""}, follow=True)
    wo.refresh_from_db()
    assert wo.status == WorkOrderStatus.BOOKED  # no reason, nothing written
    response = client.post(url, {"reason": "客户已自行修好"}, follow=True)
    wo.refresh_from_db()
    assert wo.status == WorkOrderStatus.CANCELLED
    assert "called off" in response.content.decode()
    login(client, f.network.clerk_b)
    assert client.post(url, {"reason": "x"}).status_code == 404
