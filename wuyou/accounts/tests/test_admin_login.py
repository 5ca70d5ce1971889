"""The admin site's login backs off and logs like the staff login, and the admin opens only after the second factor."""

from __future__ import annotations

import logging

import pytest
from django.contrib import admin
from django_otp.plugins.otp_totp.models import TOTPDevice

from wuyou.accounts.admin_site import WuyouAdminSite
from wuyou.accounts.tests.conftest import code_of, log_in

ROOT_PASSWORD = "root-pass-123"


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", password=ROOT_PASSWORD, email="")


def _admin_login(client, password=ROOT_PASSWORD, **extra):
    return client.post("/admin/login/", {"username": "root", "password": password, "next": "/admin/"}, **extra)


def test_the_default_admin_site_is_wuyous():
    assert isinstance(admin.site, WuyouAdminSite)  # every @admin.register lands on the site with the second factor


def test_the_admin_login_page_renders(client, db):
    assert client.get("/admin/login/").status_code == 200


def test_admin_login_failures_back_off_and_are_logged(client, root, clock, settings, caplog):
    # Regression: /admin/login/ had no limit and logged nothing.
    settings.WUYOU_LOGIN_RATE = "5/300"
    with caplog.at_level(logging.WARNING, logger="wuyou.security"):
        for _n in range(5):
            assert _admin_login(client, "wrong", REMOTE_ADDR="198.51.100.66").status_code == 200
    assert sum("login failed" in r.getMessage() and "198.51.100.66" in r.getMessage() for r in caplog.records) == 5
    refused = _admin_login(client, REMOTE_ADDR="198.51.100.66")
    assert refused.status_code == 429 and refused["Retry-After"] == "1"
    assert "_auth_user_id" not in client.session


def test_the_staff_and_admin_logins_share_the_count(client, root, clock, settings):
    settings.WUYOU_LOGIN_RATE = "5/300"
    for _n in range(3):
        log_in(client, "root", "wrong")
    for _n in range(2):
        _admin_login(client, "wrong")
    assert _admin_login(client).status_code == 429
    assert log_in(client, "ROOT", ROOT_PASSWORD).status_code == 429


def test_the_admin_needs_the_second_factor(client, root, clock):
    device = TOTPDevice.objects.create(user=root, name="phone", confirmed=True)
    response = _admin_login(client)
    assert response.status_code == 302 and response["Location"] == "/login/code/?next=%2Fadmin%2F"
    # Password alone: the admin treats the session as without permission
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    assert client.get("/admin/login/")["Location"].startswith("/login/code/")
    assert client.post("/login/code/", {"code": code_of(device), "next": "/admin/"})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_an_admin_without_a_device_enrols_first(client, root):
    response = _admin_login(client)
    assert response["Location"] == "/login/authenticator/?next=%2Fadmin%2F"
    assert client.get("/admin/accounts/apitoken/")["Location"].startswith("/admin/login/")
