"""The request page's dispatch control names and preselects the current assignee (issue 13 item 10)."""

from __future__ import annotations

import datetime as dt
import re

from django.urls import reverse

from tests.factories import CustomerFactory
from wuyou.accounts.models import StaffProfile
from wuyou.tickets.services import RequestInput, request_assign, request_open

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def control(client, network, sr) -> str:
    client.force_login(network.clerk_a.user)
    page = client.get(reverse("tickets:detail", args=[sr.pk]), **EN).content.decode()
    return page.split('aria-labelledby="assign-h"', 1)[1].split("</section>", 1)[0]


def selected(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", o).strip() for o in re.findall(r"<option[^>]*selected[^>]*>.*?</option>", html)]


def opened(network):
    customer = CustomerFactory(outlet=network.outlet_a, name="李建国")
    return request_open(
        actor=network.actor(network.clerk_a),
        intake=RequestInput(
            call_type="repair",
            customer_id=customer.pk,
            symptom="不制冷",
            reported_model="KFR-35GW",
            reported_purchase_date=dt.date(2025, 1, 1),
        ),
    )


def test_an_unassigned_request_offers_the_engineers_with_nothing_chosen(client, network):
    html = control(client, network, opened(network))
    assert '<option value="" selected>—</option>' in html
    assert "Assigned to" not in html and ">Assign<" in html


def test_an_assigned_request_names_its_assignee_and_preselects_him(client, network):
    sr = request_assign(
        actor=network.actor(network.clerk_a), request=opened(network), engineer_id=network.engineer_a2.pk
    )
    html = control(client, network, sr)
    name = network.engineer_a2.display_name
    assert f"Assigned to {name}." in html
    assert selected(html) == [f"{name} (assigned now)"]
    assert '<option value="">—</option>' not in html and ">Reassign<" in html
    assert network.engineer_a.display_name in html  # the others are still offered


def test_an_assignee_no_longer_offered_is_still_named_and_preselected(client, network):
    sr = request_assign(
        actor=network.actor(network.clerk_a), request=opened(network), engineer_id=network.engineer_a2.pk
    )
    StaffProfile.objects.filter(pk=network.engineer_a2.pk).update(outlet=network.outlet_b)  # moved to another outlet
    html = control(client, network, sr)
    assert selected(html) == [f"{network.engineer_a2.display_name} (assigned now)"]
