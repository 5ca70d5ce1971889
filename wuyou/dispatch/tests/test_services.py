"""The dispatch services: open and book visits, plan, adjust and commit a day, walk a visit (R-F1…R-F8, R-D3, R-E3).

Plans search for zero seconds here: these days hold a handful of jobs, which PyVRP's first solution already
plans well, and the suite stays fast.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from tests.field_service import SIGNATURE, TODAY, catalogue_part, local, quote_agreed, van_stocked
from wuyou.accounts.models import Skill
from wuyou.core.errors import Conflict, NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed
from wuyou.customers.models import Address
from wuyou.dispatch import services
from wuyou.dispatch.models import AppointmentWindow, DispatchPlan, EngineerDay, PlanStatus, WorkOrder, WorkOrderStatus
from wuyou.dispatch.services import (
    WorkOrderInput,
    plan_adjust,
    plan_commit,
    plan_discard,
    plan_pin,
    plan_request,
    plan_run,
    work_order_book,
    work_order_open,
)
from wuyou.fieldservice.services import StepInput, work_order_exception, work_order_step
from wuyou.notifications.models import Message
from wuyou.routing.optimizer import PIN_SLACK
from wuyou.tickets.models import ClockOutcome, ClockState, RequestClock, RequestEvent, ServiceRequest, Status
from wuyou.tickets.services import request_transition

TOMORROW = TODAY + dt.timedelta(days=1)


# -- helpers -----------------------------------------------------------------------------------------------------


def desk(f):
    return f.network.actor(f.network.clerk_a)


def optimise(f, *, actor=None, day: dt.date = TODAY) -> DispatchPlan:
    """A ready plan of outlet A's day, searched for zero seconds (the first solution of a tiny day is enough)."""
    plan = plan_request(actor=actor or desk(f), outlet_id=f.network.outlet_a.pk, day=day, seconds=1)
    DispatchPlan.objects.filter(pk=plan.pk).update(seconds=0)
    ran = plan_run(plan_id=plan.pk)
    assert ran is not None and ran.status == PlanStatus.READY, ran and ran.error
    return ran


def commit(f, *, day: dt.date = TODAY) -> DispatchPlan:
    return plan_commit(actor=desk(f), plan=optimise(f, day=day))


def fresh(wo: WorkOrder) -> WorkOrder:
    """The work order as a page would load it."""
    return WorkOrder.objects.select_related("request", "engineer").get(pk=wo.pk)


def engineer_actor(f, wo: WorkOrder):
    return f.network.actor(fresh(wo).engineer)


def route_version(engineer_id: int, day: dt.date = TODAY) -> int:
    row = EngineerDay.objects.filter(engineer_id=engineer_id, day=day).first()
    return row.route_version if row else 0


def clock(sr: ServiceRequest, step: str) -> RequestClock:
    """The request's live clock of a step, else its latest stopped one."""
    clocks = RequestClock.objects.filter(request_id=sr.pk, step=step).order_by("-pk")
    found = clocks.exclude(state=ClockState.STOPPED).first() or clocks.first()
    assert found is not None, f"no {step} clock"
    return found


def key_of(plan: DispatchPlan, wo: WorkOrder) -> str:
    return next(k for k, pk in plan.proposal["work_orders"].items() if pk == wo.pk)


def route_of(plan: DispatchPlan, wo: WorkOrder) -> tuple[str, int] | None:
    """(engineer key, position) of the job in the proposal, or None when it is unassigned."""
    key = key_of(plan, wo)
    for route in plan.proposal["plan"]["routes"]:
        for position, visit in enumerate(route["visits"]):
            if visit["job"] == key:
                return route["engineer"], position
    return None


def snapshot(*wos: WorkOrder) -> list[tuple]:
    return list(
        WorkOrder.objects.filter(pk__in=[w.pk for w in wos])
        .order_by("pk")
        .values_list("status", "engineer_id", "planned_start", "route_position", "version", "window_start")
    )


# -- work_order_open (R-F1, R-E3) -----------------------------------------------------------------------------------


def test_r_f1_open_takes_duration_and_skills_from_the_job_spec(field_service):
    f = field_service
    wo = f.work_order()
    assert wo.number and wo.number.startswith("WO261124")
    assert wo.duration_minutes == 60 and wo.load == 0
    assert [s.code for s in wo.skills.all()] == ["ac_repair"]
    assert (float(wo.latitude), float(wo.longitude)) == (36.07, 120.39)
    assert wo.request.events.filter(verb="work_order_opened").count() == 1


def test_r_f1_open_overrides_duration_and_skills_and_books_no_window(field_service):
    f = field_service
    sr = f.request()
    wo = work_order_open(
        actor=desk(f),
        request=sr,
        visit=WorkOrderInput(job_type="installation", duration_minutes=120, skill_codes=("ac_repair", "boiler")),
    )
    assert wo.status == WorkOrderStatus.UNBOOKED and wo.window_start is None
    assert wo.duration_minutes == 120 and wo.load == 1  # an installation takes van room
    assert sorted(s.code for s in wo.skills.all()) == ["ac_repair", "boiler"]
    assert clock(sr, "appointment_confirmed").state == ClockState.RUNNING


def _no_coordinates(f, sr):
    Address.objects.filter(pk=sr.address_id).update(latitude=None, longitude=None)
    sr.address.refresh_from_db()


def _closed(f, sr):
    request_transition(actor=desk(f), request=sr, action="cancel", note="客户取消")


def _to_verify(f, sr):
    ServiceRequest.objects.filter(pk=sr.pk).update(to_verify=True, missing_fields=["purchase_date"])
    sr.refresh_from_db()


def _second_visit(f, sr):
    work_order_open(actor=desk(f), request=sr, visit=WorkOrderInput())


def _nothing(f, sr):
    pass


def window(start: str, end: str, day: dt.date = TODAY) -> tuple[dt.datetime, dt.datetime]:
    return local(day, start), local(day, end)


@pytest.mark.parametrize(
    ("case", "prepare", "data", "error", "field"),
    [
        ("no map position", _no_coordinates, WorkOrderInput(), ValidationFailed, "address_id"),
        ("unknown skill", _nothing, WorkOrderInput(skill_codes=("ac_repair", "gas")), ValidationFailed, "skill_codes"),
        ("zero minutes", _nothing, WorkOrderInput(duration_minutes=0), ValidationFailed, "duration_minutes"),
        ("700 minutes", _nothing, WorkOrderInput(duration_minutes=700), ValidationFailed, "duration_minutes"),
        ("unknown job type", _nothing, WorkOrderInput(job_type="teleport"), ValidationFailed, "job_type"),
        ("past window", _nothing, WorkOrderInput(windows=(window("05:00", "06:30"),)), ValidationFailed, "windows[0]"),
        (
            "window ends before it starts",
            _nothing,
            WorkOrderInput(windows=(window("09:00", "11:00"), window("14:00", "14:00"))),
            ValidationFailed,
            "windows[1]",
        ),
        (
            "seven windows",
            _nothing,
            WorkOrderInput(windows=tuple(window(f"{h:02d}:00", f"{h:02d}:30") for h in range(9, 16))),
            ValidationFailed,
            "windows",
        ),
        ("request to verify", _to_verify, WorkOrderInput(), TransitionNotAllowed, "request"),
        ("closed request", _closed, WorkOrderInput(), TransitionNotAllowed, "request"),
        ("second open visit", _second_visit, WorkOrderInput(), Conflict, "request"),
    ],
)
def test_r_e3_open_refuses_bad_input_and_writes_nothing(field_service, case, prepare, data, error, field):
    f = field_service
    sr = f.request()
    prepare(f, sr)
    orders, windows, events = WorkOrder.objects.count(), AppointmentWindow.objects.count(), RequestEvent.objects.count()
    with pytest.raises(error) as caught:
        work_order_open(actor=desk(f), request=sr, visit=data)
    assert caught.value.field == field, case
    assert (WorkOrder.objects.count(), AppointmentWindow.objects.count(), RequestEvent.objects.count()) == (
        orders,
        windows,
        events,
    )


@pytest.mark.parametrize("who", ["engineer_a", "sales_rep_a"])
def test_r_e3_only_the_desk_opens_visits(field_service, who):
    f = field_service
    sr = f.request()
    with pytest.raises(PermissionDenied):
        work_order_open(actor=f.network.actor(getattr(f.network, who)), request=sr, visit=WorkOrderInput())
    assert not WorkOrder.objects.exists()


# -- work_order_book (R-D3) ---------------------------------------------------------------------------------------


def test_r_d3_one_window_is_the_appointment_and_meets_the_appointment_clock(field_service):
    f = field_service
    sr = f.request()
    wo = work_order_open(actor=desk(f), request=sr, visit=WorkOrderInput())
    assert clock(sr, "appointment_confirmed").state == ClockState.RUNNING
    wo = work_order_book(actor=desk(f), work_order=wo, windows=[window("18:00", "20:00")], expected_version=1)
    wo.refresh_from_db()
    assert wo.status == WorkOrderStatus.BOOKED and wo.version == 2
    assert (wo.window_start, wo.window_end) == window("18:00", "20:00")
    appointment = clock(sr, "appointment_confirmed")
    assert (appointment.state, appointment.outcome) == (ClockState.STOPPED, ClockOutcome.MET)
    assert sr.events.filter(verb="appointment_booked").count() == 1


def test_r_d3_several_windows_let_the_plan_choose_and_the_commit_records_the_choice(field_service):
    f = field_service
    wo = f.work_order(windows=(("13:30", "15:30"), ("09:00", "11:00")))
    assert wo.window_start is None
    assert [(w.starts_at, w.ends_at) for w in wo.windows.all()] == [window("09:00", "11:00"), window("13:30", "15:30")]
    commit(f)
    wo.refresh_from_db()
    chosen = [window("09:00", "11:00"), window("13:30", "15:30")]
    assert (wo.window_start, wo.window_end) in chosen
    assert wo.window_start <= wo.planned_start <= wo.window_end


def test_r_d3_rebooking_a_planned_visit_takes_it_off_the_engineers_route(field_service):
    f = field_service
    wo = f.work_order()
    commit(f)
    wo = fresh(wo)
    engineer_id, version = wo.engineer_id, route_version(wo.engineer_id)
    assert wo.status == WorkOrderStatus.PLANNED
    wo = work_order_book(actor=desk(f), work_order=wo, windows=[window("10:00", "12:00", TOMORROW)])
    wo.refresh_from_db()
    assert wo.status == WorkOrderStatus.BOOKED
    assert (wo.engineer_id, wo.planned_start, wo.route_position) == (None, None, None)
    assert route_version(engineer_id) == version + 1


def test_r_d3_book_refuses_a_stale_version_a_started_visit_and_no_window(field_service):
    f = field_service
    wo = f.work_order()
    with pytest.raises(Conflict):
        work_order_book(actor=desk(f), work_order=wo, windows=[window("10:00", "12:00")], expected_version=0)
    with pytest.raises(ValidationFailed) as caught:
        work_order_book(actor=desk(f), work_order=wo, windows=[])
    assert caught.value.field == "windows"
    with pytest.raises(PermissionDenied):
        work_order_book(actor=f.network.actor(f.network.engineer_a), work_order=wo, windows=[window("10:00", "12:00")])
    WorkOrder.objects.filter(pk=wo.pk).update(status=WorkOrderStatus.ON_SITE)
    wo.refresh_from_db()
    with pytest.raises(TransitionNotAllowed):
        work_order_book(actor=desk(f), work_order=wo, windows=[window("10:00", "12:00")])


# -- plan_request / plan_run (R-F1, R-F7) ---------------------------------------------------------------------------


def test_r_f1_plan_request_checks_role_outlet_seconds_and_day(field_service):
    f = field_service
    net = f.network
    with pytest.raises(PermissionDenied):
        plan_request(actor=net.actor(net.engineer_a), outlet_id=net.outlet_a.pk, day=TODAY)
    for kwargs, field in [
        ({"outlet_id": net.outlet_b.pk, "day": TODAY}, "outlet_id"),
        ({"outlet_id": net.outlet_a.pk, "day": TODAY, "seconds": 0}, "seconds"),
        ({"outlet_id": net.outlet_a.pk, "day": TODAY, "seconds": 121}, "seconds"),
        ({"outlet_id": net.outlet_a.pk, "day": TODAY - dt.timedelta(days=1)}, "day"),
        ({"outlet_id": net.outlet_a.pk, "day": TODAY + dt.timedelta(days=61)}, "day"),
    ]:
        with pytest.raises(ValidationFailed) as caught:
            plan_request(actor=desk(f), **kwargs)
        assert caught.value.field == field
    assert not DispatchPlan.objects.exists()


def test_r_f1_r_f7_unassigned_jobs_come_back_with_their_reason_never_dropped(field_service):
    f = field_service
    Skill.objects.create(code="gas", name="燃气灶")
    ok = f.work_order()
    gas = work_order_open(
        actor=desk(f),
        request=f.request(),
        visit=WorkOrderInput(skill_codes=("gas",), windows=(window("10:00", "12:00"),)),
    )
    # Booked in the evening, then the customer moved it to after every shift ends (a booking would refuse that now).
    late = f.work_order(windows=(("19:30", "21:00"),))
    late.windows.update(starts_at=local(TODAY, "21:30"), ends_at=local(TODAY, "23:00"))
    WorkOrder.objects.filter(pk=late.pk).update(window_start=local(TODAY, "21:30"), window_end=local(TODAY, "23:00"))
    plan = optimise(f)
    unassigned = {u["job"]: u["reason"] for u in plan.proposal["plan"]["unassigned"]}
    assert unassigned == {key_of(plan, gas): "no_skill", key_of(plan, late): "no_window"}
    assert route_of(plan, ok) is not None
    assert plan.proposal["plan"]["feasible"] is True
    assert plan.progress == 1.0 and plan.base_versions == {
        str(f.network.engineer_a.pk): 0,
        str(f.network.engineer_a2.pk): 0,
    }


def test_r_f1_a_failing_run_is_recorded_on_the_plan(field_service, monkeypatch):
    f = field_service
    f.work_order()
    plan = plan_request(actor=desk(f), outlet_id=f.network.outlet_a.pk, day=TODAY, seconds=1)

    def broken(*args, **kwargs):
        raise RuntimeError("solver exploded")

    monkeypatch.setattr(services.plans, "solve", broken)
    ran = plan_run(plan_id=plan.pk)
    assert ran is not None and ran.status == PlanStatus.FAILED
    assert "solver exploded" in ran.error


def test_r_f1_a_plan_runs_once_the_second_claim_gets_nothing(field_service):
    f = field_service
    f.work_order()
    plan = optimise(f)
    assert plan_run(plan_id=plan.pk) is None
    assert plan_run(plan_id=10**6) is None
    assert DispatchPlan.objects.get(pk=plan.pk).status == PlanStatus.READY


# -- plan_adjust, plan_pin, plan_discard (R-F1) ---------------------------------------------------------------------


@pytest.fixture
def three_jobs(field_service):
    """Three morning jobs near outlet A and their ready plan."""
    f = field_service
    wos = [
        f.work_order(windows=(("09:00", "12:00"),), lat=36.071, lon=120.385),
        f.work_order(windows=(("09:00", "12:00"),), lat=36.08, lon=120.40),
        f.work_order(windows=(("09:00", "10:00"),), lat=36.06, lon=120.37),
    ]
    return f, wos, optimise(f)


def test_r_f1_adjust_moves_a_job_and_re_times_both_routes(three_jobs):
    f, wos, plan = three_jobs
    net = f.network
    wo = wos[2]  # the tight 09:00–10:00 job goes first in the other route
    engineer_key, _position = route_of(plan, wo)
    target = net.engineer_a2 if engineer_key == f"e{net.engineer_a.pk}" else net.engineer_a
    before = plan.proposal["plan"]
    plan = plan_adjust(actor=desk(f), plan=plan, work_order_id=wo.pk, engineer_id=target.pk, position=0)
    assert route_of(plan, wo) == (f"e{target.pk}", 0)
    after = {r["engineer"]: r for r in plan.proposal["plan"]["routes"]}
    moved = after[f"e{target.pk}"]["visits"][0]
    assert moved["start"] >= moved["arrival"] and moved["start"] >= 9 * 3600
    assert plan.proposal["plan"] != before
    # committed as adjusted
    plan_commit(actor=desk(f), plan=plan)
    assert fresh(wo).engineer_id == target.pk


def test_r_f1_adjust_refuses_a_move_that_breaks_a_window_and_keeps_the_plan(three_jobs):
    f, wos, plan = three_jobs
    net = f.network
    tight = wos[2]  # 09:00–10:00
    engineer_key, _ = route_of(plan, tight)
    # Give the two others to the engineer without the tight job; behind them it cannot start by 10:00.
    engineer_id = net.engineer_a2.pk if engineer_key == f"e{net.engineer_a.pk}" else net.engineer_a.pk
    for wo in wos[:2]:
        plan = plan_adjust(actor=desk(f), plan=plan, work_order_id=wo.pk, engineer_id=engineer_id, position=0)
    before = DispatchPlan.objects.get(pk=plan.pk).proposal
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        plan_adjust(actor=desk(f), plan=plan, work_order_id=tight.pk, engineer_id=engineer_id, position=None)
    assert caught.value.field == "position"
    assert "outside its window" in caught.value.message
    assert DispatchPlan.objects.get(pk=plan.pk).proposal == before


def test_r_f1_adjust_names_unknown_work_orders_and_engineers(three_jobs):
    f, wos, plan = three_jobs
    net = f.network
    with pytest.raises(ValidationFailed) as caught:
        plan_adjust(actor=desk(f), plan=plan, work_order_id=10**6, engineer_id=net.engineer_a.pk)
    assert caught.value.field == "work_order_id"
    with pytest.raises(ValidationFailed) as caught:
        plan_adjust(actor=desk(f), plan=plan, work_order_id=wos[0].pk, engineer_id=net.engineer_b.pk)
    assert caught.value.field == "engineer_id"
    with pytest.raises(ValidationFailed) as caught:
        plan_adjust(actor=desk(f), plan=plan, work_order_id=wos[0].pk, engineer_id=net.engineer_a.pk, position=-1)
    assert caught.value.field == "position"
    with pytest.raises(PermissionDenied):
        plan_adjust(actor=net.actor(net.engineer_a), plan=plan, work_order_id=wos[0].pk, engineer_id=None)


def test_r_f1_adjust_takes_a_job_out_of_the_plan_by_hand(three_jobs):
    f, wos, plan = three_jobs
    plan = plan_adjust(actor=desk(f), plan=plan, work_order_id=wos[1].pk, engineer_id=None)
    assert route_of(plan, wos[1]) is None
    assert {"job": key_of(plan, wos[1]), "reason": "by_hand"} in plan.proposal["plan"]["unassigned"]


def test_r_f1_adjust_on_a_stale_plan_is_a_conflict(three_jobs):
    f, wos, plan = three_jobs
    stale = DispatchPlan.objects.get(pk=plan.pk)
    f.now(TODAY, "07:01")  # time is frozen: the plan's change time must move
    plan_pin(actor=desk(f), plan=plan, work_order_id=wos[0].pk, pinned=True)
    with pytest.raises(Conflict):
        plan_pin(actor=desk(f), plan=stale, work_order_id=wos[1].pk, pinned=True)


def test_r_f6_pin_then_commit_pins_the_work_order(three_jobs):
    f, wos, plan = three_jobs
    plan = plan_pin(actor=desk(f), plan=plan, work_order_id=wos[0].pk, pinned=True)
    plan = plan_pin(actor=desk(f), plan=plan, work_order_id=wos[1].pk, pinned=True)
    plan = plan_pin(actor=desk(f), plan=plan, work_order_id=wos[1].pk, pinned=False)
    assert plan.proposal["pinned"] == [key_of(plan, wos[0])]
    with pytest.raises(ValidationFailed):
        plan_pin(actor=desk(f), plan=plan, work_order_id=10**6, pinned=True)
    plan_commit(actor=desk(f), plan=plan)
    assert [fresh(w).pinned for w in wos] == [True, False, False]


def test_r_f1_discard_throws_the_plan_away_once(three_jobs):
    f, wos, plan = three_jobs
    plan = plan_discard(actor=desk(f), plan=plan)
    assert plan.status == PlanStatus.DISCARDED
    with pytest.raises(TransitionNotAllowed):
        plan_discard(actor=desk(f), plan=plan)
    with pytest.raises(TransitionNotAllowed):
        plan_commit(actor=desk(f), plan=plan)
    with pytest.raises(TransitionNotAllowed):
        plan_pin(actor=desk(f), plan=plan, work_order_id=wos[0].pk, pinned=True)
    assert all(fresh(w).status == WorkOrderStatus.BOOKED for w in wos)


# -- plan_commit (R-F1) -------------------------------------------------------------------------------------------


def test_r_f1_commit_plans_the_jobs_and_accepts_and_assigns_the_requests(field_service):
    f = field_service
    wos = [f.work_order(lat=36.071, lon=120.385), f.work_order(windows=(("18:00", "20:00"),), lat=36.08, lon=120.40)]
    plan = commit(f)
    assert plan.status == PlanStatus.COMMITTED and plan.committed_at is not None
    for wo in wos:
        wo = fresh(wo)
        assert wo.status == WorkOrderStatus.PLANNED and wo.plan_id == plan.pk and wo.version == 2
        assert wo.planned_arrival <= wo.planned_start < wo.planned_end
        assert wo.window_start <= wo.planned_start <= wo.window_end
        assert wo.route_position is not None and wo.travel_minutes is not None
        sr = ServiceRequest.objects.get(pk=wo.request_id)
        assert (sr.status, sr.assignee_id) == (Status.ACCEPTED, wo.engineer_id)
        assert clock(sr, "first_response").outcome == ClockOutcome.MET
    for staff_id in plan.base_versions:
        assert route_version(int(staff_id)) == 1


def test_r_f1_the_second_commit_of_the_day_is_refused_and_writes_nothing(field_service):
    f = field_service
    wos = [f.work_order(lat=36.071, lon=120.385), f.work_order(windows=(("13:00", "15:00"),))]
    first, second = optimise(f), optimise(f, actor=f.network.actor(f.network.outlet_manager_a))
    # The second dispatcher moved a job before committing, so his plan would write something else.
    key, _ = route_of(second, wos[0])
    other = f.network.engineer_a if key != f"e{f.network.engineer_a.pk}" else f.network.engineer_a2
    second = plan_adjust(
        actor=f.network.actor(f.network.outlet_manager_a),
        plan=second,
        work_order_id=wos[0].pk,
        engineer_id=other.pk,
        position=0,
    )
    plan_commit(actor=desk(f), plan=first)
    written = snapshot(*wos)
    versions = {e: route_version(int(e)) for e in first.base_versions}
    with translation.override("en"), pytest.raises(Conflict) as caught:
        plan_commit(actor=f.network.actor(f.network.outlet_manager_a), plan=second)
    assert "changed by someone else" in caught.value.message and caught.value.field == "plan"
    assert snapshot(*wos) == written
    assert {e: route_version(int(e)) for e in first.base_versions} == versions
    assert DispatchPlan.objects.get(pk=second.pk).status == PlanStatus.READY


def test_r_f8_commit_after_a_visit_was_handed_back_is_refused(field_service):
    f = field_service
    wo = f.work_order()
    commit(f)
    stale = optimise(f)
    work_order_exception(actor=engineer_actor(f, wo), work_order=fresh(wo), kind="hand_back", note="车坏了")
    written = snapshot(wo)
    with pytest.raises(Conflict):
        plan_commit(actor=desk(f), plan=stale)
    assert snapshot(wo) == written


def test_r_d3_commit_of_a_plan_made_before_the_visit_was_rebooked_is_refused(field_service):
    f = field_service
    wo = f.work_order()
    stale = optimise(f)
    # The customer moves the (not yet planned) visit to the evening before anyone commits.
    work_order_book(actor=desk(f), work_order=fresh(wo), windows=[window("18:00", "20:00")])
    written = snapshot(wo)
    with pytest.raises(Conflict):
        plan_commit(actor=desk(f), plan=stale)
    assert snapshot(wo) == written
    assert fresh(wo).window_start == local(TODAY, "18:00")


def test_r_f1_jobs_a_new_plan_leaves_out_go_back_to_booked(field_service):
    f = field_service
    wo = f.work_order()
    commit(f)
    engineer_id = fresh(wo).engineer_id
    # Both engineers lose the skill before the re-plan: the job cannot stay in anyone's route.
    from wuyou.accounts.models import Certificate

    Certificate.objects.filter(skill=f.ac_repair).update(expires_on=TODAY - dt.timedelta(days=1))
    plan = optimise(f)
    assert plan.proposal["plan"]["unassigned"] == [{"job": key_of(plan, wo), "reason": "no_skill"}]
    plan_commit(actor=desk(f), plan=plan)
    wo = fresh(wo)
    assert (wo.status, wo.engineer_id, wo.planned_start) == (WorkOrderStatus.BOOKED, None, None)
    assert route_version(engineer_id) == 2


def test_r_f1_commit_is_for_the_desk_only(field_service):
    f = field_service
    f.work_order()
    plan = optimise(f)
    with pytest.raises(PermissionDenied):
        plan_commit(actor=f.network.actor(f.network.engineer_a), plan=plan)


# -- urgent insertion (R-F6) ----------------------------------------------------------------------------------------


def test_r_f6_an_urgent_job_re_plans_the_day_keeping_started_and_pinned_jobs(field_service):
    f = field_service
    started = f.work_order(windows=(("09:00", "10:00"),), lat=36.071, lon=120.385)
    pinned = f.work_order(windows=(("10:30", "14:00"),), lat=36.08, lon=120.40)
    other = f.work_order(windows=(("11:00", "16:00"),), lat=36.06, lon=120.37)
    plan = optimise(f)
    plan = plan_pin(actor=desk(f), plan=plan, work_order_id=pinned.pk, pinned=True)
    plan_commit(actor=desk(f), plan=plan)
    started, pinned = fresh(started), fresh(pinned)
    f.now(TODAY, "09:20")
    me = f.network.actor(started.engineer)
    for step in ("on_the_way", "arrived"):
        started = work_order_step(actor=me, work_order=started, step=step, entry=StepInput())
    kept = snapshot(started)
    assert DispatchPlan.objects.filter(reason__startswith="Urgent").count() == 0
    with translation.override("en"):
        urgent = f.work_order(windows=(("10:00", "12:00"),), lat=36.075, lon=120.39, priority="urgent")
    queued = DispatchPlan.objects.get(status=PlanStatus.QUEUED)
    assert queued.reason.startswith("Urgent insertion") and urgent.number in queued.reason
    assert (queued.day, queued.seconds) == (TODAY, services.URGENT_REPLAN_SECONDS)
    DispatchPlan.objects.filter(pk=queued.pk).update(seconds=0)
    plan = plan_run(plan_id=queued.pk)
    assert plan.status == PlanStatus.READY, plan.error
    assert key_of(plan, urgent) not in {u["job"] for u in plan.proposal["plan"]["unassigned"]}
    assert started.pk not in plan.proposal["work_orders"].values()  # started: not re-planned
    assert plan.proposal["fixed"] == {f"e{started.engineer_id}": [started.pk]}
    plan_commit(actor=desk(f), plan=plan)
    assert snapshot(started) == kept
    after = fresh(pinned)
    assert after.engineer_id == pinned.engineer_id and after.pinned
    assert abs((after.planned_start - pinned.planned_start).total_seconds()) <= PIN_SLACK
    urgent = fresh(urgent)
    assert urgent.status == WorkOrderStatus.PLANNED and urgent.window_start <= urgent.planned_start <= urgent.window_end
    assert fresh(other).status == WorkOrderStatus.PLANNED
    # The engineer on site is busy until his job is done.
    if urgent.engineer_id == started.engineer_id:
        assert urgent.planned_arrival >= started.arrived_at + dt.timedelta(minutes=started.duration_minutes)


def test_r_f6_an_urgent_job_without_a_plan_for_today_queues_nothing(field_service):
    f = field_service
    f.work_order(priority="urgent")
    f.work_order(windows=(("10:00", "12:00"),), day=TOMORROW, priority="urgent")
    assert not DispatchPlan.objects.exists()


# -- the engineer's steps (R-F2, R-F3) -----------------------------------------------------------------------------


@pytest.fixture
def planned(field_service):
    """One committed visit for today, as the engineer's page loads it."""
    f = field_service
    wo = f.work_order()
    commit(f)
    return f, fresh(wo)


def test_r_f3_steps_follow_their_order(planned):
    f, wo = planned
    me = engineer_actor(f, wo)
    with pytest.raises(TransitionNotAllowed) as caught:
        work_order_step(actor=me, work_order=wo, step="done", entry=StepInput(note="修好了"))
    assert caught.value.field == "step"
    with pytest.raises(TransitionNotAllowed):
        work_order_step(actor=me, work_order=wo, step="diagnosis", entry=StepInput(note="电容坏"))
    with pytest.raises(ValidationFailed) as caught:
        work_order_step(actor=me, work_order=wo, step="teleport", entry=StepInput())
    assert caught.value.field == "step"
    wo = work_order_step(actor=me, work_order=wo, step="on_the_way", entry=StepInput())
    with pytest.raises(TransitionNotAllowed):
        work_order_step(actor=me, work_order=wo, step="confirm_call", entry=StepInput())
    assert fresh(wo).status == WorkOrderStatus.ON_THE_WAY


def test_r_f3_arrival_meets_the_on_site_clock_and_starts_the_request(planned):
    f, wo = planned
    f.now(TODAY, "09:05")
    me = engineer_actor(f, wo)
    wo = work_order_step(actor=me, work_order=wo, step="confirm_call", entry=StepInput())
    wo = work_order_step(actor=me, work_order=fresh(wo), step="arrived", entry=StepInput())
    wo = fresh(wo)
    assert wo.status == WorkOrderStatus.ON_SITE and wo.arrived_at == local(TODAY, "09:05")
    assert wo.confirmed_at == local(TODAY, "09:05")
    sr = ServiceRequest.objects.get(pk=wo.request_id)
    assert sr.status == Status.IN_PROGRESS
    on_site = clock(sr, "on_site")
    assert (on_site.state, on_site.outcome) == (ClockState.STOPPED, ClockOutcome.MET)


def test_r_f3_done_resolves_the_request_and_starts_the_callback_clock(planned):
    f, wo = planned
    me = engineer_actor(f, wo)
    catalogue_part("CAP-1", "启动电容", "12.00", "35.00")
    catalogue_part("R32", "冷媒", "40.00", "80.00", is_consumable=True)
    van_stocked(f.network, wo.engineer, {"CAP-1": 1, "R32": 2})
    wo = work_order_step(actor=me, work_order=wo, step="arrived", entry=StepInput())
    quote_agreed(me, wo, ("CAP-1", 1), ("R32", 2))
    for step, data in [
        ("take_back", StepInput(receipt="TB-001", signed_by="李建国")),
        ("parts_used", StepInput(parts=(("CAP-1", "CAP-SN-1", 1),))),
        ("parts_used", StepInput(parts=(("R32", "", 2),))),
        ("test_run", StepInput(test_run_ok=False, note="噪音大")),
        ("rating", StepInput(quality=4, attitude=5, note="客户不便签字")),
    ]:
        wo = work_order_step(actor=me, work_order=wo, step=step, entry=data)
    with pytest.raises(ValidationFailed) as caught:
        work_order_step(actor=me, work_order=wo, step="done", entry=StepInput())
    assert caught.value.field == "note"
    wo = work_order_step(actor=me, work_order=wo, step="done", entry=StepInput(note="更换电容"))
    wo = fresh(wo)
    assert wo.status == WorkOrderStatus.DONE and wo.work_done == "更换电容" and wo.finished_at is not None
    assert [p["name"] for p in wo.parts_used] == ["启动电容", "冷媒"]
    assert (wo.take_back_receipt, wo.test_run_ok, wo.quality_rating, wo.attitude_rating) == ("TB-001", False, 4, 5)
    sr = ServiceRequest.objects.get(pk=wo.request_id)
    assert sr.status == Status.RESOLVED
    # The test run failed: an uncertain repair, so quality's visit-done hook calls the customer back (issue 14)
    assert clock(sr, "callback_due").state == ClockState.RUNNING
    verbs = list(sr.events.values_list("verb", flat=True))
    assert {"job_take_back", "job_parts_used", "job_test_run", "job_rated", "job_done", "resolve"} <= set(verbs)


@pytest.mark.parametrize(
    ("step", "data", "field"),
    [
        ("rating", StepInput(quality=0, attitude=5, signature=SIGNATURE), "quality"),
        ("rating", StepInput(quality=5, attitude=6, signature=SIGNATURE), "attitude"),
        ("rating", StepInput(quality=5, signature=SIGNATURE), "attitude"),
        ("rating", StepInput(quality=5, attitude=5), "signature"),
        ("rating", StepInput(quality=5, attitude=5, signature="<svg/>"), "signature"),
        ("rating", StepInput(quality=5, attitude=5, signature=SIGNATURE + "A" * 400_000), "signature"),
        ("diagnosis", StepInput(note="  "), "note"),
        ("parts_used", StepInput(), "parts"),
        ("parts_used", StepInput(parts=(("电容", "", 0),)), "parts[0].quantity"),
        ("parts_used", StepInput(parts=(("电容", "", 1), (" ", "", 1))), "parts[1].code"),
        ("parts_used", StepInput(parts=(("CAP-1", "", 1),)), "parts"),  # nothing quoted and agreed yet
        ("take_back", StepInput(), "receipt"),
        ("take_back", StepInput(receipt="TB-1"), "signed_by"),
        ("test_run", StepInput(), "test_run_ok"),
        ("done", StepInput(note="修好了"), "rating"),
    ],
)
def test_r_f3_step_input_is_validated_and_nothing_written(planned, step, data, field):
    f, wo = planned
    me = engineer_actor(f, wo)
    wo = work_order_step(actor=me, work_order=wo, step="arrived", entry=StepInput())
    version = fresh(wo).version
    with pytest.raises(ValidationFailed) as caught:
        work_order_step(actor=me, work_order=wo, step=step, entry=data)
    assert caught.value.field == field
    assert fresh(wo).version == version


def test_r_f2_only_the_planned_engineer_or_the_desk_records_steps(planned):
    f, wo = planned
    net = f.network
    other = net.engineer_a2 if wo.engineer_id == net.engineer_a.pk else net.engineer_a
    for actor in (net.actor(other), net.actor(net.engineer_b), net.actor(net.sales_rep_a)):
        with pytest.raises(PermissionDenied):
            work_order_step(actor=actor, work_order=wo, step="confirm_call", entry=StepInput())
        with pytest.raises(PermissionDenied):
            work_order_exception(actor=actor, work_order=wo, kind="running_late", late_minutes=20)
    wo = work_order_step(actor=desk(f), work_order=wo, step="confirm_call", entry=StepInput(note="客户确认"))
    assert fresh(wo).status == WorkOrderStatus.CONFIRMED


def test_r_f3_a_stale_step_is_a_conflict(planned):
    f, wo = planned
    me = engineer_actor(f, wo)
    stale = fresh(wo)
    work_order_step(actor=me, work_order=wo, step="confirm_call", entry=StepInput())
    with pytest.raises((Conflict, TransitionNotAllowed)):
        work_order_step(actor=me, work_order=stale, step="confirm_call", entry=StepInput())
    with pytest.raises(Conflict):
        work_order_step(actor=me, work_order=fresh(wo), step="on_the_way", entry=StepInput(), expected_version=1)


# -- exceptions (R-F8) ------------------------------------------------------------------------------------------


def told(wo: WorkOrder, kind: str) -> set[int]:
    """The users the outbox tells about the visit, for one kind of message."""
    return set(Message.objects.filter(ref=f"work_order:{wo.pk}", kind=kind).values_list("recipient_id", flat=True))


def test_r_f8_nobody_home_unbooks_the_visit_tells_the_clerks_and_restarts_the_appointment_clock(planned):
    f, wo = planned
    net = f.network
    engineer_id, version = wo.engineer_id, route_version(wo.engineer_id)
    sr = ServiceRequest.objects.get(pk=wo.request_id)
    assert clock(sr, "appointment_confirmed").outcome == ClockOutcome.MET
    wo = work_order_exception(actor=engineer_actor(f, wo), work_order=wo, kind="nobody_home", note="敲门无人，留了便条")
    wo = fresh(wo)
    assert (wo.status, wo.engineer_id, wo.window_start, wo.planned_start) == (
        WorkOrderStatus.UNBOOKED,
        None,
        None,
        None,
    )
    assert told(wo, "visit_nobody_home") == {net.clerk_a.user_id}
    assert clock(sr, "appointment_confirmed").state == ClockState.RUNNING
    assert set(sr.events.values_list("verb", flat=True)) >= {"job_nobody_home", "job_rebook"}
    assert route_version(engineer_id) == version + 1
    # The desk books it again.
    wo = work_order_book(actor=desk(f), work_order=wo, windows=[window("18:00", "20:00")])
    assert fresh(wo).status == WorkOrderStatus.BOOKED


def test_r_f8_entry_refused_tells_the_outlet_manager(planned):
    f, wo = planned
    net = f.network
    work_order_exception(actor=engineer_actor(f, wo), work_order=wo, kind="entry_refused", note="物业不让进")
    assert net.outlet_manager_a.user_id in told(wo, "visit_entry_refused")
    assert fresh(wo).status == WorkOrderStatus.UNBOOKED


@pytest.mark.parametrize(("minutes", "alerted"), [(20, True), (16, True), (15, False), (10, False)])
def test_r_f8_running_late_over_15_minutes_alerts_the_outlet_manager(planned, minutes, alerted):
    f, wo = planned
    net = f.network
    wo = work_order_exception(actor=engineer_actor(f, wo), work_order=wo, kind="running_late", late_minutes=minutes)
    assert fresh(wo).late_minutes == minutes and fresh(wo).status == WorkOrderStatus.PLANNED
    assert told(wo, "visit_running_late") == ({net.outlet_manager_a.user_id} if alerted else set())


def test_r_f8_compensation_goes_to_the_managers(planned):
    f, wo = planned
    net = f.network
    work_order_exception(actor=engineer_actor(f, wo), work_order=wo, kind="compensation", note="客户要求赔偿误工费")
    assert told(wo, "visit_compensation") == {net.outlet_manager_a.user_id, net.manager.user_id}
    assert fresh(wo).status == WorkOrderStatus.PLANNED  # nothing is promised; the visit goes on


def test_r_f8_hand_back_returns_the_visit_to_the_board(planned):
    f, wo = planned
    net = f.network
    engineer_id, version = wo.engineer_id, route_version(wo.engineer_id)
    work_order_exception(actor=engineer_actor(f, wo), work_order=wo, kind="hand_back", note="工具不全")
    wo = fresh(wo)
    assert (wo.status, wo.engineer_id, wo.window_start) == (
        WorkOrderStatus.BOOKED,
        None,
        local(TODAY, "09:00"),
    )
    assert route_version(engineer_id) == version + 1
    assert told(wo, "visit_hand_back") == {net.clerk_a.user_id}


@pytest.mark.parametrize(
    ("kind", "note", "late", "field"),
    [
        ("teleport", "x", None, "kind"),
        ("nobody_home", " ", None, "note"),
        ("running_late", "", None, "late_minutes"),
        ("running_late", "", 0, "late_minutes"),
        ("running_late", "", 601, "late_minutes"),
    ],
)
def test_r_f8_exception_input_is_validated(planned, kind, note, late, field):
    f, wo = planned
    with pytest.raises(ValidationFailed) as caught:
        work_order_exception(actor=engineer_actor(f, wo), work_order=wo, kind=kind, note=note, late_minutes=late)
    assert caught.value.field == field
    assert not Message.objects.filter(ref=f"work_order:{wo.pk}").exists()


def test_r_f8_a_booked_visit_without_an_engineer_reports_no_exception(field_service):
    f = field_service
    wo = f.work_order()
    with pytest.raises(TransitionNotAllowed):
        work_order_exception(actor=desk(f), work_order=wo, kind="running_late", late_minutes=20)


def test_scope_helpers_raise_not_found_for_unknown_plans(field_service):
    """plan_get/work_order_get are the views' only way in; other outlets' objects are NotFound (not 403)."""
    from wuyou.dispatch.selectors import plan_get, work_order_get

    f = field_service
    wo = f.work_order()
    plan = optimise(f)
    with pytest.raises(NotFound):
        plan_get(actor=f.network.actor(f.network.clerk_b), plan_id=plan.pk)
    with pytest.raises(NotFound):
        work_order_get(actor=f.network.actor(f.network.clerk_b), work_order_id=wo.pk)


def test_r_f3_arrival_works_even_when_the_desk_touched_the_request_since_the_page_loaded(planned):
    from wuyou.tickets.services import request_assign

    f, wo = planned
    request_assign(actor=desk(f), request=ServiceRequest.objects.get(pk=wo.request_id), engineer_id=wo.engineer_id)
    work_order_step(actor=engineer_actor(f, wo), work_order=wo, step="arrived", entry=StepInput())
    assert ServiceRequest.objects.get(pk=wo.request_id).status == Status.IN_PROGRESS


def test_r_f1_a_visit_whose_request_was_cancelled_is_left_out_and_the_day_still_commits(field_service):
    f = field_service
    gone = f.work_order()
    request_transition(
        actor=desk(f), request=ServiceRequest.objects.get(pk=gone.request_id), action="cancel", note="客户自己修好了"
    )
    kept = f.work_order()
    plan = commit(f)
    assert list(plan.proposal["work_orders"].values()) == [kept.pk]
    assert fresh(gone).status == WorkOrderStatus.BOOKED and fresh(kept).status == WorkOrderStatus.PLANNED
