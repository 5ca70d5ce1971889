"""R-B2: every unit has a unique serial, registered with purchase date, dealer, installation and owner."""

import datetime as dt

import pytest

from tests.concurrency import postgresql_only, run_together
from tests.factories import CustomerFactory, ProductModelFactory, UnitFactory
from wuyou.core.errors import Conflict, NotFound, ValidationFailed
from wuyou.products.models import Unit, UnitEvent
from wuyou.products.selectors import unit_get_by_serial, unit_history
from wuyou.products.services import UnitInput, unit_register


@pytest.fixture
def owner(network):
    return CustomerFactory(outlet=network.outlet_a)


def test_register_unit_writes_history_and_timeline(network, owner):
    model = ProductModelFactory(code="KFR-35GW/BpXAA1")
    unit = unit_register(
        actor=network.actor(network.clerk_a),
        owner=owner,
        registration=UnitInput(
            serial=" hxac2025000001 ",
            model_code=model.code,
            purchase_date=dt.date(2025, 6, 1),
            selling_outlet_id=network.outlet_a.pk,
            installed_on=dt.date(2025, 6, 3),
        ),
    )
    assert unit.serial == "HXAC2025000001"
    assert [e.verb for e in unit_history(actor=network.actor(network.clerk_a), unit=unit)] == [
        UnitEvent.Verb.REGISTERED
    ]
    assert owner.timeline.filter(ref_kind="unit", ref_id=unit.pk).exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"serial": "ab"}, "serial"),
        ({"serial": "HX 2025 0001"}, "serial"),
        ({"model_code": "NO-SUCH-MODEL"}, "model_code"),
        ({"purchase_date": dt.date(2999, 1, 1)}, "purchase_date"),
        ({"purchase_date": dt.date(2025, 6, 1), "installed_on": dt.date(2025, 5, 1)}, "installed_on"),
        ({"selling_outlet_id": 999999}, "selling_outlet_id"),
        ({"install_address_id": 999999}, "install_address_id"),
    ],
)
def test_bad_unit_input_names_the_field(network, owner, data, field):
    model = ProductModelFactory()
    base = {"serial": "HXAC2025000002", "model_code": model.code}
    with pytest.raises(ValidationFailed) as err:
        unit_register(actor=network.actor(network.clerk_a), owner=owner, registration=UnitInput(**{**base, **data}))
    assert err.value.field == field
    assert Unit.objects.count() == 0


def test_duplicate_serial_is_a_conflict(network, owner):
    existing = UnitFactory(owner=CustomerFactory(outlet=network.outlet_b))
    with pytest.raises(Conflict) as err:
        unit_register(
            actor=network.actor(network.clerk_a),
            owner=owner,
            registration=UnitInput(serial=existing.serial, model_code=existing.product_model.code),
        )
    assert err.value.field == "serial"


def test_unit_lookup_is_scoped(network, owner):
    unit = UnitFactory(owner=owner)
    assert unit_get_by_serial(actor=network.actor(network.clerk_a), serial=unit.serial.lower()) == unit
    with pytest.raises(NotFound):
        unit_get_by_serial(actor=network.actor(network.clerk_b), serial=unit.serial)
    with pytest.raises(NotFound):
        unit_get_by_serial(actor=network.actor(network.engineer_a), serial=unit.serial)


@pytest.mark.django_db(transaction=True)
def test_two_clerks_registering_one_serial_at_once_register_it_once(network):
    postgresql_only()
    owner = CustomerFactory(outlet=network.outlet_a)
    model = ProductModelFactory()

    def register() -> str:
        unit_register(
            actor=network.actor(network.clerk_a),
            owner=owner,
            registration=UnitInput(serial="HXRACE000001", model_code=model.code),
        )
        return "ok"

    outcomes = ["conflict" if isinstance(r, Conflict) else r for r in run_together(register, register)]
    assert sorted(outcomes) == ["conflict", "ok"]
    assert Unit.objects.filter(serial="HXRACE000001").count() == 1
    assert UnitEvent.objects.filter(unit__serial="HXRACE000001").count() == 1
