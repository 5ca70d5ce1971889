"""The second factor (ASVS 2.7/2.8): TOTP for administrators and head office, recovery codes, remembered browsers."""

from __future__ import annotations

import logging
import re

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD, StaffFactory
from wuyou.accounts.models import Role
from wuyou.accounts.tests.conftest import code_of, log_in
from wuyou.accounts.twofactor import REMEMBER_COOKIE, second_factor_required

HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/requests/"}


def test_administrators_and_head_office_must_use_it_outlet_staff_need_not(hq, clerk, django_user_model, settings):
    admin = django_user_model.objects.create_superuser("root", password="root-pass-123")
    assert second_factor_required(hq) and second_factor_required(admin)
    assert not second_factor_required(clerk)
    settings.WUYOU_REQUIRE_2FA = False
    assert not second_factor_required(hq) and not second_factor_required(admin)


def test_head_office_without_a_device_enrols_after_the_password(client, hq, clock):
    response = log_in(client, "supervisor")
    assert response.status_code == 302 and response["Location"].startswith("/login/authenticator/?next=")
    # Until enrolled, staff pages send the user back to enrolment (htmx: the whole window).
    assert client.get("/requests/")["Location"].startswith("/login/authenticator/")
    assert client.get("/requests/", **HX)["HX-Redirect"].startswith("/login/authenticator/")
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html and 'class="segno"' in html
    device = TOTPDevice.objects.get(user=hq, confirmed=False)
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', html).group(1).replace(" ", "")
    assert len(secret) == 32  # 20 random bytes, base32, for typing in by hand
    # A wrong first code does not confirm it
    wrong = client.post("/login/authenticator/", {"code": "000000", "next": "/requests/"})
    assert wrong.status_code == 200 and wrong.context["form"].errors["code"]
    clock.shift(2)  # django-otp's own throttle: a second after a wrong code
    # The right one does, shows ten recovery codes once, and lets the user in
    done = client.post("/login/authenticator/", {"code": code_of(device), "next": "/requests/"})
    assert done.status_code == 200 and "no-store" in done["Cache-Control"]
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(code in done.content.decode() for code in codes)
    device.refresh_from_db()
    assert device.confirmed
    assert StaticDevice.objects.get(user=hq).token_set.count() == 10
    assert client.get("/requests/").status_code == 200


def test_a_user_with_a_device_enters_its_code_before_any_staff_page(client, hq, hq_device, clock, caplog):
    response = client.post("/login/", {"username": "supervisor", "password": PASSWORD, "next": "/requests/"})
    assert response["Location"] == "/login/code/?next=%2Frequests%2F"
    assert client.get("/requests/")["Location"].startswith("/login/code/")
    # He cannot replace the device without its code
    assert client.get("/login/authenticator/")["Location"].startswith("/login/code/")
    with caplog.at_level(logging.WARNING, logger="wuyou.security"):
        wrong = client.post("/login/code/", {"code": "123456", "next": "/requests/"})
    assert wrong.status_code == 200 and wrong.context["form"].errors["code"]
    assert any("second factor failed" in r.getMessage() for r in caplog.records)
    clock.shift(2)  # django-otp's own throttle: a second after a wrong code
    right = client.post("/login/code/", {"code": code_of(hq_device), "next": "/requests/"})
    assert right.status_code == 302 and right["Location"] == "/requests/"
    assert client.get("/requests/").status_code == 200


def test_a_recovery_code_works_once(client, hq, hq_device, clock):
    recovery = StaticDevice.objects.create(user=hq, name="recovery codes")
    recovery.token_set.create(token="abcd2345")
    log_in(client, "supervisor")
    assert client.post("/login/code/", {"code": "ABCD 2345"}).status_code == 302
    assert client.get("/requests/").status_code == 200
    client.logout()
    log_in(client, "supervisor")
    clock.shift(2)
    assert client.post("/login/code/", {"code": "abcd2345"}).status_code == 200  # used up
    assert client.get("/requests/").status_code == 302


def test_wrong_codes_back_off(client, hq, hq_device, clock, settings):
    settings.WUYOU_LOGIN_RATE = "3/300"
    log_in(client, "supervisor")
    for _n in range(3):
        clock.shift(60)
        client.post("/login/code/", {"code": "000000"})
    refused = client.post("/login/code/", {"code": code_of(hq_device)})
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1


def log_out(client):
    """The logout button (Client.logout() would also drop the browser's other cookies)."""
    client.post("/logout/")


def test_remember_this_device_skips_the_code_for_thirty_days_on_this_browser(client, hq, hq_device, clock):
    log_in(client, "supervisor")
    response = client.post("/login/code/", {"code": code_of(hq_device), "remember": "on"})
    cookie = response.cookies[REMEMBER_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and int(cookie["max-age"]) == 30 * 86400
    log_out(client)
    # The same browser logs in with the password only...
    assert log_in(client, "supervisor")["Location"] == "/"
    assert client.get("/requests/").status_code == 200
    log_out(client)
    # ...another browser is asked...
    other = Client()
    assert log_in(other, "supervisor")["Location"].startswith("/login/code/")
    # ...a copied, altered cookie is worthless...
    forged = Client()
    forged.cookies[REMEMBER_COOKIE] = cookie.value.replace(f"{hq.pk}:", "999:", 1)
    assert log_in(forged, "supervisor")["Location"].startswith("/login/code/")
    # ...and after 30 days it is asked again.
    clock.shift(31 * 86400)
    assert log_in(client, "supervisor")["Location"].startswith("/login/code/")


def test_a_remembered_browser_is_forgotten_when_the_device_is_deleted(client, hq, hq_device, clock):
    log_in(client, "supervisor")
    client.post("/login/code/", {"code": code_of(hq_device), "remember": "on"})
    log_out(client)
    hq_device.delete()
    TOTPDevice.objects.create(user=hq, name="new phone", confirmed=True)
    assert log_in(client, "supervisor")["Location"].startswith("/login/code/")


def test_the_remembered_browser_is_bound_to_its_user(client, hq, hq_device, clock, django_user_model):
    other = StaffFactory(user__username="manager2", role=Role.SERVICE_MANAGER).user
    TOTPDevice.objects.create(user=other, name="phone", confirmed=True)
    log_in(client, "supervisor")
    client.post("/login/code/", {"code": code_of(hq_device), "remember": "on"})
    log_out(client)
    assert log_in(client, "manager2")["Location"].startswith("/login/code/")


def test_outlet_staff_log_in_with_the_password_alone_unless_they_enrolled(client, clerk, clock):
    assert log_in(client, "clerk")["Location"] == "/"
    assert client.get("/requests/").status_code == 200
    client.logout()
    TOTPDevice.objects.create(user=clerk, name="phone", confirmed=True)
    assert log_in(client, "clerk")["Location"].startswith("/login/code/")
    assert client.get("/requests/").status_code == 302


def test_switched_off_head_office_logs_in_with_the_password(client, hq, settings):
    settings.WUYOU_REQUIRE_2FA = False
    assert log_in(client, "supervisor")["Location"] == "/"


@pytest.mark.second_factor_unverified
def test_a_password_only_session_of_head_office_is_refused_everywhere(client, hq, hq_device):
    client.force_login(hq)
    assert client.get("/requests/")["Location"].startswith("/login/code/")
    assert client.get("/customers/", {"q": "138"}, **HX)["HX-Redirect"].startswith("/login/code/")
    api = client.get("/api/v1/customers")
    assert api.status_code == 401 and api.json()["code"] == "second_factor_required"
    assert api["WWW-Authenticate"].startswith("Bearer")


def test_force_login_in_tests_is_verified_with_a_real_device(client, hq):
    client.force_login(hq)
    assert client.get("/requests/").status_code == 200
    assert TOTPDevice.objects.filter(user=hq, confirmed=True).exists()
