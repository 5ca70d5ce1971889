"""Login back-off (ASVS 2.2.1): normalised usernames, the trusted proxy's client address, waits that grow but end."""

from __future__ import annotations

import logging

import pytest
from django.conf import settings as django_settings
from django.test import RequestFactory

from tests.factories import PASSWORD
from wuyou.accounts import throttle
from wuyou.accounts.tests.conftest import log_in


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("supervisor", "supervisor"),
        ("ｓupervisor", "supervisor"),  # full-width s (U+FF53)
        ("ＳＵＰＥＲＶＩＳＯＲ", "supervisor"),
        ("Supervisor", "supervisor"),
        ("  supervisor\u3000", "supervisor"),  # ideographic space
        ("ﬁnance", "finance"),  # the fi ligature
        ("张伟", "张伟"),
        (None, ""),
    ],
)
def test_the_limit_key_is_the_nfkc_casefolded_username(typed, key):
    assert throttle.normalise_username(typed) == key


@pytest.mark.parametrize(
    ("failures", "wait"),
    [(0, 0), (4, 0), (5, 1), (6, 2), (7, 4), (8, 8), (13, 256), (14, 300), (40, 300), (10_000, 300)],
)
def test_waits_double_after_the_free_failures_and_stop_at_the_cap(failures, wait):
    assert throttle.Backoff(free=5, longest=300).wait_after(failures) == wait


def test_the_counts_live_in_the_shared_cache_not_in_one_process():
    backend = django_settings.CACHES["default"]["BACKEND"]
    assert backend in {
        "django.core.cache.backends.db.DatabaseCache",
        "django.core.cache.backends.redis.RedisCache",
    }


def test_a_full_width_username_counts_against_the_same_account(client, clerk, clock, settings):
    # Regression: after the failures for `clerk`, `ｃlerk` (full-width c) with the right password logged in.
    settings.WUYOU_LOGIN_RATE = "5/300"
    for _n in range(5):
        assert log_in(client, "clerk", "wrong").status_code == 200
    for look_alike in ("ｃlerk", "CLERK", " clerk"):
        refused = log_in(client, look_alike)
        assert refused.status_code == 429, look_alike
        assert "_auth_user_id" not in client.session
    # Django normalises usernames with NFKC, so the look-alike *is* the same account once the wait is over.
    clock.shift(2)
    response = log_in(client, "ｃlerk")
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(clerk.pk)


def test_the_wait_grows_with_each_failure_and_ends(client, clerk, clock, settings):
    settings.WUYOU_LOGIN_RATE = "5/300"
    for _n in range(5):
        log_in(client, "clerk", "wrong")
    refused = log_in(client, "clerk")
    assert refused.status_code == 429 and refused["Retry-After"] == "1"
    assert refused.context["form"].non_field_errors()  # said on the page, beside the form
    clock.shift(1.5)
    assert log_in(client, "clerk", "wrong").status_code == 200  # the sixth failure: now 2 s
    assert log_in(client, "clerk")["Retry-After"] == "2"
    clock.shift(2.5)
    assert log_in(client, "clerk").status_code == 302


def test_hammering_while_waiting_does_not_lengthen_the_wait(client, clerk, clock, settings):
    settings.WUYOU_LOGIN_RATE = "5/300"
    for _n in range(5):
        log_in(client, "clerk", "wrong")
    for _n in range(50):
        assert log_in(client, "clerk", "wrong").status_code == 429
    clock.shift(1.5)
    assert log_in(client, "clerk").status_code == 302


def test_an_attacker_elsewhere_slows_the_account_but_cannot_lock_it_out(client, clerk, clock, settings):
    settings.WUYOU_LOGIN_RATE = "5/300"
    attacker = {"REMOTE_ADDR": "198.51.100.66"}
    real_user = {"REMOTE_ADDR": "203.0.113.7"}
    # The attacker's first failures do not touch the real user's address at all...
    for _n in range(5):
        log_in(client, "clerk", "wrong", **attacker)
    assert log_in(client, "clerk", "wrong", **attacker).status_code == 429
    assert log_in(client, "clerk", **real_user).status_code == 302
    client.logout()
    # ...and a long, patient attack (as fast as the waits allow) makes the account wait at most the cap.
    for _n in range(40):
        clock.shift(301)
        assert log_in(client, "clerk", "wrong", **attacker).status_code == 200
    wait = int(log_in(client, "clerk", **real_user)["Retry-After"])
    assert 0 < wait <= 300
    clock.shift(wait + 1)
    assert log_in(client, "clerk", **real_user).status_code == 302


def test_a_right_password_starts_afresh(client, clerk, clock, settings):
    settings.WUYOU_LOGIN_RATE = "5/300"
    for _n in range(4):
        log_in(client, "clerk", "wrong")
    assert log_in(client, "clerk").status_code == 302
    client.logout()
    for _n in range(4):
        assert log_in(client, "clerk", "wrong").status_code == 200
    assert log_in(client, "clerk").status_code == 302


def test_failures_are_logged_with_the_address_but_never_the_password(client, clerk, caplog):
    with caplog.at_level(logging.INFO, logger="wuyou.security"):
        log_in(client, "clerk", "s3cret-Guess!", REMOTE_ADDR="203.0.113.9")
    lines = [r.getMessage() for r in caplog.records if r.name == "wuyou.security"]
    assert any("login failed" in line and "203.0.113.9" in line and "clerk" in line for line in lines)
    assert not any("s3cret-Guess!" in line for line in lines)


# -- the client address behind a proxy ------------------------------------------------------------------------------


def _request(remote: str = "10.0.0.1", forwarded: str | None = None):
    request = RequestFactory().post("/login/")
    request.META["REMOTE_ADDR"] = remote
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return request


@pytest.mark.parametrize(
    ("count", "forwarded", "client"),
    [
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # a spoofed entry on the left is ignored
        (2, "6.6.6.6, 203.0.113.7, 192.0.2.10", "203.0.113.7"),  # CDN then our load balancer
        (2, "203.0.113.7", "10.0.0.1"),  # fewer entries than proxies: not trusted
        (1, "not-an-address", "10.0.0.1"),
        (1, "", "10.0.0.1"),
        (1, "[2001:db8::7]:443", "2001:db8::7"),
        (1, "203.0.113.7:51234", "203.0.113.7"),
        (1, "2001:db8::8", "2001:db8::8"),
    ],
)
def test_the_client_address_comes_from_the_trusted_proxy_header_when_configured(settings, count, forwarded, client):
    settings.WUYOU_TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.WUYOU_TRUSTED_PROXY_COUNT = count
    assert throttle.client_address(_request(forwarded=forwarded)) == client


def test_without_a_configured_proxy_the_header_is_ignored(settings):
    settings.WUYOU_TRUSTED_PROXY_HEADER = ""
    assert throttle.client_address(_request(remote="198.51.100.1", forwarded="203.0.113.7")) == "198.51.100.1"


def test_behind_the_proxy_one_attacker_no_longer_slows_everyone(client, clerk, clock, settings):
    # Regression: every request came from the proxy's REMOTE_ADDR, so one attacker's failures blocked the user.
    settings.WUYOU_LOGIN_RATE = "5/300"
    settings.WUYOU_TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.WUYOU_TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.1"
    for _n in range(5):
        log_in(client, "clerk", "wrong", REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.66")
    assert log_in(client, "clerk", REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.66").status_code == 429
    assert log_in(client, "clerk", PASSWORD, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 302
