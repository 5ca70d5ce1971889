"""Delivery channels behind one interface: console log and e-mail now, SMS and WeChat later."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Mapping
from email.utils import parseaddr
from types import MappingProxyType
from typing import Any, Protocol

from django.conf import settings
from django.core import checks
from django.core.mail import BadHeaderError, EmailMessage
from django.utils.translation import gettext as _

from wuyou.notifications.models import Message, MessageChannel

logger = logging.getLogger("wuyou.notifications")


class DeliveryFailed(Exception):
    """The channel did not hand the message over; `permanent` means retrying cannot help."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


class ChannelNotConfigured(DeliveryFailed):
    """No working channel of this name on this installation (SMS and WeChat are not implemented yet)."""

    def __init__(self, name: str) -> None:
        super().__init__(_("channel %(name)s is not configured") % {"name": name}, permanent=True)
        self.name = name


class Channel(Protocol):
    """Sends one message; raises DeliveryFailed when it could not.

    `resend_safe` says whether a second send of the same message is harmless because it carries the message's
    stable id for the receiver to drop (console, e-mail's Message-ID). A channel that is not resend-safe (an SMS
    gateway) must raise DeliveryFailed(permanent=True) when it cannot tell whether the provider accepted the message,
    and the outbox never re-sends its messages after a worker died mid-send: an unknown outcome is left to a person
    (or a status query to the provider), never to a blind resend.
    """

    name: str
    resend_safe: bool

    def send(self, message: Message) -> None: ...


class ConsoleChannel:
    """Writes one log line per message: for trials, development and as an always-available fallback."""

    name = MessageChannel.CONSOLE.value
    resend_safe = True

    def send(self, message: Message) -> None:
        # Ids only, never the address: logs must not carry phone numbers (ASVS 7.1.1).
        logger.info(
            "notify %s recipient=%s kind=%s ref=%s subject=%s",
            message.stable_id,
            f"user:{message.recipient_id}" if message.recipient_id else "-",
            message.kind,
            message.ref or "-",
            message.subject,
        )


class EmailChannel:
    """Sends e-mail through Django's mail backend (SMTP from the WUYOU_EMAIL_* settings)."""

    name = MessageChannel.EMAIL.value
    resend_safe = True

    def send(self, message: Message) -> None:
        if not message.address:
            raise DeliveryFailed(_("no e-mail address"), permanent=True)
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.address],
            # The same Message-ID on every attempt, from every worker: a receiver drops a duplicate.
            headers={"Message-ID": message_id_header(message)},
        )
        try:
            email.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryFailed(_("address refused: %(error)s") % {"error": exc}, permanent=True) from exc
        except BadHeaderError as exc:
            raise DeliveryFailed(str(exc), permanent=True) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc


# Name → implementation. SMS and WeChat join here (with their settings) when a provider is chosen.
CHANNEL_CLASSES: Mapping[str, type[Any]] = MappingProxyType(
    {MessageChannel.CONSOLE.value: ConsoleChannel, MessageChannel.EMAIL.value: EmailChannel}
)


def message_id_header(message: Message) -> str:
    """`<wuyou-msg-{id}@{domain}>`; the domain comes from the sender address, so every worker machine agrees."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "wuyou.local"
    return f"<{message.stable_id}@{domain}>"


def channel_configured(name: str) -> bool:
    """Whether this installation can deliver through the named channel."""
    if name == MessageChannel.CONSOLE:
        return True
    if name == MessageChannel.EMAIL:
        return bool(getattr(settings, "WUYOU_EMAIL_HOST", ""))
    return False


def channel_get(name: str) -> Channel:
    """The channel of that name, or ChannelNotConfigured naming it."""
    if not channel_configured(name) or name not in CHANNEL_CLASSES:
        raise ChannelNotConfigured(name)
    channel: Channel = CHANNEL_CLASSES[name]()
    return channel


def check_channel_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """System check: every channel in WUYOU_NOTIFY_CHANNELS exists and is configured."""
    problems: list[checks.CheckMessage] = []
    for name in getattr(settings, "WUYOU_NOTIFY_CHANNELS", []):
        if name not in MessageChannel.values:
            problems.append(
                checks.Error(
                    f"WUYOU_NOTIFY_CHANNELS names an unknown channel {name!r}.",
                    hint=f"Known channels: {', '.join(MessageChannel.values)}.",
                    id="notifications.E001",
                )
            )
        elif not channel_configured(name):
            hint = "Set WUYOU_EMAIL_HOST." if name == MessageChannel.EMAIL else "It is not implemented yet."
            problems.append(checks.Error(f"channel {name} is not configured", hint=hint, id="notifications.E002"))
    return problems
