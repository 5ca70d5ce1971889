"""R-L1: several workers delivering at once send every message exactly once (PostgreSQL: SKIP LOCKED).

Real threads on separate connections; row locks mean nothing on SQLite, so this runs on PostgreSQL only
(set DATABASE_URL).
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection

from tests.concurrency import run_together
from wuyou.notifications.models import Message, MessageState
from wuyou.notifications.services import DeliveryReport, message_queue, outbox_deliver
from wuyou.notifications.tests.conftest import RecordingChannel

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is proved on PostgreSQL (set DATABASE_URL)")


@pytest.mark.parametrize("workers", [2, 4])
def test_concurrent_workers_send_every_message_exactly_once(outgoing, workers):
    message_queue(messages=[outgoing(dedupe_key=f"race:{i}") for i in range(200)])
    channel = RecordingChannel()
    reports: list[DeliveryReport | BaseException] = run_together(
        *[lambda: outbox_deliver(batch=7, channels={"console": channel})] * workers
    )

    assert all(isinstance(r, DeliveryReport) for r in reports), reports
    assert sum(1 for r in reports if isinstance(r, DeliveryReport) and r.claimed) >= 2  # they really overlapped
    sends = Counter(channel.sends)
    assert len(sends) == 200 and set(sends.values()) == {1}
    assert sum(r.sent for r in reports if isinstance(r, DeliveryReport)) == 200
    assert Message.objects.filter(state=MessageState.SENT, attempts=1).count() == 200
