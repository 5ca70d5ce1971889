"""Two hands on one quote at once (issue 5 "Bad input", R-B4): the engineer's tablet and the desk answer the same
quote, two engineers' phones quote the same visit, two parts rows take the van's last unit. One wins; nothing is
written twice. PostgreSQL only: row locks and conditional updates mean nothing on SQLite's single writer.
"""

from __future__ import annotations

import pytest
from django.db import connection

from tests.concurrency import run_together
from tests.field_service import SIGNATURE, catalogue_part, quote_agreed, van_stocked
from wuyou.core.errors import Conflict, DomainError
from wuyou.dispatch.models import WorkOrder
from wuyou.fees.models import FeeQuote, QuoteStatus
from wuyou.fees.pricing import QuotePart
from wuyou.fees.services import quote_decide, visit_quote_offer
from wuyou.fieldservice.services import StepInput, work_order_step
from wuyou.parts.models import StockMove

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is proved on PostgreSQL (set DATABASE_URL)")


@pytest.fixture
def on_site(field_service):
    f = field_service
    catalogue_part("CMP-35", "压缩机", "600.00", "900.00", is_consumable=True)
    return f.visit_on_site()


def test_accept_and_refuse_at_once_one_answer_stands(field_service, on_site):
    net = field_service.network
    fee = visit_quote_offer(
        actor=net.actor(net.engineer_a), work_order=on_site, fault_cause="quality", parts=[QuotePart("CMP-35")]
    )
    results = run_together(
        lambda: quote_decide(
            actor=net.actor(net.engineer_a), quote_id=fee.pk, decision="accept", signed_by="李", signature=SIGNATURE
        ),
        lambda: quote_decide(actor=net.actor(net.clerk_a), quote_id=fee.pk, decision="refuse", note="电话里说不修了"),
    )
    assert sum(isinstance(r, FeeQuote) for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == 1, results
    fee.refresh_from_db()
    winner = next(r for r in results if isinstance(r, FeeQuote))
    assert fee.status == winner.status and fee.decided_by_id == winner.decided_by_id
    verbs = list(on_site.request.events.filter(verb__startswith="fee_").values_list("verb", flat=True))
    assert sorted(verbs) == sorted(["fee_quoted", f"fee_{fee.status}"])


def test_two_quotes_of_the_same_visit_at_once_leave_one_current(field_service, on_site):
    net = field_service.network

    def quote(actor):
        return lambda: visit_quote_offer(
            actor=actor, work_order=on_site, fault_cause="quality", parts=[QuotePart("CMP-35")]
        )

    results = run_together(quote(net.actor(net.engineer_a)), quote(net.actor(net.clerk_a)))
    assert all(isinstance(r, FeeQuote) for r in results), results  # served in turn: the second replaces the first
    statuses = sorted(FeeQuote.objects.filter(work_order=on_site).values_list("status", flat=True))
    assert statuses == [QuoteStatus.PROPOSED, QuoteStatus.SUPERSEDED]
    assert len({r.number for r in results}) == 2


def test_the_vans_last_unit_goes_to_one_visit(field_service, on_site):
    f = field_service
    net = f.network
    other = f.visit_on_site()
    van_stocked(net, net.engineer_a, {"CMP-35": 1})
    me = net.actor(net.engineer_a)
    for wo in (on_site, other):
        quote_agreed(me, wo, ("CMP-35", 1))

    def use(wo):
        return lambda: work_order_step(
            actor=me,
            work_order=WorkOrder.objects.select_related("request", "engineer").get(pk=wo.pk),
            step="parts_used",
            entry=StepInput(parts=(("CMP-35", "", 1),)),
        )

    results = run_together(use(on_site), use(other))
    assert sum(isinstance(r, WorkOrder) for r in results) == 1
    assert sum(isinstance(r, DomainError) for r in results) == 1, results
    assert StockMove.objects.filter(kind="consumption").count() == 1
    used = [WorkOrder.objects.get(pk=wo.pk).parts_used for wo in (on_site, other)]
    assert sorted(len(u) for u in used) == [0, 1]
