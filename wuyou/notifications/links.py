"""Where a message's `ref` points in the web UI: a registry that the apps owning the pages fill.

The outbox knows no requests, visits or quotes (it imports only core). Each app that sends messages about its
objects registers, in its `AppConfig.ready()`, how to turn ids of one kind of ref into page URLs:

    ref_url_register("request", lambda ids: {pk: reverse("tickets:detail", args=[pk]) for pk in ids})

A resolver gets the ids of one page of messages at once (so one that needs a query makes one, not one per
message) and returns the URLs it knows; an unknown kind, a malformed ref or an id it leaves out gets no link.
The link only names the page: the page itself applies the reader's scope (another outlet's object is a 404).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping

from django.urls import NoReverseMatch

logger = logging.getLogger("wuyou.notifications")

RefResolver = Callable[[list[int]], Mapping[int, str]]

_resolvers: dict[str, RefResolver] = {}
_MAX_ID = 2**63 - 1


def ref_url_register(kind: str, resolve: RefResolver) -> None:
    """Let refs `kind:<id>` link to pages: `resolve(ids)` returns {id: URL} for the ids it can link."""
    _resolvers[kind] = resolve


def ref_parse(ref: str) -> tuple[str, int] | None:
    """`request:123` → ("request", 123); anything else (no id, not a number, out of range) → None."""
    kind, sep, raw = (ref or "").partition(":")
    if not sep or not kind or not raw.isascii() or not raw.isdigit():
        return None
    pk = int(raw)
    return (kind, pk) if 0 < pk <= _MAX_ID else None


def ref_urls(refs: Iterable[str]) -> dict[str, str]:
    """The page URL of each ref that has one, asking each registered kind once for all its ids."""
    ids_by_kind: dict[str, set[int]] = {}
    for ref in refs:
        parsed = ref_parse(ref)
        if parsed is not None and parsed[0] in _resolvers:
            ids_by_kind.setdefault(parsed[0], set()).add(parsed[1])
    urls: dict[str, str] = {}
    for kind, ids in ids_by_kind.items():
        try:
            found = _resolvers[kind](sorted(ids))
        except NoReverseMatch:
            # A page renamed or removed: the inbox still lists the message, without a link.
            logger.warning("inbox link resolver for %s found no page", kind)
            continue
        urls.update({f"{kind}:{pk}": url for pk, url in found.items() if pk in ids and url})
    return urls


def ref_url(ref: str) -> str | None:
    """The page URL of one ref, or None."""
    return ref_urls([ref]).get(ref)
