"""The payment card of the visit page, the receipt, the request page's payments, the finance desk's invoice requests
and the day's takings, through the test client (issue 13 item 4, R-B5)."""

from __future__ import annotations

import pytest
from django.utils import translation

from tests.field_service import quote_agreed
from wuyou.fees.models import InvoiceRequest, InvoiceStatus, Payment
from wuyou.fees.services import payments
from wuyou.fees.tests.test_payments import COMPANY_TAX_NUMBER, outlet_b_visit_paid
from wuyou.fees.tests.test_views import visit_on_site


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies.load({"django_language": "en"})
    with translation.override("en"):
        yield


@pytest.fixture
def agreed(field_service):
    v = visit_on_site(field_service)
    fee = quote_agreed(v.net.actor(v.net.engineer_a), v.wo, ("CMP-35", 1), fault_cause="wear")
    return v, fee


def visit_page(client, wo) -> str:
    response = client.get(f"/dispatch/work-orders/{wo.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def pay(client, wo, **data):
    return client.post(f"/dispatch/work-orders/{wo.pk}/payment/", {"method": "cash", "amount": "100.00", **data})


def test_the_engineer_records_the_payment_on_his_visit_page(agreed, client):
    v, fee = agreed
    client.force_login(v.net.engineer_a.user)
    # Given the accepted quote, the card offers the whole amount due
    page = visit_page(client, v.wo)
    assert (
        f'id="payment-{v.wo.pk}"' in page and f'name="amount" inputmode="decimal" value="{fee.customer_total}"' in page
    )
    assert "WeChat Pay" in page and "Alipay" in page
    # When he records ¥100 in cash, he is back on his page with the balance due
    response = pay(client, v.wo)
    assert response.status_code == 302 and response["Location"] == f"/dispatch/work-orders/{v.wo.pk}/"
    page = visit_page(client, v.wo)
    assert f'id="paid-{v.wo.pk}">¥100.00<' in page
    assert f'id="balance-{v.wo.pk}">¥{fee.customer_total - 100}<' in page
    # When the rest comes by Alipay with its number, it is paid in full and the form is gone
    response = pay(client, v.wo, method="alipay", amount=str(fee.customer_total - 100), reference="2026112422009")
    assert response.status_code == 302
    page = visit_page(client, v.wo)
    assert "Paid in full." in page and "2026112422009" in page and 'class="payment-form"' not in page


def test_an_overpayment_or_a_missing_reference_is_shown_on_its_field(agreed, client):
    v, fee = agreed
    client.force_login(v.net.engineer_a.user)
    response = pay(client, v.wo, amount=str(fee.customer_total + 1))
    html = response.content.decode()
    assert response.status_code == 422 and "more than the customer owes" in html
    assert (
        f'id="pay-amount-{v.wo.pk}" name="amount" inputmode="decimal" value="{fee.customer_total + 1}" aria-invalid'
        in html
    )
    response = pay(client, v.wo, method="wechat", reference="")
    html = response.content.decode()
    assert response.status_code == 422 and "Type the transaction number" in html
    assert '<option value="wechat" selected>' in html
    response = pay(client, v.wo, amount="abc")
    assert response.status_code == 422 and "Enter an amount in yuan" in response.content.decode()
    assert not Payment.objects.exists()


def test_no_card_before_the_customer_agrees_and_no_payment_either(field_service, client):
    v = visit_on_site(field_service)
    client.force_login(v.net.engineer_a.user)
    assert f'id="payment-{v.wo.pk}"' not in visit_page(client, v.wo)
    response = pay(client, v.wo)
    assert response.status_code == 409 and "has not agreed to a quote" in response.content.decode()


def test_another_outlet_does_not_find_the_visit_and_a_sales_rep_may_not(agreed, client):
    v, _fee = agreed
    client.force_login(v.net.clerk_b.user)
    assert pay(client, v.wo).status_code == 404
    assert client.post(f"/dispatch/work-orders/{v.wo.pk}/invoice/", {"title_kind": "personal"}).status_code == 404
    client.force_login(v.net.sales_rep_a.user)
    assert pay(client, v.wo).status_code == 403
    assert not Payment.objects.exists()


def test_the_invoice_request_from_the_card_to_the_finance_desk(agreed, client):
    v, _fee = agreed
    net = v.net
    client.force_login(net.engineer_a.user)
    pay(client, v.wo)
    path = f"/dispatch/work-orders/{v.wo.pk}/invoice/"
    body = {"title_kind": "company", "title": "青岛海兴电器有限公司", "email": "finance@example.com"}
    # A wrong tax number is shown on its field, with what was typed
    response = client.post(path, {**body, "tax_number": "91110000600037341X"})
    html = response.content.decode()
    assert response.status_code == 422 and "unified social credit code" in html
    assert 'value="91110000600037341X" aria-invalid="true"' in html and '<details class="invoice-request" open>' in html
    # A right one is sent to the finance desk
    response = client.post(path, {**body, "tax_number": COMPANY_TAX_NUMBER})
    assert response.status_code == 302
    assert "青岛海兴电器有限公司" in visit_page(client, v.wo) and "Requested" in visit_page(client, v.wo)
    # The engineer may not open the desk's list; another outlet's clerk sees nothing of it
    assert client.get("/dispatch/invoices/").status_code == 403
    client.force_login(net.clerk_b.user)
    assert 'id="no-invoices"' in client.get("/dispatch/invoices/").content.decode()
    invoice = InvoiceRequest.objects.get()
    assert client.post(f"/dispatch/invoices/{invoice.pk}/issue/").status_code == 404
    # The outlet's clerk lists it and marks it issued
    client.force_login(net.clerk_a.user)
    page = client.get("/dispatch/invoices/").content.decode()
    assert f'id="invoice-{invoice.pk}"' in page and COMPANY_TAX_NUMBER in page and "finance@example.com" in page
    response = client.post(f"/dispatch/invoices/{invoice.pk}/issue/", {"invoice_number": "26372000000012345678"})
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert (invoice.status, invoice.invoice_number) == (InvoiceStatus.ISSUED, "26372000000012345678")
    assert f'id="invoice-{invoice.pk}"' in client.get("/dispatch/invoices/?status=issued").content.decode()
    assert client.post(f"/dispatch/invoices/{invoice.pk}/issue/").status_code == 409


def test_the_receipt_and_the_request_page_show_the_payments(agreed, client):
    v, fee = agreed
    net = v.net
    payments.payment_record(
        actor=net.actor(net.engineer_a), work_order_id=v.wo.pk, method="bank_card", amount="300", reference="POS-1"
    )
    client.force_login(net.clerk_a.user)
    receipt = client.get(f"/dispatch/work-orders/{v.wo.pk}/receipt/").content.decode()
    assert 'id="receipt-paid">¥300.00<' in receipt and "Bank card" in receipt and "POS-1" in receipt
    assert f'id="receipt-balance">¥{fee.customer_total - 300}<' in receipt
    page = client.get(f"/requests/{v.wo.request_id}/").content.decode()
    assert 'id="request-payments"' in page and "POS-1" in page
    assert f"balance due ¥{fee.customer_total - 300}" in page
    client.force_login(net.clerk_b.user)
    assert client.get(f"/requests/{v.wo.request_id}/").status_code == 404


def test_the_days_takings_page_is_scoped_to_the_clerks_outlet(agreed, field_service, client):
    v, _fee = agreed
    net = v.net
    payments.payment_record(actor=net.actor(net.engineer_a), work_order_id=v.wo.pk, method="cash", amount="120")
    outlet_b_visit_paid(field_service, "40.00")
    day = Payment.objects.first().day.isoformat()
    client.force_login(net.clerk_a.user)
    page = client.get("/dispatch/takings/", {"day": day}).content.decode()
    assert "engineer_a" in page and "engineer_b" not in page and 'id="takings-total">¥120.00<' in page
    # Today by default (the frozen clock's day), another day is empty, a bad day is named
    assert 'id="takings-total">¥120.00<' in client.get("/dispatch/takings/").content.decode()
    assert 'id="no-takings"' in client.get("/dispatch/takings/", {"day": "2026-11-25"}).content.decode()
    response = client.get("/dispatch/takings/", {"day": "0001-01-01"})
    assert response.status_code == 400 and 'id="day-error"' in response.content.decode()
    response = client.get("/dispatch/takings/", {"day": "yesterday"})
    assert response.status_code == 400 and "YYYY-MM-DD" in response.content.decode()
    # Head office sees both outlets; an engineer may not open it
    client.force_login(net.hq_clerk.user)
    page = client.get("/dispatch/takings/", {"day": day}).content.decode()
    assert "engineer_a" in page and "engineer_b" in page and 'id="takings-total">¥160.00<' in page
    client.force_login(net.engineer_a.user)
    assert client.get("/dispatch/takings/").status_code == 403
