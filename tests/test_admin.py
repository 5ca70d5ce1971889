"""Django admin: every page renders, API tokens are shown once and stored hashed, history stays read-only."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from tests.factories import CustomerFactory, RequestFactory, SkillFactory, StaffFactory, UnitFactory
from wuyou.accounts.models import ApiToken, Certificate, Role
from wuyou.accounts.services import api_token_authenticate
from wuyou.customers.models import CustomerPhone
from wuyou.tickets.models import RequestEvent


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser(username="root", password="root-pass-123", email="")


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def world(db):
    """One of everything the admin shows."""
    engineer = StaffFactory(role=Role.ENGINEER)
    today = timezone.localdate()
    Certificate.objects.create(
        engineer=engineer,
        skill=SkillFactory(),
        issued_on=today - dt.timedelta(days=900),
        expires_on=today - dt.timedelta(days=1),
        number="C-OLD",
    )
    unit = UnitFactory()
    request = RequestFactory(customer=unit.owner, unit=unit)
    RequestEvent.objects.create(request=request, verb="opened", to_status="new")
    return {"engineer": engineer, "unit": unit, "request": request}


def test_every_admin_list_and_page_renders(admin_client, world):
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert admin_client.get(changelist).status_code == 200, changelist
        if model_admin.has_add_permission(admin_client.request().wsgi_request):
            add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
            assert admin_client.get(add).status_code == 200, add
        first = model._default_manager.first()
        if first is not None:
            change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk])
            assert admin_client.get(change).status_code == 200, change


def test_issuing_a_token_shows_the_secret_once_and_stores_only_its_hash(admin_client, superuser):
    # When an administrator adds a token
    response = admin_client.post(
        reverse("admin:accounts_apitoken_add"),
        {"name": "ERP", "user": superuser.pk, "role": Role.INTEGRATION, "outlet": ""},
    )
    # Then the page shows the secret, uncached
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = re.search(r"wy_[A-Za-z0-9_\-]{20,}", response.content.decode()).group(0)
    token = ApiToken.objects.get()
    assert api_token_authenticate(secret=secret) == token
    assert token.token_hash == ApiToken.hash_secret(secret) and secret not in token.token_hash
    # and never again: not on the token's page, not in the list
    for url in (
        reverse("admin:accounts_apitoken_change", args=[token.pk]),
        reverse("admin:accounts_apitoken_changelist"),
    ):
        assert secret not in admin_client.get(url).content.decode()


def test_a_token_can_be_revoked_but_not_deleted(admin_client, superuser):
    admin_client.post(
        reverse("admin:accounts_apitoken_add"),
        {"name": "ERP", "user": superuser.pk, "role": Role.INTEGRATION, "outlet": ""},
    )
    token = ApiToken.objects.get()
    response = admin_client.post(
        reverse("admin:accounts_apitoken_changelist"), {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert admin_client.get(reverse("admin:accounts_apitoken_delete", args=[token.pk])).status_code == 403


def test_a_phone_typed_in_admin_is_validated_and_normalised(admin_client, world):
    customer = CustomerFactory()
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    phone = customer.phones.get()

    def post(number: str):
        return admin_client.post(
            url,
            {
                "kind": "person",
                "name": customer.name,
                "contact_person": "",
                "outlet": customer.outlet_id,
                "note": "",
                "consent_service_calls": "on",
                "phones-TOTAL_FORMS": "2",
                "phones-INITIAL_FORMS": "1",
                "phones-MIN_NUM_FORMS": "0",
                "phones-MAX_NUM_FORMS": "1000",
                "phones-0-id": phone.pk,
                "phones-0-customer": customer.pk,
                "phones-0-number": phone.number,
                "phones-0-label": "",
                "phones-0-is_primary": "on",
                "phones-1-customer": customer.pk,
                "phones-1-number": number,
                "phones-1-label": "",
                "addresses-TOTAL_FORMS": "0",
                "addresses-INITIAL_FORMS": "0",
                "addresses-MIN_NUM_FORMS": "0",
                "addresses-MAX_NUM_FORMS": "1000",
                "contact_windows-TOTAL_FORMS": "0",
                "contact_windows-INITIAL_FORMS": "0",
                "contact_windows-MIN_NUM_FORMS": "0",
                "contact_windows-MAX_NUM_FORMS": "1000",
            },
            HTTP_ACCEPT_LANGUAGE="en",
        )

    # A malformed number is refused with a message and nothing is stored
    refused = post("12345")
    assert refused.status_code == 200 and "mainland" in refused.content.decode()
    assert customer.phones.count() == 1
    # A landline typed with spaces is stored normalised, as a landline
    assert post("0532 8501 2345").status_code == 302
    assert CustomerPhone.objects.get(customer=customer, number="0532-85012345").kind == "landline"


def test_requests_and_units_are_read_only_in_admin(admin_client, world):
    request, unit = world["request"], world["unit"]
    before = request.status
    response = admin_client.post(
        reverse("admin:tickets_servicerequest_change", args=[request.pk]), {"status": "closed"}
    )
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.status == before
    assert admin_client.get(reverse("admin:tickets_servicerequest_add")).status_code == 403
    assert admin_client.get(reverse("admin:products_unit_add")).status_code == 403
    page = admin_client.get(reverse("admin:tickets_servicerequest_change", args=[request.pk])).content.decode()
    assert "opened" in page and unit.serial in page


def test_expired_certificates_are_found_by_the_validity_filter(admin_client, world):
    page = admin_client.get(reverse("admin:accounts_certificate_changelist") + "?validity=expired")
    assert "C-OLD" in page.content.decode()
    page = admin_client.get(reverse("admin:accounts_certificate_changelist") + "?validity=valid")
    assert "C-OLD" not in page.content.decode()


@pytest.mark.parametrize("far", ["0001-01-01", "9999-12-31"])
def test_every_admin_form_refuses_far_dates_with_a_message_not_a_500(admin_client, world, far):
    """Issue 12 item 4, the admin's side: every date of every add form is bounded (1900–2200) like the UI's."""
    tried = 0
    for model, model_admin in admin.site._registry.items():
        request = admin_client.request().wsgi_request
        if not model_admin.has_add_permission(request):
            continue
        form = model_admin.get_form(request)()
        dates = {
            name: field
            for name, field in form.fields.items()
            if isinstance(field, forms.DateField | forms.SplitDateTimeField | forms.DateTimeField)
        }
        if not dates:
            continue
        body = {}
        for name, field in dates.items():
            if isinstance(field, forms.SplitDateTimeField):
                body |= {f"{name}_0": far, f"{name}_1": "00:00:00"}
            else:
                body[name] = far
        opts = model._meta
        response = admin_client.post(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"), body)
        assert response.status_code == 200, (opts.label, response.status_code)  # the form again, with its errors
        assert "1900-01-01" in response.content.decode(), opts.label
        tried += 1
    assert tried >= 3


def test_the_admin_names_things_for_people_not_by_their_codes(admin_client, world):
    """Issue 13 item 11: no "Tasks Database Backend", no "DBTaskResult object (…)", no "536 appointment_confirmed"."""
    from django.apps import apps as django_apps
    from django.utils import translation
    from django_tasks_db.models import DBTaskResult

    from wuyou.tickets.models import RequestClock

    with translation.override("zh-hans"):
        assert str(django_apps.get_app_config("django_tasks_database").verbose_name) == "后台任务"
        clock = RequestClock(request_id=536, step="appointment_confirmed")
        assert "appointment_confirmed" not in str(clock) and str(clock).startswith("#536 · ")
    result = DBTaskResult(task_path="wuyou.dispatch.tasks.plan_optimise", status="READY", backend_name="default")
    assert "object (" not in str(result)
    page = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "Tasks Database Backend" not in page
