"""`wuyou sweep --once` runs one sweep and says what it did; bad options are refused."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command

from tests.factories import CustomerFactory
from wuyou.tickets.models import RequestEvent
from wuyou.tickets.services import RequestInput, request_open


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
