"""R-B3: policies are edited in admin as YAML, checked as a whole exactly as `wuyou policy load` checks a file."""

from __future__ import annotations

import textwrap

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from wuyou.products.models import WarrantyPolicy
from wuyou.products.tests.test_policy_store import catalogue  # noqa: F401 — the fixture

AC = textwrap.dedent(
    """\
    code: ac-2026
    name: 空调保修政策
    applies_to: {kind: category, code: air-conditioner}
    versions:
      - label: ac-2026
        valid_from: 2026-01-01
        rules:
          - {kind: free_repair, months: 12}
          - {kind: free_repair, months: 60, component: compressor}
    """
)


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser(username="root", password="root-pass-123", email="")
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def post(client, url, text, active=True):
    data = {"yaml_text": text, **({"is_active": "on"} if active else {})}
    with translation.override("en"):
        return client.post(url, data)


def test_a_policy_is_added_and_edited_as_yaml(admin_client, catalogue):  # noqa: F811
    added = post(admin_client, reverse("admin:products_warrantypolicy_add"), AC)
    assert added.status_code == 302, added.content.decode()[:2000]
    row = WarrantyPolicy.objects.get(code="ac-2026")
    assert [r["months"] for r in row.document["versions"][0]["rules"]] == [12, 60]
    change = reverse("admin:products_warrantypolicy_change", args=[row.pk])
    assert "free_repair" in admin_client.get(change).content.decode()  # the form shows the YAML
    edited = post(admin_client, change, AC.replace("months: 12}", "months: 24}"), active=False)
    assert edited.status_code == 302
    row.refresh_from_db()
    assert row.document["versions"][0]["rules"][0]["months"] == 24 and row.is_active is False


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (AC.replace("free_repair, months: 12", "free_lunch, months: 12"), "free_lunch"),
        (
            AC + "  - label: overlap\n    valid_from: 2026-06-01\n    rules: [{kind: free_repair, months: 6}]\n",
            "overlap",
        ),
        ("code: [unclosed", "malformed"),
        (AC.replace("code: air-conditioner", "code: spaceship"), "spaceship"),
    ],
)
def test_a_bad_policy_is_refused_on_the_form_and_nothing_changes(admin_client, catalogue, text, says):  # noqa: F811
    response = post(admin_client, reverse("admin:products_warrantypolicy_add"), text)
    assert response.status_code == 200 and says in response.content.decode()
    assert not WarrantyPolicy.objects.filter(code="ac-2026").exists()


def test_the_code_of_a_policy_does_not_change_in_admin(admin_client, catalogue):  # noqa: F811
    post(admin_client, reverse("admin:products_warrantypolicy_add"), AC)
    row = WarrantyPolicy.objects.get(code="ac-2026")
    response = post(
        admin_client,
        reverse("admin:products_warrantypolicy_change", args=[row.pk]),
        AC.replace("code: ac-2026", "code: ac-9").replace(
            "{kind: category, code: air-conditioner}", "{kind: product_model, code: KFR-35GW}"
        ),
    )
    assert response.status_code == 200 and "does not change" in response.content.decode()
    assert not WarrantyPolicy.objects.filter(code="ac-9").exists()
