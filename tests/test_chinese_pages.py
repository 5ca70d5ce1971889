"""Every page read in Chinese shows no raw code and no English left untranslated (issue 13 item 11).

A small demo is loaded once; each role's pages (every page without parameters, and the object pages of the tour:
a customer, a request, a unit, a visit, a receipt) are rendered in zh-hans and their visible text is scanned for
(a) the stored codes of any choice field or policy rule (`out_of_warranty`, `appointment_confirmed` …) and (b) any
English sentence of the catalogue that has a Chinese translation.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from wuyou.customers.models import Customer
from wuyou.dispatch.models import WorkOrder, WorkOrderStatus
from wuyou.fees.models import QuoteStatus
from wuyou.products.explanations import RULES
from wuyou.tickets.history import history_verbs
from wuyou.tickets.models import ServiceRequest

SMALL = {"customers": 40, "units": 60, "requests": 30}
CATALOGUE = Path(__file__).resolve().parents[1] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
SKIPPED_PREFIXES = ("admin/", "api/", "logout", "login", "i18n/", "static/")
ROLES = ("manager", "agent", "outlet_manager", "outlet_clerk", "engineer")


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> Iterator[None]:
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        transaction.atomic(),
    ):
        call_command("load_demo", stdout=StringIO(), **SMALL)
        yield
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _in_a_savepoint(demo, db) -> None:
    """Request `db` after the module's demo (as wuyou/demo/tests do)."""


def raw_codes() -> set[str]:
    """Stored codes people must never read: every choice value with an underscore, and the policy rules' kinds."""
    codes = set(RULES) | {verb for verb in history_verbs() if "_" in verb}
    for model in apps.get_models():
        if not model.__module__.startswith("wuyou."):
            continue
        for field in model._meta.fields:
            for value, _label in field.flatchoices or ():
                if isinstance(value, str) and "_" in value:
                    codes.add(value)
    return codes


def english_sentences() -> set[str]:
    """The catalogue's English sentences that have a translation (long enough not to be a name or a code)."""
    text = CATALOGUE.read_text(encoding="utf-8")
    found = set()
    for msgid, msgstr in re.findall(r'^msgid "(.+)"\nmsgstr "(.+)"$', text, flags=re.M):
        if msgstr and "%" not in msgid and "{" not in msgid and len(msgid) >= 18 and msgid.count(" ") >= 2:
            found.add(msgid.replace('\\"', '"'))
    return found


def visible_text(page: str) -> str:
    """What a reader sees: no scripts, styles, tags, code or serial-number cells."""
    page = re.sub(r"<(script|style|svg|code|kbd|pre|template)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<[^>]+>", " ", page)
    return " ".join(html.unescape(page).split())


def plain_pages() -> list[str]:
    found: list[str] = []

    def walk(patterns: list, prefix: str) -> None:
        for p in patterns:
            route = prefix + str(p.pattern)
            if route.startswith(SKIPPED_PREFIXES):
                continue
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern) and not p.pattern.converters and "<" not in route:
                found.append("/" + route.lstrip("^").rstrip("$"))

    walk(get_resolver().url_patterns, "")
    return found


def tour_pages() -> list[str]:
    customer = Customer.objects.filter(requests__isnull=False).order_by("pk").first()
    request = ServiceRequest.objects.filter(customer=customer).order_by("pk").first()
    pages = [reverse("customers:detail", args=[customer.pk]), reverse("tickets:detail", args=[request.pk])]
    unit = customer.units.first()
    if unit is not None:
        pages.append(reverse("products:unit_detail", args=[unit.pk]))
    on_site = WorkOrder.objects.filter(status=WorkOrderStatus.ON_SITE).first()
    if on_site is not None:
        pages.append(reverse("fieldservice:work_order", args=[on_site.pk]))
    done = WorkOrder.objects.filter(status=WorkOrderStatus.DONE, quotes__status=QuoteStatus.ACCEPTED).first()
    if done is not None:
        pages.append(reverse("fees:receipt", args=[done.pk]))
    return pages


def test_no_page_in_chinese_shows_a_raw_code_or_untranslated_english(demo, client):
    codes = raw_codes()
    sentences = english_sentences()
    code_pattern = re.compile(
        r"(?<![\w/.-])(" + "|".join(sorted(map(re.escape, codes), key=len, reverse=True)) + r")(?![\w/.-])"
    )
    problems: list[str] = []
    pages = plain_pages() + tour_pages()
    read = 0
    for username in ROLES:
        client.force_login(get_user_model().objects.get(username=username))
        for url in pages:
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            read += 1
            text = visible_text(response.content.decode())
            for code in sorted(set(code_pattern.findall(text))):
                problems.append(f"{username} {url}: raw code {code!r}")
            for sentence in sentences:
                if sentence in text:
                    problems.append(f"{username} {url}: untranslated {sentence!r}")
    assert read >= 30, read
    assert problems == [], "\n".join(sorted(set(problems)))
