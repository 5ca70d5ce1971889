"""Page URLs of stock places for the in-app inbox's `stock_place:<id>` refs (registered in PartsConfig.ready)."""

from __future__ import annotations

from django.urls import reverse


def place_urls(ids: list[int]) -> dict[int, str]:
    """The ledger page of each place; the page applies the reader's scope (another outlet's store is a 404)."""
    return {pk: reverse("parts:place", args=[pk]) for pk in ids}
