"""What the customer paid on site, his invoice request and the day's takings, through the services and the API
(issue 13 item 4, R-B5)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from pypdf import PdfReader

from tests.api_client import ApiClient, fields_of
from tests.field_service import quote_agreed
from wuyou.core.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed
from wuyou.dispatch.models import WorkOrder
from wuyou.fees.models import FeeVerb, InvoiceRequest, InvoiceStatus, Payment
from wuyou.fees.services import payments, quote_decide, quote_settle, visit_quote_offer
from wuyou.fees.tests.test_views import visit_on_site
from wuyou.products.models import Unit
from wuyou.tickets.models import RequestEvent


@pytest.fixture(autouse=True)
def _in_english(settings):
    """The messages asserted below are the English ones (the catalogue translates them all)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


COMPANY_TAX_NUMBER = "91110000600037341L"  # a valid unified social credit code (check character L)


@pytest.fixture
def agreed(field_service):
    """Engineer A on site; the customer accepted a quote for the compressor (out of warranty: he pays)."""
    v = visit_on_site(field_service)
    fee = quote_agreed(v.net.actor(v.net.engineer_a), v.wo, ("CMP-35", 1), fault_cause="wear")
    assert fee.customer_total > 0
    return v, fee


def api(net, staff):
    return ApiClient(staff=staff)


def pay(net, wo, staff=None, **body):
    body = {"method": "cash", "amount": "100.00", **body}
    return api(net, staff or net.engineer_a).post(f"/fees/work-orders/{wo.pk}/payments", body)


def outlet_b_visit_paid(f, amount: str) -> WorkOrder:
    """Engineer B on site at outlet B for labour only (out of warranty), paid in cash."""
    net = f.network
    wo = f.visit_on_site(engineer=net.engineer_b, outlet=net.outlet_b)
    Unit.objects.filter(pk=wo.request.unit_id).update(purchase_date="2021-06-01")
    quote_agreed(net.actor(net.engineer_b), wo)
    payments.payment_record(actor=net.actor(net.engineer_b), work_order_id=wo.pk, method="cash", amount=amount)
    return wo


def test_payments_add_up_to_what_the_customer_pays_and_never_beyond(agreed):
    v, fee = agreed
    net, owed = v.net, fee.customer_total
    # Given a first payment in cash
    response = pay(net, v.wo, amount="100.00")
    assert response.status_code == 201, response.content
    assert response.json()["balance_due"] == str(owed - 100)
    # When the rest is paid by WeChat Pay with its transaction number
    response = pay(net, v.wo, method="wechat", amount=str(owed - 100), reference="4200001234202611240001")
    assert response.status_code == 201, response.content
    # Then the visit is paid in full, each payment kept with who took it and when
    money = api(net, net.clerk_a).get(f"/fees/work-orders/{v.wo.pk}/payments").json()
    assert (money["agreed"], money["paid"], money["balance_due"]) == (True, str(owed), "0.00")
    assert [(p["method"], p["reference"], p["recorded_by"]) for p in money["payments"]] == [
        ("cash", "", "engineer_a"),
        ("wechat", "4200001234202611240001", "engineer_a"),
    ]
    # And one more yuan is refused, naming the amount, and nothing is written
    response = pay(net, v.wo, amount="0.01")
    assert response.status_code == 422 and fields_of(response) == {"amount"}
    assert Payment.objects.filter(work_order=v.wo).count() == 2
    # And every payment is an event on the request
    events = RequestEvent.objects.filter(request=v.wo.request, verb=FeeVerb.PAID)
    assert events.count() == 2 and events.order_by("pk").last().data["balance_due"] == "0.00"


def test_an_overpayment_at_once_is_refused(agreed):
    v, fee = agreed
    response = pay(v.net, v.wo, amount=str(fee.customer_total + Decimal("0.01")))
    assert response.status_code == 422 and fields_of(response) == {"amount"}
    assert "more than the customer owes" in response.json()["errors"][0]["message"]
    assert not Payment.objects.exists()


@pytest.mark.parametrize("method", ["wechat", "alipay", "bank_card", "bank_transfer"])
def test_a_non_cash_payment_needs_its_transaction_number(agreed, method):
    v, _fee = agreed
    response = pay(v.net, v.wo, method=method, reference="   ")
    assert response.status_code == 422 and fields_of(response) == {"reference"}
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "1.234"}, "amount"),
        ({"method": "bitcoin"}, "method"),
        ({"reference": "x" * 65, "method": "alipay"}, "reference"),
    ],
)
def test_bad_payments_name_the_field(agreed, body, field):
    v, _fee = agreed
    response = pay(v.net, v.wo, **body)
    assert response.status_code == 422 and field in str(fields_of(response))
    assert not Payment.objects.exists()


def test_no_money_before_the_customer_agrees(field_service):
    v = visit_on_site(field_service)
    actor = v.net.actor(v.net.engineer_a)
    response = pay(v.net, v.wo)
    assert response.status_code == 409  # no quote at all
    fee = visit_quote_offer(actor=actor, work_order=v.wo, fault_cause="wear", parts=[])
    with pytest.raises(TransitionNotAllowed):
        payments.payment_record(actor=actor, work_order_id=v.wo.pk, method="cash", amount="10")
    quote_decide(actor=actor, quote_id=fee.pk, decision="refuse", note="太贵")
    assert pay(v.net, v.wo).status_code == 409
    assert not Payment.objects.exists()


def test_after_a_dispute_the_settlement_is_what_he_pays(field_service):
    v = visit_on_site(field_service)
    net = v.net
    actor = net.actor(net.engineer_a)
    fee = visit_quote_offer(actor=actor, work_order=v.wo, fault_cause="wear", parts=[])
    quote_decide(actor=actor, quote_id=fee.pk, decision="dispute", note="上次刚修过")
    assert pay(net, v.wo, amount="1.00").status_code == 409  # disputed: wait for the centre
    quote_settle(actor=net.actor(net.manager), quote_id=fee.pk, customer_pays="30.00", note="减免人工费")
    assert pay(net, v.wo, amount="30.01").status_code == 422
    assert pay(net, v.wo, amount="30.00").status_code == 201


def test_who_may_record_a_payment(agreed, field_service):
    v, _fee = agreed
    net = v.net
    # Another outlet's staff do not find the visit; an outlet's sales rep and the other engineer may not
    assert pay(net, v.wo, staff=net.clerk_b).status_code == 404
    assert pay(net, v.wo, staff=net.engineer_b).status_code == 404
    assert pay(net, v.wo, staff=net.engineer_a2).status_code == 404  # an engineer sees his own visits only
    assert pay(net, v.wo, staff=net.sales_rep_a).status_code == 403
    with pytest.raises(PermissionDenied):
        payments.payment_record(actor=net.actor(net.sales_rep_a), work_order_id=v.wo.pk, method="cash", amount="1")
    # The outlet desk may, for the engineer
    assert pay(net, v.wo, staff=net.clerk_a, amount="1.00").status_code == 201
    assert Payment.objects.get().engineer_id == net.engineer_a.pk


def test_a_retried_payment_is_recorded_once(agreed):
    v, _fee = agreed
    client = api(v.net, v.net.engineer_a)
    path = f"/fees/work-orders/{v.wo.pk}/payments"
    body = {"method": "alipay", "amount": "50.00", "reference": "2026112422001"}
    first = client.post(path, body, **{"Idempotency-Key": "pay-1"})
    again = client.post(path, body, **{"Idempotency-Key": "pay-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1
    other = client.post(path, {**body, "amount": "60.00"}, **{"Idempotency-Key": "pay-1"})
    assert other.status_code == 422


def test_the_receipt_shows_paid_method_reference_and_balance(agreed):
    v, fee = agreed
    pay(v.net, v.wo, method="bank_card", amount="200.00", reference="POS-778812")
    receipt = api(v.net, v.net.engineer_a).get(f"/fees/work-orders/{v.wo.pk}/receipt").json()
    assert receipt["paid"] == "200.00" and receipt["balance_due"] == str(fee.customer_total - 200)
    assert [(p["method"], p["reference"]) for p in receipt["payments"]] == [("bank_card", "POS-778812")]
    pdf = ApiClient(staff=v.net.engineer_a).client.get(f"/dispatch/work-orders/{v.wo.pk}/receipt.pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "POS-778812" in text and "¥200.00" in text and f"Balance due: ¥{fee.customer_total - 200}" in text


# -- the invoice request -------------------------------------------------------------------------------------------


def invoice(net, wo, staff=None, **body):
    body = {"title_kind": "company", "title": "青岛海兴电器有限公司", "tax_number": COMPANY_TAX_NUMBER, **body}
    body.setdefault("email", "finance@example.com")
    return api(net, staff or net.engineer_a).post(f"/fees/work-orders/{wo.pk}/invoice", body)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"tax_number": "91110000600037341A"}, "tax_number"),  # wrong check character
        ({"tax_number": "9111000060003734"}, "tax_number"),  # too short
        ({"tax_number": ""}, "tax_number"),  # a company needs one
        ({"title_kind": "personal", "title": "李建国"}, "tax_number"),  # a person has none
        ({"email": "not-an-address"}, "email"),
        ({"title": "   "}, "title"),
        ({"title_kind": "club"}, "title_kind"),
    ],
)
def test_an_invoice_request_is_validated(agreed, body, field):
    v, _fee = agreed
    pay(v.net, v.wo, amount="10.00")
    response = invoice(v.net, v.wo, **body)
    assert response.status_code == 422 and field in str(fields_of(response)), response.content
    assert not InvoiceRequest.objects.exists()


def test_the_invoice_request_reaches_the_finance_desk(agreed):
    v, fee = agreed
    net = v.net
    assert invoice(net, v.wo).status_code == 409  # nothing paid yet
    pay(net, v.wo, amount=str(fee.customer_total))
    response = invoice(net, v.wo, tax_number="9111 0000 6000 3734 1l")  # typed with spaces, lower case
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["tax_number"], created["status"], created["amount"]) == (
        COMPANY_TAX_NUMBER,
        "requested",
        str(fee.customer_total),
    )
    assert invoice(net, v.wo).status_code == 409  # one request per visit
    # The outlet desk and head office see it; another outlet does not, nor the engineer's list
    assert [i["id"] for i in api(net, net.clerk_a).get("/fees/invoices").json()] == [created["id"]]
    assert [i["id"] for i in api(net, net.hq_clerk).get("/fees/invoices?status=requested").json()] == [created["id"]]
    assert api(net, net.clerk_b).get("/fees/invoices").json() == []
    assert api(net, net.engineer_a).get("/fees/invoices").json() == []  # they see none (a list, not a refusal)
    assert api(net, net.sales_rep_a).get("/fees/invoices").json() == []
    assert api(net, net.clerk_a).get("/fees/invoices?status=lost").status_code == 422
    # Marking it issued: another outlet does not find it, the engineer may not, the desk does, once
    path = f"/fees/invoices/{created['id']}/issue"
    assert api(net, net.clerk_b).post(path, {}).status_code == 404
    assert api(net, net.engineer_a).post(path, {}).status_code == 404  # not the desk: no invoice to be seen
    issued = api(net, net.clerk_a).post(path, {"invoice_number": "26372000000012345678"})
    assert issued.status_code == 200 and issued.json()["status"] == "issued"
    assert api(net, net.clerk_a).post(path, {}).status_code == 409
    assert InvoiceRequest.objects.get().status == InvoiceStatus.ISSUED
    verbs = set(RequestEvent.objects.filter(request=v.wo.request).values_list("verb", flat=True))
    assert {FeeVerb.INVOICE_REQUESTED, FeeVerb.INVOICE_ISSUED} <= verbs


def test_a_personal_invoice_needs_no_tax_number(agreed):
    v, _fee = agreed
    pay(v.net, v.wo, amount="10.00")
    response = invoice(v.net, v.wo, title_kind="personal", title="李建国", tax_number="")
    assert response.status_code == 201 and response.json()["tax_number"] == ""


def test_the_tax_number_check_itself():
    assert payments.tax_number_checked("91110000600037341L") == "91110000600037341L"
    for bad in ("", "91110000600037341", "91110000600037341I", "9111000060003734IL"):
        with pytest.raises(ValidationFailed) as caught:
            payments.tax_number_checked(bad)
        assert caught.value.field == "tax_number"


# -- the day's takings ---------------------------------------------------------------------------------------------


def test_the_days_takings_per_engineer_and_method_stay_within_the_outlet(agreed, field_service):
    v, _fee = agreed
    net = v.net
    pay(net, v.wo, amount="100.00")
    pay(net, v.wo, method="wechat", amount="50.00", reference="WX-1")
    pay(net, v.wo, amount="20.00", staff=net.clerk_a)
    outlet_b_visit_paid(field_service, "40.00")
    day = Payment.objects.first().day.isoformat()
    # The outlet A clerk sees engineer A's cash and WeChat, and nothing of outlet B
    mine = api(net, net.clerk_a).get("/fees/takings", {"day": day}).json()
    assert [(r["engineer"], r["by_method"]["cash"], r["by_method"]["wechat"], r["count"]) for r in mine["rows"]] == [
        ("engineer_a", "120.00", "50.00", 3)
    ]
    assert mine["total"] == "170.00"
    # Outlet B's clerk sees only B; head office sees both
    theirs = api(net, net.clerk_b).get("/fees/takings", {"day": day}).json()
    assert [(r["engineer"], r["total"]) for r in theirs["rows"]] == [("engineer_b", "40.00")]
    everyone = api(net, net.hq_clerk).get("/fees/takings", {"day": day}).json()
    assert {r["engineer"] for r in everyone["rows"]} == {"engineer_a", "engineer_b"} and everyone["total"] == "210.00"
    # Another day is empty; engineers and sales reps see none; the day is bounded and defaults to today
    other_day = (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()
    assert api(net, net.clerk_a).get("/fees/takings", {"day": other_day}).json()["rows"] == []
    assert api(net, net.engineer_a).get("/fees/takings", {"day": day}).json()["rows"] == []
    assert api(net, net.sales_rep_a).get("/fees/takings", {"day": day}).json()["rows"] == []
    assert api(net, net.clerk_a).get("/fees/takings", {"day": "0001-01-01"}).status_code == 422
    assert api(net, net.clerk_a).get("/fees/takings").json()["day"] == timezone.localdate().isoformat()


def test_payments_of_another_outlet_are_not_found(agreed):
    v, _fee = agreed
    net = v.net
    assert api(net, net.clerk_b).get(f"/fees/work-orders/{v.wo.pk}/payments").status_code == 404
    assert invoice(net, v.wo, staff=net.clerk_b).status_code == 404
    with pytest.raises(NotFound):
        payments.invoice_request(
            actor=net.actor(net.clerk_b), work_order_id=v.wo.pk, title_kind="personal", title="x", email="a@b.cn"
        )


def test_anonymising_the_customer_blanks_his_personal_invoice_title_and_email(agreed):
    from wuyou.customers.erasure import ErasureSubject
    from wuyou.fees.erasure import invoices_erase

    v, _fee = agreed
    pay(v.net, v.wo, amount="10.00")
    assert invoice(v.net, v.wo, title_kind="personal", title="李建国", tax_number="").status_code == 201
    assert invoices_erase(ErasureSubject(customer_id=v.wo.request.customer_id)) == 1
    erased = InvoiceRequest.objects.get()
    assert (erased.title, erased.email, erased.amount) == ("", "", Decimal("10.00"))
