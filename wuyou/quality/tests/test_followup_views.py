"""R-G1, R-F3 on the web (issue 14 item 3): the follow-up queue, taking a callback, and its work page — the script,
the customer's card, the questionnaire, the outcome and "call at another time"."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from tests.factories import RequestFactory, StaffFactory
from wuyou.accounts.models import Role
from wuyou.customers.models import ContactWindow
from wuyou.dispatch.models import WorkOrder, WorkOrderStatus
from wuyou.quality.models import Callback, CallbackAnswer, CallbackReason, CallbackStatus
from wuyou.quality.services.callbacks import callback_take
from wuyou.quality.services.questionnaires import questionnaire_default_install
from wuyou.tickets.models import RequestEvent, Status

from .conftest import at

HX = {"HTTP_HX_REQUEST": "true"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
# The default questionnaire answered by a customer who is not satisfied (overall 2 of 5).
UNHAPPY = {
    "q_overall": "2",
    "q_on_time": "yes",
    "q_charged_as_quoted": "yes",
    "q_asked_to_mark_satisfied": "no",
    "q_attitude": "3",
    "q_punctuality_expected": "5",
    "q_punctuality_perceived": "4",
    "q_repair_expected": "5",
    "q_repair_perceived": "2",
}


def login(client, staff):
    client.force_login(staff.user)
    return client


def queued(desk, call: str, *, due: str | None = None, outlet=None, **kw) -> Callback:
    sr = RequestFactory(customer__outlet=outlet or desk.network.outlet_a, status=Status.RESOLVED)
    return Callback.objects.create(
        request=sr, reason=CallbackReason.SAMPLE, due_at=at(due or call), call_at=at(call), **kw
    )


# --- the queue -------------------------------------------------------------------------------------------------


def test_the_queue_lists_the_next_calls_in_call_at_order_with_both_times(client, desk):
    # Given a callback due by rule at 08:00 that may only ring at 11:00, and one to call at 09:00
    slid = queued(desk, "2026-03-03 11:00", due="2026-03-03 08:00")
    first = queued(desk, "2026-03-03 09:00", attempts=1)
    page = login(client, desk.follow_up_a).get(reverse("quality:callbacks"), **EN).content.decode()
    # Then the 09:00 call comes first, and each row shows "call at", "due by rule" and the attempts
    assert page.index(f'id="callback-{first.pk}"') < page.index(f'id="callback-{slid.pk}"')
    assert "Call at" in page and "Due by rule" in page and "Attempts" in page
    row = page[page.index(f'id="callback-{slid.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "03-03 11:00" in row and "03-03 08:00" in row
    assert 'class="callback"' in page[page.index(f'id="callback-{slid.pk}"') - 60 :][:200], "not overdue at 10:00"
    assert f'id="callback-{first.pk}" class="callback is-overdue"' in page
    assert reverse("quality:callback_take", args=[first.pk]) in page


def test_the_queue_filters_mine_and_the_unassigned(client, desk):
    mine = queued(desk, "2026-03-03 09:00")
    theirs = queued(desk, "2026-03-03 09:30")
    free = queued(desk, "2026-03-03 09:45")
    colleague = StaffFactory(role=Role.FOLLOW_UP, outlet=desk.network.outlet_a)
    callback_take(actor=desk.actor(desk.follow_up_a), callback=mine)
    callback_take(actor=desk.actor(colleague), callback=theirs)
    login(client, desk.follow_up_a)
    numbers = {c: c.request.number for c in (mine, theirs, free)}
    page = client.get(reverse("quality:callbacks"), {"whose": "mine"}, **HX).content.decode()
    assert numbers[mine] in page and numbers[theirs] not in page and numbers[free] not in page
    page = client.get(reverse("quality:callbacks"), {"whose": "unassigned"}, **HX).content.decode()
    assert numbers[free] in page and numbers[mine] not in page and numbers[theirs] not in page
    page = client.get(reverse("quality:callbacks"), {"whose": "all"}).content.decode()
    assert all(n in page for n in numbers.values())
    # A colleague's callback offers neither "Take" nor "Call"
    row = page[page.index(f'id="callback-{theirs.pk}"') :]
    assert reverse("quality:callback_take", args=[theirs.pk]) not in row[: row.index("</tr>")]


def test_the_queue_query_count_does_not_grow_with_the_page(client, desk, django_assert_max_num_queries):
    for _ in range(3):
        queued(desk, "2026-03-03 09:00")
    login(client, desk.follow_up_a)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("quality:callbacks"))
    for _ in range(30):
        queued(desk, "2026-03-03 09:00")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("quality:callbacks")).content.decode()
    assert page.count('class="callback is-overdue"') == 25


def test_taking_a_callback_swaps_its_row_and_a_second_taker_gets_409(client, desk):
    callback = queued(desk, "2026-03-03 09:00")
    response = login(client, desk.follow_up_a).post(reverse("quality:callback_take", args=[callback.pk]), **HX)
    assert response.status_code == 200
    row = response.content.decode()
    assert row.lstrip().startswith(f'<tr id="callback-{callback.pk}"') and "回访员甲" in row and "<html" not in row
    callback.refresh_from_db()
    assert callback.assigned_to == desk.follow_up_a and callback.taken_at is not None
    # When a colleague takes it too, he is told, and it stays with the first
    colleague = StaffFactory(role=Role.FOLLOW_UP, outlet=desk.network.outlet_a, user__username="follow_up_a2")
    response = login(client, colleague).post(reverse("quality:callback_take", args=[callback.pk]), **HX, **EN)
    assert response.status_code == 409 and "Another follow-up staff member" in response.content.decode()
    callback.refresh_from_db()
    assert callback.assigned_to == desk.follow_up_a


def test_taking_without_htmx_opens_the_work_page(client, desk):
    callback = queued(desk, "2026-03-03 09:00")
    response = login(client, desk.follow_up_a).post(reverse("quality:callback_take", args=[callback.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("quality:callback_work", args=[callback.pk])


# --- the work page ---------------------------------------------------------------------------------------------


def test_the_work_page_shows_the_script_the_card_the_history_and_the_questionnaire(client, desk):
    questionnaire_default_install()
    sr = desk.request()
    sr.customer.dont_call_at_work = True
    sr.customer.save()
    ContactWindow.objects.create(customer=sr.customer, days="weekend", starts_at=dt.time(10), ends_at=dt.time(12))
    callback = desk.guide(sr)
    page = login(client, desk.follow_up_a).get(reverse("quality:callback_work", args=[callback.pk]), **EN)
    assert page.status_code == 200
    text = page.content.decode()
    # The script: greeting, apology for the disturbance, the questions, the closing words
    assert "回访员" in text and "打扰" in text and "感谢您的支持" in text
    assert 'name="q_overall"' in text and 'type="radio"' in text and 'name="q_suggestions"' in text
    assert 'value="answered"' in text and 'value="no_answer"' in text and 'value="refused"' in text
    # The customer's card: the outlet's follow-up staff sees the number masked, so no tel: link
    number = sr.customer.phones.get().number
    assert f"{number[:3]}****{number[-4:]}" in text and f"tel:{number}" not in text
    assert 'id="dont-call-at-work"' in text and "10:00–12:00" in text
    # The job's history, with the phone guidance
    assert "Solved by phone guidance" in text and sr.number in text


def test_the_head_office_sees_the_whole_number_as_a_tel_link(client, desk):
    callback = desk.guide(desk.request())
    hq = StaffFactory(role=Role.FOLLOW_UP, outlet=None)
    text = login(client, hq).get(reverse("quality:callback_work", args=[callback.pk])).content.decode()
    number = callback.request.customer.phones.get().number
    assert f'href="tel:{number}"' in text


def record(client, callback: Callback, outcome: str, answers: dict | None = None, note: str = ""):
    callback.refresh_from_db()
    body = {"outcome": outcome, "note": note, "version": callback.version, **(answers or {})}
    return client.post(reverse("quality:callback_record", args=[callback.pk]), body, **EN)


def test_an_unhappy_answer_reopens_the_request_with_a_visit_to_book(client, desk):
    # R-F3: given a request resolved by phone guidance and its callback, with the default questionnaire
    questionnaire_default_install()
    sr = desk.request()
    callback = desk.guide(sr)
    desk.now("2026-03-03 12:05")
    login(client, desk.follow_up_a).post(reverse("quality:callback_take", args=[callback.pk]))
    # When the customer gives 2 of 5
    response = record(client, callback, "answered", UNHAPPY, note="遥控器还是时好时坏")
    assert response.status_code == 302 and response["Location"].startswith(reverse("quality:callbacks"))
    # Then the callback is done, not satisfied, its answers kept; the request is reopened with a visit to book
    callback.refresh_from_db()
    sr.refresh_from_db()
    assert (callback.status, callback.outcome) == (CallbackStatus.DONE, "unsatisfied")
    assert CallbackAnswer.objects.filter(callback=callback).count() == len(UNHAPPY)
    assert sr.status not in (Status.RESOLVED, Status.CLOSED)
    assert WorkOrder.objects.filter(request=sr, status=WorkOrderStatus.UNBOOKED).exists()
    assert sr.events.filter(verb="unsatisfied_reopened").exists()
    page = client.get(response["Location"], **EN).content.decode()
    assert "reopened" in page
    done = client.get(reverse("quality:callback_work", args=[callback.pk]), **EN).content.decode()
    assert 'id="callback-outcome"' in done and "遥控器还是时好时坏" in done


def test_a_missing_required_answer_is_shown_on_its_question_and_nothing_is_written(client, desk):
    questionnaire_default_install()
    callback = desk.guide(desk.request())
    events = RequestEvent.objects.count()
    answers = {k: v for k, v in UNHAPPY.items() if k != "q_on_time"}
    response = record(login(client, desk.follow_up_a), callback, "answered", answers, note="不满意")
    assert response.status_code == 422
    text = response.content.decode()
    block = text[text.index('id="question-q_on_time"') :]
    assert 'id="id_q_on_time_error"' in block[: block.index("</fieldset>") + 200]
    assert re.search(r'name="q_overall" value="2"[^>]*checked', text), "the answers given are kept"
    callback.refresh_from_db()
    assert callback.is_pending and RequestEvent.objects.count() == events and not CallbackAnswer.objects.exists()


def test_not_reached_is_tried_again_later(client, desk):
    callback = desk.guide(desk.request())
    desk.now("2026-03-03 12:05")
    response = record(login(client, desk.follow_up_a), callback, "no_answer")
    assert response.status_code == 302
    callback.refresh_from_db()
    assert callback.is_pending and callback.attempts == 1 and callback.call_at > at("2026-03-03 12:05")


def test_recording_twice_is_a_409_showing_the_callback_as_it_is(client, desk):
    callback = desk.guide(desk.request())
    login(client, desk.follow_up_a)
    stale = callback.version
    assert record(client, callback, "satisfied").status_code == 302
    response = client.post(
        reverse("quality:callback_record", args=[callback.pk]),
        {"outcome": "refused", "note": "", "version": stale},
        **EN,
    )
    assert response.status_code == 409 and "recorded" in response.content.decode()
    callback.refresh_from_db()
    assert callback.outcome == "satisfied"


def test_calling_at_another_time_outside_the_windows_is_refused_on_the_field(client, desk):
    sr = desk.request()
    ContactWindow.objects.create(customer=sr.customer, days="any", starts_at=dt.time(19), ends_at=dt.time(21))
    callback = desk.guide(sr)
    url = reverse("quality:callback_move", args=[callback.pk])
    login(client, desk.follow_up_a)
    response = client.post(url, {"call_at": "2026-03-04T10:00", "mode": "phone"}, **EN)
    assert response.status_code == 422
    text = response.content.decode()
    assert 'id="id_call_at_error"' in text and "contact windows" in text
    before = callback.call_at
    callback.refresh_from_db()
    assert callback.call_at == before
    # Inside the window it is moved; a home visit is booked at a daytime
    response = client.post(url, {"call_at": "2026-03-04T19:30", "mode": "phone"})
    assert response.status_code == 302
    callback.refresh_from_db()
    assert callback.call_at == at("2026-03-04 19:30")
    assert client.post(url, {"call_at": "2026-03-05T10:00", "mode": "home_visit"}).status_code == 302
    callback.refresh_from_db()
    assert callback.mode == "home_visit" and callback.call_at == at("2026-03-05 10:00")


def test_a_malformed_time_is_named(client, desk):
    callback = desk.guide(desk.request())
    response = login(client, desk.follow_up_a).post(
        reverse("quality:callback_move", args=[callback.pk]), {"call_at": "tomorrow", "mode": "phone"}, **EN
    )
    assert response.status_code == 422 and 'id="id_call_at_error"' in response.content.decode()


@pytest.mark.parametrize("who", ["follow_up_b", "clerk_b"])
def test_another_outlets_staff_get_404_on_every_callback_page(client, desk, who):
    callback = desk.guide(desk.request())
    staff = getattr(desk, who, None) or getattr(desk.network, who)
    login(client, staff)
    assert client.get(reverse("quality:callback_work", args=[callback.pk])).status_code == 404
    assert client.post(reverse("quality:callback_take", args=[callback.pk])).status_code == 404
    assert (
        client.post(reverse("quality:callback_move", args=[callback.pk]), {"call_at": "2026-03-04T19:30"}).status_code
        == 404
    )
    assert record(client, callback, "satisfied").status_code == 404
    callback.refresh_from_db()
    assert callback.is_pending and callback.assigned_to is None


def test_engineers_have_no_work_page(client, desk):
    callback = desk.guide(desk.request())
    callback.request.assignee = desk.network.engineer_a
    callback.request.save()
    response = login(client, desk.network.engineer_a).get(reverse("quality:callback_work", args=[callback.pk]))
    assert response.status_code in (403, 404)
