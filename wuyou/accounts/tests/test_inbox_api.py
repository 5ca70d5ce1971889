"""Issue 13 item 5: the inbox API (/api/v1/inbox) and the links the higher apps register for their refs.

Here rather than in wuyou/notifications/tests: these tests need accounts (tokens) and fees (a quote), which the
notifications app and its tests may not import (import-linter).
"""

from __future__ import annotations

from django.test import Client

from tests.api_client import ApiClient
from wuyou.accounts.services import api_token_issue
from wuyou.notifications.links import ref_urls
from wuyou.notifications.models import Message
from wuyou.notifications.services import message_to_staff


def tell(user, key: str, *, ref: str = "request:7", subject: str = "工单 SR2026000007 即将超时") -> None:
    message_to_staff(
        user_ids=[user.pk], kind="clock_warning", subject=subject, body="请尽快联系客户。", ref=ref, dedupe_key=key
    )


def test_a_fee_quote_links_to_its_request_and_a_missing_quote_to_nothing(field_service):
    from tests.field_service import catalogue_part
    from wuyou.fees.pricing import QuotePart
    from wuyou.fees.services import visit_quote_offer

    catalogue_part("CMP-35", "压缩机", "600.00", "900.00", is_consumable=True)
    wo = field_service.visit_on_site()
    engineer = field_service.network.actor(field_service.network.engineer_a)
    fee = visit_quote_offer(actor=engineer, work_order=wo, fault_cause="quality", parts=[QuotePart("CMP-35")])
    assert ref_urls([f"fee_quote:{fee.pk}", "fee_quote:999999"]) == {
        f"fee_quote:{fee.pk}": f"/requests/{wo.request_id}/"
    }


# -- the API ------------------------------------------------------------------------------------------------------


def test_the_api_lists_own_messages_with_links_and_the_unread_count(network):
    me, other = network.clerk_a, network.clerk_b
    tell(me.user, "a", ref="request:12")
    tell(me.user, "b", ref="nonsense:1")
    tell(other.user, "c", subject="别人的")
    api = ApiClient(staff=me)
    body = api.get("/inbox").json()
    assert body["count"] == 2 and body["unread"] == 2
    assert [(m["ref"], m["url"], m["unread"]) for m in body["items"]] == [
        ("nonsense:1", None, True),
        ("request:12", "/requests/12/", True),
    ]
    assert "别人的" not in str(body)
    marked = api.post(f"/inbox/{body['items'][1]['id']}/read").json()
    assert marked["unread"] is False and marked["read_at"]
    unread = api.get("/inbox", {"status": "unread"}).json()
    assert unread["count"] == 1 and unread["unread"] == 1
    assert api.post("/inbox/read-all").json() == {"marked": 1, "unread": 0}
    assert api.get("/inbox").json()["unread"] == 0


def test_the_api_answers_404_for_anothers_message_and_422_for_bad_input(network):
    tell(network.clerk_b.user, "c")
    theirs = Message.objects.get(recipient=network.clerk_b.user)
    api = ApiClient(staff=network.clerk_a)
    response = api.post(f"/inbox/{theirs.pk}/read")
    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert api.post("/inbox/0/read").status_code == 422
    bad = api.get("/inbox", {"status": "everything"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "status"


def test_an_api_token_has_no_inbox(network):
    tell(network.clerk_b.user, "c")
    _token, secret = api_token_issue(name="A's ERP", user_id=network.clerk_b.user_id, outlet=network.outlet_a)
    api = ApiClient(token=secret)
    listed = api.get("/inbox").json()
    assert (listed["items"], listed["count"], listed["unread"]) == ([], 0, 0)  # the account's messages stay its own
    theirs = Message.objects.get(recipient=network.clerk_b.user)
    assert api.post(f"/inbox/{theirs.pk}/read").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_with_the_session_needs_the_csrf_token(network):
    tell(network.clerk_a.user, "a")
    mine = Message.objects.get(recipient=network.clerk_a.user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(network.clerk_a.user)
    assert client.post(f"/api/v1/inbox/{mine.pk}/read", "{}", content_type="application/json").status_code == 403
    mine.refresh_from_db()
    assert mine.read_at is None
    assert Client().get("/api/v1/inbox").status_code == 401
