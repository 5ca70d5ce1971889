"""A booked window holds the engineer's time (issue 12, defect 13; R-D3).

Six clerks booking six visits into the one window an engineer has room for once: one is booked, five are told the
window has just gone, and the next visit is not offered it. Proved on PostgreSQL with real threads; the same rule
sequentially on any database.
"""

from __future__ import annotations

import pytest

from tests.concurrency import postgresql_only, run_together
from tests.field_service import TODAY, local
from wuyou.core.errors import Conflict
from wuyou.dispatch.models import AppointmentWindow, EngineerDay, WorkOrder, WorkOrderStatus
from wuyou.dispatch.selectors import booking_options
from wuyou.dispatch.services import WorkOrderInput, work_order_book, work_order_open

MORNING = (local(TODAY, "08:30"), local(TODAY, "10:30"))


def desk(f):
    return f.network.actor(f.network.clerk_a)


def one_free_hour_and_a_half(f) -> None:
    """Only engineer_a works, and only 08:30–10:00: room for one 60-minute visit in the morning window."""
    net = f.network
    EngineerDay.objects.create(engineer=net.engineer_a2, day=TODAY, is_off=True)
    EngineerDay.objects.create(
        engineer=net.engineer_a, day=TODAY, starts_at=local(TODAY, "08:30"), ends_at=local(TODAY, "10:00")
    )


def unbooked_visits(f, n: int) -> list[WorkOrder]:
    return [
        work_order_open(actor=desk(f), request=f.request(), visit=WorkOrderInput(duration_minutes=60)) for _ in range(n)
    ]


def morning_option(f, wo: WorkOrder):
    return next(o for o in booking_options(actor=desk(f), work_order=wo, days=1) if o.starts_at == MORNING[0])


def test_a_booked_window_is_no_longer_offered_nor_bookable(field_service):
    f = field_service
    one_free_hour_and_a_half(f)
    first, second = unbooked_visits(f, 2)
    assert morning_option(f, first).feasible
    work_order_book(actor=desk(f), work_order=first, windows=[MORNING])
    option = morning_option(f, second)
    assert not option.feasible and option.engineer == ""
    with pytest.raises(Conflict) as refused:
        work_order_book(actor=desk(f), work_order=second, windows=[MORNING])
    assert refused.value.field == "windows"
    second.refresh_from_db()
    assert second.status == WorkOrderStatus.UNBOOKED and not AppointmentWindow.objects.filter(work_order=second)


def test_several_windows_need_room_in_one_of_them(field_service):
    f = field_service
    one_free_hour_and_a_half(f)
    first, second = unbooked_visits(f, 2)
    work_order_book(actor=desk(f), work_order=first, windows=[MORNING])
    # The morning is gone, but engineer_a2 is off and engineer_a's day ends at 10:00: nothing else either.
    with pytest.raises(Conflict):
        work_order_book(
            actor=desk(f), work_order=second, windows=[MORNING, (local(TODAY, "13:30"), local(TODAY, "15:30"))]
        )
    EngineerDay.objects.filter(engineer=f.network.engineer_a2).delete()  # a2 works after all
    work_order_book(actor=desk(f), work_order=second, windows=[MORNING, (local(TODAY, "13:30"), local(TODAY, "15:30"))])


def test_rebooking_a_visit_into_its_own_window_is_not_refused(field_service):
    f = field_service
    one_free_hour_and_a_half(f)
    (visit,) = unbooked_visits(f, 1)
    work_order_book(actor=desk(f), work_order=visit, windows=[MORNING])
    visit.refresh_from_db()
    work_order_book(actor=desk(f), work_order=visit, windows=[MORNING])  # it does not compete with itself


@pytest.mark.django_db(transaction=True)
def test_six_clerks_booking_the_last_room_at_once_book_it_once(field_service):
    postgresql_only()
    f = field_service
    one_free_hour_and_a_half(f)
    visits = unbooked_visits(f, 6)
    results = run_together(
        *[lambda wo=wo: work_order_book(actor=desk(f), work_order=wo, windows=[MORNING]) for wo in visits]
    )
    booked = [r for r in results if isinstance(r, WorkOrder)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert (len(booked), len(refused)) == (1, 5), results
    assert WorkOrder.objects.filter(pk__in=[v.pk for v in visits], status=WorkOrderStatus.BOOKED).count() == 1
    (seventh,) = unbooked_visits(f, 1)
    assert not morning_option(f, seventh).feasible
