"""An engineer's day off or hours, set through the service (and so the admin): never under visits still on his route."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from tests.field_service import TODAY, local
from wuyou.core.errors import NotFound, PermissionDenied, ValidationFailed
from wuyou.dispatch.models import EngineerDay, WorkOrder, WorkOrderStatus
from wuyou.dispatch.services import engineer_day_save


def planned_for(f, engineer) -> WorkOrder:
    wo = f.work_order()
    WorkOrder.objects.filter(pk=wo.pk).update(
        engineer=engineer, status=WorkOrderStatus.PLANNED, planned_start=local(TODAY, "09:30")
    )
    wo.refresh_from_db()
    return wo


def test_a_day_off_is_refused_while_visits_are_planned_for_him_that_day(field_service):
    f = field_service
    wo = planned_for(f, f.network.engineer_a)
    day = EngineerDay(engineer=f.network.engineer_a, day=TODAY, is_off=True, note="病假")
    with translation.override("en"), pytest.raises(ValidationFailed) as refused:
        engineer_day_save(actor=f.network.actor(f.network.manager), day=day)
    assert refused.value.field == "is_off" and wo.number in refused.value.message
    assert not EngineerDay.objects.filter(engineer=f.network.engineer_a, day=TODAY, is_off=True).exists()


def test_a_day_off_with_an_empty_route_is_stored_and_moves_the_route_version(field_service):
    f = field_service
    planned_for(f, f.network.engineer_a2)  # a colleague's visit does not stand in the way
    before = EngineerDay.objects.create(engineer=f.network.engineer_a, day=TODAY, route_version=4)
    before.is_off, before.route_version = True, 0  # a form's stale copy of the version is never written back
    saved = engineer_day_save(actor=f.network.actor(f.network.manager), day=before)
    assert saved.is_off is True and saved.route_version == 5


def test_an_engineer_may_not_set_days(field_service):
    f = field_service
    day = EngineerDay(engineer=f.network.engineer_a, day=TODAY + dt.timedelta(days=1), is_off=True)
    with pytest.raises(PermissionDenied):
        engineer_day_save(actor=f.network.actor(f.network.engineer_a), day=day)


def test_the_admin_form_names_the_field_and_the_visits(field_service, admin_client):
    f = field_service
    wo = planned_for(f, f.network.engineer_a)
    with translation.override("en"):
        response = admin_client.post(
            reverse("admin:dispatch_engineerday_add"),
            {"engineer": f.network.engineer_a.pk, "day": TODAY.isoformat(), "is_off": "on", "note": "病假"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 200  # the form again, not a redirect
    assert wo.number in response.content.decode()
    assert not EngineerDay.objects.filter(engineer=f.network.engineer_a, day=TODAY).exists()


def test_another_outlets_engineer_reads_as_unknown(field_service):
    f = field_service
    day = EngineerDay(engineer=f.network.engineer_b, day=TODAY, is_off=True)
    with pytest.raises(NotFound):
        engineer_day_save(actor=f.network.actor(f.network.clerk_a), day=day)
    assert not EngineerDay.objects.filter(engineer=f.network.engineer_b).exists()
