"""R-E3, R-G1, R-F3: phone guidance resolves a request, calls off its visit and schedules a callback 2 h later;
recording the callback meets the request's callback clock, and an unhappy or unreached customer is called again."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from tests.factories import RequestFactory
from wuyou.core.errors import Conflict, NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed
from wuyou.dispatch.models import WorkOrder, WorkOrderStatus
from wuyou.notifications.models import Message
from wuyou.quality.models import Callback, CallbackOutcome, CallbackReason, CallbackStatus
from wuyou.quality.services import callback_record, request_resolve_by_phone
from wuyou.tickets.models import ClockOutcome, ClockState, RequestEvent, ServiceRequest, Status
from wuyou.tickets.services import request_transition

from .conftest import shanghai


def snapshot(sr: ServiceRequest) -> tuple:
    """Everything phone guidance writes, to prove a refusal wrote nothing."""
    sr = ServiceRequest.objects.get(pk=sr.pk)
    return (
        sr.status,
        sr.version,
        RequestEvent.objects.filter(request=sr).count(),
        sorted(WorkOrder.objects.filter(request=sr).values_list("status", "version")),
        Callback.objects.count(),
        sr.clocks.filter(state=ClockState.RUNNING).count(),
    )


def callback_clock(sr: ServiceRequest):
    return sr.clocks.filter(step="callback_due").latest("pk")


# --- phone guidance (R-E3) --------------------------------------------------------------------


def test_phone_guidance_resolves_calls_off_the_visit_and_schedules_a_callback_two_hours_later_r_e3(desk):
    # Given a repair request with a visit booked for tomorrow
    sr = desk.request()
    wo = desk.visit(sr)
    assert wo.status == WorkOrderStatus.BOOKED
    sr.refresh_from_db()
    # When the agent solves it by phone at 10:00
    callback = desk.guide(sr)
    # Then the request is resolved, the visit cancelled, and the callback due at 12:00 the same day
    sr.refresh_from_db()
    wo.refresh_from_db()
    assert sr.status == Status.RESOLVED
    assert wo.status == WorkOrderStatus.CANCELLED
    assert (callback.reason, callback.status, callback.assigned_to) == (
        CallbackReason.PHONE_GUIDANCE,
        CallbackStatus.PENDING,
        None,
    )
    assert shanghai(callback.due_at) == "2026-03-03 Tue 12:00", "2 clock hours, not business hours"
    verbs = list(RequestEvent.objects.filter(request=sr).order_by("pk").values_list("verb", flat=True))
    assert verbs[-4:] == ["resolve", "work_order_cancelled", "callback_scheduled", "phone_guidance"]
    guidance = RequestEvent.objects.get(request=sr, verb="phone_guidance")
    assert guidance.note == "教客户更换遥控器电池后恢复正常"
    assert guidance.data["work_orders_cancelled"] == [wo.number]
    assert guidance.data["callback"] == callback.pk
    # And the visit clocks are moot while the callback clock runs
    assert sr.clocks.get(step="on_site").outcome == ClockOutcome.MOOT
    assert callback_clock(sr).state == ClockState.RUNNING


def test_phone_guidance_in_the_evening_still_calls_back_two_clock_hours_later_r_e3(desk):
    desk.now("2026-03-06 19:30")  # a Friday evening, outside business hours
    sr = desk.request()
    callback = desk.guide(sr)
    assert shanghai(callback.due_at) == "2026-03-06 Fri 21:30"


def test_a_planned_visit_is_called_off_and_its_engineer_told(desk):
    # Given a visit already on engineer A's route for tomorrow
    sr = desk.request()
    wo = desk.visit(sr)
    WorkOrder.objects.filter(pk=wo.pk).update(status=WorkOrderStatus.PLANNED, engineer=desk.network.engineer_a)
    sr.refresh_from_db()
    # When the request is solved by phone
    desk.guide(sr)
    # Then the visit is cancelled and the engineer gets a message about it
    wo.refresh_from_db()
    assert wo.status == WorkOrderStatus.CANCELLED
    told = Message.objects.filter(kind="visit_cancelled", ref=f"work_order:{wo.pk}")
    assert set(told.values_list("recipient_id", flat=True)) == {desk.network.engineer_a.user_id}


def test_a_request_without_a_visit_is_resolved_and_called_back(desk):
    sr = desk.request()
    callback = desk.guide(sr)
    sr.refresh_from_db()
    assert sr.status == Status.RESOLVED and callback.is_pending
    assert RequestEvent.objects.get(request=sr, verb="phone_guidance").data["work_orders_cancelled"] == []


@pytest.mark.parametrize("note", ["", "   "])
def test_no_note_no_guidance_and_nothing_written_r_e3(desk, note):
    sr = desk.request()
    desk.visit(sr)
    sr.refresh_from_db()
    before = snapshot(sr)
    with translation.override("en"), pytest.raises(ValidationFailed) as refused:
        request_resolve_by_phone(actor=desk.clerk, request=sr, note=note, expected_version=sr.version)
    assert refused.value.field == "note" and "note is required" in refused.value.message
    assert snapshot(sr) == before


@pytest.mark.parametrize("closing", [("resolve", "close"), ("cancel",)])
def test_a_closed_or_cancelled_request_cannot_be_guided_and_nothing_is_written(desk, closing):
    sr = desk.request()
    for action in closing:
        request_transition(actor=desk.clerk, request=sr, action=action, note="已处理")
    before = snapshot(sr)
    with pytest.raises(TransitionNotAllowed):
        desk.guide(sr)
    assert snapshot(sr) == before


def test_a_visit_under_way_blocks_phone_guidance_and_nothing_is_written(desk):
    # Given the engineer is already on the way
    sr = desk.request()
    wo = desk.visit(sr)
    WorkOrder.objects.filter(pk=wo.pk).update(status=WorkOrderStatus.ON_THE_WAY, engineer=desk.network.engineer_a)
    sr.refresh_from_db()
    before = snapshot(sr)
    # When the agent tries to solve it by phone, then it is refused: the engineer finishes or hands it back
    with translation.override("en"), pytest.raises(TransitionNotAllowed) as refused:
        desk.guide(sr)
    assert wo.number in refused.value.message
    assert snapshot(sr) == before


def test_a_stale_page_is_a_conflict_and_nothing_is_written(desk):
    sr = desk.request()
    stale = sr.version
    request_transition(actor=desk.clerk, request=sr, action="accept")
    before = snapshot(sr)
    with pytest.raises(Conflict):
        request_resolve_by_phone(actor=desk.clerk, request=sr, note="已指导", expected_version=stale)
    assert snapshot(sr) == before


def test_a_visit_changed_meanwhile_is_a_conflict_and_nothing_is_written(desk, monkeypatch):
    # Given the visit is rebooked by someone else between reading it and cancelling it
    sr = desk.request()
    wo = desk.visit(sr)
    sr.refresh_from_db()
    from wuyou.quality.services import guidance as services

    read = services._visits_to_cancel

    def read_then_rebooked(request):
        found = read(request)
        WorkOrder.objects.filter(pk=wo.pk).update(version=wo.version + 1)
        return found

    monkeypatch.setattr(services, "_visits_to_cancel", read_then_rebooked)
    with pytest.raises(Conflict):
        desk.guide(sr)
    sr.refresh_from_db()
    assert sr.status == Status.NEW and not Callback.objects.exists()
    assert WorkOrder.objects.get(pk=wo.pk).status == WorkOrderStatus.BOOKED


def test_only_desk_roles_of_the_requests_outlet_guide(desk):
    sr = desk.request()
    network = desk.network
    with pytest.raises(PermissionDenied):
        request_resolve_by_phone(actor=desk.actor(network.engineer_a), request=sr, note="已指导")
    with pytest.raises(PermissionDenied):
        request_resolve_by_phone(actor=desk.actor(network.sales_rep_a), request=sr, note="已指导")
    with pytest.raises(NotFound):
        request_resolve_by_phone(actor=desk.actor(network.clerk_b), request=sr, note="已指导")
    assert not Callback.objects.exists()
    callback = request_resolve_by_phone(actor=desk.actor(desk.follow_up_a), request=sr, note="已指导")
    assert callback.is_pending


def test_guided_again_after_a_reopen_the_earlier_callback_gives_way(desk):
    sr = desk.request()
    first = desk.guide(sr)
    request_transition(actor=desk.clerk, request=sr, action="reopen", note="客户说又不行了")
    desk.now("2026-03-03 11:00")
    second = desk.guide(sr)
    first.refresh_from_db()
    assert first.status == CallbackStatus.CANCELLED
    assert second.is_pending and shanghai(second.due_at) == "2026-03-03 Tue 13:00"


def test_the_database_holds_one_pending_phone_guidance_callback_per_request(desk):
    sr = RequestFactory(customer__outlet=desk.network.outlet_a)
    when = sr.created_at
    Callback.objects.create(request=sr, reason=CallbackReason.PHONE_GUIDANCE, due_at=when, call_at=when)
    Callback.objects.create(request=sr, reason=CallbackReason.SAMPLE, due_at=when, call_at=when)  # another reason
    with pytest.raises(IntegrityError), transaction.atomic():
        Callback.objects.create(request=sr, reason=CallbackReason.PHONE_GUIDANCE, due_at=when, call_at=when)


def test_the_database_refuses_a_made_callback_without_an_outcome(desk):
    sr = RequestFactory(customer__outlet=desk.network.outlet_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        Callback.objects.create(
            request=sr,
            reason=CallbackReason.SAMPLE,
            due_at=sr.created_at,
            call_at=sr.created_at,
            status=CallbackStatus.DONE,
        )


# --- recording the callback (R-G1, R-F3) --------------------------------------------------------


@pytest.fixture
def guided(desk):
    """A request solved by phone at 10:00, its callback due at 12:00."""
    sr = desk.request()
    callback = desk.guide(sr)
    desk.now("2026-03-03 12:10")
    return sr, callback


def test_a_satisfied_callback_is_done_and_meets_the_callback_clock_r_g1(desk, guided):
    sr, callback = guided
    recorded = callback_record(
        actor=desk.actor(desk.follow_up_a), callback=callback, outcome="satisfied", note="电池换了，正常"
    )
    callback.refresh_from_db()
    assert recorded == callback
    assert (callback.status, callback.outcome) == (CallbackStatus.DONE, CallbackOutcome.SATISFIED)
    assert shanghai(callback.done_at) == "2026-03-03 Tue 12:10"
    assert callback.done_by_id == desk.follow_up_a.user_id
    clock = callback_clock(sr)
    assert (clock.state, clock.outcome) == (ClockState.STOPPED, ClockOutcome.MET)
    event = RequestEvent.objects.filter(request=sr).latest("pk")
    assert (event.verb, event.data["outcome"], event.note) == ("callback", "satisfied", "电池换了，正常")
    assert not callback.followed_by.exists()


def test_recording_the_same_callback_twice_is_a_conflict_r_g1(desk, guided):
    # Given two follow-up clerks opened the same callback
    sr, callback = guided
    seen_by_b = Callback.objects.get(pk=callback.pk)
    callback_record(actor=desk.actor(desk.follow_up_a), callback=callback, outcome="satisfied")
    events = RequestEvent.objects.filter(request=sr).count()
    # When the second records it from his stale copy, then he is told, and the first record stands
    with pytest.raises(Conflict):
        callback_record(actor=desk.clerk, callback=seen_by_b, outcome="unsatisfied", note="不满意")
    # (and from a fresh copy too)
    with pytest.raises(Conflict):
        callback_record(actor=desk.clerk, callback=Callback.objects.get(pk=callback.pk), outcome="satisfied")
    callback.refresh_from_db()
    assert (callback.outcome, callback.done_by_id) == (CallbackOutcome.SATISFIED, desk.follow_up_a.user_id)
    assert RequestEvent.objects.filter(request=sr).count() == events
    assert Callback.objects.count() == 1


def test_an_unsatisfied_customer_gets_the_request_reopened_with_a_visit_to_book_r_f3(desk, guided):
    # Given the customer guided by phone is reached at 12:10 and is not satisfied
    sr, callback = guided
    with translation.override("en"), pytest.raises(ValidationFailed) as refused:
        callback_record(actor=desk.actor(desk.follow_up_a), callback=callback, outcome="unsatisfied")
    assert refused.value.field == "note"
    callback_record(actor=desk.actor(desk.follow_up_a), callback=callback, outcome="unsatisfied", note="还是不制冷")
    callback.refresh_from_db()
    assert (callback.status, callback.outcome) == (CallbackStatus.DONE, CallbackOutcome.UNSATISFIED)
    assert callback_clock(sr).outcome == ClockOutcome.MET, "the customer was called back"
    # Then the request is reopened and a visit waits for the desk to book
    sr.refresh_from_db()
    assert sr.status == Status.ACCEPTED
    visit = WorkOrder.objects.get(request=sr, status=WorkOrderStatus.UNBOOKED)
    verbs = list(RequestEvent.objects.filter(request=sr).order_by("pk").values_list("verb", flat=True))
    assert verbs[-4:] == ["callback", "reopen", "work_order_opened", "unsatisfied_reopened"]
    assert not callback.followed_by.exists(), "the next callback follows the visit, not the call"
    assert visit.job_type == "repair"


def test_an_unanswered_call_is_tried_again_at_the_next_allowed_moment_then_closed(desk, guided):
    sr, callback = guided
    follow_up = desk.actor(desk.follow_up_a)
    callback_record(actor=follow_up, callback=callback, outcome="no_answer")
    callback.refresh_from_db()
    assert callback.is_pending and callback.attempts == 1
    assert shanghai(callback.call_at) == "2026-03-03 Tue 14:10", "two hours later, inside the default 08-21"
    assert callback_clock(sr).state == ClockState.RUNNING, "nobody reached: the callback is still owed"
    assert RequestEvent.objects.filter(request=sr).latest("pk").verb == "callback_no_answer"
    callback_record(actor=follow_up, callback=callback, outcome="no_answer")
    callback.refresh_from_db()
    callback_record(actor=follow_up, callback=callback, outcome="no_answer")
    callback.refresh_from_db()
    assert (callback.status, callback.outcome, callback.attempts) == (
        CallbackStatus.UNREACHABLE,
        CallbackOutcome.NO_ANSWER,
        3,
    )
    assert callback_clock(sr).outcome == ClockOutcome.MOOT, "closed as unreachable: nobody owes it any more"
    assert Callback.objects.filter(request=sr).count() == 1


def test_a_customer_who_refuses_is_not_called_again(desk, guided):
    sr, callback = guided
    callback_record(actor=desk.actor(desk.follow_up_a), callback=callback, outcome="refused", note="客户说别再打了")
    callback.refresh_from_db()
    assert (callback.status, callback.outcome) == (CallbackStatus.REFUSED, CallbackOutcome.REFUSED)
    assert callback_clock(sr).outcome == ClockOutcome.MOOT


def test_an_unknown_outcome_is_refused_and_nothing_is_written(desk, guided):
    sr, callback = guided
    before = snapshot(sr)
    with pytest.raises(ValidationFailed) as refused:
        callback_record(actor=desk.clerk, callback=callback, outcome="maybe")
    assert refused.value.field == "outcome"
    assert snapshot(sr) == before


def test_another_outlets_follow_up_cannot_record_it_and_engineers_may_not(desk, guided):
    sr, callback = guided
    with pytest.raises(NotFound):
        callback_record(actor=desk.actor(desk.follow_up_b), callback=callback, outcome="satisfied")
    with pytest.raises(PermissionDenied):
        callback_record(actor=desk.actor(desk.network.engineer_a), callback=callback, outcome="satisfied")
    callback.refresh_from_db()
    assert callback.is_pending
