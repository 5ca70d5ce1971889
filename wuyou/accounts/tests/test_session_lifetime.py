"""Sessions end 30 minutes idle and 12 hours after login whatever the activity (ASVS 3.3.1, 3.3.2)."""

from __future__ import annotations

import datetime as dt

from wuyou.accounts.tests.conftest import log_in
from wuyou.core.middleware import SessionTimeoutMiddleware


def test_a_busy_session_still_ends_twelve_hours_after_login(client, clerk, clock, settings):
    # Regression: the 12-hour cookie age slid with every request, so an active session never ended.
    assert settings.SESSION_COOKIE_AGE == settings.WUYOU_SESSION_MAX_SECONDS == 12 * 3600
    assert log_in(client, "clerk").status_code == 302
    logged_in_at = client.session[SessionTimeoutMiddleware.LOGIN_AT_KEY]
    # Busy all day: a request every 20 minutes, never idle for 30
    for _n in range(35):  # 35 × 20 min = 11 h 40 min
        clock.shift(20 * 60)
        assert client.get("/requests/").status_code == 200
    # The session's end stays where the login put it, however often it was saved
    session = client.session
    assert session.get_expiry_date() == dt.datetime.fromtimestamp(logged_in_at + 12 * 3600, tz=dt.UTC)
    clock.shift(20 * 60 + 1)  # 12 h after login
    response = client.get("/requests/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert "_auth_user_id" not in client.session


def test_the_cookie_itself_expires_at_the_absolute_end(client, clerk, clock):
    log_in(client, "clerk")
    for _n in range(18):  # six hours of work
        clock.shift(20 * 60)
        response = client.get("/requests/")
    cookie = response.cookies["sessionid"]  # re-sent: the request touched the session
    # six hours after login, six hours are left — not a fresh twelve
    assert int(cookie["max-age"]) == 6 * 3600


def test_the_idle_limit_still_ends_a_quiet_session(client, clerk, clock, settings):
    settings.WUYOU_SESSION_IDLE_SECONDS = 30 * 60
    log_in(client, "clerk")
    clock.shift(29 * 60)
    assert client.get("/requests/").status_code == 200
    clock.shift(31 * 60)
    assert client.get("/requests/")["Location"].startswith("/login/")


def test_a_session_from_before_the_stamp_starts_counting_at_its_next_request(client, clerk, clock):
    client.force_login(clerk)
    session = client.session
    del session[SessionTimeoutMiddleware.LOGIN_AT_KEY]
    session.save()
    assert client.get("/requests/").status_code == 200
    assert client.session[SessionTimeoutMiddleware.LOGIN_AT_KEY] > 0
