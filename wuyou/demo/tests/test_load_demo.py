"""Loading the demo: once only, all or nothing, deterministic, and writing what the services write."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from wuyou.accounts.actors import actor_for_user
from wuyou.accounts.models import Organisation, Role
from wuyou.customers.models import Customer, TimelineEntry
from wuyou.demo.world import DemoUnitRow, demo_units_register
from wuyou.products.models import Unit, UnitEvent
from wuyou.products.services import UnitInput, unit_register
from wuyou.tickets.models import ServiceRequest

TINY = {"customers": 12, "units": 14, "requests": 16, "engineers": 8}


def load(**options: object) -> str:
    out = StringIO()
    call_command("load_demo", stdout=out, **{**TINY, **options})
    return out.getvalue()


FAST_HASHER = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])


@pytest.fixture(autouse=True)
def _fast_password_hashing():
    with FAST_HASHER:
        yield


def test_the_same_seed_gives_the_same_demo(db):
    class Rollback(Exception):
        pass

    def snapshot() -> tuple[list[str], list[str], list[str]]:
        return (
            list(Customer.objects.order_by("pk").values_list("name", flat=True)),
            list(Unit.objects.order_by("pk").values_list("serial", flat=True)),
            list(ServiceRequest.objects.order_by("pk").values_list("symptom", flat=True)),
        )

    with pytest.raises(Rollback), transaction.atomic():
        load(seed=7)
        first = snapshot()
        raise Rollback
    load(seed=7)
    assert snapshot() == first


def test_a_taken_username_stops_the_load_and_writes_nothing(db):
    # Given a database where someone already created an "agent" account
    get_user_model().objects.create_user(username="agent", password="x" * 12)
    # When the demo is loaded, Then it refuses, naming the account, and nothing is left behind
    with pytest.raises(CommandError, match="agent"):
        load()
    assert not Organisation.objects.exists()
    assert not Customer.objects.exists()


def test_bulk_registered_units_write_what_unit_register_writes(db):
    from tests.factories import CustomerFactory, ProductModelFactory, StaffFactory

    # Given a clerk, a customer and a product model
    clerk = StaffFactory(role=Role.CLERK)
    actor = actor_for_user(clerk.user)
    owner = CustomerFactory()
    model = ProductModelFactory(code="KFR-35GW/TEST")
    address = owner.addresses.get()
    purchase = timezone.localdate() - dt.timedelta(days=30)

    def data(serial: str) -> UnitInput:
        return UnitInput(
            serial=serial,
            model_code=model.code,
            purchase_date=purchase,
            selling_outlet_id=owner.outlet_id,
            installed_on=purchase,
            install_address_id=address.pk,
        )

    # When one unit is registered by the service and one by the demo's bulk path
    by_service = unit_register(actor=actor, owner=owner, registration=data("HXDA0000000001"))
    at = timezone.now() - dt.timedelta(days=30)
    (in_bulk,) = demo_units_register(
        rows=[DemoUnitRow(actor=actor, owner=owner, data=data("HXDA0000000002"), registered_at=at)]
    )

    # Then the rows are the same but for the serial and the time
    def unit_row(unit: Unit) -> tuple[object, ...]:
        return (
            unit.product_model_id,
            unit.owner_id,
            unit.purchase_date,
            unit.selling_outlet_id,
            unit.installed_on,
            unit.install_address_id,
        )

    assert unit_row(Unit.objects.get(pk=by_service.pk)) == unit_row(Unit.objects.get(pk=in_bulk.pk))

    def event_row(unit: Unit) -> tuple[object, ...]:
        event = UnitEvent.objects.get(unit=unit)
        return event.verb, event.actor_id, event.data

    assert event_row(by_service) == event_row(in_bulk)
    assert UnitEvent.objects.get(unit=in_bulk).occurred_at == at

    def timeline_row(unit: Unit) -> tuple[object, ...]:
        line = TimelineEntry.objects.get(ref_kind="unit", ref_id=unit.pk)
        return (
            line.customer_id,
            line.kind,
            line.phase,
            line.channel,
            line.actor_id,
            line.ref_label == unit.serial,
            line.summary.replace(unit.serial, "<serial>"),
            line.body,
        )

    assert timeline_row(by_service) == timeline_row(in_bulk)
    assert TimelineEntry.objects.get(ref_kind="unit", ref_id=in_bulk.pk).occurred_at == at


def test_a_scale_too_small_for_requests_is_refused_before_anything_is_written(db):
    with pytest.raises(CommandError, match="at least 8 customers"):
        load(customers=5, units=5, requests=10)
    assert not Organisation.objects.exists()
