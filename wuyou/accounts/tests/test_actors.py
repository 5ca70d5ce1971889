"""R-H1: who sees what is decided by role and place in the network; default deny."""

import pytest

from wuyou.accounts.actors import Actor, Scope, actor_for_user
from wuyou.accounts.models import Role


@pytest.mark.parametrize(
    ("role", "outlet_id", "region_id", "scope"),
    [
        (Role.SERVICE_MANAGER, None, None, Scope.ALL),
        (Role.CLERK, None, None, Scope.ALL),
        (Role.CLERK, 7, None, Scope.OUTLET),
        (Role.OUTLET_MANAGER, 7, None, Scope.OUTLET),
        (Role.OUTLET_MANAGER, None, None, Scope.NONE),
        (Role.SALES_REP, None, None, Scope.NONE),
        (Role.ENGINEER, 7, None, Scope.OWN_JOBS),
        (Role.REGIONAL_MANAGER, None, 3, Scope.REGION),
        (Role.REGIONAL_MANAGER, None, None, Scope.NONE),
        (None, None, None, Scope.NONE),
    ],
)
def test_scope_follows_role_and_place(role, outlet_id, region_id, scope):
    assert Actor(user_id=1, role=role, outlet_id=outlet_id, region_id=region_id).scope is scope


def test_user_without_profile_sees_nothing(db):
    from tests.factories import UserFactory

    assert actor_for_user(UserFactory()).scope is Scope.NONE


def test_only_head_office_desk_sees_full_phones(network):
    assert network.actor(network.hq_clerk).sees_full_phones
    assert not network.actor(network.clerk_a).sees_full_phones
    assert not network.actor(network.engineer_a).sees_full_phones
