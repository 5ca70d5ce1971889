"""Issue 13.2: a head-office service manager merges a duplicate record into the one that stays."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from tests.api_client import ApiClient
from tests.factories import CustomerFactory, RequestFactory, UnitFactory
from wuyou.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from wuyou.customers.models import (
    Address,
    ContactWindow,
    Customer,
    CustomerPhone,
    PersonalDataReveal,
    TimelineEntry,
)
from wuyou.customers.selectors import customer_search, customers_visible
from wuyou.customers.services import customer_merge, customer_note_add, merge_preview
from wuyou.products.models import Unit
from wuyou.tickets.models import ServiceRequest

SHARED, OTHER = "13912345678", "13687654321"


@pytest.fixture(autouse=True)
def _in_english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def pair(network):
    """Outlet A's 李建国 and his duplicate filed at outlet B, with a unit, a closed request, a note and a reveal."""
    survivor = CustomerFactory(outlet=network.outlet_a, name="李建国")
    survivor.phones.update(number=SHARED)
    loser = CustomerFactory(outlet=network.outlet_b, name="李建国(重复)")
    loser.phones.update(number=SHARED)
    CustomerPhone.objects.create(customer=loser, number=OTHER, kind="mobile")
    ContactWindow.objects.create(customer=loser, days="weekdays", starts_at=dt.time(20), ends_at=dt.time(21))
    unit = UnitFactory(owner=loser)
    RequestFactory(customer=loser, unit=unit, address=loser.addresses.get(), status="closed")
    customer_note_add(actor=network.actor(network.clerk_b), customer=loser, summary="来电咨询")
    PersonalDataReveal.objects.create(customer=loser, actor=network.hq_clerk.user, field="phones", reason="回访")
    return survivor, loser


def test_merge_moves_everything_deduplicates_phones_and_writes_both_timelines(network, pair):
    survivor, loser = pair
    manager = network.actor(network.manager)
    preview = {m.label: m.count for m in merge_preview(survivor=survivor, loser=loser)}
    assert preview["phones"] == 1 and preview["units"] == 1 and preview["service requests"] == 1

    merged, moved = customer_merge(actor=manager, survivor_id=survivor.pk, loser_id=loser.pk)

    assert {m.label: m.count for m in moved} == preview and merged.pk == survivor.pk
    loser.refresh_from_db()
    assert loser.merged_into_id == survivor.pk and loser.version == 2 and merged.version == 2
    assert sorted(CustomerPhone.objects.filter(customer=survivor).values_list("number", flat=True)) == [OTHER, SHARED]
    assert CustomerPhone.objects.get(customer=survivor, number=SHARED).is_primary
    assert CustomerPhone.objects.filter(customer=survivor, is_primary=True).count() == 1
    assert not CustomerPhone.objects.filter(customer=loser).exists()
    assert Address.objects.filter(customer=survivor).count() == 2
    assert Address.objects.filter(customer=survivor, is_primary=True).count() == 1
    assert ContactWindow.objects.filter(customer=survivor).count() == 1
    assert Unit.objects.get().owner_id == survivor.pk
    sr = ServiceRequest.objects.get()
    assert sr.customer_id == survivor.pk and sr.address.customer_id == survivor.pk
    assert PersonalDataReveal.objects.get().customer_id == survivor.pk
    assert TimelineEntry.objects.filter(customer=survivor, summary="来电咨询").exists()
    survivor_event = TimelineEntry.objects.get(customer=survivor, kind="customer", summary__contains="merged")
    assert f"#{loser.pk}" in survivor_event.summary and "units 1" in survivor_event.body
    (loser_event,) = TimelineEntry.objects.filter(customer=loser)
    assert f"#{survivor.pk}" in loser_event.summary and loser_event.actor_id == network.manager.user_id


def test_the_merged_record_is_hidden_from_lists_search_and_the_api(network, pair):
    survivor, loser = pair
    customer_merge(actor=network.actor(network.manager), survivor_id=survivor.pk, loser_id=loser.pk)
    hq = network.actor(network.hq_clerk)
    assert list(customers_visible(actor=hq)) == [survivor]
    assert [c.pk for c in customer_search(actor=hq, query=OTHER)] == [survivor.pk]
    assert ApiClient(staff=network.hq_clerk).get(f"/customers/{loser.pk}").status_code == 404
    # A merged record is not merged again, nor edited.
    with pytest.raises(NotFound):
        customer_merge(actor=network.actor(network.manager), survivor_id=survivor.pk, loser_id=loser.pk)


def test_an_open_job_refuses_the_merge_and_nothing_moves(network, pair):
    survivor, loser = pair
    RequestFactory(customer=loser, status="accepted")
    with pytest.raises(Conflict) as refused:
        customer_merge(actor=network.actor(network.manager), survivor_id=survivor.pk, loser_id=loser.pk)
    assert "open jobs" in refused.value.message
    loser.refresh_from_db()
    assert loser.merged_into_id is None and loser.version == 1
    assert Unit.objects.get().owner_id == loser.pk and CustomerPhone.objects.filter(customer=loser).count() == 2
    assert not TimelineEntry.objects.filter(kind="customer", summary__contains="erged").exists()


def test_only_the_service_manager_merges_and_another_outlet_sees_404(network, pair):
    survivor, loser = pair
    for staff in (network.hq_clerk, network.outlet_manager_a, network.regional_manager):
        with pytest.raises((PermissionDenied, NotFound)):
            customer_merge(actor=network.actor(staff), survivor_id=survivor.pk, loser_id=loser.pk)
    with pytest.raises(PermissionDenied):
        customer_merge(actor=network.actor(network.hq_clerk), survivor_id=survivor.pk, loser_id=loser.pk)
    with pytest.raises(NotFound):  # outlet A does not see B's customer at all
        customer_merge(actor=network.actor(network.clerk_a), survivor_id=survivor.pk, loser_id=loser.pk)
    with pytest.raises(ValidationFailed):
        customer_merge(actor=network.actor(network.manager), survivor_id=survivor.pk, loser_id=survivor.pk)
    assert Customer.objects.filter(merged_into__isnull=False).count() == 0


def test_api_merge(network, pair):
    survivor, loser = pair
    path = f"/customers/{survivor.pk}/merge"
    assert ApiClient(staff=network.hq_clerk).post(path, {"other_id": loser.pk}).status_code == 403
    assert ApiClient(staff=network.clerk_a).post(path, {"other_id": loser.pk}).status_code == 404
    assert ApiClient(staff=network.manager).post(path, {"other_id": 10**9}).status_code == 404
    response = ApiClient(staff=network.manager).post(path, {"other_id": loser.pk})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["customer"]["id"] == survivor.pk and {p["number"] for p in body["customer"]["phones"]} == {
        SHARED,
        OTHER,
    }
    assert {m["label"] for m in body["moved"]} >= {"phones", "units", "service requests"}


def test_merge_page_finds_previews_and_confirms(client, network, pair):
    survivor, loser = pair
    client.force_login(network.manager.user)
    url = reverse("customers:merge", args=[survivor.pk])
    assert url in client.get(reverse("customers:detail", args=[survivor.pk])).content.decode()
    found = client.get(url, {"q": OTHER}).content.decode()
    assert f"{url}?other={loser.pk}" in found and "李建国(重复)" in found
    preview = client.get(url, {"other": loser.pk})
    assert preview.status_code == 200 and "units: 1" in preview.content.decode()
    unconfirmed = client.post(url, {"other_id": loser.pk})
    assert unconfirmed.status_code == 422 and Customer.objects.get(pk=loser.pk).merged_into_id is None
    done = client.post(url, {"other_id": loser.pk, "confirm": "on"})
    assert done.status_code == 302 and done["Location"] == reverse("customers:detail", args=[survivor.pk])
    assert Customer.objects.get(pk=loser.pk).merged_into_id == survivor.pk


def test_merge_page_refusals(client, network, pair):
    survivor, loser = pair
    url = reverse("customers:merge", args=[survivor.pk])
    client.force_login(network.clerk_b.user)
    assert client.get(url).status_code == 404  # A's customer: not B's to see
    client.force_login(network.hq_clerk.user)
    assert client.get(url).status_code == 403
    assert client.post(url, {"other_id": loser.pk, "confirm": "on"}).status_code == 403
    assert url not in client.get(reverse("customers:detail", args=[survivor.pk])).content.decode()
    RequestFactory(customer=survivor, status="new")
    client.force_login(network.manager.user)
    preview = client.get(url, {"other": loser.pk}).content.decode()
    assert "Still open" in preview
    refused = client.post(url, {"other_id": loser.pk, "confirm": "on"})
    assert refused.status_code == 409 and "open jobs" in refused.content.decode()
    assert Customer.objects.get(pk=loser.pk).merged_into_id is None


@pytest.mark.django_db(transaction=True)
def test_two_merges_of_one_pair_at_once_merge_once(network, pair):
    from tests.concurrency import postgresql_only, run_together

    postgresql_only()
    survivor, loser = pair
    manager = network.actor(network.manager)
    results = run_together(
        lambda: customer_merge(actor=manager, survivor_id=survivor.pk, loser_id=loser.pk),
        lambda: customer_merge(actor=manager, survivor_id=loser.pk, loser_id=survivor.pk),
    )
    assert sum(isinstance(r, tuple) for r in results) == 1, results
    assert Customer.objects.filter(merged_into__isnull=False).count() == 1
    assert TimelineEntry.objects.filter(kind="customer", summary__contains="erged").count() == 2


def test_an_old_link_to_the_merged_record_opens_the_survivor(client, network, pair):
    survivor, loser = pair
    customer_merge(actor=network.actor(network.manager), survivor_id=survivor.pk, loser_id=loser.pk)
    client.force_login(network.clerk_a.user)
    response = client.get(reverse("customers:detail", args=[loser.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("customers:detail", args=[survivor.pk])
    client.force_login(network.engineer_b.user)  # sees neither record: nothing is told
    assert client.get(reverse("customers:detail", args=[loser.pk])).status_code == 404
