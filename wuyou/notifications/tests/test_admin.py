"""The outbox admin: messages to look up, not to edit; "retry now" goes through message_retry."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.urls import reverse

from wuyou.notifications.models import Message, MessageState
from wuyou.notifications.services import message_queue


@pytest.fixture
def admin_client(client, db):
    client.force_login(get_user_model().objects.create_superuser(username="root", password="root-pass-123", email=""))
    return client


@pytest.fixture
def failed_and_sent(outgoing):
    message_queue(messages=[outgoing(ref="request:41"), outgoing(ref="request:42")])
    failed, sent = Message.objects.order_by("pk")
    Message.objects.filter(pk=failed.pk).update(state=MessageState.FAILED, attempts=8, last_error="relay down")
    Message.objects.filter(pk=sent.pk).update(state=MessageState.SENT, attempts=1, sent_at=sent.created_at)
    return failed, sent


def test_the_list_filters_and_searches_and_a_message_is_view_only(admin_client, failed_and_sent):
    failed, _sent = failed_and_sent
    changelist = reverse("admin:notifications_message_changelist")
    assert admin_client.get(changelist).status_code == 200
    page = admin_client.get(changelist, {"state__exact": "failed", "q": "request:41"})
    assert list(page.context["cl"].result_list) == [failed]
    change = admin_client.get(reverse("admin:notifications_message_change", args=[failed.pk]))
    assert change.status_code == 200 and b'name="_save"' not in change.content
    assert admin_client.get(reverse("admin:notifications_message_add")).status_code == 403
    assert admin_client.post(reverse("admin:notifications_message_delete", args=[failed.pk])).status_code == 403


def test_retry_now_requeues_failed_messages_only(admin_client, failed_and_sent):
    failed, sent = failed_and_sent
    response = admin_client.post(
        reverse("admin:notifications_message_changelist"),
        {"action": "retry_now", "_selected_action": [failed.pk, sent.pk]},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert "1 message queued again." in shown
    assert "1 message was skipped: only failed messages are retried." in shown
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.state, failed.attempts) == ("pending", 0)
    assert sent.state == MessageState.SENT
    assert LogEntry.objects.filter(object_id=str(failed.pk)).count() == 1
