"""R-E3, R-G1 on the web: phone guidance from the request page, the follow-up list and recording a callback."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import RequestFactory
from wuyou.dispatch.models import WorkOrderStatus
from wuyou.quality.models import Callback, CallbackReason, CallbackStatus
from wuyou.tickets.models import RequestEvent, Status
from wuyou.tickets.services import request_transition

from .conftest import at

HX = {"HTTP_HX_REQUEST": "true"}


def login(client, staff):
    client.force_login(staff.user)
    return client


# --- phone guidance from the request page --------------------------------------------------------


def test_the_request_page_offers_phone_guidance_to_the_desk_on_open_requests(client, desk):
    sr = desk.request()
    page = login(client, desk.network.clerk_a).get(reverse("tickets:detail", args=[sr.pk])).content.decode()
    assert 'id="phone-guidance-form"' in page
    assert reverse("quality:phone_guidance", args=[sr.pk]) in page
    sr.status = Status.CLOSED
    sr.save()
    page = client.get(reverse("tickets:detail", args=[sr.pk])).content.decode()
    assert 'id="phone-guidance-form"' not in page


def test_engineers_are_not_offered_phone_guidance_nor_shown_callbacks(client, desk):
    sr = desk.request()
    desk.guide(sr)
    sr.assignee = desk.network.engineer_a
    sr.save()
    page = login(client, desk.network.engineer_a).get(reverse("tickets:detail", args=[sr.pk])).content.decode()
    assert 'id="phone-guidance-form"' not in page and 'id="callbacks"' not in page
    assert client.post(reverse("quality:phone_guidance", args=[sr.pk]), {"note": "x", "version": 1}).status_code == 403


def test_guiding_by_phone_from_the_request_page_resolves_it_and_shows_the_callback(client, desk):
    sr = desk.request()
    wo = desk.visit(sr)
    sr.refresh_from_db()
    login(client, desk.network.clerk_a)
    response = client.post(
        reverse("quality:phone_guidance", args=[sr.pk]), {"note": "指导客户复位电源", "version": sr.version}
    )
    assert response.status_code == 302 and response["Location"] == reverse("tickets:detail", args=[sr.pk])
    sr.refresh_from_db()
    wo.refresh_from_db()
    assert sr.status == Status.RESOLVED and wo.status == WorkOrderStatus.CANCELLED
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="callbacks"' in page and "2026-03-03 12:00" in page and "After phone guidance" in page


def test_guidance_without_a_note_shows_the_error_and_writes_nothing(client, desk):
    sr = desk.request()
    events = RequestEvent.objects.count()
    login(client, desk.network.clerk_a)
    response = client.post(
        reverse("quality:phone_guidance", args=[sr.pk]), {"note": "", "version": sr.version}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 422
    assert "a note is required" in response.content.decode()
    sr.refresh_from_db()
    assert sr.status == Status.NEW and RequestEvent.objects.count() == events and not Callback.objects.exists()


def test_guidance_on_a_stale_page_is_a_409_showing_the_request_as_it_is(client, desk):
    # Given the agent's page shows version 1, and a colleague accepts the request meanwhile
    sr = desk.request()
    stale = sr.version
    request_transition(actor=desk.actor(desk.network.hq_clerk), request=sr, action="accept")
    # When he sends his guidance, then he is told, with the request as it is now and his note kept
    response = login(client, desk.network.clerk_a).post(
        reverse("quality:phone_guidance", args=[sr.pk]), {"note": "已指导", "version": stale}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "changed by someone else" in page and f'value="{sr.version}"' in page and "已指导" in page
    assert not Callback.objects.exists()


def test_another_outlets_clerk_gets_404_on_phone_guidance(client, desk):
    sr = desk.request()
    login(client, desk.network.clerk_b)
    assert client.get(reverse("quality:phone_guidance", args=[sr.pk])).status_code == 404
    assert client.post(reverse("quality:phone_guidance", args=[sr.pk]), {"note": "x", "version": 1}).status_code == 404
    sr.refresh_from_db()
    assert sr.status == Status.NEW


# --- the follow-up list -----------------------------------------------------------------------------


def pending(desk, due: str, outlet=None) -> Callback:
    sr = RequestFactory(customer__outlet=outlet or desk.network.outlet_a, status=Status.RESOLVED)
    return Callback.objects.create(request=sr, reason=CallbackReason.PHONE_GUIDANCE, due_at=at(due), call_at=at(due))


def test_the_list_shows_due_callbacks_first_with_the_overdue_marked(client, desk):
    late = pending(desk, "2026-03-03 08:00")
    soon = pending(desk, "2026-03-03 11:00")
    tomorrow = pending(desk, "2026-03-04 11:00")
    theirs = pending(desk, "2026-03-03 08:00", outlet=desk.network.outlet_b)
    page = login(client, desk.follow_up_a).get(reverse("quality:callbacks")).content.decode()
    assert page.index(late.request.number) < page.index(soon.request.number)
    assert tomorrow.request.number not in page, "due today by default"
    assert '<option value="today" selected>' in page
    assert theirs.request.number not in page
    assert f'id="callback-{late.pk}" class="callback is-overdue"' in page
    assert f'id="callback-{soon.pk}" class="callback"' in page
    later = client.get(reverse("quality:callbacks"), {"due": "all"}, **HX).content.decode()
    assert tomorrow.request.number in later and "<html" not in later
    assert client.get(reverse("quality:callbacks"), {"due": "now"}).content.decode().count('class="callback') == 1


def test_the_list_query_count_does_not_grow_with_the_page(client, desk, django_assert_max_num_queries):
    for _ in range(3):
        pending(desk, "2026-03-03 09:00")
    login(client, desk.follow_up_a)
    with django_assert_max_num_queries(10) as few:
        client.get(reverse("quality:callbacks"))
    for _ in range(30):
        pending(desk, "2026-03-03 09:00")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("quality:callbacks")).content.decode()
    assert page.count('class="callback is-overdue"') == 25


def test_engineers_have_no_follow_up_list(client, desk):
    pending(desk, "2026-03-03 08:00")
    assert login(client, desk.network.engineer_a).get(reverse("quality:callbacks")).status_code == 403


def test_the_nav_links_the_follow_up_list_for_the_desk(client, desk):
    url = reverse("quality:callbacks")
    assert f'href="{url}"' in login(client, desk.follow_up_a).get(reverse("tickets:list")).content.decode()
    assert f'href="{url}"' not in login(client, desk.network.engineer_a).get("/").content.decode()


# --- recording a callback ---------------------------------------------------------------------------


def record(client, callback: Callback, outcome: str, note: str = "", due: str = "today"):
    return client.post(
        reverse("quality:callback_record", args=[callback.pk]),
        {"outcome": outcome, "note": note, "version": callback.version, "due": due},
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_recording_a_callback_returns_to_the_list(client, desk):
    sr = desk.request()
    callback = desk.guide(sr)
    desk.now("2026-03-03 12:05")
    response = record(login(client, desk.follow_up_a), callback, "satisfied", due="all")
    assert response.status_code == 302 and response["Location"] == reverse("quality:callbacks") + "?due=all&whose=all"
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.DONE
    assert sr.clocks.get(step="callback_due").outcome == "met"


def test_recording_twice_is_a_409_with_a_message(client, desk):
    callback = desk.guide(desk.request())
    record(login(client, desk.follow_up_a), callback, "satisfied")
    response = record(client, callback, "unsatisfied", note="不满意")
    assert response.status_code == 409
    assert "recorded" in response.content.decode()
    callback.refresh_from_db()
    assert callback.outcome == "satisfied"


def test_an_unsatisfied_record_without_a_note_shows_the_error_on_the_note(client, desk):
    callback = desk.guide(desk.request())
    desk.now("2026-03-03 12:05")
    response = record(login(client, desk.follow_up_a), callback, "unsatisfied")
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="id_note_error"' in page and "a note is required" in page
    callback.refresh_from_db()
    assert callback.is_pending


@pytest.mark.parametrize("who", ["follow_up_b", "engineer_b", "clerk_b"])
def test_another_outlets_staff_get_404_on_a_callback(client, desk, who):
    callback = desk.guide(desk.request())
    staff = getattr(desk, who, None) or getattr(desk.network, who)
    assert record(login(client, staff), callback, "satisfied").status_code == 404
    callback.refresh_from_db()
    assert callback.is_pending
