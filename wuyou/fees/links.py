"""Page URLs of fee quotes for the in-app inbox's `fee_quote:<id>` refs (registered in FeesConfig.ready).

A quote has no page of its own: it is decided and settled in its request's history, so the link is the request
page (one query for a whole page of messages). A quote that no longer exists gets no link.
"""

from __future__ import annotations

from django.urls import reverse

from wuyou.fees.models import FeeQuote


def quote_urls(ids: list[int]) -> dict[int, str]:
    """The request page of each quote's visit; the page applies the reader's scope."""
    pairs = FeeQuote.objects.filter(pk__in=ids).values_list("pk", "work_order__request_id")
    return {pk: reverse("tickets:detail", args=[request_id]) for pk, request_id in pairs}
