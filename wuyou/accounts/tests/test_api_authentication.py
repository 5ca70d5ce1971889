"""The API's doors: 401 with WWW-Authenticate when nobody is logged in, CSRF for session writes, token back-off."""

from __future__ import annotations

import json
import logging

from django.test import Client

from wuyou.accounts.services import api_token_issue

BODY = json.dumps({"name": "王秀英", "phones": ["13800000000"]}, ensure_ascii=False)


def _post(client: Client, **headers: str):
    return client.post("/api/v1/customers", data=BODY, content_type="application/json", headers=headers)


def test_an_anonymous_write_is_401_not_a_csrf_403(db):
    # Regression: with no cookie and no token, the session auth's CSRF check answered 403 "CSRF failed".
    response = _post(Client(enforce_csrf_checks=True))
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["code"] == "unauthorized"


def test_a_wrong_token_on_a_write_is_401_too(db):
    response = _post(Client(enforce_csrf_checks=True), Authorization="Bearer wy_not-a-token")
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")


def test_a_logged_in_session_still_needs_the_csrf_token_to_write(clerk):
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)
    refused = _post(client)
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    client.get("/requests/")  # a page sets the CSRF cookie, as the browser's would
    token = client.cookies["csrftoken"].value
    accepted = _post(client, **{"X-CSRFToken": token})
    assert accepted.status_code == 201, accepted.content


def test_reads_with_the_session_need_no_csrf_token(clerk):
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)
    assert client.get("/api/v1/customers").status_code == 200


def test_wrong_tokens_back_off_per_address_with_429_and_retry_after(clerk, clock, settings, caplog):
    settings.WUYOU_TOKEN_RATE = "3/300"
    _token, secret = api_token_issue(name="crm", user_id=clerk.pk, outlet=clerk.staff.outlet)
    guesser = Client(REMOTE_ADDR="198.51.100.66")
    with caplog.at_level(logging.WARNING, logger="wuyou.security"):
        for n in range(3):
            header = {"Authorization": f"Bearer wy_guess{n}"} if n % 2 else {"X-API-Key": f"wy_guess{n}"}
            assert guesser.get("/api/v1/customers", headers=header).status_code == 401
    assert sum("api token failed address=198.51.100.66" in r.getMessage() for r in caplog.records) == 3
    refused = guesser.get("/api/v1/customers", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status_code == 429 and refused["Retry-After"] == "1"
    assert refused["Content-Type"] == "application/problem+json" and refused.json()["code"] == "too_many_attempts"
    # Another address is not slowed, and the guesser's wait ends
    other = Client(REMOTE_ADDR="203.0.113.7")
    assert other.get("/api/v1/customers", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    clock.shift(2)
    assert guesser.get("/api/v1/customers", headers={"Authorization": f"Bearer {secret}"}).status_code == 200


def test_the_openapi_document_lists_429(db):
    schema = Client().get("/api/v1/openapi.json").json()
    for operations in schema["paths"].values():
        for operation in operations.values():
            assert "429" in operation["responses"]
