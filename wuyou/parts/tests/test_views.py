"""Spare-parts screens (issue 5 item 4, R-F4): stock and its ledger, catalogue, requisitions, on the web.

Built on the `stock` fixture of test_stock (outlet A's store, engineer A's van, a filter and a compressor); time is
frozen by `field_service` on Tuesday 2026-11-24 07:00 Shanghai.
"""

# ruff: noqa: F811 — the `stock` / `loaners` fixtures are imported from the service tests and used as arguments
from __future__ import annotations

import pytest
from django.urls import reverse

from wuyou.parts.models import Requisition, RequisitionStatus, StockMove
from wuyou.parts.selectors import stock_level
from wuyou.parts.services import PartQuantity, part_receive, requisition_request
from wuyou.parts.tests.test_services import Stock, stock, stock_van  # noqa: F401  (the fixture)


def login(client, staff):
    """Log in, speaking English (the messages the tests read)."""
    client.force_login(staff.user)
    client.cookies.load({"django_language": "en"})
    return client


def as_(client, s: Stock, name: str):
    return login(client, getattr(s.f.network, name))


# ------------------------------------------------------------------------------------------------------------ stock


def test_the_clerk_sees_the_outlets_places_with_levels_and_low_stock_on_top(client, stock):
    s = stock
    part_receive(actor=s.actor("clerk_a"), place_id=s.store_a.pk, part_code="FLT-01", quantity=2)
    part_receive(actor=s.actor("clerk_b"), place_id=s.store_b.pk, part_code="CMP-35", quantity=7)
    response = as_(client, s, "clerk_a").get(reverse("parts:stock"))
    page = response.content.decode()
    assert response.status_code == 200
    # Outlet A's store and vans, not outlet B's store nor the head-office warehouse
    assert f'id="place-{s.store_a.pk}"' in page and f'id="place-{s.van_a.pk}"' in page
    assert f'id="place-{s.store_b.pk}"' not in page and f'id="place-{s.head_office.pk}"' not in page
    # Two filters is the low level: warned on top and marked in the table
    low = page.split('id="low-stock"')[1].split("</section>")[0]
    assert "FLT-01" in low and "过滤网" in low
    assert "Low stock" in page.split(f'id="place-{s.store_a.pk}"')[1]


def test_the_engineer_sees_only_his_van(client, stock):
    s = stock
    stock_van(s, s.filter, 5)
    page = as_(client, s, "engineer_a").get(reverse("parts:stock")).content.decode()
    assert f'id="place-{s.van_a.pk}"' in page
    assert f'id="place-{s.store_a.pk}"' not in page and f'id="place-{s.van_a2.pk}"' not in page
    # his colleague's van and the store are 404 to him
    for place in (s.van_a2, s.store_a):
        assert as_(client, s, "engineer_a").get(reverse("parts:place", args=[place.pk])).status_code == 404
    page = as_(client, s, "engineer_a").get(reverse("parts:place", args=[s.van_a.pk])).content.decode()
    # no receive or count form for him, but the ledger of his van
    assert 'id="receive"' not in page and 'id="adjust"' not in page
    assert "Transfer in" in page and "+5" in page


def test_a_sales_rep_has_no_parts_screens(client, stock):
    assert as_(client, stock, "sales_rep_a").get(reverse("parts:stock")).status_code == 403


def test_another_outlets_place_is_404(client, stock):
    s = stock
    for name in ("place",):
        assert as_(client, s, "clerk_b").get(reverse(f"parts:{name}", args=[s.store_a.pk])).status_code == 404
    response = as_(client, s, "clerk_b").post(
        reverse("parts:receive", args=[s.store_a.pk]), {"part_code": "FLT-01", "quantity": 3}
    )
    assert response.status_code == 404 and s.moves() == 0


def test_the_place_page_shows_the_ledger_newest_first_with_who_and_why(client, stock):
    s = stock
    stock_van(s, s.filter, 3)
    page = as_(client, s, "outlet_manager_a").get(reverse("parts:place", args=[s.store_a.pk])).content
    page = page.decode()
    ledger = page.split("<h2>Ledger</h2>")[1]
    # transfer out (newest) before the receipt, with the requisition and who did it
    assert ledger.index("Transfer out") < ledger.index("Receipt")
    assert "-3" in ledger and "+3" in ledger and "clerk_a" in ledger
    req = Requisition.objects.get()
    assert reverse("parts:requisition", args=[req.pk]) in ledger
    assert 'id="receive"' in page and 'id="adjust"' in page


def test_the_ledger_is_paginated(client, stock):
    s = stock
    for _ in range(51):
        part_receive(actor=s.actor("clerk_a"), place_id=s.store_a.pk, part_code="FLT-01", quantity=1)
    url = reverse("parts:place", args=[s.store_a.pk])
    page = as_(client, s, "clerk_a").get(url).content.decode()
    assert "Page 1 of 2" in page
    page = as_(client, s, "clerk_a").get(url, {"page": 2}).content.decode()
    assert page.split("<h2>Ledger</h2>")[1].count('class="move move-receipt"') == 1
    # the pager swaps only the ledger in place (htmx)
    part = client.get(url, {"page": 2}, headers={"HX-Request": "true"}).content.decode()
    assert part.lstrip().startswith('<section class="panel" id="results">') and "<html" not in part


def test_the_clerk_receives_parts_and_bad_input_shows_next_to_the_field(client, stock):
    s = stock
    c = as_(client, s, "clerk_a")
    url = reverse("parts:receive", args=[s.store_a.pk])
    # unknown part, bad quantity, missing serial of a serialised part: each next to its field, nothing written
    for body, field, message in (
        ({"part_code": "NOPE-1", "quantity": 2}, "part_code", "No such part in the catalogue."),
        ({"part_code": "FLT-01", "quantity": 0}, "quantity", "greater than or equal to 1"),
        ({"part_code": "FLT-01", "quantity": 1000}, "quantity", "less than or equal to 999"),
    ):
        response = c.post(url, body)
        page = response.content.decode()
        assert response.status_code == 422, body
        assert f'id="id_{field}_error">' in page and message in page.split(f'id="id_{field}_error">')[1][:120]
    assert s.moves() == 0
    response = c.post(url, {"part_code": "FLT-01", "quantity": 6, "note": "供应商到货"})
    assert response.status_code == 302 and stock_level(part=s.filter, place=s.store_a) == 6
    # a van gets parts by requisition, not by receipt: no form, and a refusal if posted
    response = c.post(reverse("parts:receive", args=[s.van_a.pk]), {"part_code": "FLT-01", "quantity": 1})
    assert response.status_code == 422 and "by requisition" in response.content.decode()
    assert s.moves() == 1


def test_the_manager_corrects_a_count_with_the_reason(client, stock):
    s = stock
    part_receive(actor=s.actor("clerk_a"), place_id=s.store_a.pk, part_code="FLT-01", quantity=6)
    url = reverse("parts:adjust", args=[s.store_a.pk])
    # the clerk may not; no reason is refused next to the field; the same count says nothing to adjust
    response = as_(client, s, "clerk_a").post(url, {"part_code": "FLT-01", "counted": 4, "note": "盘点"})
    assert response.status_code == 403 and "Only a manager" in response.content.decode()
    c = as_(client, s, "outlet_manager_a")
    response = c.post(url, {"part_code": "FLT-01", "counted": 4, "note": ""})
    assert response.status_code == 422 and 'id="id_note_error"' in response.content.decode()
    response = c.post(url, {"part_code": "FLT-01", "counted": 6, "note": "盘点"})
    assert response.status_code == 422 and "nothing to adjust" in response.content.decode()
    assert s.moves() == 1
    response = c.post(url, {"part_code": "FLT-01", "counted": 4, "note": "月底盘点少两个"})
    assert response.status_code == 302 and stock_level(part=s.filter, place=s.store_a) == 4
    assert StockMove.objects.filter(kind="adjustment").get().quantity == -2


# -------------------------------------------------------------------------------------------------------- catalogue


def test_the_catalogue_shows_prices_and_searches_by_code_or_name(client, stock):
    c = as_(client, stock, "engineer_a")
    page = c.get(reverse("parts:catalogue")).content.decode()
    assert "FLT-01" in page and "CMP-35" in page and "¥420.00" in page and "¥680.00" in page
    page = c.get(reverse("parts:catalogue"), {"q": "压缩"}).content.decode()
    assert "CMP-35" in page and "FLT-01" not in page
    page = c.get(reverse("parts:catalogue"), {"q": "flt"}).content.decode()
    assert "FLT-01" in page and "CMP-35" not in page


# ----------------------------------------------------------------------------------------------------- requisitions


def test_the_engineer_asks_for_parts_for_his_van_and_the_manager_approves_and_the_clerk_ships(client, stock):
    s = stock
    part_receive(actor=s.actor("clerk_a"), place_id=s.store_a.pk, part_code="FLT-01", quantity=10)
    part_receive(actor=s.actor("clerk_a"), place_id=s.store_a.pk, part_code="CMP-35", quantity=2)
    c = as_(client, s, "engineer_a")
    page = c.get(reverse("parts:requisition_new")).content.decode()
    # he may only ask for his own van
    assert f'<option value="{s.van_a.pk}"' in page and f'value="{s.van_a2.pk}"' not in page
    response = c.post(
        reverse("parts:requisition_new"),
        {"destination": s.van_a.pk, "part_1": "FLT-01", "quantity_1": 4, "part_2": "CMP-35", "quantity_2": 1},
    )
    req = Requisition.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("parts:requisition", args=[req.pk])
    assert sorted(req.lines.values_list("part__code", "quantity")) == [("CMP-35", 1), ("FLT-01", 4)]
    # the engineer cannot decide; the outlet manager sees the buttons and approves
    page = c.get(reverse("parts:requisition", args=[req.pk])).content.decode()
    assert "Approve" not in page
    response = c.post(reverse("parts:requisition_approve", args=[req.pk]))
    assert response.status_code == 403 and "Only the manager" in response.content.decode()
    m = as_(client, s, "outlet_manager_a")
    assert "Approve" in m.get(reverse("parts:requisition", args=[req.pk])).content.decode()
    assert m.post(reverse("parts:requisition_approve", args=[req.pk])).status_code == 302
    # approving twice is refused on the page
    response = m.post(reverse("parts:requisition_approve", args=[req.pk]))
    assert response.status_code == 409 and "already been decided" in response.content.decode()
    k = as_(client, s, "clerk_a")
    assert "Ship the parts" in k.get(reverse("parts:requisition", args=[req.pk])).content.decode()
    assert k.post(reverse("parts:requisition_fulfil", args=[req.pk])).status_code == 302
    req.refresh_from_db()
    assert req.status == RequisitionStatus.FULFILLED
    assert stock_level(part=s.filter, place=s.van_a) == 4 and stock_level(part=s.filter, place=s.store_a) == 6


def test_a_requisition_form_with_bad_lines_shows_errors_next_to_each_line(client, stock):
    s = stock
    c = as_(client, s, "engineer_a")
    url = reverse("parts:requisition_new")
    response = c.post(
        url, {"destination": s.van_a.pk, "part_1": "FLT-01", "quantity_1": 0, "part_2": "NOPE", "quantity_2": 1}
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert "greater than or equal to 1" in page and "No such part in the catalogue." in page
    response = c.post(url, {"destination": s.van_a.pk})
    assert response.status_code == 422 and "Ask for at least one part." in response.content.decode()
    # the same part twice is the service's refusal, shown on the form
    response = c.post(
        url, {"destination": s.van_a.pk, "part_1": "FLT-01", "quantity_1": 1, "part_2": "FLT-01", "quantity_2": 2}
    )
    assert response.status_code == 422 and "Each part once per requisition." in response.content.decode()
    # another engineer's van is not a choice
    response = c.post(url, {"destination": s.van_a2.pk, "part_1": "FLT-01", "quantity_1": 1})
    assert response.status_code == 422
    assert Requisition.objects.count() == 0


def test_rejecting_needs_a_reason_and_shipping_without_stock_is_refused(client, stock):
    s = stock
    req = requisition_request(actor=s.actor("engineer_a"), destination_id=s.van_a.pk, lines=[PartQuantity("FLT-01", 3)])
    m = as_(client, s, "outlet_manager_a")
    response = m.post(reverse("parts:requisition_reject", args=[req.pk]), {"reason": ""})
    assert response.status_code == 422 and 'id="id_reason_error"' in response.content.decode()
    req.refresh_from_db()
    assert req.status == RequisitionStatus.REQUESTED
    m.post(reverse("parts:requisition_approve", args=[req.pk]))
    # the store holds none: shipping is refused with the out-of-stock message, nothing moves
    response = as_(client, s, "clerk_a").post(reverse("parts:requisition_fulfil", args=[req.pk]))
    assert response.status_code == 409 and "Out of stock" in response.content.decode()
    req.refresh_from_db()
    assert req.status == RequisitionStatus.APPROVED and s.moves() == 0


def test_the_manager_rejects_with_a_reason(client, stock):
    s = stock
    req = requisition_request(actor=s.actor("engineer_a"), destination_id=s.van_a.pk, lines=[PartQuantity("FLT-01", 3)])
    m = as_(client, s, "outlet_manager_a")
    response = m.post(reverse("parts:requisition_reject", args=[req.pk]), {"reason": "本月已领过"})
    assert response.status_code == 302
    req.refresh_from_db()
    assert (req.status, req.reason) == (RequisitionStatus.REJECTED, "本月已领过")
    page = m.get(reverse("parts:requisitions"), {"status": "rejected"}).content.decode()
    assert f"#{req.pk}" in page
    page = m.get(reverse("parts:requisitions"), {"status": "requested"}).content.decode()
    assert f"#{req.pk}<" not in page


def test_requisitions_are_scoped_another_outlet_gets_404(client, stock):
    s = stock
    req = requisition_request(actor=s.actor("engineer_a"), destination_id=s.van_a.pk, lines=[PartQuantity("FLT-01", 3)])
    c = as_(client, s, "clerk_b")
    assert f"#{req.pk}<" not in c.get(reverse("parts:requisitions")).content.decode()
    assert c.get(reverse("parts:requisition", args=[req.pk])).status_code == 404
    assert c.post(reverse("parts:requisition_approve", args=[req.pk])).status_code == 404
    # engineer A2 sees neither his colleague's requisition
    assert as_(client, s, "engineer_a2").get(reverse("parts:requisition", args=[req.pk])).status_code == 404


@pytest.mark.parametrize("name", ["stock", "catalogue", "requisitions", "requisition_new"])
def test_each_page_renders_for_the_desk_roles(client, stock, name):
    for who in ("clerk_a", "outlet_manager_a", "manager", "engineer_a"):
        assert as_(client, stock, who).get(reverse(f"parts:{name}")).status_code == 200, who
