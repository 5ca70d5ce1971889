"""Two hands take the same money at once (R-B5): the engineer's phone and the desk record the full amount at the
same moment. One payment stands; the customer is never recorded as paying more than he owes. PostgreSQL only: the
visit's row lock means nothing on SQLite's single writer.
"""

from __future__ import annotations

import pytest
from django.db import connection

from tests.concurrency import run_together
from tests.field_service import quote_agreed
from wuyou.core.errors import ValidationFailed
from wuyou.fees.models import Payment
from wuyou.fees.services.payments import payment_record
from wuyou.fees.tests.test_views import visit_on_site

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is proved on PostgreSQL (set DATABASE_URL)")


def test_the_full_amount_paid_twice_at_once_is_recorded_once(field_service):
    v = visit_on_site(field_service)
    net = v.net
    fee = quote_agreed(net.actor(net.engineer_a), v.wo, ("CMP-35", 1), fault_cause="wear")
    owed = str(fee.customer_total)
    results = run_together(
        lambda: payment_record(actor=net.actor(net.engineer_a), work_order_id=v.wo.pk, method="cash", amount=owed),
        lambda: payment_record(
            actor=net.actor(net.clerk_a), work_order_id=v.wo.pk, method="wechat", amount=owed, reference="WX-9"
        ),
    )
    assert sum(isinstance(r, Payment) for r in results) == 1, results
    assert sum(isinstance(r, ValidationFailed) and r.field == "amount" for r in results) == 1, results
    assert Payment.objects.filter(work_order=v.wo).count() == 1
    assert v.wo.request.events.filter(verb="fee_paid").count() == 1
