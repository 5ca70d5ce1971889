"""Bulk loads (the demo) read each outlet's calendar and each request kind's time limits once inside an explicit
block; outside it every call reads afresh, so an admin's change is seen at once."""

from __future__ import annotations

from wuyou.accounts.selectors import calendar_for_outlet, calendars_held
from wuyou.tickets.clocks import policies_for, policies_held
from wuyou.tickets.models import TimeLimitPolicy


def test_calendars_are_built_once_inside_the_block_and_afresh_outside(network, django_assert_num_queries):
    outlet = network.outlet_a.pk
    assert calendar_for_outlet(outlet) is not calendar_for_outlet(outlet)
    with calendars_held():
        first = calendar_for_outlet(outlet)
        with django_assert_num_queries(0):
            assert calendar_for_outlet(outlet) is first
    assert calendar_for_outlet(outlet) is not first


def test_policies_are_read_once_inside_the_block_and_a_change_is_seen_outside(network, django_assert_num_queries):
    kind = {"call_type": "repair", "priority": "normal", "channel": "hotline"}
    with policies_held():
        held = policies_for(**kind)
        with django_assert_num_queries(0):
            assert policies_for(**kind) is held
    TimeLimitPolicy.objects.filter(call_type="repair", step="resolved").update(is_active=False)
    assert "resolved" in held and "resolved" not in policies_for(**kind)
