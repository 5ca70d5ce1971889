"""R-L1: the worker delivers each message once, retries with back-off, gives up, and survives being killed."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import time_machine
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from tests.factories import UserFactory
from wuyou.notifications import tasks
from wuyou.notifications.models import Message, MessageState
from wuyou.notifications.policy import LEASE, MAX_ATTEMPTS, retry_delay
from wuyou.notifications.services import DeliveryReport, message_queue, message_retry, outbox_deliver, outbox_has_due
from wuyou.notifications.tests.conftest import RecordingChannel, WorkerKilled

T0 = dt.datetime(2025, 3, 3, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
MINUTE = dt.timedelta(minutes=1)


def queued(outgoing, **overrides) -> Message:
    message_queue(messages=[outgoing(**overrides)], now=T0)
    return Message.objects.latest("pk")


def test_the_console_channel_logs_one_line_with_the_message_id(db, outgoing, caplog):
    user = UserFactory()
    message = queued(outgoing, recipient_id=user.pk)
    with caplog.at_level(logging.INFO, logger="wuyou.notifications"):
        report = outbox_deliver(now=T0)
    assert (report.claimed, report.sent) == (1, 1)
    line = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("notify "))
    assert f"wuyou-msg-{message.pk}" in line
    assert f"recipient=user:{user.pk}" in line and "kind=clock_warning" in line and message.subject in line
    message.refresh_from_db()
    assert (message.state, message.attempts, message.sent_at, message.lease_until) == ("sent", 1, T0, None)


def test_email_goes_out_with_the_stable_message_id(db, outgoing, settings, mailoutbox):
    settings.WUYOU_EMAIL_HOST = "smtp.example.cn"
    settings.DEFAULT_FROM_EMAIL = "无忧服务 <service@wuyou.example.cn>"
    message = queued(outgoing, channel="email", address="li.na@example.cn", subject="工单即将超时")
    assert outbox_deliver(now=T0).sent == 1
    [email] = mailoutbox
    assert email.to == ["li.na@example.cn"] and email.subject == "工单即将超时"
    assert email.message()["Message-ID"] == f"<wuyou-msg-{message.pk}@wuyou.example.cn>"
    assert Message.objects.get().state == MessageState.SENT


def test_an_email_relay_error_is_retried(db, outgoing, settings, monkeypatch):
    settings.WUYOU_EMAIL_HOST = "smtp.example.cn"
    message = queued(outgoing, channel="email", address="li.na@example.cn")

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("connection refused")

    monkeypatch.setattr("django.core.mail.message.EmailMessage.send", refuse)
    assert outbox_deliver(now=T0).retried == 1
    message.refresh_from_db()
    assert (message.state, message.attempts, message.next_attempt_at) == ("pending", 1, T0 + MINUTE)
    assert "ConnectionRefusedError" in message.last_error


def test_a_failing_channel_is_retried_with_back_off_until_it_gives_up(db, outgoing):
    message = queued(outgoing)
    channel = RecordingChannel(failures=100)
    now = T0
    for attempt in range(1, MAX_ATTEMPTS):
        assert outbox_deliver(now=now, channels={"console": channel}).retried == 1
        message.refresh_from_db()
        assert (message.state, message.attempts, message.last_error) == ("pending", attempt, "relay down")
        assert message.next_attempt_at == now + retry_delay(attempt)
        # Not due a second before its time.
        assert outbox_deliver(now=message.next_attempt_at - dt.timedelta(seconds=1), channels={}).claimed == 0
        now = message.next_attempt_at
    assert outbox_deliver(now=now, channels={"console": channel}).failed == 1
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("failed", MAX_ATTEMPTS)
    assert len(channel.sends) == MAX_ATTEMPTS
    assert not outbox_has_due(now=now + dt.timedelta(days=30))


def test_message_retry_puts_a_failed_message_back_with_fresh_attempts(db, outgoing):
    message = queued(outgoing)
    other = queued(outgoing)
    outbox_deliver(now=T0, channels={"console": RecordingChannel(failures=1, permanent=True)})
    message.refresh_from_db()
    assert message.state == MessageState.FAILED
    later = T0 + dt.timedelta(hours=3)
    # Only failed messages move: the sent one is left alone.
    assert message_retry(message_ids=[message.pk, other.pk], now=later) == 1
    message.refresh_from_db()
    assert (message.state, message.attempts, message.next_attempt_at) == ("pending", 0, later)
    channel = RecordingChannel()
    assert outbox_deliver(now=later, channels={"console": channel}).sent == 1
    assert channel.sends == [message.pk]


def test_a_permanent_failure_gives_up_at_once(db, outgoing):
    message = queued(outgoing)
    report = outbox_deliver(now=T0, channels={"console": RecordingChannel(failures=1, permanent=True)})
    assert (report.failed, report.retried) == (1, 0)
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("failed", 1)


def test_a_message_for_an_unconfigured_channel_fails_naming_it(db):
    # Written before the channel was switched off (or by hand): the worker does not loop on it.
    message = Message.objects.create(
        channel="sms", address="13812345678", kind="appointment_reminder", subject="明天上门", dedupe_key="k", ref=""
    )
    with translation.override("en"):
        assert outbox_deliver().failed == 1
    message.refresh_from_db()
    assert (message.state, message.last_error) == ("failed", "channel sms is not configured")


def test_a_bug_in_a_channel_is_a_retry_not_a_crash(db, outgoing):
    message = queued(outgoing)

    def explode(message):
        raise KeyError("boom")

    report = outbox_deliver(now=T0, channels={"console": RecordingChannel(on_send=explode)})
    assert report.retried == 1
    message.refresh_from_db()
    assert message.state == MessageState.PENDING and "KeyError" in message.last_error


def test_a_worker_killed_mid_send_keeps_its_claim_until_the_lease_expires_then_it_is_sent_once(db, outgoing):
    message = queued(outgoing)

    def die(message):
        raise WorkerKilled

    with pytest.raises(WorkerKilled):
        outbox_deliver(now=T0, channels={"console": RecordingChannel(on_send=die)})
    message.refresh_from_db()
    assert (message.state, message.attempts, message.lease_until) == ("sending", 1, T0 + LEASE)

    survivor = RecordingChannel()
    # While the dead worker's lease is live, nobody starts a second delivery.
    assert outbox_deliver(now=T0 + LEASE - dt.timedelta(seconds=1), channels={"console": survivor}).claimed == 0
    assert survivor.sends == []
    # After it expires the message is delivered, once.
    assert outbox_deliver(now=T0 + LEASE, channels={"console": survivor}).sent == 1
    assert outbox_deliver(now=T0 + 2 * LEASE, channels={"console": survivor}).claimed == 0
    assert survivor.sends == [message.pk]
    message.refresh_from_db()
    assert (message.state, message.attempts, message.sent_at) == ("sent", 2, T0 + LEASE)


@pytest.mark.parametrize("stale_outcome", ["sent", "failed"])
def test_a_stale_worker_finishing_late_cannot_overwrite_the_takeover(db, outgoing, stale_outcome):
    message = queued(outgoing)
    takeover_at = T0 + LEASE + MINUTE
    second = RecordingChannel()

    def stall_past_the_lease(message):
        # While the first worker hangs in its send, its lease expires and a second worker delivers.
        assert outbox_deliver(now=takeover_at, channels={"console": second}).sent == 1

    first = RecordingChannel(failures=1 if stale_outcome == "failed" else 0, on_send=stall_past_the_lease)
    report = outbox_deliver(now=T0, channels={"console": first})
    assert (report.sent, report.retried, report.lost) == (0, 0, 1)
    message.refresh_from_db()
    assert (message.state, message.attempts, message.sent_at, message.last_error) == ("sent", 2, takeover_at, "")


def test_a_worker_short_of_lease_hands_the_rest_of_its_batch_back(db, outgoing):
    first, second = queued(outgoing), queued(outgoing)
    with time_machine.travel(T0, tick=False) as traveller:

        def slow(message):
            traveller.shift(LEASE - dt.timedelta(seconds=30))

        report = outbox_deliver(channels={"console": RecordingChannel(on_send=slow)})
    assert (report.sent, report.released) == (1, 1)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == MessageState.SENT
    assert (second.state, second.attempts, second.lease_until) == ("pending", 0, None)
    assert second.next_attempt_at == T0 + LEASE - dt.timedelta(seconds=30)


def test_a_channel_that_must_not_resend_leaves_an_unknown_outcome_to_a_person(db):
    message = Message.objects.create(
        channel="sms",
        address="13812345678",
        kind="appointment_reminder",
        subject="明天上门",
        dedupe_key="k",
        next_attempt_at=T0,
    )

    def die(message):
        raise WorkerKilled

    sms = RecordingChannel(resend_safe=False, on_send=die)
    with pytest.raises(WorkerKilled):
        outbox_deliver(now=T0, channels={"sms": sms})
    sms.on_send = None
    with translation.override("en"):
        assert outbox_deliver(now=T0 + LEASE, channels={"sms": sms}).failed == 1
    assert sms.sends == [message.pk]  # never a blind second send
    message.refresh_from_db()
    assert message.state == MessageState.FAILED and message.last_error.startswith("delivery outcome unknown")


def test_delivery_works_through_batches_until_nothing_is_due(db, outgoing):
    message_queue(messages=[outgoing() for _ in range(25)], now=T0)
    channel = RecordingChannel()
    report = outbox_deliver(batch=10, now=T0, channels={"console": channel})
    assert (report.claimed, report.sent, report.more_due) == (25, 25, False)
    assert sorted(channel.sends) == sorted(Message.objects.values_list("pk", flat=True))


def test_delivery_stops_when_its_time_budget_is_spent_and_says_more_is_due(db, outgoing):
    message_queue(messages=[outgoing() for _ in range(3)], now=T0)
    report = outbox_deliver(batch=1, now=T0, channels={"console": RecordingChannel()}, budget_seconds=0)
    assert (report.sent, report.more_due) == (1, True)
    assert Message.objects.filter(state=MessageState.PENDING).count() == 2


def test_the_delivery_task_runs_the_outbox(db, outgoing):
    message = queued(outgoing)
    assert tasks.deliver_outbox.call() == 1
    message.refresh_from_db()
    assert message.state == MessageState.SENT
    assert not DBTaskResult.objects.exists()


def test_the_delivery_task_chains_itself_when_its_budget_runs_out(db, monkeypatch):
    monkeypatch.setattr(tasks, "outbox_deliver", lambda: DeliveryReport(sent=100, more_due=True))
    assert tasks.deliver_outbox.call() == 100
    assert DBTaskResult.objects.filter(task_path=tasks.deliver_outbox.module_path).count() == 1


def test_the_claim_and_the_sweeper_probe_use_the_partial_index(db, outgoing):
    from django.db import connection, transaction

    from wuyou.notifications.services.delivery import _due

    message_queue(messages=[outgoing() for _ in range(50)], now=T0)
    Message.objects.filter(pk__in=Message.objects.values("pk")[:40]).update(state=MessageState.SENT, sent_at=T0)
    claim = _due(T0).select_for_update(skip_locked=True).order_by("next_attempt_at")[:10]
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_seqscan = off")  # tiny table: prove the index matches, not its cost
        assert "message_deliverable_idx" in claim.explain()
        assert "message_deliverable_idx" in _due(T0).explain()
