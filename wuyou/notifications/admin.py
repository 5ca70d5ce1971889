"""Django admin for the outbox: read-only, with one action to retry given-up messages through the service."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from wuyou.notifications.models import Message, MessageState
from wuyou.notifications.services import message_retry


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Messages to look up; only the worker and `message_retry` change them."""

    list_display = (
        "id",
        "created_at",
        "kind",
        "channel",
        "recipient",
        "state",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "ref",
        "subject",
    )
    list_filter = ("state", "kind", "channel")
    search_fields = ("=ref", "subject", "=dedupe_key")
    list_select_related = ("recipient",)
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    actions = ["retry_now"]
    fieldsets = (
        (None, {"fields": ("kind", "channel", "recipient", "address", "ref", "subject", "body")}),
        (
            _("Delivery"),
            {
                "fields": (
                    "state",
                    "attempts",
                    "next_attempt_at",
                    "lease_until",
                    "sent_at",
                    "last_error",
                    "dedupe_key",
                    "created_at",
                )
            },
        ),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in Message._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A message page is view-only (saving it would be a write beside the services); the permission still
        # gates the "retry now" action on the list.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Retry now (failed messages)"), permissions=["change"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        chosen = list(queryset.select_related(None).only("pk", "state", "kind", "channel"))
        retried = message_retry(message_ids=[message.pk for message in chosen])
        for message in chosen:
            if message.state == MessageState.FAILED:
                self.log_change(request, message, "retry now")
        skipped = len(chosen) - retried
        self.message_user(
            request,
            ngettext("%(count)d message queued again.", "%(count)d messages queued again.", retried)
            % {"count": retried},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d message was skipped: only failed messages are retried.",
                    "%(count)d messages were skipped: only failed messages are retried.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
