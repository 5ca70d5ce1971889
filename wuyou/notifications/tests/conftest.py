"""Shared pieces for the outbox tests: a message builder and a channel that records (and can fail) sends."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable

import pytest

from wuyou.notifications.channels import DeliveryFailed
from wuyou.notifications.models import Message
from wuyou.notifications.services import OutgoingMessage

_keys = itertools.count(1)


class RecordingChannel:
    """Counts sends by message id; fails the first `failures` sends (permanently if asked); thread-safe."""

    name = "console"

    def __init__(
        self,
        *,
        failures: int = 0,
        permanent: bool = False,
        resend_safe: bool = True,
        on_send: Callable[[Message], None] | None = None,
    ) -> None:
        self.failures = failures
        self.permanent = permanent
        self.resend_safe = resend_safe
        self.on_send = on_send
        self.sends: list[int] = []
        self._lock = threading.Lock()

    def send(self, message: Message) -> None:
        with self._lock:
            self.sends.append(message.pk)
            failing = len(self.sends) <= self.failures
        if self.on_send is not None:
            self.on_send(message)
        if failing:
            raise DeliveryFailed("relay down", permanent=self.permanent)


class WorkerKilled(BaseException):
    """Stands for kill -9 in the middle of a send: nothing after it runs in that worker."""


@pytest.fixture
def outgoing() -> Callable[..., OutgoingMessage]:
    def build(**overrides: object) -> OutgoingMessage:
        values: dict[str, object] = {
            "recipient_id": None,
            "channel": "console",
            "kind": "clock_warning",
            "subject": "工单 SR2025000123 将在 30 分钟后超时",
            "body": "请尽快联系客户。",
            "ref": "request:123",
            "dedupe_key": f"test:{next(_keys)}",
        }
        values.update(overrides)
        return OutgoingMessage(**values)  # type: ignore[arg-type]

    return build
