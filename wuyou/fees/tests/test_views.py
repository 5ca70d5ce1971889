"""The quote on the engineer's visit page, the customer's answer, the receipt (page and PDF) and the centre's
disputes, through the test client (issue 5 item 3, R-B3, R-B4)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation
from pypdf import PdfReader

from wuyou.core.signatures import signature_normalised
from wuyou.dispatch.models import WorkOrder, WorkOrderStatus
from wuyou.fees.models import FeeQuote, QuoteStatus
from wuyou.notifications.models import Message
from wuyou.parts.models import Part, StockPlaceKind
from wuyou.parts.selectors import stock_level
from wuyou.parts.services import (
    PartQuantity,
    part_receive,
    requisition_approve,
    requisition_fulfil,
    requisition_request,
    stock_place_ensure,
)
from wuyou.products import services as product_services
from wuyou.products.models import JobSpec, Unit
from wuyou.products.tests.test_policy_store import AIR_CONDITIONER, install_sanbao
from wuyou.tickets.models import RequestEvent

# A tiny real PNG (1×1, transparent): the signature drawn on the screen.
SIGNATURE = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
COMPRESSOR_SERIAL = "SN-CMP-2026-0001"
# The air conditioners' policy of the policy tests (its second document names a watch model these tests lack).
AC_POLICY = AIR_CONDITIONER.split("  - code: watch-x1")[0]


@dataclass
class Visit:
    """Engineer A on site at an out-of-warranty air conditioner (bought 2021), with a compressor in his van."""

    f: Any
    wo: WorkOrder
    compressor: Part
    filter: Part

    @property
    def net(self):
        return self.f.network

    def fresh(self) -> WorkOrder:
        return WorkOrder.objects.select_related("request").get(pk=self.wo.pk)


def stock_van(net, part: Part, quantity: int) -> None:
    """Stock reaches engineer A's van the real way: received at the store, requisitioned, shipped."""
    actor = net.actor
    store = stock_place_ensure(kind=StockPlaceKind.OUTLET, outlet_id=net.outlet_a.pk)
    van = stock_place_ensure(kind=StockPlaceKind.VAN, engineer=net.engineer_a)
    part_receive(actor=actor(net.clerk_a), place_id=store.pk, part_code=part.code, quantity=quantity)
    req = requisition_request(
        actor=actor(net.engineer_a), destination_id=van.pk, lines=[PartQuantity(part.code, quantity)]
    )
    requisition_approve(actor=actor(net.outlet_manager_a), requisition_id=req.pk)
    requisition_fulfil(actor=actor(net.clerk_a), requisition_id=req.pk)


def parts_and_policy(f) -> tuple[Part, Part]:
    """The air conditioners' policy, labour on the fee schedule, a compressor and 4 filters in engineer A's van."""
    net = f.network
    install_sanbao()
    product_services.policy_load(actor=net.actor(net.manager), text=AC_POLICY)
    JobSpec.objects.filter(product_model__code=f.model_code).update(labour_fee=Decimal("80.00"))
    compressor = Part.objects.create(
        code="CMP-35", name="压缩机", cost_price="600.00", retail_price="900.00", component="compressor"
    )
    filter_ = Part.objects.create(
        code="FLT-01", name="过滤网", cost_price="8.00", retail_price="15.00", is_consumable=True
    )
    stock_van(net, compressor, 1)
    stock_van(net, filter_, 4)
    return compressor, filter_


def visit_on_site(f) -> Visit:
    """The shared set-up of these tests and the browser test: policy, catalogue, van stock, a visit on site."""
    net = f.network
    compressor, filter_ = parts_and_policy(f)
    wo = f.work_order()
    Unit.objects.filter(pk=wo.request.unit_id).update(purchase_date="2021-06-01")
    WorkOrder.objects.filter(pk=wo.pk).update(engineer=net.engineer_a, status=WorkOrderStatus.ON_SITE)
    return Visit(f=f, wo=WorkOrder.objects.get(pk=wo.pk), compressor=compressor, filter=filter_)


@pytest.fixture
def visit(field_service) -> Visit:
    return visit_on_site(field_service)


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies.load({"django_language": "en"})
    with translation.override("en"):
        yield


def card(html: str, card_id: str) -> str:
    """The HTML of one card, nested <details> included: errors must show inside it, next to the field."""
    start = html.index(f'id="{card_id}"')
    start = html.rindex("<details", 0, start)
    depth, at = 0, start
    for tag in re.finditer(r"<details|</details>", html[start:]):
        depth += 1 if tag.group(0) == "<details" else -1
        if depth == 0:
            at = start + tag.end()
            break
    return html[start:at]


def page_of(client, v: Visit) -> str:
    response = client.get(f"/dispatch/work-orders/{v.wo.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def offer(client, v: Visit, **data):
    current = FeeQuote.objects.filter(work_order=v.wo).exclude(status=QuoteStatus.SUPERSEDED).first()
    body = {"current": current.pk if current else "", "fault_cause": "wear", "part_code": ["CMP-35"], **data}
    return client.post(f"/dispatch/work-orders/{v.wo.pk}/quote/", body)


def current(v: Visit) -> FeeQuote:
    return FeeQuote.objects.exclude(status=QuoteStatus.SUPERSEDED).get(work_order=v.wo)


def decide(client, fee: FeeQuote, **data):
    return client.post(f"/dispatch/quotes/{fee.pk}/decision/", data)


def accept(client, v: Visit):
    return decide(client, current(v), decision="accept", signed_by="李建国", signature=SIGNATURE)


def parts_used(client, v: Visit, **data):
    return client.post(
        f"/dispatch/work-orders/{v.wo.pk}/step/", {"version": v.fresh().version, "step": "parts_used", **data}
    )


def test_a_quote_is_shown_accepted_parts_booked_from_the_van_and_the_receipt_explains_it(visit, client):
    v = visit
    client.force_login(v.net.engineer_a.user)
    # Given the engineer on site: the quote card lists his van's parts with the stock
    page = page_of(client, v)
    assert (
        'id="step-quote"' in page and "CMP-35 压缩机 (1 in the van)" in page and "FLT-01 过滤网 (4 in the van)" in page
    )
    assert page.index('id="step-diagnosis"') < page.index('id="step-quote"') < page.index('id="step-parts_used"')
    # When he quotes a worn compressor on a unit bought in 2021
    response = offer(client, v)
    assert response.status_code == 302, response.content.decode()[:2000]
    fee = current(v)
    assert fee.status == QuoteStatus.PROPOSED and fee.policy_version == "ac-2026"
    # Then the page shows the quote as the customer sees it: lines, share, explanation, totals, and the answers
    view = page_of(client, v)
    assert fee.number in view and "Customer accepts" in view and "Customer refuses" in view
    assert "Customer disputes the charge" in view
    compressor = next(line for line in fee.lines if line["code"] == "CMP-35")
    assert f"¥{compressor['customer_share']}" in view and "Rule " in view and "version ac-2026" in view
    assert f'id="quote-pays">¥{fee.customer_total}<' in view
    # And parts cannot be used before the customer agrees
    response = parts_used(client, v, part_code=["CMP-35"], part_serial=[COMPRESSOR_SERIAL], part_quantity=["1"])
    assert response.status_code == 422 and "has not yet answered" in response.content.decode()
    # When the customer signs and accepts
    response = accept(client, v)
    assert response.status_code == 302
    fee.refresh_from_db()
    stored = signature_normalised(SIGNATURE)  # the door keeps the image re-encoded
    assert (fee.status, fee.signed_by, fee.signature) == (QuoteStatus.ACCEPTED, "李建国", stored)
    # Then "Parts used" is prefilled from the quote and the receipt links appear
    view = page_of(client, v)
    parts_card = card(view, "step-parts_used")
    assert '<option value="CMP-35" selected>' in parts_card
    assert f'href="/dispatch/work-orders/{v.wo.pk}/receipt/"' in view
    # When he books the compressor by its serial
    response = parts_used(client, v, part_code=["CMP-35"], part_serial=[COMPRESSOR_SERIAL], part_quantity=["1"])
    assert response.status_code == 302, response.content.decode()[:3000]
    assert (
        stock_level(part=v.compressor, place=stock_place_ensure(kind=StockPlaceKind.VAN, engineer=v.net.engineer_a))
        == 0
    )
    assert v.fresh().parts_used[0]["serial"] == COMPRESSOR_SERIAL
    # Then the receipt lists the line, its rule and version, the explanation sentence and the part's serial
    receipt = client.get(f"/dispatch/work-orders/{v.wo.pk}/receipt/")
    assert receipt.status_code == 200
    html = receipt.content.decode()
    for shown in (fee.number, COMPRESSOR_SERIAL, "ac-2026", "压缩机", "李建国", "window.print()", "receipt.pdf"):
        assert shown in html, shown
    assert re.search(r"class=\"receipt-why\".*?<p>[^<]{20,}</p>", html, re.S)  # an explanation sentence per line
    # And the PDF says the same
    pdf = client.get(f"/dispatch/work-orders/{v.wo.pk}/receipt.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    for shown in (fee.number, COMPRESSOR_SERIAL, "ac-2026", "Service receipt", str(fee.customer_pays)):
        assert shown in text, (shown, text[:1500])


def test_more_parts_than_agreed_are_refused_on_their_row(visit, client):
    v = visit
    client.force_login(v.net.engineer_a.user)
    assert offer(client, v).status_code == 302
    assert accept(client, v).status_code == 302
    response = parts_used(client, v, part_code=["FLT-01"], part_serial=[""], part_quantity=["1"])
    assert response.status_code == 422
    shown = card(response.content.decode(), "step-parts_used")
    assert "FLT-01 is not on quote" in shown and 'aria-invalid="true"' in shown
    # A serialised part with no serial: the serial's row says so
    response = parts_used(client, v, part_code=["CMP-35"], part_serial=[""], part_quantity=["1"])
    assert "Enter the part&#x27;s serial number." in card(response.content.decode(), "step-parts_used")
    assert v.fresh().parts_used == []


BAD_QUOTES = [
    ({"fault_cause": ""}, "Choose the cause of the fault."),
    ({"part_code": ["NOPE-1"]}, "NOPE-1 is not in the parts catalogue."),
    ({"part_code": ["CMP-35"], "part_quantity": ["x"]}, "A quantity is 1 to 99."),
    ({"part_code": ["CMP-35"], "part_quantity": ["0"]}, "A quantity is 1 to 99."),
    ({"part_code": ["CMP-35"], "part_card_price": ["abc"]}, "Enter an amount in yuan"),
    ({"labour_card_price": "-5"}, "Enter an amount in yuan"),
]


@pytest.mark.parametrize(("posted", "message"), BAD_QUOTES)
def test_bad_quote_input_is_shown_in_the_quote_card_and_writes_nothing(visit, client, posted, message):
    v = visit
    client.force_login(v.net.engineer_a.user)
    events = RequestEvent.objects.count()
    response = offer(client, v, **posted)
    assert response.status_code == 422
    shown = card(response.content.decode(), "step-quote")
    assert message in shown and 'aria-invalid="true"' in shown
    assert not FeeQuote.objects.exists() and RequestEvent.objects.count() == events


def test_bad_answers_are_shown_next_to_their_field(visit, client):
    v = visit
    client.force_login(v.net.engineer_a.user)
    offer(client, v)
    fee = current(v)
    for posted, message in (
        ({"decision": "accept", "signed_by": "李建国"}, "Have the customer sign the quote on the screen."),
        ({"decision": "accept", "signature": SIGNATURE}, "Write the name of the customer who agrees."),
        ({"decision": "dispute", "note": " "}, "Write what the customer disputes."),
    ):
        response = decide(client, fee, **posted)
        assert response.status_code == 422, posted
        assert message in card(response.content.decode(), "step-quote"), posted
    fee.refresh_from_db()
    assert fee.status == QuoteStatus.PROPOSED


def test_a_refused_quote_can_be_quoted_again_and_a_stale_page_is_told_to_reload(visit, client):
    v = visit
    client.force_login(v.net.engineer_a.user)
    offer(client, v)
    first = current(v)
    assert decide(client, first, decision="refuse", note="太贵了").status_code == 302
    page = page_of(client, v)
    assert "The customer refused this quote" in page and "太贵了" in page and "Quote again" in page
    # A second answer from the same (now stale) page: told to reload, not a 500
    response = decide(client, first, decision="accept", signed_by="李建国", signature=SIGNATURE)
    assert response.status_code == 409 and "reload" in response.content.decode()
    # Quoting from a page that showed no quote yet: stale too
    response = client.post(f"/dispatch/work-orders/{v.wo.pk}/quote/", {"current": "", "fault_cause": "wear"})
    assert response.status_code == 409 and "reload" in response.content.decode()
    # Quoting again replaces the refused quote
    assert offer(client, v, part_code=["FLT-01"], fault_cause="user_damage").status_code == 302
    first.refresh_from_db()
    assert first.status == QuoteStatus.SUPERSEDED and current(v).status == QuoteStatus.PROPOSED


def test_a_dispute_goes_to_the_centre_which_settles_it_and_the_engineer_sees_the_settlement(visit, client):
    v = visit
    net = v.net
    client.force_login(net.engineer_a.user)
    offer(client, v)
    fee = current(v)
    response = decide(client, fee, decision="dispute", note="压缩机才用了五年")
    assert response.status_code == 302
    told = Message.objects.filter(kind="fee_disputed").values_list("recipient_id", flat=True)
    assert net.manager.user_id in set(told)
    page = page_of(client, v)
    assert 'id="quote-disputed"' in page and "Quote again" not in page and "Show the quote" not in page
    # The centre's list: the service manager sees it with a form; the outlet manager sees it without one
    client.force_login(net.outlet_manager_a.user)
    listing = client.get("/dispatch/fee-disputes/").content.decode()
    assert fee.number in listing and "压缩机才用了五年" in listing and "settle-form" not in listing
    response = client.post(f"/dispatch/quotes/{fee.pk}/settle/", {"customer_pays": "0", "note": "照顾老客户"})
    assert response.status_code == 403 and "Only a service manager" in response.content.decode()
    client.force_login(net.clerk_b.user)
    assert fee.number not in client.get("/dispatch/fee-disputes/").content.decode()
    client.force_login(net.manager.user)
    listing = client.get("/dispatch/fee-disputes/").content.decode()
    assert fee.number in listing and "settle-form" in listing
    response = client.post(f"/dispatch/quotes/{fee.pk}/settle/", {"customer_pays": "99999", "note": "x"})
    assert response.status_code == 422 and "cannot pay more than" in response.content.decode()
    response = client.post(f"/dispatch/quotes/{fee.pk}/settle/", {"customer_pays": "100.00", "note": ""})
    assert response.status_code == 422 and "Write the reason" in response.content.decode()
    response = client.post(f"/dispatch/quotes/{fee.pk}/settle/", {"customer_pays": "100.00", "note": "按半价收取"})
    assert response.status_code == 302
    fee.refresh_from_db()
    assert fee.status == QuoteStatus.SETTLED and fee.customer_pays == Decimal("100.00")
    assert f'id="dispute-{fee.pk}"' not in client.get("/dispatch/fee-disputes/").content.decode()
    # The engineer sees the settlement and the receipt, which says what the customer pays and why
    client.force_login(net.engineer_a.user)
    page = page_of(client, v)
    assert 'id="quote-settled"' in page and "¥100.00" in page and "按半价收取" in page
    receipt = client.get(f"/dispatch/work-orders/{v.wo.pk}/receipt/").content.decode()
    assert "按半价收取" in receipt and "¥100.00" in receipt


def test_no_receipt_before_the_customer_agrees(visit, client):
    v = visit
    client.force_login(v.net.engineer_a.user)
    assert client.get(f"/dispatch/work-orders/{v.wo.pk}/receipt/").status_code == 404
    offer(client, v)
    assert client.get(f"/dispatch/work-orders/{v.wo.pk}/receipt.pdf").status_code == 404


def test_another_outlet_and_another_engineer_get_404_and_the_disputes_list_is_for_the_desk(visit, client):
    v = visit
    net = v.net
    client.force_login(net.engineer_a.user)
    offer(client, v)
    accept(client, v)
    fee = current(v)
    urls = (
        f"/dispatch/work-orders/{v.wo.pk}/receipt/",
        f"/dispatch/work-orders/{v.wo.pk}/receipt.pdf",
    )
    for outsider in (net.clerk_b, net.engineer_b, net.engineer_a2):
        client.force_login(outsider.user)
        for url in urls:
            assert client.get(url).status_code == 404, (outsider, url)
        assert offer(client, v).status_code == 404, outsider
        assert decide(client, fee, decision="refuse").status_code == 404, outsider
    # The outlet's desk reads the receipt
    client.force_login(net.clerk_a.user)
    assert client.get(urls[0]).status_code == 200
    # Engineers and sales reps have no disputes list; their settle POST is refused with the reason
    for staff in (net.engineer_a, net.sales_rep_a):
        client.force_login(staff.user)
        assert client.get("/dispatch/fee-disputes/").status_code == 404
        response = client.post(f"/dispatch/quotes/{fee.pk}/settle/", {"customer_pays": "0", "note": "x"})
        assert response.status_code == 403 and "Only a service manager" in response.content.decode()
    fee.refresh_from_db()
    assert fee.status == QuoteStatus.ACCEPTED


def test_the_receipt_pdf_reads_in_chinese_and_survives_a_signature_that_is_no_image(visit, client):
    v = visit
    client.force_login(v.net.engineer_a.user)
    offer(client, v)
    decide(client, current(v), decision="accept", signed_by="李建国", signature=SIGNATURE)
    # The door refuses such a signature now; one stored before it must still not stop the receipt.
    FeeQuote.objects.filter(pk=current(v).pk).update(signature="data:image/png;base64,iVBORw0KGgo=")
    client.cookies.load({"django_language": "zh-hans"})
    with translation.override("zh-hans"):
        pdf = client.get(f"/dispatch/work-orders/{v.wo.pk}/receipt.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    for shown in ("压缩机", "李建国", current(v).number):
        assert shown in text, (shown, text[:1500])


def test_a_quality_fault_inside_the_warranty_is_quoted_free(visit, client):
    v = visit
    Unit.objects.filter(pk=v.wo.request.unit_id).update(purchase_date="2026-03-01")
    client.force_login(v.net.engineer_a.user)
    assert offer(client, v, fault_cause="quality").status_code == 302
    assert current(v).customer_total == Decimal("0.00")
    assert 'id="quote-pays">¥0.00<' in page_of(client, v)
