"""The loaded demo, on a small scale: counts, consistent histories, realistic data, working logins."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import Q
from django.test import override_settings
from django.utils import timezone

from wuyou.accounts.actors import actor_for_user
from wuyou.accounts.models import ApiToken, Certificate, Organisation, Outlet, Region, Role, StaffProfile
from wuyou.accounts.services import api_token_authenticate
from wuyou.core.phones import parse_phone
from wuyou.customers.models import Address, Customer, CustomerPhone, TimelineEntry
from wuyou.demo import qingdao
from wuyou.demo.services import FEATURED
from wuyou.demo.visits import VISITS
from wuyou.demo.world import DEMO_PASSWORD
from wuyou.dispatch.models import WorkOrder
from wuyou.products.models import Unit, UnitEvent
from wuyou.tickets.models import ACTIVE_STATUSES, OPEN_STATUSES, CallType, RequestEvent, ServiceRequest, Status
from wuyou.tickets.selectors import requests_visible
from wuyou.tickets.sweep import VERBS

SMALL = {"customers": 60, "units": 90, "requests": 40}
TOKEN = re.compile(r"\bwy_[A-Za-z0-9_\-]{20,}")


def load(**options: object) -> str:
    out = StringIO()
    call_command("load_demo", stdout=out, **{**SMALL, **options})
    return out.getvalue()


FAST_HASHER = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker) -> Iterator[str]:
    """One small demo for the whole module, rolled back at its end; each test runs in a savepoint inside it."""
    with django_db_blocker.unblock(), FAST_HASHER, transaction.atomic():
        yield load()
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _each_test_in_a_savepoint(demo_output, db) -> None:
    """Request `db` after the module's demo so that each test's changes are rolled back."""


def test_loads_the_network_and_the_requested_numbers(demo_output):
    # Given a small demo load
    # Then one organisation in Qingdao with 3 regions, 8 outlets, 40 engineers and the requested counts
    assert Organisation.objects.get().code == "haixin"
    assert Region.objects.count() == 3
    assert Outlet.objects.count() == 8
    assert StaffProfile.objects.filter(role=Role.ENGINEER).count() == 40
    assert Customer.objects.count() == 60
    assert Unit.objects.count() == 90 + len(VISITS)  # plus the units registered on the repair calls
    # plus the field day's repair requests, each booked as a visit
    # (the month of quality history adds its complaints and phone-guided requests, which send nobody)
    quality_month = ServiceRequest.objects.filter(Q(complaint__isnull=False) | Q(callbacks__reason="phone_guidance"))
    assert ServiceRequest.objects.filter(work_orders__isnull=True).exclude(pk__in=quality_month).count() == 40
    # one visit each, and one more for each customer not satisfied on a callback (R-F3: a new visit to book)
    revisits = RequestEvent.objects.filter(verb="unsatisfied_reopened", data__has_key="work_order").count()
    visited = ServiceRequest.objects.filter(work_orders__isnull=False).distinct().count()
    assert visited + revisits == WorkOrder.objects.count()
    assert "Demo loaded" in demo_output


SWEEP_VERBS = set(VERBS.values())
DRAW_VERBS = {"callback_scheduled", "rectification_escalated"}  # the system acts by itself


def test_every_request_has_a_history_consistent_with_its_state(demo_output):
    now = timezone.now()
    for sr in ServiceRequest.objects.all():
        events = list(sr.events.order_by("created_at", "id"))
        # every request was opened, by someone, at its creation time
        assert events, sr.number
        assert events[0].verb == "opened" and events[0].to_status == Status.NEW
        assert events[0].created_at == sr.created_at
        # people's events name who; the deadline sweeper's warnings and escalations are the system's own
        by_people = [e for e in events if e.verb not in SWEEP_VERBS]
        # ... and so are the daily sample draw's callbacks (issue 14), which have their timeline lines
        assert all(e.actor_id is not None for e in by_people if e.verb not in DRAW_VERBS)
        assert all(e.actor_id is None for e in events if e.verb in SWEEP_VERBS)
        # the last state change reached the request's state
        moves = [e for e in events if e.to_status]
        assert moves[-1].to_status == sr.status, sr.number
        for before, after in zip(moves, moves[1:], strict=False):
            assert after.from_status == before.to_status, sr.number
        # time runs forwards and never past now
        times = [e.created_at for e in events]
        assert times == sorted(times) and times[-1] <= now
        # each event has its line on the customer's timeline, at the same time
        lines = list(TimelineEntry.objects.filter(ref_kind="request", ref_id=sr.pk).order_by("occurred_at", "id"))
        assert [line.occurred_at for line in lines] == [e.created_at for e in by_people]
        # numbers are SR + the local opening date + the id, as request_open writes them
        assert sr.number == f"SR{timezone.localtime(sr.created_at):%y%m%d}{sr.pk:06d}"


def test_requests_cover_every_call_type_and_state_and_the_desk_flags(demo_output):
    assert set(ServiceRequest.objects.values_list("call_type", flat=True)) == set(CallType.values)
    assert set(ServiceRequest.objects.values_list("status", flat=True)) == set(Status.values)
    to_verify = ServiceRequest.objects.filter(to_verify=True)
    assert to_verify.exists()
    assert all(sr.missing_fields for sr in to_verify)
    assert not to_verify.filter(assignee__isnull=False).exists()  # never dispatched before verification
    open_requests = ServiceRequest.objects.filter(status__in=OPEN_STATUSES)
    assert open_requests.filter(due_at__lt=timezone.now()).exists()  # some overdue
    assert open_requests.filter(due_at__gte=timezone.now()).exists()  # some not
    assert RequestEvent.objects.filter(verb="verified").exists()
    assert RequestEvent.objects.filter(verb="reopen").exists()


def test_phone_numbers_are_valid_mainland_numbers(demo_output):
    numbers = list(CustomerPhone.objects.values_list("number", "kind"))
    assert len(numbers) >= 60
    for number, kind in numbers:
        parsed = parse_phone(number)
        assert (parsed.number, parsed.kind) == (number, kind)
        if kind == "mobile":
            assert re.fullmatch(r"1[3-9]\d{9}", number)
        else:
            assert re.fullmatch(r"0532-[5-8]\d{7}", number)
    assert len({n for n, _k in numbers}) == len(numbers)  # no two customers share a number


def test_addresses_and_outlets_lie_in_qingdao(demo_output):
    districts = {d.name for d in qingdao.DISTRICTS}
    for address in Address.objects.all():
        assert address.city == "青岛市" and address.district in districts
        assert re.search(r"\d+号", address.detail)
        assert qingdao.in_qingdao(float(address.latitude), float(address.longitude))
    for outlet in Outlet.objects.all():
        assert qingdao.in_qingdao(float(outlet.latitude), float(outlet.longitude))


def test_customers_have_chinese_names_and_units_unique_serials(demo_output):
    for name in Customer.objects.filter(kind=Customer.Kind.PERSON).values_list("name", flat=True):
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,3}", name), name
    serials = list(Unit.objects.values_list("serial", flat=True))
    assert len(set(serials)) == len(serials)
    for unit in Unit.objects.all():
        assert unit.purchase_date is not None and unit.purchase_date < timezone.localdate()
        assert unit.installed_on is None or unit.installed_on >= unit.purchase_date
        assert unit.events.filter(verb=UnitEvent.Verb.REGISTERED).count() == 1


def test_engineers_hold_certificates_and_a_few_have_lapsed(demo_output):
    today = timezone.localdate()
    engineers = StaffProfile.objects.filter(role=Role.ENGINEER)
    assert all(e.certificates.exists() for e in engineers)
    lapsed = Certificate.objects.filter(expires_on__lt=today).count()
    assert 0 < lapsed < Certificate.objects.count() / 4


def test_featured_logins_exist_with_their_roles_and_the_demo_password(demo_output):
    users = {u.username: u for u in get_user_model().objects.filter(username__in=[f[0] for f in FEATURED])}
    assert set(users) == {f[0] for f in FEATURED}
    for username, role, place in FEATURED:
        profile = users[username].staff
        assert profile.role == role
        assert (profile.outlet is not None) == (place == "outlet")
        assert profile.outlet is None or profile.outlet.code == "qd-shinan"
    assert users["admin"].is_superuser and users["admin"].is_staff
    assert users["engineer"].check_password(DEMO_PASSWORD)
    for username, _role, _place in FEATURED:
        assert f"{username} " in demo_output


def test_the_engineer_login_has_active_jobs(demo_output):
    engineer = actor_for_user(get_user_model().objects.get(username="engineer"))
    jobs = requests_visible(actor=engineer)
    assert jobs.filter(status__in=ACTIVE_STATUSES).count() >= 3
    assert jobs.filter(status__in=(Status.RESOLVED, Status.CLOSED)).exists()


def test_a_second_load_adds_nothing_and_says_so(demo_output):
    # Given a loaded demo
    before = (
        Customer.objects.count(),
        Unit.objects.count(),
        ServiceRequest.objects.count(),
        RequestEvent.objects.count(),
        StaffProfile.objects.count(),
        ApiToken.objects.count(),
    )
    # When it is loaded again
    output = load()
    # Then nothing is added, the command says so, and it prints the logins but no token
    after = (
        Customer.objects.count(),
        Unit.objects.count(),
        ServiceRequest.objects.count(),
        RequestEvent.objects.count(),
        StaffProfile.objects.count(),
        ApiToken.objects.count(),
    )
    assert after == before
    assert "loaded already" in output
    assert "outlet_clerk" in output
    assert not TOKEN.search(output)


def test_the_integration_token_is_printed_once_and_works(demo_output):
    secret = TOKEN.search(demo_output).group(0)
    token = api_token_authenticate(secret=secret)
    assert token is not None and token.role == Role.INTEGRATION and token.outlet is None
    assert ApiToken.objects.get().token_hash != secret  # stored hashed only
    # a later --new-token run issues another one
    again = TOKEN.search(load(new_token=True)).group(0)
    assert again != secret and api_token_authenticate(secret=again) is not None


def test_the_clock_is_real_again_after_loading(demo_output):
    assert abs(timezone.now() - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=5)
