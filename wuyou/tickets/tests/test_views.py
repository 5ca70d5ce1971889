"""R-E1, R-E2, R-E5 on the web: intake on the customer page, request list, detail, steps, dispatch."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import CustomerFactory, RequestFactory, UnitFactory
from wuyou.core.masking import mask_phone
from wuyou.tickets.models import RequestEvent, ServiceRequest, Status
from wuyou.tickets.services import RequestInput, request_open, request_transition

HX = {"HTTP_HX_REQUEST": "true"}


def local_input(days: int, hour: int) -> str:
    """A datetime-local input value `days` ahead at `hour` in the organisation's zone."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return f"{day:%Y-%m-%d}T{hour:02d}:00"


@pytest.fixture
def customer_a(network):
    return CustomerFactory(outlet=network.outlet_a, name="李建国")


def login(client, staff):
    client.force_login(staff.user)
    return client


def open_repair(network, customer, **kw):
    defaults = {"symptom": "不制冷", "reported_model": "KFR-35GW", "reported_purchase_date": dt.date(2025, 1, 1)}
    return request_open(
        actor=network.actor(network.clerk_a),
        intake=RequestInput(call_type="repair", customer_id=customer.pk, **{**defaults, **kw}),
    )


# --- intake on the customer page --------------------------------------------------------------


def test_requests_panel_offers_the_customers_units(client, network, customer_a):
    unit = UnitFactory(owner=customer_a)
    other = UnitFactory()
    panel = (
        login(client, network.clerk_a)
        .get(reverse("tickets:customer_requests", args=[customer_a.pk]), **HX)
        .content.decode()
    )
    assert 'id="open-request-form"' in panel and unit.serial in panel and other.serial not in panel
    assert 'name="outlet"' not in panel  # outlet staff open requests for their own outlet


def test_open_a_complete_repair_goes_to_its_page(client, network, customer_a):
    unit = UnitFactory(owner=customer_a)
    response = login(client, network.clerk_a).post(
        reverse("tickets:customer_requests", args=[customer_a.pk]),
        {
            "call_type": "repair",
            "channel": "hotline",
            "priority": "high",
            "unit": unit.serial,
            "symptom": "外机异响",
            "window_start": local_input(2, 9),
            "window_end": local_input(2, 12),
        },
        **HX,
    )
    sr = ServiceRequest.objects.get()
    assert response["HX-Redirect"] == reverse("tickets:detail", args=[sr.pk])
    assert (sr.unit, sr.priority, sr.to_verify, sr.outlet) == (unit, "high", False, network.outlet_a)
    assert timezone.localtime(sr.window_start).hour == 9  # typed in the organisation's zone


def test_a_request_missing_facts_is_opened_flagged_to_verify(client, network, customer_a):
    login(client, network.clerk_a).post(
        reverse("tickets:customer_requests", args=[customer_a.pk]),
        {"call_type": "repair", "channel": "hotline", "priority": "normal", "symptom": "不加热"},
    )
    sr = ServiceRequest.objects.get()
    assert sr.to_verify and sr.missing_fields == ["model", "purchase_date"]
    page = client.get(reverse("tickets:detail", args=[sr.pk])).content.decode()
    assert 'id="verify-form"' in page and 'name="reported_model"' in page and 'name="symptom"' not in page


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"window_start": local_input(2, 12), "window_end": local_input(2, 9)}, "window_end"),
        ({"window_start": local_input(2, 12)}, "window_end"),
        ({"window_start": local_input(400, 9), "window_end": local_input(400, 12)}, "window_start"),
        ({"contact_phone": "12345"}, "contact_phone"),
        ({"reported_purchase_date": "2999-01-01"}, "reported_purchase_date"),
        ({"unit": "NOT-A-SERIAL"}, "unit"),
        ({"call_type": "gossip"}, "call_type"),
    ],
)
def test_bad_intake_is_shown_next_to_its_field_and_nothing_is_written(client, network, customer_a, change, field):
    data = {"call_type": "repair", "channel": "hotline", "priority": "normal", "symptom": "漏水", **change}
    response = login(client, network.clerk_a).post(
        reverse("tickets:customer_requests", args=[customer_a.pk]), data, **HX
    )
    assert response.status_code == 422 and f'id="id_{field}_error"' in response.content.decode()
    assert not ServiceRequest.objects.exists()


def test_head_office_may_pick_the_handling_outlet(client, network, customer_a):
    login(client, network.hq_clerk).post(
        reverse("tickets:customer_requests", args=[customer_a.pk]),
        {"call_type": "inquiry", "channel": "wechat", "priority": "normal", "outlet": network.outlet_b.pk},
    )
    assert ServiceRequest.objects.get().outlet == network.outlet_b


# --- list -------------------------------------------------------------------------------------


def test_list_shows_own_outlet_requests_with_badges_and_overdue_due_times(client, network, customer_a):
    late = RequestFactory(
        customer=customer_a, to_verify=True, missing_fields=["model"], due_at=timezone.now() - dt.timedelta(hours=2)
    )
    RequestFactory(customer=customer_a, status=Status.CLOSED)
    theirs = RequestFactory(customer=CustomerFactory(outlet=network.outlet_b))
    response = login(client, network.clerk_a).get(reverse("tickets:list"))
    content = response.content.decode()
    assert response.status_code == 200
    assert late.number in content and theirs.number not in content
    assert 'class="is-overdue"' in content and "badge-verify" in content and "status-closed" in content


def test_filters_update_only_the_table_and_ignore_unknown_values(client, network, customer_a):
    RequestFactory(customer=customer_a, call_type="complaint")
    repair = RequestFactory(customer=customer_a, call_type="repair")
    login(client, network.clerk_a)
    response = client.get(reverse("tickets:list"), {"call_type": "complaint"}, **HX)
    content = response.content.decode()
    assert response.status_code == 200 and "<html" not in content and 'id="results"' in content
    assert repair.number not in content
    assert (
        client.get(reverse("tickets:list"), {"status": "bogus", "outlet": "x", "overdue": "maybe"}).status_code == 200
    )


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "open"}, {"new"}),
        ({"status": "closed"}, {"closed"}),
        ({"overdue": "yes"}, {"late"}),
        ({"to_verify": "yes"}, {"verify"}),
        ({"assignee": "engineer"}, {"assigned"}),
    ],
)
def test_each_filter_narrows_the_list(client, network, customer_a, params, expected):
    made = {
        "new": RequestFactory(customer=customer_a),
        "closed": RequestFactory(customer=customer_a, status=Status.CLOSED),
        "late": RequestFactory(customer=customer_a, status=Status.CANCELLED, due_at=timezone.now()),
        "verify": RequestFactory(customer=customer_a, status=Status.RESOLVED, to_verify=True),
        "assigned": RequestFactory(customer=customer_a, status=Status.RESOLVED, assignee=network.engineer_a),
    }
    made["late"].status = Status.ACCEPTED
    made["late"].due_at = timezone.now() - dt.timedelta(hours=1)
    made["late"].save()
    made["new"].status = Status.NEW
    made["new"].save()
    if params.get("assignee") == "engineer":
        params = {"assignee": network.engineer_a.pk}
    if "status" in params and params["status"] == "open":
        expected = {"new", "late"}
    content = login(client, network.clerk_a).get(reverse("tickets:list"), params, **HX).content.decode()
    shown = {name for name, sr in made.items() if sr.number in content}
    assert shown == expected


def test_list_pages_by_25_with_a_pinned_query_count(client, network, customer_a, django_assert_max_num_queries):
    for _ in range(30):
        RequestFactory(customer=customer_a)
    login(client, network.clerk_a)
    with django_assert_max_num_queries(11):
        first = client.get(reverse("tickets:list"))
    assert first.content.decode().count('class="mono" href="/requests/') == 25
    second = client.get(reverse("tickets:list"), {"page": 2}, **HX).content.decode()
    assert second.count('class="mono" href="/requests/') == 5 and "?page=1" in second


def test_engineer_home_is_his_open_jobs(client, network, customer_a):
    mine = RequestFactory(customer=customer_a, assignee=network.engineer_a, status=Status.ACCEPTED)
    done = RequestFactory(customer=customer_a, assignee=network.engineer_a, status=Status.CLOSED)
    colleague = RequestFactory(customer=customer_a, assignee=network.engineer_a2, status=Status.ACCEPTED)
    content = login(client, network.engineer_a).get("/").content.decode()
    assert mine.number in content and done.number not in content and colleague.number not in content
    assert 'name="assignee"' not in content


# --- detail and steps -------------------------------------------------------------------------


def test_detail_shows_facts_steps_dispatch_and_history(client, network, customer_a):
    sr = open_repair(network, customer_a)
    response = login(client, network.clerk_a).get(reverse("tickets:detail", args=[sr.pk]))
    content = response.content.decode()
    assert response.status_code == 200
    assert sr.number in content and "李建国" in content and "不制冷" in content
    assert (
        'value="accept"' in content
        and 'value="cancel"' in content
        and f'name="version" value="{sr.version}"' in content
    )
    assert 'id="assign-form"' in content and network.engineer_a.display_name in content
    assert network.engineer_b.display_name not in content


def test_accepting_moves_the_request_and_writes_one_event(client, network, customer_a):
    sr = open_repair(network, customer_a)
    response = login(client, network.clerk_a).post(
        reverse("tickets:transition", args=[sr.pk]), {"action": "accept", "version": sr.version}
    )
    assert response.status_code == 302
    sr.refresh_from_db()
    assert sr.status == Status.ACCEPTED and sr.events.filter(verb="accept").count() == 1
    assert "flash-success" in client.get(response["Location"]).content.decode()


def test_a_stale_page_gets_changed_by_someone_else_not_an_error_page(client, network, customer_a):
    sr = open_repair(network, customer_a)
    stale_version = sr.version
    request_transition(actor=network.actor(network.hq_clerk), request=sr, action="accept")
    response = login(client, network.clerk_a).post(
        reverse("tickets:transition", args=[sr.pk]), {"action": "cancel", "note": "客户取消", "version": stale_version}
    )
    content = response.content.decode()
    assert response.status_code == 409 and "alert-conflict" in content
    sr.refresh_from_db()
    assert sr.status == Status.ACCEPTED and not sr.events.filter(verb="cancel").exists()


def test_two_clerks_accepting_the_same_page_one_wins(client, network, customer_a):
    sr = open_repair(network, customer_a)
    login(client, network.clerk_a)
    first = client.post(reverse("tickets:transition", args=[sr.pk]), {"action": "accept", "version": 1})
    second = client.post(reverse("tickets:transition", args=[sr.pk]), {"action": "accept", "version": 1})
    assert (first.status_code, second.status_code) == (302, 409)
    assert RequestEvent.objects.filter(request=sr, verb="accept").count() == 1


def test_a_step_that_needs_a_note_says_so_at_the_note(client, network, customer_a):
    sr = open_repair(network, customer_a)
    response = login(client, network.clerk_a).post(
        reverse("tickets:transition", args=[sr.pk]), {"action": "cancel", "note": "", "version": sr.version}
    )
    assert response.status_code == 422 and 'id="id_note_error"' in response.content.decode()
    sr.refresh_from_db()
    assert sr.status == Status.NEW


def test_an_unknown_action_is_a_clear_message(client, network, customer_a):
    sr = open_repair(network, customer_a)
    response = login(client, network.clerk_a).post(
        reverse("tickets:transition", args=[sr.pk]), {"action": "explode", "version": sr.version}
    )
    assert response.status_code == 422


def test_dispatch_to_an_engineer(client, network, customer_a):
    sr = open_repair(network, customer_a)
    response = login(client, network.clerk_a).post(
        reverse("tickets:assign", args=[sr.pk]), {"engineer": network.engineer_a.pk, "version": sr.version}
    )
    sr.refresh_from_db()
    assert response.status_code == 302 and sr.assignee == network.engineer_a


def test_a_request_to_verify_cannot_be_dispatched_until_verified(client, network, customer_a):
    sr = open_repair(network, customer_a, reported_model="", reported_purchase_date=None)
    login(client, network.clerk_a)
    refused = client.post(
        reverse("tickets:assign", args=[sr.pk]), {"engineer": network.engineer_a.pk, "version": sr.version}
    )
    assert refused.status_code == 409
    verified = client.post(
        reverse("tickets:verify", args=[sr.pk]),
        {"reported_model": "KFR-35GW", "reported_purchase_date": "2025-02-01", "version": sr.version},
    )
    sr.refresh_from_db()
    assert verified.status_code == 302 and not sr.to_verify
    assert sr.events.filter(verb="verified").exists()


def test_verify_with_a_bad_value_shows_it_at_the_field(client, network, customer_a):
    sr = open_repair(network, customer_a, reported_model="", reported_purchase_date=None)
    response = login(client, network.clerk_a).post(
        reverse("tickets:verify", args=[sr.pk]), {"reported_purchase_date": "2999-01-01", "version": sr.version}
    )
    assert response.status_code == 422 and 'id="id_reported_purchase_date_error"' in response.content.decode()


def test_history_is_newest_first_in_words(client, network, customer_a):
    sr = open_repair(network, customer_a)
    request_transition(actor=network.actor(network.clerk_a), request=sr, action="accept")
    client.cookies.load({"django_language": "en"})
    content = login(client, network.clerk_a).get(reverse("tickets:detail", args=[sr.pk])).content.decode()
    history = content.split('id="history-h"')[1]
    assert history.index("Accept") < history.index("Opened")
    assert "New → Accepted" in history


def test_engineer_sees_his_job_masked_until_it_is_active(client, network, customer_a):
    sr = open_repair(network, customer_a)
    sr.assignee = network.engineer_a
    sr.save()
    number = customer_a.phones.get().number
    login(client, network.engineer_a)
    inactive = client.get(reverse("tickets:detail", args=[sr.pk])).content.decode()
    assert mask_phone(number) in inactive and number not in inactive and "香港中路" not in inactive
    request_transition(actor=network.actor(network.clerk_a), request=sr, action="accept")
    active = client.get(reverse("tickets:detail", args=[sr.pk])).content.decode()
    assert number in active and "香港中路" in active and 'value="start"' in active
