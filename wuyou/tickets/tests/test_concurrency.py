"""No lost updates (issue 2 "Bad input"): two clerks accepting at once — one wins, one conflict, one event.

These run real threads on separate connections; `select_for_update` and row locks mean nothing on
SQLite, so they are proved on PostgreSQL (set DATABASE_URL) and skipped elsewhere.
"""

from __future__ import annotations

import pytest
from django.db import connection

from tests.api_client import ApiClient
from tests.concurrency import run_together
from tests.factories import CustomerFactory, RequestFactory
from wuyou.core.errors import Conflict
from wuyou.customers.models import Customer
from wuyou.tickets.models import ServiceRequest, Status
from wuyou.tickets.services import request_transition

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is proved on PostgreSQL (set DATABASE_URL)")


def test_two_clerks_accepting_the_same_version_one_wins(network):
    sr = RequestFactory(customer=CustomerFactory(outlet=network.outlet_a))
    clerks = [network.actor(network.clerk_a), network.actor(network.outlet_manager_a)]

    def accept(actor):
        return lambda: request_transition(
            actor=actor, request=ServiceRequest.objects.get(pk=sr.pk), action="accept", expected_version=1
        )

    for _round in range(5):
        ServiceRequest.objects.filter(pk=sr.pk).update(status=Status.NEW, version=1)
        sr.events.all().delete()
        outcomes = run_together(*(accept(actor) for actor in clerks))
        assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "ServiceRequest"], outcomes
        assert sum(isinstance(o, Conflict) for o in outcomes) == 1
        assert sr.events.filter(verb="accept").count() == 1
        sr.refresh_from_db()
        assert (sr.status, sr.version) == (Status.ACCEPTED, 2)


def test_two_api_accepts_give_one_200_and_one_409(network):
    sr = RequestFactory(customer=CustomerFactory(outlet=network.outlet_a))
    clients = [ApiClient(staff=network.clerk_a), ApiClient(staff=network.outlet_manager_a)]
    outcomes = run_together(
        *(
            (lambda c=c: c.post(f"/requests/{sr.pk}/transitions", {"action": "accept", "version": 1}).status_code)
            for c in clients
        )
    )
    assert sorted(outcomes) == [200, 409]
    assert sr.events.filter(verb="accept").count() == 1


def test_simultaneous_retries_with_one_idempotency_key_create_one_customer(network):
    body = {"name": "并发客户", "phones": ["13800138000"]}
    clients = [ApiClient(staff=network.clerk_a) for _ in range(4)]
    outcomes = run_together(
        *((lambda c=c: c.post("/customers", body, **{"Idempotency-Key": "same-key"}).status_code) for c in clients)
    )
    assert set(outcomes) <= {201, 409} and 201 in outcomes, outcomes
    assert Customer.objects.filter(name="并发客户").count() == 1
