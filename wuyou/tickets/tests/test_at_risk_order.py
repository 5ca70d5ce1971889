"""The "at risk" list, most urgent first, the old backlog summarised (issue 13 item 9).

Each request keeps the clocks the scene gives it running (the rest stopped), due where the scene says.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from tests.api_client import ApiClient
from tests.factories import CustomerFactory, UnitFactory
from wuyou.tickets.models import ClockStage, ClockState, RequestClock, ServiceRequest, Step
from wuyou.tickets.selectors import AtRiskFilters, Backlog, requests_at_risk, requests_at_risk_backlog
from wuyou.tickets.services import RequestInput, request_open

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 6, 10, 12, 0, tzinfo=SHANGHAI)
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def with_clocks(network, customer, *clocks: tuple[str, dt.timedelta]) -> ServiceRequest:
    """A request whose running clocks are the given steps, due at NOW + the offsets (past due: breached)."""
    sr = request_open(
        actor=network.actor(network.clerk_a),
        intake=RequestInput(
            call_type="repair", customer_id=customer.pk, unit_serial=UnitFactory(owner=customer).serial, symptom="漏水"
        ),
    )
    sr.clocks.update(state=ClockState.STOPPED)
    for step, offset in clocks:
        due = NOW + offset
        stage = ClockStage.BREACHED if offset < dt.timedelta(0) else ClockStage.WARNED
        RequestClock.objects.filter(request=sr, step=step).update(
            state=ClockState.RUNNING, stage=stage, due_at=due, warn_at=due - dt.timedelta(hours=1)
        )
    return sr


@pytest.fixture
def scene(network):
    with time_machine.travel(NOW, tick=False):
        customer = CustomerFactory(outlet=network.outlet_a, name="李建国")
        hours, days = dt.timedelta(hours=1), dt.timedelta(days=1)
        made = {
            "in_2h": with_clocks(network, customer, (Step.FIRST_RESPONSE, 2 * hours)),
            "in_30min": with_clocks(network, customer, (Step.FIRST_RESPONSE, hours / 2)),
            "1d_ago": with_clocks(network, customer, (Step.FIRST_RESPONSE, -days)),
            "3h_ago": with_clocks(network, customer, (Step.FIRST_RESPONSE, -3 * hours)),
            "30d_ago": with_clocks(network, customer, (Step.FIRST_RESPONSE, -30 * days)),
            "60d_ago_and_in_1h": with_clocks(
                network, customer, (Step.FIRST_RESPONSE, -60 * days), (Step.ON_SITE, hours)
            ),
            "10d_ago": with_clocks(network, customer, (Step.FIRST_RESPONSE, -10 * days)),
        }
        yield made


URGENT = ["in_30min", "60d_ago_and_in_1h", "in_2h", "3h_ago", "1d_ago"]


def test_the_selector_puts_clocks_still_to_save_first_then_the_latest_breaches(network, scene):
    with time_machine.travel(NOW, tick=False):
        actor = network.actor(network.clerk_a)
        listed = list(requests_at_risk(actor=actor, filters=AtRiskFilters()))
        assert [sr.pk for sr in listed] == [scene[k].pk for k in URGENT]
        # The old backlog: counted, listed alone on asking, most recently breached first, or all at the end
        assert requests_at_risk_backlog(actor=actor, filters=AtRiskFilters()) == 2
        only = requests_at_risk(actor=actor, filters=AtRiskFilters(backlog=Backlog.ONLY))
        assert [sr.pk for sr in only] == [scene["10d_ago"].pk, scene["30d_ago"].pk]
        everything = requests_at_risk(actor=actor, filters=AtRiskFilters(backlog=Backlog.INCLUDE))
        assert [sr.pk for sr in everything] == [scene[k].pk for k in [*URGENT, "10d_ago", "30d_ago"]]


def test_the_page_lists_the_urgent_and_summarises_the_backlog_with_a_link(client, network, scene):
    with time_machine.travel(NOW, tick=False):
        client.force_login(network.clerk_a.user)
        html = client.get(reverse("tickets:at_risk"), **EN).content.decode()
        positions = {k: html.find(f">{sr.number}<") for k, sr in scene.items()}
        assert [k for k, _p in sorted(positions.items(), key=lambda kv: kv[1]) if positions[k] >= 0] == URGENT
        assert "And 2 requests of the old backlog, breached more than 7 days ago" in html
        assert f'href="{reverse("tickets:at_risk")}?backlog=only"' in html
        backlog = client.get(reverse("tickets:at_risk"), {"backlog": "only"}, **EN).content.decode()
        assert scene["30d_ago"].number in backlog and scene["in_2h"].number not in backlog
        assert "of the old backlog" not in backlog


def test_the_api_orders_the_same_and_takes_the_backlog_filter(network, scene):
    with time_machine.travel(NOW, tick=False):
        api = ApiClient(staff=network.clerk_a)
        page = api.get("/requests/at-risk").json()
        assert [r["id"] for r in page["items"]] == [scene[k].pk for k in URGENT] and page["count"] == 5
        only = api.get("/requests/at-risk", {"backlog": "only"}).json()
        assert [r["id"] for r in only["items"]] == [scene["10d_ago"].pk, scene["30d_ago"].pk]
        bad = api.get("/requests/at-risk", {"backlog": "all"})
        assert bad.status_code == 422 and "backlog" in bad.text
