"""An engineer's "my jobs" as cards, one a job: what the apps above tickets add to each (its visit, the next step).

tickets never imports those apps: fieldservice registers its provider in its AppConfig.ready(), and the list asks
every provider about the requests of the page at once (one query each, not one a card).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from django.db.models import prefetch_related_objects

from wuyou.accounts.actors import Actor
from wuyou.tickets.models import ServiceRequest
from wuyou.tickets.selectors import Contact, request_contact


@dataclass(frozen=True)
class JobVisit:
    """The job's visit as its card shows it: where to open it, when, how it stands, the next step in words."""

    url: str
    window_start: dt.datetime | None
    window_end: dt.datetime | None
    status: str  # the visit's status code (the chip's class)
    status_label: str
    next_step: str  # "" when there is no step to take
    contact: Contact  # the customer's contact as the visit shows it to the actor (the visit's own rule)


# Gives the visit of each request that has one, by request id; requests without one are left out.
JobVisitsProvider = Callable[[Actor, Sequence[ServiceRequest]], Mapping[int, JobVisit]]

_PROVIDERS: dict[str, JobVisitsProvider] = {}


def job_visits_register(name: str, provider: JobVisitsProvider) -> None:
    """Add a provider of the jobs' visits (registering a name again replaces it)."""
    _PROVIDERS[name] = provider


@dataclass(frozen=True)
class JobCard:
    """One card of the list: the request, the contact the actor may see, and its visit when there is one."""

    request: ServiceRequest
    contact: Contact
    visit: JobVisit | None

    @property
    def window_start(self) -> dt.datetime | None:
        return self.visit.window_start if self.visit is not None else self.request.window_start

    @property
    def window_end(self) -> dt.datetime | None:
        return self.visit.window_end if self.visit is not None else self.request.window_end


def job_cards(*, actor: Actor, requests: Sequence[ServiceRequest]) -> list[JobCard]:
    """The cards of these requests, in their order: a visit's contact follows the visit's rule, else the request's."""
    prefetch_related_objects(list(requests), "address", "customer__phones")  # the contact of each, in two queries
    visits: dict[int, JobVisit] = {}
    for name in sorted(_PROVIDERS):
        visits.update(_PROVIDERS[name](actor, requests))
    cards = []
    for sr in requests:
        visit = visits.get(sr.pk)
        contact = visit.contact if visit is not None else request_contact(actor=actor, request=sr)
        cards.append(JobCard(request=sr, contact=contact, visit=visit))
    return cards
