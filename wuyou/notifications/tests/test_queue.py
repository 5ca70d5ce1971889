"""R-L1: messages are written with their cause, once per key, and one delivery task follows the commit."""

from __future__ import annotations

import logging
import time

import pytest
from django.core import checks
from django.core.management import call_command
from django.db import transaction
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from tests.factories import UserFactory
from wuyou.core.errors import ValidationFailed
from wuyou.notifications.channels import check_channel_settings
from wuyou.notifications.models import Message, MessageState
from wuyou.notifications.services import message_fan_out, message_queue, outbox_kick, recipient_channels
from wuyou.notifications.tasks import deliver_outbox

DELIVERY_TASK = deliver_outbox.module_path


def delivery_tasks() -> int:
    return DBTaskResult.objects.filter(task_path=DELIVERY_TASK).count()


class CauseFailed(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_cause_leaves_no_message_and_no_task(outgoing):
    with pytest.raises(CauseFailed), transaction.atomic():
        message_queue(messages=[outgoing(), outgoing()])
        raise CauseFailed
    assert Message.objects.count() == 0
    assert delivery_tasks() == 0


@pytest.mark.django_db(transaction=True)
def test_a_committed_cause_enqueues_one_delivery_task_for_all_its_messages(outgoing):
    with transaction.atomic():
        assert message_queue(messages=[outgoing() for _ in range(5)]) == 5
        # The cause queues more in the same transaction: still one task.
        assert message_queue(messages=[outgoing()]) == 1
        assert delivery_tasks() == 0  # nothing before the commit
    assert Message.objects.filter(state=MessageState.PENDING).count() == 6
    assert delivery_tasks() == 1


@pytest.mark.django_db(transaction=True)
def test_the_worker_delivers_what_a_committed_cause_queued(outgoing, caplog):
    with transaction.atomic():
        message_queue(messages=[outgoing(), outgoing()])
    with caplog.at_level(logging.INFO, logger="wuyou.notifications"):
        call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)
    assert Message.objects.filter(state=MessageState.SENT).count() == 2
    assert DBTaskResult.objects.get(task_path=DELIVERY_TASK).return_value == 2
    assert sum(r.getMessage().startswith("notify wuyou-msg-") for r in caplog.records) == 2


@pytest.mark.django_db(transaction=True)
def test_a_waiting_delivery_task_is_not_doubled_by_later_causes(outgoing):
    for _ in range(3):
        with transaction.atomic():
            message_queue(messages=[outgoing()])
    assert Message.objects.count() == 3
    assert delivery_tasks() == 1  # the waiting task will see all three


def test_queueing_in_a_savepoint_that_rolls_back_drops_its_messages_and_callback(
    db, outgoing, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(CauseFailed), transaction.atomic():
            message_queue(messages=[outgoing()])
            raise CauseFailed
        kept = outgoing()
        message_queue(messages=[kept])
    assert list(Message.objects.values_list("dedupe_key", flat=True)) == [kept.dedupe_key]
    assert len(callbacks) == 1


def test_the_same_key_queued_twice_is_one_message(db, outgoing):
    first = outgoing(dedupe_key="clock_warning:request:123:user:7:console")
    assert message_queue(messages=[first]) == 1
    assert message_queue(messages=[first, outgoing(dedupe_key=first.dedupe_key, subject="again")]) == 0
    assert message_queue(messages=[outgoing(dedupe_key="k"), outgoing(dedupe_key="k")]) == 1
    assert Message.objects.filter(dedupe_key=first.dedupe_key).get().subject == first.subject
    assert Message.objects.count() == 2


def test_a_message_stores_what_the_caller_gave(db, outgoing):
    user = UserFactory(email="zhang.wei@example.cn")
    message_queue(
        messages=[outgoing(recipient_id=user.pk, subject="第一行\n第二行", ref="request:9", kind="clock_escalation")]
    )
    message = Message.objects.get()
    assert (message.recipient_id, message.channel, message.kind, message.ref) == (
        user.pk,
        "console",
        "clock_escalation",
        "request:9",
    )
    assert message.subject == "第一行 第二行"  # one header line
    assert (message.state, message.attempts, message.lease_until, message.sent_at) == ("pending", 0, None, None)


def test_a_long_subject_is_cut_not_refused(db, outgoing):
    message_queue(messages=[outgoing(subject="张" * 500)])
    subject = Message.objects.get().subject
    assert len(subject) == 200 and subject.endswith("…")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"channel": "pigeon"}, "channel"),
        ({"channel": "sms", "address": "13812345678"}, "channel"),
        ({"channel": "wechat"}, "channel"),
        ({"channel": "email", "address": ""}, "address"),
        ({"kind": "Clock Warning"}, "kind"),
        ({"kind": ""}, "kind"),
        ({"dedupe_key": ""}, "dedupe_key"),
        ({"dedupe_key": "k" * 201}, "dedupe_key"),
        ({"ref": "r" * 101}, "ref"),
        ({"recipient_id": 987654}, "recipient_id"),
    ],
)
def test_bad_messages_are_refused_naming_the_field_and_nothing_is_written(db, outgoing, settings, overrides, field):
    settings.WUYOU_EMAIL_HOST = "smtp.example.cn"
    with pytest.raises(ValidationFailed) as err:
        message_queue(messages=[outgoing(), outgoing(**overrides)])
    assert err.value.field == field
    assert Message.objects.count() == 0


def test_an_unconfigured_channel_is_named_in_the_error(db, outgoing):
    with translation.override("en"), pytest.raises(ValidationFailed) as err:
        message_queue(messages=[outgoing(channel="sms", address="13812345678")])
    assert err.value.message == "channel sms is not configured"
    with pytest.raises(ValidationFailed) as err:
        message_queue(messages=[outgoing(channel="email", address="a@example.cn")])
    assert err.value.field == "channel"  # no SMTP relay set


def test_ten_thousand_messages_go_in_one_call_in_batches(db, outgoing, django_assert_max_num_queries):
    users = UserFactory.create_batch(3)
    messages = [outgoing(recipient_id=users[i % 3].pk, dedupe_key=f"bulk:{i}") for i in range(10_000)]
    started = time.monotonic()
    # Batched: SQLite binds at most 999 values per statement (~66 rows), PostgreSQL takes 1,000 rows a statement.
    with django_assert_max_num_queries(200):
        assert message_queue(messages=messages) == 10_000
    assert time.monotonic() - started < 10  # generous: about a second; a row-by-row insert would be far slower
    assert Message.objects.count() == 10_000
    assert message_queue(messages=messages[:2000]) == 0


def test_recipients_get_the_configured_channels_and_email_when_they_have_an_address(db, settings):
    with_email = UserFactory(email="li.na@example.cn")
    without = UserFactory(email="")
    bad = UserFactory(email="not-an-address")
    assert recipient_channels(recipient=with_email) == ["console"]  # no SMTP relay yet
    settings.WUYOU_EMAIL_HOST = "smtp.example.cn"
    assert recipient_channels(recipient=with_email) == ["console", "email"]
    assert recipient_channels(recipient=without) == ["console"]
    assert recipient_channels(recipient=bad) == ["console"]
    settings.WUYOU_NOTIFY_CHANNELS = ["sms", "email"]  # sms is refused by the system check, skipped here
    assert recipient_channels(recipient=with_email) == ["email"]
    assert recipient_channels(recipient=without) == []


def test_fan_out_makes_one_keyed_message_per_recipient_and_channel(db, settings):
    settings.WUYOU_EMAIL_HOST = "smtp.example.cn"
    wang, zhao = UserFactory(email="wang@example.cn"), UserFactory(email="")
    messages = message_fan_out(
        recipients=[wang, zhao],
        kind="clock_warning",
        subject="即将超时",
        body="…",
        ref="request:5",
        dedupe_key="clock_warning:request:5:due:2025-03-03T10:00",
    )
    assert [(m.recipient_id, m.channel, m.address, m.dedupe_key) for m in messages] == [
        (wang.pk, "console", "", f"clock_warning:request:5:due:2025-03-03T10:00:{wang.pk}:console"),
        (wang.pk, "email", "wang@example.cn", f"clock_warning:request:5:due:2025-03-03T10:00:{wang.pk}:email"),
        (zhao.pk, "console", "", f"clock_warning:request:5:due:2025-03-03T10:00:{zhao.pk}:console"),
    ]
    assert message_queue(messages=messages) == 3
    assert message_queue(messages=messages) == 0  # the cause ran again


def test_the_sweeper_kick_enqueues_only_when_something_is_due_and_no_task_waits(db, outgoing):
    assert outbox_kick() is False
    assert delivery_tasks() == 0
    message_queue(messages=[outgoing()])  # on_commit never fires inside this test's transaction
    assert outbox_kick() is True
    assert outbox_kick() is False
    assert delivery_tasks() == 1


def test_the_system_check_names_channels_that_cannot_deliver(settings):
    settings.WUYOU_NOTIFY_CHANNELS = ["console", "sms", "email", "pigeon"]
    problems = {(p.id, p.msg) for p in check_channel_settings()}
    assert ("notifications.E002", "channel sms is not configured") in problems
    assert ("notifications.E002", "channel email is not configured") in problems
    assert any(p_id == "notifications.E001" and "pigeon" in msg for p_id, msg in problems)
    settings.WUYOU_NOTIFY_CHANNELS = ["console", "email"]
    settings.WUYOU_EMAIL_HOST = "smtp.example.cn"
    assert check_channel_settings() == []
    assert all(p.level < checks.ERROR for p in checks.run_checks() if p.id.startswith("notifications"))
