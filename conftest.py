"""Shared fixtures: a small service network with two outlets and one person per role."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from wuyou.accounts.actors import Actor, actor_for_user
from wuyou.accounts.models import Outlet, Role, StaffProfile

# The field-service fixtures (field_service, stocked vans, agreed quotes) for every app that leans on a visit.
# wuyou.accounts.testing: `client.force_login` also passes the second factor (administrators, head office).
pytest_plugins = ["tests.field_service", "wuyou.accounts.testing"]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API beside the live server


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """Tests hash with MD5: the production PBKDF2 cost made each `network` fixture take seconds."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Network:
    """Two outlets (A, B) in one region, a second region, and staff by role."""

    outlet_a: Outlet
    outlet_b: Outlet
    hq_clerk: StaffProfile
    manager: StaffProfile
    clerk_a: StaffProfile
    clerk_b: StaffProfile
    outlet_manager_a: StaffProfile
    engineer_a: StaffProfile
    engineer_a2: StaffProfile
    engineer_b: StaffProfile
    regional_manager: StaffProfile
    sales_rep_a: StaffProfile
    no_role: StaffProfile | None = None

    def actor(self, staff: StaffProfile) -> Actor:
        return actor_for_user(staff.user)


@pytest.fixture
def network(db) -> Network:
    from tests.factories import OutletFactory, RegionFactory, StaffFactory
    from wuyou.tickets.clocks import time_limits_install

    time_limits_install()  # every installation starts with the default time limits (data migration)
    region = RegionFactory(code="north", name="市北片区")
    other_region = RegionFactory(code="south", name="市南片区")
    a = OutletFactory(region=region, code="outlet-a", name="市北一网点")
    b = OutletFactory(region=other_region, code="outlet-b", name="市南二网点", latitude=36.30, longitude=120.60)

    def staff(username: str, role: str, outlet: Outlet | None = None, **kw: object) -> StaffProfile:
        return StaffFactory(user__username=username, role=role, outlet=outlet, display_name=username, **kw)

    return Network(
        outlet_a=a,
        outlet_b=b,
        hq_clerk=staff("hq_clerk", Role.CLERK),
        manager=staff("manager", Role.SERVICE_MANAGER),
        clerk_a=staff("clerk_a", Role.CLERK, a),
        clerk_b=staff("clerk_b", Role.CLERK, b),
        outlet_manager_a=staff("outlet_manager_a", Role.OUTLET_MANAGER, a),
        engineer_a=staff("engineer_a", Role.ENGINEER, a),
        engineer_a2=staff("engineer_a2", Role.ENGINEER, a),
        engineer_b=staff("engineer_b", Role.ENGINEER, b),
        regional_manager=staff("regional_manager", Role.REGIONAL_MANAGER, None, region=region),
        sales_rep_a=staff("sales_rep_a", Role.SALES_REP, a),
    )


@pytest.fixture
def a_world(network):
    """Outlet A's customer, unit, request, visit, plan, parts and loans: the target of the scope walks."""
    from tests.test_api_scope import build_a_world

    return build_a_world(network)
