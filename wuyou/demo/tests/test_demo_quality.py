"""Issue 14 item 8, in the loaded demo: a month of sampled and rule-made callbacks, unsatisfied chains ending
satisfied, complaints in several states (R-G1, R-G2, R-G3, R-F3).

One small demo for the module (as test_demo_fees); each test runs in a savepoint inside it.
"""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from wuyou.quality.models import (
    Callback,
    CallbackAnswer,
    CallbackOutcome,
    CallbackReason,
    CallbackStatus,
    Complaint,
    ComplaintStatus,
    SampleDraw,
)
from wuyou.tickets.models import Channel, ClockState, RequestClock

SMALL = {"customers": 160, "units": 220, "requests": 40}
FAST_HASHER = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> Iterator[str]:
    """One small demo for the whole module, rolled back at its end."""
    with django_db_blocker.unblock(), FAST_HASHER, transaction.atomic():
        out = StringIO()
        call_command("load_demo", stdout=out, **SMALL)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _each_test_in_a_savepoint(demo, db) -> None:
    """Request `db` after the module's demo so that each test's changes are rolled back."""


def test_r_g1_every_running_callback_clock_belongs_to_a_pending_callback(demo):
    running = set(
        RequestClock.objects.filter(step="callback_due", state=ClockState.RUNNING).values_list("request_id", flat=True)
    )
    pending = set(Callback.objects.filter(status=CallbackStatus.PENDING).values_list("request_id", flat=True))
    assert running, "the demo leaves callbacks to make today"
    assert running <= pending
    # and no sampled callback is left behind: what is still to call was drawn for today's list
    today = timezone.localdate()
    late = [c.call_at for c in Callback.objects.filter(reason=CallbackReason.SAMPLE, status=CallbackStatus.PENDING)]
    assert all(timezone.localdate(moment) >= today for moment in late), late


def test_r_g2_sampled_callbacks_exist_with_their_draws_and_answers(demo):
    sampled = Callback.objects.filter(reason=CallbackReason.SAMPLE)
    assert sampled.count() >= 20
    assert not sampled.filter(draw__isnull=True).exists()
    assert SampleDraw.objects.count() >= 20
    for draw in SampleDraw.objects.all()[:5]:
        population = {row[0] for row in draw.population}
        assert set(draw.drawn) <= population
    made = sampled.filter(status=CallbackStatus.DONE)
    assert made.filter(outcome=CallbackOutcome.SATISFIED).exists()
    assert CallbackAnswer.objects.filter(callback__in=made).exists()
    assert sampled.filter(status=CallbackStatus.PENDING).exists()  # today's list


def test_r_f3_an_unsatisfied_chain_ends_satisfied(demo):
    revisits = Callback.objects.filter(
        reason=CallbackReason.REVISIT,
        status=CallbackStatus.DONE,
        outcome=CallbackOutcome.SATISFIED,
        follows__outcome=CallbackOutcome.UNSATISFIED,
    ).select_related("follows", "work_order")
    assert revisits.exists()
    chain = revisits.first()
    assert chain.work_order is not None and chain.work_order.status == "done"
    assert chain.follows.request_id == chain.request_id


def test_r_g1_rule_made_callbacks_not_reached_and_refused_are_in_the_month(demo):
    assert Callback.objects.filter(reason=CallbackReason.UNCERTAIN_REPAIR).exists()
    assert Callback.objects.filter(reason=CallbackReason.PHONE_GUIDANCE).exists()
    assert Callback.objects.filter(status=CallbackStatus.REFUSED).exists()
    assert Callback.objects.filter(status=CallbackStatus.DONE, attempts__gte=2).exists()  # not reached, then reached


def test_r_g3_complaints_in_several_states_one_from_an_authority(demo):
    states = set(Complaint.objects.values_list("status", flat=True))
    assert {ComplaintStatus.REGISTERED, ComplaintStatus.AWAITING_APPROVAL} <= states
    # disposed and the customer told; closed once he was satisfied on the callback report
    assert states & {ComplaintStatus.INFORMED, ComplaintStatus.CLOSED}
    authority = Complaint.objects.get(request__channel=Channel.AUTHORITY)
    assert authority.face_to_face_on is not None and authority.disposed_at is not None
    assert authority.request.events.filter(verb="authority_report").exists()
    assert Complaint.objects.filter(actions__done_at__isnull=False).exists()
