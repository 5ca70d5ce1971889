"""Page URLs of visits for the in-app inbox's `work_order:<id>` refs (registered in FieldServiceConfig.ready).

The visit page is this app's (dispatch, which sends most visit messages, sits below it and names no page of it).
"""

from __future__ import annotations

from django.urls import reverse


def work_order_urls(ids: list[int]) -> dict[int, str]:
    """The visit page of each id; the page applies the reader's scope (another outlet's visit is a 404)."""
    return {pk: reverse("fieldservice:work_order", args=[pk]) for pk in ids}
