"""Loads the demo: one appliance maker in Qingdao, its network, customers, units and requests.

The history is replayed through the real services (customer_create, customer_note_add,
request_open, request_transition, request_assign, request_verify) so that every event and
timeline line is exactly what production writes; only units are written in bulk, row for row as
unit_register writes them (tested), because 3,000 service calls would take most of the time
budget. To spread the history over past months and years the loader runs the services under a
simulated clock (see `SimulatedClock`). Everything is drawn from one seeded random generator:
the same seed gives the same names, numbers, addresses and requests; times are relative to the
moment of loading.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import translation

from wuyou.accounts.models import Organisation, Outlet, Role, StaffProfile
from wuyou.accounts.services import api_token_issue
from wuyou.core.errors import ValidationFailed
from wuyou.customers.models import Customer
from wuyou.demo import catalogue, qingdao
from wuyou.demo.builder import DemoBuilder
from wuyou.demo.world import INTEGRATION_USERNAME, DemoScale
from wuyou.products.models import Unit
from wuyou.tickets.models import (
    ServiceRequest,
)

TOKEN_NAME = "演示 CRM 集成 (demo integration)"


@dataclass(frozen=True)
class DemoLogin:
    """One row of the printed logins table."""

    username: str
    role: str
    place: str


@dataclass
class DemoResult:
    """What a load did: whether it loaded, the logins, the integration token (shown once) and counts."""

    loaded: bool
    logins: list[DemoLogin]
    token_secret: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


# The accounts printed for the reader of the README, in table order: username, role, where.
FEATURED: tuple[tuple[str, str, str], ...] = (
    ("manager", Role.SERVICE_MANAGER, "hq"),
    ("agent", Role.CLERK, "hq"),
    ("followup", Role.FOLLOW_UP, "hq"),
    ("supervisor", Role.TECH_SUPERVISOR, "hq"),
    ("regional", Role.REGIONAL_MANAGER, "region"),
    ("outlet_manager", Role.OUTLET_MANAGER, "outlet"),
    ("outlet_clerk", Role.CLERK, "outlet"),
    ("engineer", Role.ENGINEER, "outlet"),
    ("sales", Role.SALES_REP, "outlet"),
    ("admin", Role.ADMIN, "hq"),
)


def demo_is_loaded() -> bool:
    """True when the demo organisation exists (a second load does nothing)."""
    return Organisation.objects.filter(code=catalogue.ORGANISATION_CODE).exists()


def demo_logins() -> list[DemoLogin]:
    """The featured demo accounts as they are in the database."""
    usernames = [username for username, _r, _p in FEATURED]
    profiles = {
        p.user.username: p
        for p in StaffProfile.objects.filter(user__username__in=usernames).select_related("user", "outlet", "region")
    }
    rows: list[DemoLogin] = []
    for username in usernames:
        profile = profiles.get(username)
        if profile is None:
            continue
        place = profile.outlet.name if profile.outlet else profile.region.name if profile.region else "总部 head office"
        role = str(profile.get_role_display())
        if profile.user.is_superuser:
            role += " (superuser)"
        rows.append(DemoLogin(username=username, role=role, place=place))
    return rows


def demo_token_issue() -> str:
    """Issue a fresh head-office token for the demo integration and return its secret (shown once)."""
    user = get_user_model().objects.get(username=INTEGRATION_USERNAME)
    _token, secret = api_token_issue(name=TOKEN_NAME, user_id=user.pk, role=Role.INTEGRATION)
    return secret


def demo_load(*, scale: DemoScale | None = None, progress: Callable[[str], None] | None = None) -> DemoResult:
    """Load the demo unless it is there already; all or nothing (one transaction)."""
    scale = scale or DemoScale()
    if scale.requests and (scale.customers < len(qingdao.OUTLET_SITES) or scale.units < len(qingdao.OUTLET_SITES)):
        raise ValidationFailed(
            "Load at least 8 customers and 8 units (one per outlet) with requests.", field="customers"
        )
    if scale.units and not scale.customers:
        raise ValidationFailed("Units need customers to own them.", field="customers")
    if demo_is_loaded():
        return DemoResult(loaded=False, logins=demo_logins())
    started = time.perf_counter()
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        builder = DemoBuilder(scale, progress or (lambda _message: None))
        builder.build()
        secret = demo_token_issue()
    counts = {
        "outlets": Outlet.objects.count(),
        "engineers": StaffProfile.objects.filter(role=Role.ENGINEER).count(),
        "customers": Customer.objects.count(),
        "units": Unit.objects.count(),
        "requests": ServiceRequest.objects.count(),
    }
    return DemoResult(
        loaded=True, logins=demo_logins(), token_secret=secret, counts=counts, seconds=time.perf_counter() - started
    )
