"""The dispatch reads: a day's planning problem, scope, the engineer's day and the booking options (R-F1…R-F7, R-D3)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.field_service import SHANGHAI, TODAY, local
from wuyou.accounts.models import Certificate, Skill
from wuyou.core.errors import NotFound
from wuyou.dispatch.models import DispatchPlan, EngineerDay, FieldEngineer, PlanStatus, StartPlace, WorkOrder
from wuyou.dispatch.models import WorkOrderStatus as S
from wuyou.dispatch.problem import day_problem
from wuyou.dispatch.selectors import (
    ARRIVE_EARLY,
    booking_options,
    latest_plan,
    plan_get,
    planned_routes,
    plans_visible,
    unbooked_work_orders,
    unplanned_work_orders,
    work_order_get,
    work_orders_visible,
)
from wuyou.dispatch.services import WorkOrderInput, plan_commit, plan_request, plan_run, work_order_open
from wuyou.fieldservice.selectors import engineer_day_route
from wuyou.fieldservice.services import StepInput, work_order_step
from wuyou.routing.optimizer import Point, Window
from wuyou.tickets.models import ClockState, RequestClock, Step

TOMORROW = TODAY + dt.timedelta(days=1)
OUTLET_A = Point(36.07, 120.38)


def hm(hhmm: str) -> int:
    """Seconds from local midnight."""
    hour, minute = map(int, hhmm.split(":"))
    return hour * 3600 + minute * 60


def desk(f):
    return f.network.actor(f.network.clerk_a)


def optimise_and_commit(f, day: dt.date = TODAY) -> DispatchPlan:
    plan = plan_request(actor=desk(f), outlet_id=f.network.outlet_a.pk, day=day, seconds=1)
    DispatchPlan.objects.filter(pk=plan.pk).update(seconds=0)  # a tiny day: the first solution is enough
    ran = plan_run(plan_id=plan.pk)
    assert ran is not None and ran.status == PlanStatus.READY, ran and ran.error
    return plan_commit(actor=desk(f), plan=ran)


def place(wo: WorkOrder, engineer, start: str, *, day: dt.date = TODAY, status: str = S.PLANNED) -> None:
    """Put a visit in an engineer's committed route at a time (as a committed plan would)."""
    at = local(day, start)
    WorkOrder.objects.filter(pk=wo.pk).update(
        status=status,
        engineer=engineer,
        planned_arrival=at,
        planned_start=at,
        planned_end=at + dt.timedelta(minutes=wo.duration_minutes),
        route_position=0,
        travel_minutes=5,
    )


def day_off(engineer, day: dt.date = TODAY, **kw) -> EngineerDay:
    return EngineerDay.objects.create(engineer=engineer, day=day, **({"is_off": True} if not kw else kw))


def jobs_of(built) -> dict[int, object]:
    return {built.work_orders[j.key].pk: j for j in built.problem.jobs}


# -- day_problem (R-F1, R-F6, R-F7) -----------------------------------------------------------------------------


def test_r_f1_the_day_problem_holds_the_days_jobs_and_engineers_on_duty(field_service):
    f = field_service
    net = f.network
    morning = f.work_order(lat=36.071, lon=120.385)
    evening = f.work_order(windows=(("18:00", "20:00"),))
    choice = f.work_order(windows=(("09:00", "11:00"), ("19:00", "21:00")))
    f.work_order(windows=(("09:00", "11:00"),), day=TOMORROW)
    both = f.work_order(windows=(("09:00", "11:00"),))
    WorkOrder.objects.filter(pk=both.pk).update(window_start=None, window_end=None)
    both.windows.create(starts_at=local(TOMORROW, "09:00"), ends_at=local(TOMORROW, "11:00"))
    work_order_open(actor=desk(f), request=f.request(), visit=WorkOrderInput())  # unbooked: not planned
    built = day_problem(outlet=net.outlet_a, day=TODAY)
    jobs = jobs_of(built)
    assert sorted(jobs) == sorted([morning.pk, evening.pk, choice.pk, both.pk])
    assert jobs[morning.pk].windows == (Window(hm("09:00"), hm("11:00")),)
    assert jobs[evening.pk].windows == (Window(hm("18:00"), hm("20:00")),)  # R-D3: evenings are ordinary
    assert jobs[choice.pk].windows == (Window(hm("09:00"), hm("11:00")), Window(hm("19:00"), hm("21:00")))
    assert jobs[both.pk].windows == (Window(hm("09:00"), hm("11:00")),)  # tomorrow's window is not today's
    assert jobs[morning.pk].duration == 3600 and jobs[morning.pk].skills == frozenset({"ac_repair"})
    assert built.origin == local(TODAY, "00:00")
    assert [e.key for e in built.problem.engineers] == [f"e{net.engineer_a.pk}", f"e{net.engineer_a2.pk}"]
    for engineer in built.problem.engineers:
        assert (engineer.shift_start, engineer.shift_end) == (hm("08:30"), hm("21:00"))
        assert engineer.start == engineer.end == OUTLET_A and engineer.capacity == 2
    assert built.problem.engineers[1].skills == frozenset({"ac_repair", "boiler"})


def test_r_f7_an_expired_certificate_removes_the_skill(field_service):
    f = field_service
    net = f.network
    Certificate.objects.filter(engineer=net.engineer_a2, skill=f.boiler).update(expires_on=TODAY - dt.timedelta(days=1))
    Certificate.objects.filter(engineer=net.engineer_a, skill=f.ac_repair).update(issued_on=TOMORROW)
    built = day_problem(outlet=net.outlet_a, day=TODAY)
    skills = {e.key: e.skills for e in built.problem.engineers}
    assert skills == {f"e{net.engineer_a.pk}": frozenset(), f"e{net.engineer_a2.pk}": frozenset({"ac_repair"})}
    later = day_problem(outlet=net.outlet_a, day=TOMORROW)
    assert {e.key: e.skills for e in later.problem.engineers}[f"e{net.engineer_a.pk}"] == frozenset({"ac_repair"})


def test_r_f7_a_job_needing_an_expired_skill_is_unassigned_with_no_skill(field_service):
    f = field_service
    wo = work_order_open(
        actor=desk(f),
        request=f.request(),
        visit=WorkOrderInput(skill_codes=("boiler",), windows=((local(TODAY, "10:00"), local(TODAY, "12:00")),)),
    )
    Certificate.objects.filter(skill=f.boiler).update(expires_on=TODAY - dt.timedelta(days=1))
    plan = plan_request(actor=desk(f), outlet_id=f.network.outlet_a.pk, day=TODAY, seconds=1)
    DispatchPlan.objects.filter(pk=plan.pk).update(seconds=0)
    plan = plan_run(plan_id=plan.pk)
    assert plan.proposal["plan"]["unassigned"] == [{"job": f"wo{wo.pk}", "reason": "no_skill"}]


def test_r_f1_engineers_off_duty_or_with_other_hours_are_planned_as_such(field_service):
    f = field_service
    net = f.network
    day_off(net.engineer_a)
    day_off(net.engineer_a2, starts_at=local(TODAY, "12:00"), ends_at=local(TODAY, "22:00"))
    built = day_problem(outlet=net.outlet_a, day=TODAY)
    assert [(e.key, e.shift_start, e.shift_end) for e in built.problem.engineers] == [
        (f"e{net.engineer_a2.pk}", hm("12:00"), hm("22:00"))
    ]
    assert built.base_versions == {str(net.engineer_a2.pk): 0}


def test_r_f1_an_engineer_starting_from_home_starts_and_ends_there(field_service):
    f = field_service
    net = f.network
    FieldEngineer.objects.filter(engineer=net.engineer_a).update(
        starts_from=StartPlace.HOME, home_latitude=36.1, home_longitude=120.45, van_capacity=4
    )
    built = day_problem(outlet=net.outlet_a, day=TODAY)
    engineer = next(e for e in built.problem.engineers if e.key == f"e{net.engineer_a.pk}")
    assert engineer.start == engineer.end == Point(36.1, 120.45) and engineer.capacity == 4


def test_r_f6_re_planning_during_the_day_starts_now_and_keeps_started_jobs(field_service):
    f = field_service
    net = f.network
    started = f.work_order(windows=(("09:00", "10:00"),), lat=36.08, lon=120.40)
    missed = f.work_order(windows=(("08:30", "09:30"),), lat=36.071, lon=120.385)
    later = f.work_order(windows=(("13:00", "15:00"),))
    place(started, net.engineer_a, "09:00")
    place(missed, net.engineer_a2, "09:00")
    f.now(TODAY, "09:40")
    me = net.actor(net.engineer_a)
    work_order_step(actor=me, work_order=WorkOrder.objects.get(pk=started.pk), step="arrived", entry=StepInput())
    built = day_problem(outlet=net.outlet_a, day=TODAY)
    jobs = jobs_of(built)
    assert sorted(jobs) == sorted([missed.pk, later.pk])  # the started job is not re-planned ...
    assert built.fixed == {f"e{net.engineer_a.pk}": [started.pk]}  # ... it stays with its engineer
    engineers = {e.key: e for e in built.problem.engineers}
    busy = engineers[f"e{net.engineer_a.pk}"]
    # He resumes where the job is, when it ends (arrived 09:40 + 60 min), and ends the day at the outlet.
    assert (busy.start, busy.end, busy.shift_start) == (Point(36.08, 120.40), OUTLET_A, hm("10:40"))
    assert engineers[f"e{net.engineer_a2.pk}"].shift_start == hm("09:40")
    assert jobs[missed.pk].windows == (Window(hm("09:40"), hm("09:40")),)  # missed: as soon as possible
    assert jobs[later.pk].windows == (Window(hm("13:00"), hm("15:00")),)
    assert built.base_versions == {str(net.engineer_a.pk): 0, str(net.engineer_a2.pk): 0}


def test_r_f6_pinned_jobs_keep_their_engineer_and_time(field_service):
    f = field_service
    net = f.network
    wo = f.work_order(windows=(("10:00", "14:00"),))
    place(wo, net.engineer_a2, "11:00")
    WorkOrder.objects.filter(pk=wo.pk).update(pinned=True)
    loose = f.work_order()
    place(loose, net.engineer_a, "09:00")
    jobs = jobs_of(day_problem(outlet=net.outlet_a, day=TODAY))
    assert (jobs[wo.pk].pinned_to, jobs[wo.pk].pinned_start) == (f"e{net.engineer_a2.pk}", hm("11:00"))
    assert (jobs[loose.pk].pinned_to, jobs[loose.pk].pinned_start) == (None, None)


@pytest.mark.parametrize(
    ("priority", "due", "required", "weight"),
    [
        ("normal", None, False, 1),
        ("low", None, False, 1),
        ("high", None, False, 2),
        ("urgent", None, True, 4),
        ("normal", "20:00", True, 1),  # the visit's time limit runs out today
        ("normal", "tomorrow", False, 1),
        ("normal", "first_response_today", False, 1),  # not a limit the visit answers
    ],
)
def test_r_f6_required_and_priority_come_from_urgency_and_the_time_limits(
    field_service, priority, due, required, weight
):
    f = field_service
    wo = f.work_order(priority=priority)
    clocks = RequestClock.objects.filter(request_id=wo.request_id, state=ClockState.RUNNING)
    later = local(TOMORROW, "20:00")
    clocks.update(warn_at=later, due_at=later)  # nothing runs out today ...
    if due == "first_response_today":
        clocks.filter(step=Step.FIRST_RESPONSE).update(warn_at=local(TODAY, "09:00"), due_at=local(TODAY, "10:00"))
    elif due is not None:  # ... except the on-site visit's limit, when given
        at = local(TOMORROW, "09:00") if due == "tomorrow" else local(TODAY, due)
        clocks.filter(step=Step.ON_SITE).update(warn_at=at, due_at=at)
    job = jobs_of(day_problem(outlet=f.network.outlet_a, day=TODAY))[wo.pk]
    assert (job.required, job.priority) == (required, weight)


# -- scope ------------------------------------------------------------------------------------------------------


def test_work_orders_are_visible_by_outlet_region_and_own_jobs(field_service):
    f = field_service
    net = f.network
    a = f.work_order()
    b = f.work_order(outlet=net.outlet_b)
    place(a, net.engineer_a, "09:00")
    place(b, net.engineer_b, "09:00")
    a2 = f.work_order()

    def visible(staff) -> set[int]:
        return set(work_orders_visible(actor=net.actor(staff)).values_list("pk", flat=True))

    assert visible(net.clerk_a) == visible(net.outlet_manager_a) == {a.pk, a2.pk}
    assert visible(net.clerk_b) == {b.pk}
    assert visible(net.regional_manager) == {a.pk, a2.pk}  # outlet B is in the other region
    assert visible(net.hq_clerk) == visible(net.manager) == {a.pk, a2.pk, b.pk}
    assert visible(net.engineer_a) == {a.pk}
    assert visible(net.engineer_a2) == set()
    assert visible(net.engineer_b) == {b.pk}
    with pytest.raises(NotFound):
        work_order_get(actor=net.actor(net.clerk_b), work_order_id=a.pk)
    with pytest.raises(NotFound):
        work_order_get(actor=net.actor(net.engineer_a2), work_order_id=a.pk)
    assert work_order_get(actor=net.actor(net.engineer_a), work_order_id=a.pk).pk == a.pk


def test_plans_are_visible_to_their_outlets_desk_only(field_service):
    f = field_service
    net = f.network
    f.work_order()
    plan = plan_request(actor=desk(f), outlet_id=net.outlet_a.pk, day=TODAY, seconds=1)
    assert plan_get(actor=net.actor(net.outlet_manager_a), plan_id=plan.pk) == plan
    assert plan_get(actor=net.actor(net.regional_manager), plan_id=plan.pk) == plan
    for staff in (net.clerk_b, net.engineer_a):
        with pytest.raises(NotFound):
            plan_get(actor=net.actor(staff), plan_id=plan.pk)
    assert not plans_visible(actor=net.actor(net.engineer_a)).exists()
    assert latest_plan(actor=desk(f), outlet_id=net.outlet_a.pk, day=TODAY) == plan
    assert latest_plan(actor=net.actor(net.clerk_b), outlet_id=net.outlet_a.pk, day=TODAY) is None


# -- the board's and the engineer's lists (R-F1, R-F2) --------------------------------------------------------------


def test_r_f1_the_boards_lists(field_service):
    f = field_service
    net = f.network
    booked = f.work_order()
    choice = f.work_order(windows=(("09:00", "11:00"), ("13:00", "15:00")))
    tomorrow = f.work_order(day=TOMORROW)
    unbooked = work_order_open(actor=desk(f), request=f.request(), visit=WorkOrderInput())
    planned = f.work_order()
    place(planned, net.engineer_a, "09:30")
    clerk = desk(f)
    assert {w.pk for w in unplanned_work_orders(actor=clerk, outlet_id=net.outlet_a.pk, day=TODAY)} == {
        booked.pk,
        choice.pk,
    }
    assert {w.pk for w in unplanned_work_orders(actor=clerk, outlet_id=net.outlet_a.pk, day=TOMORROW)} == {tomorrow.pk}
    assert [w.pk for w in unbooked_work_orders(actor=clerk)] == [unbooked.pk]
    assert not unbooked_work_orders(actor=net.actor(net.clerk_b)).exists()
    assert {k: [w.pk for w in v] for k, v in planned_routes(outlet_id=net.outlet_a.pk, day=TODAY).items()} == {
        net.engineer_a.pk: [planned.pk]
    }


def test_r_f2_the_engineers_day_works_back_when_to_leave_and_shows_phones_today_only(field_service):
    f = field_service
    net = f.network
    today = f.work_order(lat=36.08, lon=120.40)
    optimise_and_commit(f)
    ahead = f.work_order(day=TOMORROW)
    optimise_and_commit(f, day=TOMORROW)
    engineer = WorkOrder.objects.get(pk=today.pk).engineer
    me = net.actor(engineer)
    stops = engineer_day_route(actor=me, day=TODAY)
    assert [s.work_order.pk for s in stops] == [today.pk]
    wo = stops[0].work_order
    assert wo.travel_minutes > 0
    assert stops[0].leave_at == wo.planned_start - dt.timedelta(minutes=wo.travel_minutes) - ARRIVE_EARLY
    assert stops[0].phone_visible is True
    later = engineer_day_route(actor=net.actor(WorkOrder.objects.get(pk=ahead.pk).engineer), day=TOMORROW)
    assert [(s.work_order.pk, s.phone_visible) for s in later] == [(ahead.pk, False)]
    assert engineer_day_route(actor=desk(f), day=TODAY) == []
    # Done: the phone is masked again.
    for step, data in [
        ("arrived", StepInput()),
        ("work_done", StepInput(note="修好了")),
        ("rating", StepInput(quality=5, attitude=5, note="客户不便签字")),
        ("done", StepInput()),
    ]:
        wo = work_order_step(actor=me, work_order=WorkOrder.objects.get(pk=today.pk), step=step, entry=data)
    assert [(s.work_order.pk, s.phone_visible) for s in engineer_day_route(actor=me, day=TODAY)] == [(today.pk, False)]


# -- booking options (R-D3) ---------------------------------------------------------------------------------------


def today_options(f, wo: WorkOrder) -> list:
    return booking_options(actor=desk(f), work_order=wo, days=1)


def slot(option) -> tuple[str, str]:
    """The option as local HH:MM from and until."""
    return f"{option.starts_at.astimezone(SHANGHAI):%H:%M}", f"{option.ends_at.astimezone(SHANGHAI):%H:%M}"


def test_r_d3_free_engineers_make_every_slot_feasible_evenings_included(field_service):
    f = field_service
    wo = work_order_open(actor=desk(f), request=f.request(), visit=WorkOrderInput())
    options = booking_options(actor=desk(f), work_order=wo)
    assert len({o.starts_at.date() for o in options}) == 7
    today = today_options(f, wo)
    assert [slot(o) for o in today] == [
        ("08:30", "10:30"),
        ("10:30", "12:30"),
        ("13:30", "15:30"),
        ("15:30", "17:30"),
        ("18:00", "20:00"),
        ("19:30", "21:30"),
    ]
    assert all(o.feasible and o.engineer in {"engineer_a", "engineer_a2"} for o in today)
    assert all(o.extra_travel_minutes is not None and o.extra_travel_minutes >= 0 for o in today)


def test_r_d3_slots_already_gone_are_not_offered(field_service):
    f = field_service
    wo = work_order_open(actor=desk(f), request=f.request(), visit=WorkOrderInput())
    f.now(TODAY, "19:00")
    today = today_options(f, wo)
    assert [slot(o) for o in today] == [("19:00", "20:00"), ("19:30", "21:30")]


def test_r_d3_a_fully_booked_day_offers_nothing_feasible(field_service):
    f = field_service
    net = f.network
    day_off(net.engineer_a2)
    day_off(net.engineer_a, starts_at=local(TODAY, "08:30"), ends_at=local(TODAY, "12:00"))
    busy = f.work_order()
    WorkOrder.objects.filter(pk=busy.pk).update(duration_minutes=150)
    place(WorkOrder.objects.get(pk=busy.pk), net.engineer_a, "09:00")
    wo = work_order_open(actor=desk(f), request=f.request(), visit=WorkOrderInput())
    today = today_options(f, wo)
    assert today and not any(o.feasible for o in today)
    assert all(o.engineer == "" and o.extra_travel_minutes is None for o in today)


def test_r_d3_a_booked_job_nobody_has_yet_takes_its_room_first(field_service):
    f = field_service
    net = f.network
    day_off(net.engineer_a2)
    day_off(net.engineer_a, starts_at=local(TODAY, "08:30"), ends_at=local(TODAY, "10:00"))
    f.work_order(windows=(("08:30", "10:30"),))  # booked, not planned: 60 of his 90 minutes
    wo = work_order_open(actor=desk(f), request=f.request(), visit=WorkOrderInput(duration_minutes=60))
    first = today_options(f, wo)[0]
    assert slot(first) == ("08:30", "10:30") and not first.feasible


def test_r_d3_booking_reads_a_committed_route_in_visiting_order(field_service):
    f = field_service
    net = f.network
    day_off(net.engineer_a2)
    # A long window planned late and a short one planned early: the route is 10:00 then 14:00.
    late = f.work_order(windows=(("09:00", "17:00"),))
    early = f.work_order(windows=(("10:00", "11:00"),), lat=36.071, lon=120.385)
    place(late, net.engineer_a, "14:00")
    place(early, net.engineer_a, "10:00")
    wo = work_order_open(actor=desk(f), request=f.request(), visit=WorkOrderInput())
    feasible = {slot(o): o.feasible for o in today_options(f, wo)}
    assert feasible[("10:30", "12:30")] is True  # free from 11:00 to 14:00
    assert feasible[("13:30", "15:30")] is True  # he can still fit a job after the 14:00 visit
    assert feasible[("18:00", "20:00")] is True


def test_r_d3_no_skilled_engineer_means_no_feasible_slot(field_service):
    f = field_service
    Skill.objects.create(code="gas", name="燃气灶")
    wo = work_order_open(actor=desk(f), request=f.request(), visit=WorkOrderInput(skill_codes=("gas",)))
    options = booking_options(actor=desk(f), work_order=wo)
    assert options and not any(o.feasible for o in options)


def test_r_d3_the_visit_being_rebooked_does_not_block_itself(field_service):
    f = field_service
    net = f.network
    day_off(net.engineer_a2)
    day_off(net.engineer_a, starts_at=local(TODAY, "08:30"), ends_at=local(TODAY, "10:00"))
    wo = f.work_order(windows=(("08:30", "10:30"),))  # room for one hour's job: this one
    first = today_options(f, wo)[0]
    assert slot(first) == ("08:30", "10:30") and first.feasible
