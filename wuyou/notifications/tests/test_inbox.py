"""Issue 13 item 5: the in-app inbox — one copy per message, own messages only, read marks, links.

The API and the links of higher apps' objects are tested in wuyou/accounts/tests/test_inbox_api.py (this app's
tests may import only core, like the app).
"""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from tests.factories import UserFactory
from wuyou.core.errors import NotFound
from wuyou.notifications import links
from wuyou.notifications.links import ref_parse, ref_url, ref_url_register, ref_urls
from wuyou.notifications.models import Message, MessageState
from wuyou.notifications.selectors import inbox_message_get, inbox_messages, inbox_unread_count
from wuyou.notifications.services import (
    inbox_mark_all_read,
    inbox_mark_read,
    message_fan_out,
    message_queue,
    message_to_staff,
)


def tell(user, key: str, *, ref: str = "request:7", subject: str = "工单 SR2026000007 即将超时") -> None:
    message_to_staff(
        user_ids=[user.pk], kind="clock_warning", subject=subject, body="请尽快联系客户。", ref=ref, dedupe_key=key
    )


# -- one inbox copy per message, however many channels ---------------------------------------------------------


def test_a_message_fanned_out_to_two_channels_is_one_inbox_entry(db, settings):
    settings.WUYOU_NOTIFY_CHANNELS = ["console"]
    settings.WUYOU_EMAIL_HOST = "smtp.example.cn"
    user = UserFactory(email="li@example.cn")
    tell(user, "clock:1:1")
    assert sorted(Message.objects.values_list("channel", "inbox")) == [("console", True), ("email", False)]
    assert list(inbox_messages(user_id=user.pk).values_list("channel", flat=True)) == ["console"]
    # Queued again (a re-run cause): nothing new, still one entry.
    tell(user, "clock:1:1")
    assert inbox_messages(user_id=user.pk).count() == 1


def test_messages_without_a_person_never_reach_an_inbox(db, outgoing):
    message_queue(messages=[outgoing(), outgoing()])
    assert not Message.objects.filter(inbox=True).exists()


def test_each_recipient_gets_his_own_copy(db):
    one, two = UserFactory(), UserFactory()
    message_queue(
        messages=message_fan_out(
            recipients=[one, two],
            kind="fee_disputed",
            subject="有争议",
            body="",
            ref="fee_quote:3",
            dedupe_key="fee-disputed:3",
        )
    )
    assert inbox_unread_count(user_id=one.pk) == 1
    assert inbox_unread_count(user_id=two.pk) == 1


def test_delivery_state_is_untouched_by_reading(db):
    user = UserFactory()
    tell(user, "k1")
    message = inbox_messages(user_id=user.pk).get()
    inbox_mark_read(user_id=user.pk, message_id=message.pk)
    message.refresh_from_db()
    assert message.state == MessageState.PENDING and message.attempts == 0 and message.read_at is not None


# -- own messages only --------------------------------------------------------------------------------------------


def test_the_inbox_is_the_users_own_newest_first_with_unread_filter(db):
    mine, other = UserFactory(), UserFactory()
    tell(mine, "a", subject="第一")
    tell(mine, "b", subject="第二")
    tell(other, "c", subject="别人的")
    assert list(inbox_messages(user_id=mine.pk).values_list("subject", flat=True)) == ["第二", "第一"]
    assert inbox_messages(user_id=None).count() == 0
    first = inbox_messages(user_id=mine.pk).last()
    inbox_mark_read(user_id=mine.pk, message_id=first.pk)
    assert list(inbox_messages(user_id=mine.pk, unread_only=True).values_list("subject", flat=True)) == ["第二"]
    assert inbox_unread_count(user_id=mine.pk) == 1
    assert inbox_unread_count(user_id=other.pk) == 1


def test_another_users_message_is_not_found_and_stays_unread(db):
    mine, other = UserFactory(), UserFactory()
    tell(other, "c")
    theirs = inbox_messages(user_id=other.pk).get()
    with pytest.raises(NotFound):
        inbox_message_get(user_id=mine.pk, message_id=theirs.pk)
    with pytest.raises(NotFound):
        inbox_mark_read(user_id=mine.pk, message_id=theirs.pk)
    assert inbox_mark_all_read(user_id=mine.pk) == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_keeps_the_first_time_and_all_marks_the_rest(db):
    user = UserFactory()
    for key in ("a", "b", "c"):
        tell(user, key)
    first = inbox_messages(user_id=user.pk).first()
    read_at = inbox_mark_read(user_id=user.pk, message_id=first.pk).read_at
    assert inbox_mark_read(user_id=user.pk, message_id=first.pk).read_at == read_at
    assert inbox_mark_all_read(user_id=user.pk) == 2
    assert inbox_unread_count(user_id=user.pk) == 0


# -- links: refs resolved by the apps that own the pages ------------------------------------------------------


@pytest.mark.parametrize(
    "ref",
    [
        "",
        "request",
        "request:",
        "request:abc",
        "request:-1",
        "request:0",
        "request:١٢",
        ":5",
        "request:99999999999999999999",
    ],
)
def test_a_malformed_ref_has_no_link(ref):
    assert ref_parse(ref) is None
    assert ref_url(ref) is None


def test_the_registered_apps_link_requests_visits_and_places_and_unknown_kinds_get_none(db):
    assert ref_url("request:12") == "/requests/12/"
    assert ref_url("work_order:9") == "/dispatch/work-orders/9/"
    assert ref_url("stock_place:4") == "/parts/places/4/"
    assert ref_url("take_back:3") is None
    assert ref_url("nonsense:3") is None


def test_a_resolver_is_asked_once_per_kind_and_cannot_add_foreign_ids(db, monkeypatch):
    calls: list[list[int]] = []

    def resolve(ids: list[int]) -> dict[int, str]:
        calls.append(ids)
        return {pk: f"/things/{pk}/" for pk in [*ids, 666]}

    monkeypatch.setattr(links, "_resolvers", dict(links._resolvers))  # the registration ends with the test
    ref_url_register("thing_for_test", resolve)
    assert ref_urls(["thing_for_test:2", "thing_for_test:1", "thing_for_test:2"]) == {
        "thing_for_test:1": "/things/1/",
        "thing_for_test:2": "/things/2/",
    }
    assert calls == [[1, 2]]


def test_a_resolver_whose_page_is_gone_gives_no_link(db, monkeypatch):
    from django.urls import reverse

    monkeypatch.setattr(links, "_resolvers", dict(links._resolvers))
    ref_url_register("gone_for_test", lambda ids: {pk: reverse("no-such-page", args=[pk]) for pk in ids})
    assert ref_urls(["gone_for_test:1", "request:5"]) == {"request:5": "/requests/5/"}


# -- the migration puts earlier messages into their inboxes --------------------------------------------------------


def test_the_migration_flags_one_row_of_each_earlier_fan_out(db):
    user = UserFactory()
    now = timezone.now()
    common = {"recipient": user, "kind": "clock_warning", "subject": "s", "ref": "request:1", "created_at": now}
    Message.objects.create(channel="console", dedupe_key="x:console", **common)
    Message.objects.create(channel="email", address="a@example.cn", dedupe_key="x:email", **common)
    Message.objects.create(channel="console", dedupe_key="y", **{**common, "subject": "other"})
    Message.objects.create(channel="sms", address="13812345678", dedupe_key="z", kind="k", subject="s")
    migration = importlib.import_module("wuyou.notifications.migrations.0002_message_inbox")
    migration.flag_inbox_copies(apps, None)
    assert sorted(Message.objects.filter(inbox=True).values_list("dedupe_key", flat=True)) == ["x:console", "y"]
