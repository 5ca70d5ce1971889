"""Issue 12, PIPL art. 47: a customer anonymised on request; the records stay so the figures still add up.

The service erases his names, phones, streets and notes here and, through customers.erasure, in every app above;
the desk files the request and a second person approves it; his old number finds nothing afterwards.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tests.api_client import ApiClient
from tests.concurrency import postgresql_only, run_together
from tests.factories import CustomerFactory, RequestFactory, StaffFactory, UnitFactory
from wuyou.accounts.models import Role
from wuyou.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from wuyou.customers.erasure import PLACEHOLDER, ErasureSubject, erasers_registered
from wuyou.customers.models import (
    Address,
    AnonymisationOutcome,
    AnonymisationRequest,
    ContactWindow,
    Customer,
    CustomerPhone,
    TimelineEntry,
)
from wuyou.customers.selectors import customer_search
from wuyou.customers.services import (
    anonymisation_request_decide,
    anonymisation_request_file,
    customer_anonymise,
    customer_note_add,
)
from wuyou.dispatch.models import WorkOrder, WorkOrderStatus
from wuyou.fees.models import FeeQuote, QuoteStatus
from wuyou.notifications.models import Message, MessageChannel
from wuyou.quality.models import Callback, CallbackOutcome, CallbackStatus
from wuyou.tickets.models import RequestEvent, ServiceRequest, Status

MOBILE, LANDLINE, OTHER = "13805321234", "0532-88776655", "13912345678"
STREET = "松岭路99号3栋2单元501室"
NAME = "张伟"


def anonymised_text() -> str:
    return str(PLACEHOLDER)


@pytest.fixture(autouse=True)
def _in_english(settings):
    """The messages asserted below are the English ones (the catalogue translates them all)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def customer(network):
    """Outlet A's 张伟 with a mobile, a landline, a street, a contact window and notes that name him."""
    c = CustomerFactory(outlet=network.outlet_a, name=NAME, contact_person="张太太", note="张伟晚上在家")
    c.phones.all().delete()  # the factory's own number and street: this customer has his own
    c.addresses.all().delete()
    CustomerPhone.objects.create(customer=c, number=MOBILE, kind="mobile", is_primary=True)
    CustomerPhone.objects.create(customer=c, number=LANDLINE, kind="landline")
    Address.objects.create(
        customer=c, city="青岛市", district="崂山区", detail=STREET, latitude=36.11, longitude=120.47, is_primary=True
    )
    ContactWindow.objects.create(customer=c, days="weekdays", starts_at=dt.time(20), ends_at=dt.time(21))
    customer_note_add(
        actor=network.actor(network.clerk_a), customer=c, summary="张伟来电，号码 138 0532 1234", body=f"住{STREET}"
    )
    return c


@pytest.fixture
def history(network, customer):
    """His closed repair: a request, its events, a done visit with a signed quote, a callback and messages."""
    unit = UnitFactory(owner=customer)
    sr = RequestFactory(
        customer=customer,
        unit=unit,
        status=Status.CLOSED,
        contact_phone=OTHER,
        symptom="张伟说空调不制冷，请回电 139-1234-5678 或 0532 88776655",
    )
    RequestEvent.objects.create(request=sr, verb="opened", note="客户张伟", data={"said": f"拨打{MOBILE}"})
    wo = WorkOrder.objects.create(
        request=sr,
        outlet=network.outlet_a,
        job_type="repair",
        status=WorkOrderStatus.DONE,
        duration_minutes=60,
        address_text=f"青岛市崂山区{STREET}",
        latitude=Decimal("36.112345"),
        longitude=Decimal("120.471234"),
        diagnosis="张伟家的外机电容坏了",
        signature="data:image/png;base64,AAAA",
        signed_by=NAME,
    )
    fee = FeeQuote.objects.create(
        work_order=wo,
        number="FQ-1",
        status=QuoteStatus.ACCEPTED,
        job_type="repair",
        fault_cause="quality",
        service_date=dt.date(2026, 11, 24),
        policy_code="std",
        policy_version="1",
        total=Decimal("100.00"),
        customer_total=Decimal("80.00"),
        signed_by=NAME,
        signature="data:image/png;base64,BBBB",
        decision_note="张伟同意付款",
    )
    Callback.objects.create(
        request=sr,
        reason="sample",
        due_at=timezone.now(),
        status=CallbackStatus.DONE,
        outcome=CallbackOutcome.SATISFIED,
        note=f"张太太接的电话 {LANDLINE}",
    )
    about = Message.objects.create(
        channel=MessageChannel.CONSOLE,
        kind="clock_warning",
        subject=f"{sr.number} 张伟 即将超时",
        body=f"回电 {MOBILE}",
        ref=f"request:{sr.pk}",
        dedupe_key="k1",
    )
    other = Message.objects.create(
        channel=MessageChannel.CONSOLE, kind="x", subject="张伟 is someone else here", ref="request:0", dedupe_key="k2"
    )
    return {"request": sr, "visit": wo, "fee": fee, "unit": unit, "message": about, "unrelated": other}


def anonymise(network, customer, reason="客户张伟来电要求删除其个人信息"):
    return customer_anonymise(actor=network.actor(network.manager), customer_id=customer.pk, reason=reason)


# --- the service -------------------------------------------------------------------------------------------------


def test_every_app_above_registered_its_eraser():
    assert {"requests", "visits", "fee_quotes", "callbacks", "loans"} <= set(erasers_registered())


def test_anonymising_clears_his_personal_fields_and_keeps_the_records(network, customer, history):
    requests_per_outlet = dict(ServiceRequest.objects.values_list("outlet").annotate(n=Count("pk")))
    anonymise(network, customer)
    customer.refresh_from_db()
    assert customer.anonymised_at is not None
    assert (customer.name, customer.contact_person, customer.note) == (_("Anonymised customer"), "", "")
    assert not customer.consent_service_calls and not customer.consent_marketing
    assert not CustomerPhone.objects.filter(customer=customer).exists()
    assert not ContactWindow.objects.filter(customer=customer).exists()
    address = Address.objects.get(customer=customer)
    assert (address.detail, address.latitude, address.longitude) == ("", None, None)
    assert (address.city, address.district) == ("青岛市", "崂山区")  # regional figures still add up
    # The records stay, his and the statistics': request, visit, quote with its figures, unit.
    assert dict(ServiceRequest.objects.values_list("outlet").annotate(n=Count("pk"))) == requests_per_outlet
    history["unit"].refresh_from_db()
    assert history["unit"].owner_id == customer.pk
    fee = FeeQuote.objects.get(pk=history["fee"].pk)
    assert (fee.total, fee.customer_total, fee.status) == (Decimal("100.00"), Decimal("80.00"), QuoteStatus.ACCEPTED)


def test_anonymising_writes_one_event_with_who_when_and_why_without_his_name(network, customer):
    anonymise(network, customer)
    event = TimelineEntry.objects.get(customer=customer, ref_kind="anonymisation")
    assert event.actor_id == network.manager.user_id and event.kind == TimelineEntry.Kind.CUSTOMER
    assert event.occurred_at is not None
    assert NAME not in event.body and "要求删除其个人信息" in event.body and anonymised_text() in event.body


def test_his_notes_on_the_timeline_are_redacted(network, customer):
    anonymise(network, customer)
    texts = " ".join(f"{e.summary} {e.body}" for e in TimelineEntry.objects.filter(customer=customer))
    for trace in (NAME, "138 0532 1234", STREET):
        assert trace not in texts
    assert f"{anonymised_text()}来电，号码 {anonymised_text()}" in texts


def test_free_text_in_the_apps_above_is_redacted(network, customer, history):
    version = history["request"].version
    anonymise(network, customer)
    sr = ServiceRequest.objects.get(pk=history["request"].pk)
    placeholder = anonymised_text()
    assert sr.contact_phone == "" and sr.version == version + 1
    # His name, the request's other contact number and his landline, however they were written.
    assert sr.symptom == f"{placeholder}说空调不制冷，请回电 {placeholder} 或 {placeholder}"
    event = RequestEvent.objects.get(request=sr, verb="opened")
    assert event.note == f"客户{placeholder}" and event.data == {"said": f"拨打{placeholder}"}
    wo = WorkOrder.objects.get(pk=history["visit"].pk)
    assert (wo.signature, wo.signed_by, wo.address_text) == ("", "", placeholder)
    assert wo.diagnosis == f"{placeholder}家的外机电容坏了"
    assert (wo.latitude, wo.longitude) == (Decimal("36.11"), Decimal("120.47"))
    fee = FeeQuote.objects.get(pk=history["fee"].pk)
    assert (fee.signature, fee.signed_by, fee.decision_note) == ("", "", f"{placeholder}同意付款")
    assert Callback.objects.get(request=sr).note == f"{placeholder}接的电话 {placeholder}"
    message = Message.objects.get(pk=history["message"].pk)
    assert NAME not in message.subject and MOBILE not in message.body
    # A message about someone else's request keeps its words: only his records are searched for his name.
    assert Message.objects.get(pk=history["unrelated"].pk).subject == "张伟 is someone else here"


@pytest.mark.parametrize("open_job", ["request", "visit", "callback"])
def test_refused_while_a_job_of_his_is_open_and_nothing_changes(network, customer, open_job):
    sr = RequestFactory(customer=customer, status=Status.NEW if open_job == "request" else Status.RESOLVED)
    if open_job == "visit":
        WorkOrder.objects.create(
            request=sr,
            outlet=network.outlet_a,
            job_type="repair",
            status=WorkOrderStatus.BOOKED,
            duration_minutes=60,
            address_text="x",
            latitude=36,
            longitude=120,
            number="WO-OPEN-1",
        )
    if open_job == "callback":
        Callback.objects.create(request=sr, reason="sample", due_at=timezone.now())
    with pytest.raises(Conflict) as refused:
        anonymise(network, customer)
    assert "close or cancel them first" in refused.value.message
    assert {"request": sr.number, "visit": "WO-OPEN-1", "callback": sr.number}[open_job] in refused.value.message
    customer.refresh_from_db()
    assert customer.name == NAME and customer.anonymised_at is None
    assert customer.phones.count() == 2
    assert not TimelineEntry.objects.filter(customer=customer, ref_kind="anonymisation").exists()


def test_anonymising_twice_is_refused_politely(network, customer):
    anonymise(network, customer)
    with pytest.raises(Conflict) as again:
        anonymise(network, customer)
    assert "anonymised on" in again.value.message and "already" in again.value.message
    assert TimelineEntry.objects.filter(customer=customer, ref_kind="anonymisation").count() == 1


def test_only_an_approver_anonymises_and_a_reason_is_required(network, customer):
    with pytest.raises(PermissionDenied):
        customer_anonymise(actor=network.actor(network.hq_clerk), customer_id=customer.pk, reason="asked")
    with pytest.raises(ValidationFailed) as blank:
        customer_anonymise(actor=network.actor(network.manager), customer_id=customer.pk, reason="  ")
    assert blank.value.field == "reason"


def test_after_it_his_old_phone_name_and_street_find_nothing(network, customer, client):
    hq = network.actor(network.hq_clerk)
    assert [c.pk for c in customer_search(actor=hq, query=MOBILE)] == [customer.pk]
    anonymise(network, customer)
    for typed in (MOBILE, "138 0532 1234", LANDLINE, "88776655", NAME, "松岭路"):
        assert customer_search(actor=hq, query=typed) == [], typed
    api = ApiClient(staff=network.hq_clerk)
    for phone in (MOBILE, LANDLINE):
        assert api.get("/lookup", {"phone": phone}).json()["customers"] == []
        assert api.get("/customers", {"q": phone}).json()["count"] == 0
    client.force_login(network.hq_clerk.user)
    page = client.get(reverse("customers:console"), {"q": MOBILE}).content.decode()
    assert 'class="card customer-card"' not in page
    # No number is kept in any form: not hashed, not masked, not as a placeholder row.
    assert not CustomerPhone.objects.filter(customer=customer).exists()
    assert not CustomerPhone.objects.filter(number__endswith="1234").exists()


def test_the_redaction_finds_numbers_however_written():
    subject = ErasureSubject(customer_id=1, names=(NAME,), phones=(MOBILE, LANDLINE), placeholder="[X]")
    assert subject.redact("+86 138-0532-1234、8613805321234、0532-8877 6655、88776655") == "[X]、[X]、[X]、[X]"
    # Not a longer number that merely contains his, nor a neighbour's.
    assert subject.redact("SR9913805321234 13805321235") == "SR9913805321234 13805321235"


# --- the desk: one person files, another approves ------------------------------------------------------------------


@pytest.fixture
def admin_staff(network):
    return StaffFactory(user__username="admin_hq", role=Role.ADMIN, display_name="admin_hq")


def test_an_outlet_manager_files_and_the_service_manager_approves_through_the_pages(client, network, customer):
    client.force_login(network.outlet_manager_a.user)
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert reverse("customers:anonymise_request", args=[customer.pk]) in page
    filed = client.post(reverse("customers:anonymise_request", args=[customer.pk]), {"reason": "客户来电要求删除"})
    assert filed.status_code == 302
    pending = AnonymisationRequest.objects.get(customer=customer)
    assert pending.outcome == AnonymisationOutcome.PENDING and pending.requested_by == network.outlet_manager_a.user
    # Filing erases nothing yet, and the outlet manager cannot approve.
    assert Customer.objects.get(pk=customer.pk).name == NAME
    refused = client.post(reverse("customers:anonymisation_decide", args=[pending.pk]), {"decision": "approve"})
    assert refused.status_code == 403
    assert Customer.objects.get(pk=customer.pk).anonymised_at is None

    client.force_login(network.manager.user)
    console = client.get(reverse("customers:console")).content.decode()
    assert reverse("customers:anonymisations") in console
    listed = client.get(reverse("customers:anonymisations")).content.decode()
    assert reverse("customers:detail", args=[customer.pk]) in listed and "客户来电要求删除" in listed
    approved = client.post(reverse("customers:anonymisation_decide", args=[pending.pk]), {"decision": "approve"})
    assert approved.status_code == 302 and approved["Location"] == reverse("customers:detail", args=[customer.pk])
    customer.refresh_from_db()
    assert customer.anonymised_at is not None and not customer.phones.exists()
    pending.refresh_from_db()
    assert pending.outcome == AnonymisationOutcome.APPROVED and pending.decided_by == network.manager.user
    after = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert NAME not in after and MOBILE not in after and STREET not in after


def test_nobody_approves_his_own_request(client, network, customer, admin_staff):
    client.force_login(network.manager.user)
    client.post(reverse("customers:anonymise_request", args=[customer.pk]), {"reason": "客户来电要求删除"})
    pending = AnonymisationRequest.objects.get(customer=customer)
    own = client.post(reverse("customers:anonymisation_decide", args=[pending.pk]), {"decision": "approve"})
    assert own.status_code == 403 and "another person must approve" in own.content.decode()
    assert Customer.objects.get(pk=customer.pk).anonymised_at is None
    with pytest.raises(PermissionDenied):
        anonymisation_request_decide(actor=network.actor(network.manager), anonymisation_id=pending.pk, approve=True)
    decided = anonymisation_request_decide(actor=network.actor(admin_staff), anonymisation_id=pending.pk, approve=True)
    assert decided.outcome == AnonymisationOutcome.APPROVED
    assert Customer.objects.get(pk=customer.pk).anonymised_at is not None


def test_another_outlets_customer_is_a_404_for_filing_and_deciding(client, network, customer):
    om_b = StaffFactory(user__username="om_b", role=Role.OUTLET_MANAGER, outlet=network.outlet_b)
    client.force_login(om_b.user)
    url = reverse("customers:anonymise_request", args=[customer.pk])
    assert client.post(url, {"reason": "x"}).status_code == 404
    pending = anonymisation_request_file(
        actor=network.actor(network.outlet_manager_a), customer_id=customer.pk, reason="客户来电要求删除"
    )
    decide = reverse("customers:anonymisation_decide", args=[pending.pk])
    assert client.post(decide, {"decision": "approve"}).status_code == 404
    assert "客户来电要求删除" not in client.get(reverse("customers:anonymisations")).content.decode()
    with pytest.raises(NotFound):
        anonymisation_request_file(actor=network.actor(om_b), customer_id=customer.pk, reason="x")
    assert AnonymisationRequest.objects.get().outcome == AnonymisationOutcome.PENDING


def test_an_outlet_clerk_may_not_file_and_a_second_request_waits_for_the_first(network, customer):
    with pytest.raises(PermissionDenied):
        anonymisation_request_file(actor=network.actor(network.clerk_a), customer_id=customer.pk, reason="x")
    with pytest.raises(ValidationFailed) as blank:
        anonymisation_request_file(actor=network.actor(network.hq_clerk), customer_id=customer.pk, reason=" ")
    assert blank.value.field == "reason"
    anonymisation_request_file(actor=network.actor(network.hq_clerk), customer_id=customer.pk, reason="来电要求")
    with pytest.raises(Conflict):
        anonymisation_request_file(actor=network.actor(network.outlet_manager_a), customer_id=customer.pk, reason="y")


def test_a_rejection_says_why_and_erases_nothing(client, network, customer):
    pending = anonymisation_request_file(actor=network.actor(network.hq_clerk), customer_id=customer.pk, reason="来电")
    client.force_login(network.manager.user)
    decide = reverse("customers:anonymisation_decide", args=[pending.pk])
    no_reason = client.post(decide, {"decision": "reject", "note": ""})
    assert no_reason.status_code == 422 and "Say why the request is rejected." in no_reason.content.decode()
    assert client.post(decide, {"decision": "reject", "note": "非本人来电，无法核实身份"}).status_code == 302
    pending.refresh_from_db()
    assert pending.outcome == AnonymisationOutcome.REJECTED and pending.decision_note == "非本人来电，无法核实身份"
    assert Customer.objects.get(pk=customer.pk).name == NAME
    again = client.post(decide, {"decision": "approve"})
    assert again.status_code == 409 and "decided already" in again.content.decode()
    # Decided, so a new request may be filed.
    anonymisation_request_file(actor=network.actor(network.hq_clerk), customer_id=customer.pk, reason="本人再次来电")


def test_approving_while_a_job_is_open_is_refused_and_the_request_keeps_waiting(client, network, customer):
    sr = RequestFactory(customer=customer, status=Status.ACCEPTED)
    pending = anonymisation_request_file(actor=network.actor(network.hq_clerk), customer_id=customer.pk, reason="来电")
    client.force_login(network.manager.user)
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert sr.number in page  # the approver is told what is still open
    refused = client.post(reverse("customers:anonymisation_decide", args=[pending.pk]), {"decision": "approve"})
    assert refused.status_code == 409 and "close or cancel them first" in refused.content.decode()
    pending.refresh_from_db()
    assert pending.outcome == AnonymisationOutcome.PENDING and pending.decided_by is None
    assert Customer.objects.get(pk=customer.pk).name == NAME


# --- two approvers at once (PostgreSQL: row locks mean nothing on SQLite) -------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_approvers_at_once_anonymise_once_and_write_one_event(network, customer, admin_staff):
    postgresql_only()
    pending = anonymisation_request_file(actor=network.actor(network.hq_clerk), customer_id=customer.pk, reason="来电")

    def approve(staff):
        return lambda: anonymisation_request_decide(
            actor=network.actor(staff), anonymisation_id=pending.pk, approve=True
        )

    results = run_together(approve(network.manager), approve(admin_staff))
    assert sum(isinstance(r, AnonymisationRequest) for r in results) == 1, results
    loser = next(r for r in results if isinstance(r, Conflict))
    assert "decided already" in loser.message, results  # the second waited on the request's row lock
    events = TimelineEntry.objects.filter(customer=customer, ref_kind="anonymisation").exclude(
        actor_id=network.hq_clerk.user_id
    )
    assert events.count() == 1  # the filing line is the clerk's; the anonymisation's is the winner's alone
    customer.refresh_from_db()
    assert customer.anonymised_at is not None


def test_no_new_request_is_opened_for_an_anonymised_customer(network):
    from tests.factories import CustomerFactory
    from wuyou.core.errors import ValidationFailed
    from wuyou.tickets.services import RequestInput, request_open

    customer = CustomerFactory(outlet=network.outlet_a)
    type(customer).objects.filter(pk=customer.pk).update(anonymised_at=timezone.now())
    with pytest.raises(ValidationFailed) as refused:
        request_open(
            actor=network.actor(network.hq_clerk), intake=RequestInput(call_type="inquiry", customer_id=customer.pk)
        )
    assert refused.value.field == "customer_id"
