"""R-A1, R-A2, R-A4: the customer archive, its timeline and one-box search."""

import datetime as dt

import pytest

from tests.factories import CustomerFactory, UnitFactory
from wuyou.core.errors import PermissionDenied, ValidationFailed
from wuyou.customers.models import Customer, CustomerPhone, PersonalDataReveal
from wuyou.customers.selectors import customer_search, customer_timeline, customers_visible, phone_for_display
from wuyou.customers.services import (
    AddressInput,
    ContactWindowInput,
    CustomerInput,
    customer_create,
    customer_note_add,
    customer_reveal_phones,
)

QINGDAO = AddressInput(
    city="青岛市", district="崂山区", detail="松岭路99号3栋2单元501室", latitude=36.11, longitude=120.47
)


def test_clerk_files_customer_with_phones_address_and_window(network):
    customer = customer_create(
        actor=network.actor(network.clerk_a),
        profile=CustomerInput(
            name="张伟",
            phones=["138 0532 1234", "0532-88776655"],
            addresses=[QINGDAO],
            contact_windows=[ContactWindowInput(days="weekdays", starts_at=dt.time(20), ends_at=dt.time(21))],
            dont_call_at_work=True,
        ),
    )
    assert customer.outlet == network.outlet_a
    assert list(customer.phones.values_list("number", "kind", "is_primary")) == [
        ("13805321234", "mobile", True),
        ("0532-88776655", "landline", False),
    ]
    assert customer.addresses.get().full_text == "青岛市崂山区松岭路99号3栋2单元501室"
    assert customer.timeline.count() == 1


def test_head_office_customer_goes_to_the_nearest_outlet(network):
    far = AddressInput(city="青岛市", district="城阳区", detail="正阳路1号", latitude=36.31, longitude=120.61)
    customer = customer_create(
        actor=network.actor(network.hq_clerk),
        profile=CustomerInput(name="赵敏", phones=["13912345678"], addresses=[far]),
    )
    assert customer.outlet == network.outlet_b


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": " "}, "name"),
        ({"phones": []}, "phones"),
        ({"phones": ["1381234"]}, "phones[0]"),
        ({"phones": ["13812341234", "0532-12"]}, "phones[1]"),
        ({"addresses": [AddressInput(city="青岛市", detail="x", latitude=91, longitude=120)]}, "addresses[0].latitude"),
        (
            {"addresses": [AddressInput(city="青岛市", detail="x", latitude=36, longitude=181)]},
            "addresses[0].longitude",
        ),
        ({"addresses": [AddressInput(city="", detail="x")]}, "addresses[0].city"),
        (
            {"contact_windows": [ContactWindowInput(days="weekdays", starts_at=dt.time(21), ends_at=dt.time(20))]},
            "contact_windows[0].ends_at",
        ),
        ({"outlet_id": 999999}, "outlet_id"),
    ],
)
def test_bad_customer_input_names_the_field_and_writes_nothing(network, data, field):
    base = {"name": "孙丽", "phones": ["13712345678"]}
    with pytest.raises(ValidationFailed) as err:
        customer_create(actor=network.actor(network.clerk_a), profile=CustomerInput(**{**base, **data}))
    assert field in err.value.errors
    assert Customer.objects.count() == 0 and CustomerPhone.objects.count() == 0


def test_engineer_may_not_file_customers(network):
    with pytest.raises(PermissionDenied):
        customer_create(
            actor=network.actor(network.engineer_a), profile=CustomerInput(name="x", phones=["13712345678"])
        )


def test_one_box_search_finds_by_phone_serial_name_and_address(network):
    wang = CustomerFactory(outlet=network.outlet_a, name="王秀英")
    unit = UnitFactory(owner=wang, serial="HXAC20250001")
    actor = network.actor(network.hq_clerk)
    phone = wang.phones.get().number
    for query in (
        phone,
        f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}",
        phone[:7],
        unit.serial.lower(),
        "王秀",
        "香港中路",
    ):
        assert wang in customer_search(actor=actor, query=query), query


def test_search_never_crosses_outlets(network):
    wang = CustomerFactory(outlet=network.outlet_a, name="王秀英")
    assert customer_search(actor=network.actor(network.clerk_b), query=wang.phones.get().number) == []
    assert customer_search(actor=network.actor(network.clerk_b), query="王秀英") == []
    assert customer_search(actor=network.actor(network.clerk_a), query="王秀英") == [wang]


def test_visibility_by_role(network):
    a = CustomerFactory(outlet=network.outlet_a)
    b = CustomerFactory(outlet=network.outlet_b)
    assert set(customers_visible(actor=network.actor(network.manager))) == {a, b}
    assert set(customers_visible(actor=network.actor(network.clerk_a))) == {a}
    assert set(customers_visible(actor=network.actor(network.regional_manager))) == {a}
    assert set(customers_visible(actor=network.actor(network.engineer_a))) == set()


def test_timeline_is_newest_first_and_covers_notes(network):
    c = CustomerFactory(outlet=network.outlet_a)
    actor = network.actor(network.clerk_a)
    customer_note_add(actor=actor, customer=c, summary="咨询空调清洗价格", phase="pre")
    customer_note_add(actor=actor, customer=c, summary="回电确认上门时间")
    summaries = [e.summary for e in customer_timeline(actor=actor, customer=c)]
    assert summaries == ["回电确认上门时间", "咨询空调清洗价格"]


def test_phone_display_is_masked_for_outlet_staff_and_reveal_is_logged(network):
    c = CustomerFactory(outlet=network.outlet_a)
    number = c.phones.get().number
    assert phone_for_display(actor=network.actor(network.clerk_a), number=number) == f"{number[:3]}****{number[-4:]}"
    assert phone_for_display(actor=network.actor(network.hq_clerk), number=number) == number
    with pytest.raises(ValidationFailed):
        customer_reveal_phones(actor=network.actor(network.clerk_a), customer=c, reason=" ")
    assert customer_reveal_phones(actor=network.actor(network.clerk_a), customer=c, reason="回访") == [number]
    reveal = PersonalDataReveal.objects.get()
    assert (reveal.actor_id, reveal.customer_id, reveal.reason) == (network.clerk_a.user_id, c.pk, "回访")
