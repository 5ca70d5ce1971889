"""R-E1, R-E2, R-E5: opening, verifying, dispatching and moving requests through services."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import CustomerFactory, UnitFactory
from wuyou.core.errors import Conflict, PermissionDenied, TransitionNotAllowed, ValidationFailed
from wuyou.customers.models import TimelineEntry
from wuyou.tickets.models import RequestEvent, ServiceRequest, Status
from wuyou.tickets.services import (
    RequestDetails,
    RequestInput,
    request_assign,
    request_open,
    request_transition,
    request_verify,
)


@pytest.fixture
def customer_a(network):
    return CustomerFactory(outlet=network.outlet_a, name="李建国")


def open_repair(network, customer, **kw):
    return request_open(
        actor=network.actor(network.clerk_a), intake=RequestInput(call_type="repair", customer_id=customer.pk, **kw)
    )


def test_complete_repair_is_ready_for_dispatch(network, customer_a):
    unit = UnitFactory(owner=customer_a)
    sr = open_repair(network, customer_a, unit_serial=unit.serial.lower(), symptom="制冷效果差")
    assert sr.status == Status.NEW and not sr.to_verify and sr.missing_fields == []
    assert sr.number.startswith("SR") and sr.outlet == network.outlet_a
    assert sr.due_at is not None and sr.due_at > timezone.now()
    event = sr.events.get()
    assert (event.verb, event.to_status, event.actor_id) == ("opened", Status.NEW, network.clerk_a.user_id)
    assert customer_a.timeline.filter(kind=TimelineEntry.Kind.REQUEST, ref_id=sr.pk).exists()
    assert unit.events.filter(verb="serviced").exists()


def test_repair_missing_model_and_purchase_date_is_flagged_and_cannot_be_dispatched(network, customer_a):
    sr = open_repair(network, customer_a, symptom="不加热")
    assert sr.to_verify and sr.missing_fields == ["model", "purchase_date"]
    with pytest.raises(TransitionNotAllowed) as err:
        request_assign(actor=network.actor(network.clerk_a), request=sr, engineer_id=network.engineer_a.pk)
    assert err.value.field == "engineer_id"
    assert ServiceRequest.objects.get(pk=sr.pk).assignee is None


def test_verifying_the_missing_facts_clears_the_flag_and_allows_dispatch(network, customer_a):
    sr = open_repair(network, customer_a, symptom="不加热")
    request_verify(
        actor=network.actor(network.clerk_a),
        request=sr,
        details=RequestDetails(reported_model="JSQ25-13WH3", reported_purchase_date=dt.date(2025, 5, 1)),
    )
    sr.refresh_from_db()
    assert not sr.to_verify and sr.missing_fields == []
    request_assign(actor=network.actor(network.clerk_a), request=sr, engineer_id=network.engineer_a.pk)
    assert set(sr.events.values_list("verb", flat=True)) == {"opened", "verified", "assigned"}


def test_transition_writes_one_event_and_bumps_the_version(network, customer_a):
    sr = open_repair(
        network, customer_a, symptom="漏水", reported_model="X1", reported_purchase_date=dt.date(2025, 1, 1)
    )
    request_transition(actor=network.actor(network.clerk_a), request=sr, action="accept", expected_version=1)
    sr.refresh_from_db()
    assert (sr.status, sr.version) == (Status.ACCEPTED, 2)
    event = sr.events.get(verb="accept")
    assert (event.from_status, event.to_status) == (Status.NEW, Status.ACCEPTED)


def test_a_stale_version_is_a_conflict_and_writes_nothing(network, customer_a):
    sr = open_repair(network, customer_a, symptom="漏水")
    first_view = ServiceRequest.objects.get(pk=sr.pk)
    request_transition(actor=network.actor(network.clerk_a), request=sr, action="accept")
    with pytest.raises(Conflict):
        request_transition(actor=network.actor(network.manager), request=first_view, action="cancel", note="客户取消")
    assert ServiceRequest.objects.get(pk=sr.pk).status == Status.ACCEPTED
    assert RequestEvent.objects.filter(request=sr, verb="cancel").count() == 0


def test_transition_not_allowed_from_current_state(network, customer_a):
    sr = open_repair(network, customer_a, symptom="漏水")
    with pytest.raises(TransitionNotAllowed) as err:
        request_transition(actor=network.actor(network.clerk_a), request=sr, action="close")
    assert err.value.field == "action"


def test_engineer_cannot_close_or_cancel_a_complaint(network, customer_a):
    sr = request_open(
        actor=network.actor(network.clerk_a),
        intake=RequestInput(call_type="complaint", customer_id=customer_a.pk, symptom="师傅迟到两小时"),
    )
    request_transition(actor=network.actor(network.clerk_a), request=sr, action="accept")
    with pytest.raises(PermissionDenied):
        request_transition(actor=network.actor(network.engineer_a), request=sr, action="resolve", note="已道歉")


def test_cancel_requires_a_note(network, customer_a):
    sr = open_repair(network, customer_a, symptom="漏水")
    with pytest.raises(ValidationFailed) as err:
        request_transition(actor=network.actor(network.clerk_a), request=sr, action="cancel")
    assert err.value.field == "note"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"unit_serial": "NOPE123456"}, "unit_serial"),
        ({"contact_phone": "12345"}, "contact_phone"),
        ({"call_type": "shouting"}, "call_type"),
        ({"priority": "asap"}, "priority"),
        ({"reported_purchase_date": dt.date(2999, 1, 1)}, "reported_purchase_date"),
    ],
)
def test_bad_intake_names_the_field_and_writes_nothing(network, customer_a, kwargs, field):
    data = {"call_type": "repair", "customer_id": customer_a.pk, "symptom": "不制冷", **kwargs}
    with pytest.raises(ValidationFailed) as err:
        request_open(actor=network.actor(network.clerk_a), intake=RequestInput(**data))
    assert err.value.field == field
    assert ServiceRequest.objects.count() == 0 and RequestEvent.objects.count() == 0


def test_window_must_end_after_it_starts(network, customer_a):
    start = timezone.now() + dt.timedelta(days=1)
    with pytest.raises(ValidationFailed) as err:
        open_repair(network, customer_a, window_start=start, window_end=start - dt.timedelta(hours=1))
    assert err.value.field == "window_end"


def test_unit_of_another_customer_is_refused(network, customer_a):
    stranger_unit = UnitFactory(owner=CustomerFactory(outlet=network.outlet_a))
    with pytest.raises(ValidationFailed) as err:
        open_repair(network, customer_a, unit_serial=stranger_unit.serial)
    assert err.value.field == "unit_serial"


def test_outlet_clerk_cannot_open_for_another_outlets_customer(network):
    other = CustomerFactory(outlet=network.outlet_b)
    with pytest.raises(ValidationFailed) as err:
        open_repair(network, other, symptom="x")
    assert err.value.field == "customer_id"


def test_engineer_of_another_outlet_cannot_be_assigned(network, customer_a):
    sr = open_repair(
        network, customer_a, symptom="漏水", reported_model="X", reported_purchase_date=dt.date(2025, 1, 1)
    )
    with pytest.raises(ValidationFailed):
        request_assign(actor=network.actor(network.manager), request=sr, engineer_id=network.engineer_b.pk)


def test_sales_rep_may_not_open_requests(network, customer_a):
    with pytest.raises(PermissionDenied):
        request_open(
            actor=network.actor(network.sales_rep_a),
            intake=RequestInput(call_type="inquiry", customer_id=customer_a.pk),
        )
