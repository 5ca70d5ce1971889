"""Web pages of field service: the board and booking (board.py, booking.py), the engineer's day (engineer.py).

The small rules every page of the package shares live here, so the pages cannot drift apart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wuyou.accounts.views import actor_of
from wuyou.core.htmx import not_found

if TYPE_CHECKING:
    from django.http import HttpRequest

    from wuyou.accounts.actors import Actor
    from wuyou.core.errors import DomainError

# A refused form keeps these statuses; any other refusal is bad input (422), never a 400 page or a 500.
KEPT_STATUSES = (403, 409)


def refusal_status(exc: DomainError, *, kept: tuple[int, ...] = KEPT_STATUSES) -> int:
    """The status of a page drawn again after a service said no: 403 and 409 as they are, the rest 422."""
    return exc.status if exc.status in kept else 422


def desk_actor(request: HttpRequest) -> Actor:
    """Desk roles only: engineers and sales reps never see the page (and are not told it exists: a logged 404)."""
    actor = actor_of(request)
    if not actor.can_run_desk:
        raise not_found(request)
    return actor
