"""`wuyou sweep --once` runs one sweep and says what it did; bad options are refused."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.utils import translation

from tests.factories import CustomerFactory
from wuyou.tickets.models import RequestEvent
from wuyou.tickets.services import RequestInput, request_open


@pytest.fixture(autouse=True)
def _in_english(settings):
    """The messages asserted below are the English ones (the catalogue translates them all)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def test_one_sweep_warns_a_request_left_alone(network, capsys, monkeypatch):
    # The command drops stale connections between sweeps; here that would be the test's own transaction.
    monkeypatch.setattr("wuyou.tickets.management.commands.sweep.close_old_connections", lambda: None)
    customer = CustomerFactory(outlet=network.outlet_a)
    with time_machine.travel(dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        sr = request_open(
            actor=network.actor(network.clerk_a),
            intake=RequestInput(call_type="repair", customer_id=customer.pk, symptom="不制冷", priority="urgent"),
        )
        clock.shift(dt.timedelta(hours=3, minutes=30))  # past 80 % of the 4-hour urgent first response
        call_command("sweep", "--once")
    assert "warned" in capsys.readouterr().out
    assert RequestEvent.objects.filter(request=sr, verb="warned", data__step="first_response").count() == 1


def test_a_nonsensical_interval_is_refused(db):
    with pytest.raises(SystemExit):
        call_command("sweep", "--once", "--interval", "0")


def test_the_catch_up_at_start_is_one_line_with_clocks_and_requests(network, caplog, monkeypatch):
    # Given many clocks that fell due while no sweeper ran (issue 13 item 9: 350 lines, one per clock, before)
    monkeypatch.setattr("wuyou.tickets.management.commands.sweep.close_old_connections", lambda: None)
    customer = CustomerFactory(outlet=network.outlet_a)
    with time_machine.travel(dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        for _ in range(3):
            request_open(
                actor=network.actor(network.clerk_a),
                intake=RequestInput(call_type="repair", customer_id=customer.pk, symptom="不制冷", priority="urgent"),
            )
        clock.shift(dt.timedelta(days=10))
        with caplog.at_level("INFO", logger="wuyou.sweep"):
            call_command("sweep", "--once", "--batch", "2")  # several batches, still one line
    lines = [r.getMessage() for r in caplog.records if r.name == "wuyou.sweep"]
    assert len(lines) == 1, lines
    acted = RequestEvent.objects.filter(verb__in=["warned", "breached", "escalated"]).count()
    assert lines[0].startswith(f"sweep catch-up at start: {acted} clocks moved on in 3 requests:")
