"""R-G1, R-H1: the follow-up list shows pending callbacks due first, scoped like requests; engineers see none."""

from __future__ import annotations

import pytest

from tests.factories import RequestFactory, StaffFactory
from wuyou.accounts.models import Role
from wuyou.quality.models import Callback, CallbackReason, CallbackStatus
from wuyou.quality.selectors import DueWithin, QueueFilters, callbacks_of_request, callbacks_queue

from .conftest import at


@pytest.fixture
def book(desk):
    """Pending callbacks of outlet A (overdue, due now, later today, tomorrow), one of B, and one done of A."""
    network = desk.network

    def callback(outlet, due: str, **kw) -> Callback:
        sr = RequestFactory(customer__outlet=outlet, status="resolved")
        return Callback.objects.create(request=sr, reason=CallbackReason.SAMPLE, due_at=at(due), **kw)

    a, b = network.outlet_a, network.outlet_b
    return {
        "overdue": callback(a, "2026-03-03 08:00"),
        "now": callback(a, "2026-03-03 10:00"),
        "tonight": callback(a, "2026-03-03 20:00"),
        "tomorrow": callback(a, "2026-03-04 09:00"),
        "b": callback(b, "2026-03-03 09:00"),
        "done": callback(a, "2026-03-03 09:30", status=CallbackStatus.DONE, outcome="satisfied"),
    }


def names(book, qs) -> list[str]:
    by_pk = {c.pk: name for name, c in book.items()}
    return [by_pk[c.pk] for c in qs]


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (DueWithin.NOW, ["overdue", "now"]),
        (DueWithin.TODAY, ["overdue", "now", "tonight"]),
        (DueWithin.ALL, ["overdue", "now", "tonight", "tomorrow"]),
    ],
)
def test_outlet_follow_up_sees_his_outlets_pending_callbacks_due_first(desk, book, due, expected):
    actor = desk.actor(desk.follow_up_a)
    assert names(book, callbacks_queue(actor=actor, filters=QueueFilters(due=due))) == expected


def test_scopes_follow_the_requests_r_h1(desk, book):
    network = desk.network
    everything = QueueFilters(due=DueWithin.ALL)

    def seen(staff) -> set[str]:
        return set(names(book, callbacks_queue(actor=desk.actor(staff), filters=everything)))

    outlet_a = {"overdue", "now", "tonight", "tomorrow"}
    assert seen(desk.follow_up_b) == {"b"}
    assert seen(network.clerk_a) == outlet_a
    assert seen(network.hq_clerk) == outlet_a | {"b"}
    assert seen(network.regional_manager) == outlet_a, "outlet B lies in the other region"
    assert seen(network.engineer_a) == set(), "engineers call nobody back"
    assert seen(StaffFactory(role=Role.FOLLOW_UP, outlet=None, region=None, user__username="hq_follow_up")) == (
        outlet_a | {"b"}
    )


def test_the_request_page_lists_its_callbacks_for_those_who_see_them(desk, book):
    sr = book["done"].request
    later = Callback.objects.create(request=sr, reason=CallbackReason.SAMPLE, due_at=at("2026-03-05 10:00"))
    assert list(callbacks_of_request(actor=desk.clerk, request=sr)) == [later, book["done"]]
    assert list(callbacks_of_request(actor=desk.actor(desk.follow_up_b), request=sr)) == []
    assert list(callbacks_of_request(actor=desk.actor(desk.network.engineer_a), request=sr)) == []
