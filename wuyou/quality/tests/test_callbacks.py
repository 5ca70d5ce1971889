"""R-G1, R-F3, issue 14 items 1–4: callbacks made by rule after a visit, placed at the customer's time, taken by
one follow-up staff member, answered against a versioned questionnaire, moved only inside the customer's windows,
and an unsatisfied customer followed up through a new visit until satisfied."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone, translation

from tests.concurrency import run_together
from wuyou.core.errors import Conflict, ValidationFailed
from wuyou.customers.models import ContactWindow
from wuyou.dispatch.models import WorkOrder, WorkOrderStatus
from wuyou.quality.models import (
    Callback,
    CallbackAnswer,
    CallbackMode,
    CallbackOutcome,
    CallbackReason,
    CallbackStatus,
    Question,
    Questionnaire,
    QuestionnaireVersion,
)
from wuyou.quality.services import (
    callback_move,
    callback_record,
    callback_schedule,
    callback_take,
    callbacks_after_visit,
)
from wuyou.tickets.models import ClockOutcome, ClockState, RequestEvent, ServiceRequest, Status
from wuyou.tickets.services import request_transition

from .conftest import at, shanghai


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def finished(desk, sr: ServiceRequest, **done: object) -> WorkOrder:
    """The request's visit, done by the engineer with the given marks (the step walk is fieldservice's test)."""
    wo = desk.visit(sr)
    fields = {"status": WorkOrderStatus.DONE, "finished_at": timezone.now(), "quality_rating": 5, "attitude_rating": 5}
    fields.update(done)
    WorkOrder.objects.filter(pk=wo.pk).update(**fields)
    request_transition(actor=desk.clerk, request=ServiceRequest.objects.get(pk=sr.pk), action="resolve", note="修好")
    return WorkOrder.objects.get(pk=wo.pk)


def callback_clock(sr: ServiceRequest):
    return sr.clocks.filter(step="callback_due").latest("pk")


# --- made by rule after a visit (item 1, seed 003) ----------------------------------------------


@pytest.mark.parametrize(
    ("marks", "reason", "due"),
    [
        ({"not_sure_fixed": True}, CallbackReason.UNCERTAIN_REPAIR, "2026-03-03 Tue 13:00"),
        ({"no_time_for_test_run": True}, CallbackReason.UNCERTAIN_REPAIR, "2026-03-03 Tue 13:00"),
        ({"test_run_ok": False}, CallbackReason.UNCERTAIN_REPAIR, "2026-03-03 Tue 13:00"),
        ({"quality_rating": 2}, CallbackReason.ONSITE_UNSATISFIED, "2026-03-03 Tue 12:00"),
        ({"attitude_rating": 1}, CallbackReason.ONSITE_UNSATISFIED, "2026-03-03 Tue 12:00"),
    ],
)
def test_a_visit_with_doubts_or_an_unhappy_customer_gets_its_callback_by_rule_r_g1(desk, marks, reason, due):
    sr = desk.request()
    wo = finished(desk, sr, **marks)
    callback = callbacks_after_visit(desk.clerk, wo, timezone.now())
    assert callback is not None
    assert (callback.reason, callback.work_order_id, shanghai(callback.due_at)) == (reason, wo.pk, due)
    assert callback.call_at == callback.due_at, "inside the default 08:00-21:00"
    clock = callback_clock(sr)
    assert clock.state == ClockState.RUNNING and clock.started_at == callback.call_at


def test_a_visit_without_doubts_makes_no_callback_and_no_callback_clock(desk):
    sr = desk.request()
    wo = finished(desk, sr)
    assert callbacks_after_visit(desk.clerk, wo, timezone.now()) is None
    assert not sr.clocks.filter(step="callback_due").exists(), "left to the sample: no clock nobody owns"


# --- at the customer's time (item 2) --------------------------------------------------------------


def test_a_dont_call_at_work_customer_sampled_on_a_friday_afternoon_is_called_at_the_weekend_r_g1(desk):
    desk.now("2026-03-06 14:00")  # a Friday
    sr = desk.request()
    ServiceRequest.objects.filter(pk=sr.pk).update(status=Status.RESOLVED)
    sr.customer.dont_call_at_work = True
    sr.customer.save()
    callback = callback_schedule(actor=None, request=sr, reason=CallbackReason.SAMPLE)
    assert callback is not None
    assert shanghai(callback.due_at) == "2026-03-06 Fri 14:00"
    assert shanghai(callback.call_at) == "2026-03-07 Sat 08:00", "weekends preferred (seed 003)"


def test_a_rule_made_callback_outside_the_customers_window_slides_to_it(desk):
    sr = desk.request()
    ContactWindow.objects.create(customer=sr.customer, days="any", starts_at=dt.time(19, 0), ends_at=dt.time(20, 30))
    callback = callback_schedule(actor=desk.clerk, request=sr, reason=CallbackReason.PHONE_GUIDANCE)
    assert callback is not None
    assert (shanghai(callback.due_at), shanghai(callback.call_at)) == ("2026-03-03 Tue 12:00", "2026-03-03 Tue 19:00")


def test_a_customer_who_withdrew_consent_is_never_called(desk):
    sr = desk.request()
    sr.customer.consent_service_calls = False
    sr.customer.save()
    assert callback_schedule(actor=desk.clerk, request=sr, reason=CallbackReason.UNCERTAIN_REPAIR) is None
    assert not Callback.objects.exists() and not sr.clocks.filter(step="callback_due").exists()


def test_moving_a_call_outside_every_window_is_refused_naming_the_field(desk):
    sr = desk.request()
    ContactWindow.objects.create(customer=sr.customer, days="any", starts_at=dt.time(19, 0), ends_at=dt.time(20, 30))
    callback = callback_schedule(actor=desk.clerk, request=sr, reason=CallbackReason.PHONE_GUIDANCE)
    before = (callback.call_at, callback.version, RequestEvent.objects.filter(request=sr).count())
    with pytest.raises(ValidationFailed) as refused:
        callback_move(actor=desk.clerk, callback=callback, call_at=at("2026-03-04 10:00"))
    assert refused.value.field == "call_at"
    callback.refresh_from_db()
    assert (callback.call_at, callback.version, RequestEvent.objects.filter(request=sr).count()) == before
    moved = callback_move(actor=desk.clerk, callback=callback, call_at=at("2026-03-04 19:30"))
    assert shanghai(moved.call_at) == "2026-03-04 Wed 19:30"
    assert callback_clock(sr).started_at == moved.call_at, "the limit counts from the moment agreed"


def test_a_home_visit_callback_is_booked_in_the_daytime_the_customer_chose(desk):
    sr = desk.request()
    callback = callback_schedule(actor=desk.clerk, request=sr, reason=CallbackReason.COMPLAINT)
    with pytest.raises(ValidationFailed) as refused:
        callback_move(actor=desk.clerk, callback=callback, call_at=at("2026-03-05 21:30"), mode="home_visit")
    assert refused.value.field == "call_at"
    booked = callback_move(actor=desk.clerk, callback=callback, call_at=at("2026-03-05 15:00"), mode="home_visit")
    assert (booked.mode, shanghai(booked.call_at)) == (CallbackMode.HOME_VISIT, "2026-03-05 Thu 15:00")


# --- one of two follow-up staff (item 3) ----------------------------------------------------------


def test_a_callback_taken_by_one_follow_up_staff_is_not_anothers(desk, network):
    sr = desk.request()
    callback = callback_schedule(actor=desk.clerk, request=sr, reason=CallbackReason.PHONE_GUIDANCE)
    mine = callback_take(actor=desk.actor(desk.follow_up_a), callback=callback)
    assert mine.assigned_to == desk.follow_up_a and mine.taken_at is not None
    with pytest.raises(Conflict):
        callback_take(actor=desk.clerk, callback=callback)
    with pytest.raises(Conflict):
        callback_record(actor=desk.clerk, callback=Callback.objects.get(pk=callback.pk), outcome="satisfied")
    callback_take(actor=desk.actor(desk.follow_up_a), callback=callback)  # taking one's own again is harmless


# --- the questionnaire (item 3) --------------------------------------------------------------------


@pytest.fixture
def questionnaire(db):
    q = Questionnaire.objects.create(code="after-service", name="售后回访")
    version = QuestionnaireVersion.objects.create(
        questionnaire=q, number=1, published_at=timezone.now(), satisfied_code="overall", satisfied_min_rating=4
    )
    Question.objects.create(version=version, position=1, code="overall", text="您对这次服务满意吗？", kind="rating")
    Question.objects.create(version=version, position=2, code="on_time", text="师傅准时到了吗？", kind="yes_no")
    Question.objects.create(
        version=version, position=3, code="said", text="还有什么建议？", kind="text", required=False
    )
    return version


@pytest.fixture
def guided(desk):
    sr = desk.request()
    callback = desk.guide(sr)
    desk.now("2026-03-03 12:10")
    return sr, callback


def test_answers_decide_satisfied_by_the_versions_rule_and_keep_their_version_r_g1(desk, guided, questionnaire):
    sr, callback = guided
    callback_record(
        actor=desk.actor(desk.follow_up_a),
        callback=callback,
        outcome="answered",
        answers={"overall": "5", "on_time": "是"},
    )
    callback.refresh_from_db()
    assert (callback.outcome, callback.questionnaire) == (CallbackOutcome.SATISFIED, questionnaire)
    stored = {a.question.code: (a.value, a.rating, a.question.version_id) for a in callback.answers.all()}
    assert stored == {"overall": ("5", 5, questionnaire.pk), "on_time": ("yes", 1, questionnaire.pk)}


@pytest.mark.parametrize(
    ("answers", "outcome", "field"),
    [
        ({"on_time": "yes"}, "answered", "answers.overall"),
        ({"overall": "5"}, "answered", "answers.on_time"),
        ({"overall": "6", "on_time": "yes"}, "answered", "answers.overall"),
        ({"overall": "5", "on_time": "maybe"}, "answered", "answers.on_time"),
        ({"overall": "5", "on_time": "yes", "colour": "red"}, "answered", "answers.colour"),
        ({"overall": "2", "on_time": "yes"}, "satisfied", "outcome"),
        ({"overall": "2", "on_time": "yes"}, "answered", "note"),  # not satisfied: say why
    ],
)
def test_a_bad_questionnaire_answer_is_refused_naming_it_and_nothing_is_written(
    desk, guided, questionnaire, answers, outcome, field
):
    sr, callback = guided
    events = RequestEvent.objects.filter(request=sr).count()
    with pytest.raises(ValidationFailed) as refused:
        callback_record(actor=desk.clerk, callback=callback, outcome=outcome, answers=answers)
    assert refused.value.field == field
    callback.refresh_from_db()
    assert callback.is_pending and not CallbackAnswer.objects.exists()
    assert RequestEvent.objects.filter(request=sr).count() == events


# --- followed up until satisfied (item 4, R-F3) ---------------------------------------------------


def test_the_unsatisfied_chain_runs_through_a_new_visit_to_a_satisfied_customer_r_f3(desk, guided, questionnaire):
    sr, callback = guided
    follow_up = desk.actor(desk.follow_up_a)
    callback_take(actor=follow_up, callback=callback)
    # When the customer rates 2 of 5 on the callback
    callback_record(
        actor=follow_up,
        callback=callback,
        outcome="answered",
        answers={"overall": "2", "on_time": "no"},
        note="还是不好用",
    )
    sr.refresh_from_db()
    visit = WorkOrder.objects.get(request=sr, status=WorkOrderStatus.UNBOOKED)
    assert sr.status == Status.ACCEPTED
    # And the new visit is done the next day: the next callback follows the first, on the same staff's list
    desk.now("2026-03-04 15:00")
    WorkOrder.objects.filter(pk=visit.pk).update(
        status=WorkOrderStatus.DONE, finished_at=timezone.now(), quality_rating=5, attitude_rating=5
    )
    request_transition(actor=desk.clerk, request=sr, action="resolve", note="更换主板")
    again = callbacks_after_visit(desk.clerk, WorkOrder.objects.get(pk=visit.pk), timezone.now())
    assert again is not None
    assert (again.reason, again.follows_id, again.assigned_to) == (
        CallbackReason.REVISIT,
        callback.pk,
        desk.follow_up_a,
    )
    assert shanghai(again.due_at) == "2026-03-05 Thu 15:00"
    # Then he is satisfied and the chain ends: no more callbacks, the clock met
    desk.now("2026-03-05 15:05")
    callback_record(actor=follow_up, callback=again, outcome="answered", answers={"overall": "5", "on_time": "yes"})
    assert callback_clock(sr).outcome == ClockOutcome.MET
    assert Callback.objects.filter(request=sr, status=CallbackStatus.PENDING).count() == 0
    history = list(RequestEvent.objects.filter(request=sr).order_by("pk").values_list("verb", flat=True))
    assert history.count("callback") == 2 and "unsatisfied_reopened" in history


# --- two follow-up staff at once (PostgreSQL) -------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_follow_up_staff_taking_or_recording_one_callback_one_wins(desk):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is proved on PostgreSQL (set DATABASE_URL)")
    sr = desk.request()
    callback = desk.guide(sr)
    a, b = desk.actor(desk.follow_up_a), desk.actor(desk.network.clerk_a)
    taken = run_together(
        lambda: callback_take(actor=a, callback=Callback.objects.get(pk=callback.pk)),
        lambda: callback_take(actor=b, callback=Callback.objects.get(pk=callback.pk)),
    )
    assert sum(isinstance(r, Callback) for r in taken) == 1 and sum(isinstance(r, Conflict) for r in taken) == 1
    winner = next(r for r in taken if isinstance(r, Callback))
    holder = a if winner.assigned_to_id == desk.follow_up_a.pk else b
    recorded = run_together(
        lambda: callback_record(actor=holder, callback=Callback.objects.get(pk=callback.pk), outcome="satisfied"),
        lambda: callback_record(actor=holder, callback=Callback.objects.get(pk=callback.pk), outcome="refused"),
    )
    assert sum(isinstance(r, Callback) for r in recorded) == 1, recorded
    assert sum(isinstance(r, Conflict) for r in recorded) == 1, recorded
    assert RequestEvent.objects.filter(request=sr, verb__in=["callback", "callback_refused"]).count() == 1
