"""Page URLs of requests for the in-app inbox's `request:<id>` refs (registered in TicketsConfig.ready)."""

from __future__ import annotations

from django.urls import reverse


def request_urls(ids: list[int]) -> dict[int, str]:
    """The request page of each id; the page applies the reader's scope (another outlet's request is a 404)."""
    return {pk: reverse("tickets:detail", args=[pk]) for pk in ids}
