"""R-A1, R-A2, R-A4, R-B2 on the web: console search, new customer, customer page, timeline, units panel."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import CustomerFactory, ProductModelFactory, UnitFactory
from wuyou.core.masking import mask_phone
from wuyou.customers.models import Customer, PersonalDataReveal, TimelineEntry
from wuyou.customers.services import customer_note_add
from wuyou.products.models import Unit

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def customer_a(network):
    return CustomerFactory(outlet=network.outlet_a, name="李建国")


def login(client, staff):
    client.force_login(staff.user)
    return client


def phone_of(customer: Customer) -> str:
    return customer.phones.get(is_primary=True).number


# --- login and home ---------------------------------------------------------------------------


def test_every_page_requires_login(client, network, customer_a):
    # Given no session, when any console page is asked for, then the login page is the answer.
    for url in ("/", reverse("customers:console"), reverse("customers:detail", args=[customer_a.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_an_expired_session_under_htmx_sends_the_window_to_login(client, network):
    response = client.get(reverse("customers:console"), {"q": "138"}, **HX)
    assert response.status_code == 200 and response["HX-Redirect"].startswith(reverse("login"))


def test_login_page_has_a_language_switch_and_logs_in(client, network):
    page = client.get(reverse("login"))
    assert page.status_code == 200 and b'name="language" value="en"' in page.content
    response = client.post(reverse("login"), {"username": "clerk_a", "password": "wuyou-test-pass"})
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_repeated_login_failures_are_refused_for_a_while(client, network, settings):
    settings.WUYOU_LOGIN_RATE = "3/300"
    for _attempt in range(3):
        assert client.post(reverse("login"), {"username": "clerk_a", "password": "wrong"}).status_code == 200
    # Even the right password is refused until the window passes.
    refused = client.post(reverse("login"), {"username": "clerk_a", "password": "wuyou-test-pass"})
    assert refused.status_code == 429 and "_auth_user_id" not in client.session


def test_desk_home_is_the_console_with_the_top_bar(client, network):
    response = login(client, network.clerk_a).get("/")
    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="q"' in content and 'hx-get="/customers/"' in content
    assert "clerk_a" in content and network.outlet_a.name in content
    assert 'value="zh-hans"' in content and 'action="/logout/"' in content


def test_english_is_served_when_chosen(client, network):
    login(client, network.clerk_a)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Search customers" in client.get("/").content.decode()


# --- search -----------------------------------------------------------------------------------


def test_search_by_phone_returns_the_card_as_a_partial_with_the_phone_masked_for_outlet_staff(
    client, network, customer_a
):
    number = phone_of(customer_a)
    response = login(client, network.clerk_a).get(reverse("customers:console"), {"q": number}, **HX)
    content = response.content.decode()
    assert response.status_code == 200 and "<html" not in content
    assert "李建国" in content and mask_phone(number) in content and number not in content
    assert response["Vary"].count("HX-Request") == 1


def test_head_office_desk_sees_the_full_number(client, network, customer_a):
    number = phone_of(customer_a)
    content = login(client, network.hq_clerk).get(reverse("customers:console"), {"q": number}).content.decode()
    assert number in content and "<html" in content


def test_search_by_serial_and_by_address(client, network, customer_a):
    unit = UnitFactory(owner=customer_a)
    login(client, network.clerk_a)
    assert "李建国" in client.get(reverse("customers:console"), {"q": unit.serial.lower()}, **HX).content.decode()
    assert "李建国" in client.get(reverse("customers:console"), {"q": "香港中路"}, **HX).content.decode()


def test_search_with_no_match_offers_a_new_customer_with_the_number(client, network):
    content = (
        login(client, network.clerk_a).get(reverse("customers:console"), {"q": "13999999999"}, **HX).content.decode()
    )
    assert "/customers/new/?phone=13999999999" in content


# --- new customer -----------------------------------------------------------------------------

NEW = {
    "name": "张伟",
    "kind": "person",
    "phone_1": "138 0532 1234",
    "phone_2": "0532-88776655",
    "city": "青岛市",
    "district": "崂山区",
    "detail": "松岭路99号",
    "latitude": "36.11",
    "longitude": "120.47",
    "window_days": "weekdays",
    "window_from": "20:00",
    "window_until": "21:00",
    "dont_call_at_work": "on",
    "consent_service_calls": "on",
}


def test_new_customer_form_files_the_customer_and_opens_the_page(client, network):
    login(client, network.clerk_a)
    assert client.get(reverse("customers:new")).status_code == 200
    response = client.post(reverse("customers:new"), NEW)
    customer = Customer.objects.get(name="张伟")
    assert response.status_code == 302 and response["Location"] == reverse("customers:detail", args=[customer.pk])
    assert customer.outlet == network.outlet_a and customer.dont_call_at_work
    assert list(customer.phones.values_list("number", flat=True)) == ["13805321234", "0532-88776655"]
    assert customer.contact_windows.get().days == "weekdays"


def test_new_customer_under_htmx_redirects_the_window(client, network):
    response = login(client, network.clerk_a).post(reverse("customers:new"), NEW, **HX)
    assert response["HX-Redirect"] == reverse("customers:detail", args=[Customer.objects.get(name="张伟").pk])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"phone_1": "1381234"}, "phone_1"),
        ({"phone_2": "0532-12"}, "phone_2"),
        ({"latitude": "91"}, "latitude"),
        ({"longitude": "181"}, "longitude"),
        ({"city": ""}, "city"),
        ({"window_until": "19:00"}, "window_until"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_customer_input_is_shown_next_to_its_field_and_nothing_is_written(client, network, change, field):
    response = login(client, network.clerk_a).post(reverse("customers:new"), {**NEW, **change}, **HX)
    content = response.content.decode()
    assert response.status_code == 422 and "<html" not in content
    assert f'id="id_{field}_error"' in content
    assert not Customer.objects.exists()


def test_a_role_that_may_not_file_customers_gets_the_message_not_a_500(client, network):
    response = login(client, network.sales_rep_a).post(reverse("customers:new"), NEW, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403 and "may not change the customer archive" in response.content.decode()
    chinese = client.post(reverse("customers:new"), NEW, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "您的角色无权修改客户档案" in chinese.content.decode() or "客户档案" in chinese.content.decode()
    assert not Customer.objects.exists()


def test_head_office_chooses_the_outlet(client, network):
    login(client, network.hq_clerk)
    assert 'name="outlet"' in client.get(reverse("customers:new")).content.decode()
    client.post(reverse("customers:new"), {**NEW, "outlet": network.outlet_b.pk})
    assert Customer.objects.get(name="张伟").outlet == network.outlet_b


# --- customer page ----------------------------------------------------------------------------


def test_customer_page_shows_card_flags_and_panels(client, network, customer_a):
    response = login(client, network.clerk_a).get(reverse("customers:detail", args=[customer_a.pk]))
    content = response.content.decode()
    assert response.status_code == 200
    assert "李建国" in content and mask_phone(phone_of(customer_a)) in content and "香港中路10号" in content
    assert reverse("products:customer_units", args=[customer_a.pk]) in content
    assert reverse("tickets:customer_requests", args=[customer_a.pk]) in content
    assert reverse("customers:reveal", args=[customer_a.pk]) in content


def test_reveal_shows_the_full_numbers_and_logs_who_and_why(client, network, customer_a):
    url = reverse("customers:reveal", args=[customer_a.pk])
    response = login(client, network.clerk_a).post(url, {"reason": "客户来电要求回拨"}, **HX)
    assert response.status_code == 200 and phone_of(customer_a) in response.content.decode()
    reveal = PersonalDataReveal.objects.get()
    assert (reveal.actor_id, reveal.customer_id, reveal.reason) == (
        network.clerk_a.user_id,
        customer_a.pk,
        "客户来电要求回拨",
    )


def test_reveal_without_a_reason_reveals_nothing(client, network, customer_a):
    response = login(client, network.clerk_a).post(
        reverse("customers:reveal", args=[customer_a.pk]), {"reason": " "}, **HX
    )
    assert response.status_code == 422 and phone_of(customer_a) not in response.content.decode()
    assert not PersonalDataReveal.objects.exists()


def test_timeline_is_newest_first_and_loads_more(client, network, customer_a):
    actor = network.actor(network.clerk_a)
    for i in range(25):
        customer_note_add(actor=actor, customer=customer_a, summary=f"第{i:02d}次来电")
    login(client, network.clerk_a)
    page = client.get(reverse("customers:detail", args=[customer_a.pk])).content.decode()
    assert page.index("第24次来电") < page.index("第05次来电") and "第04次来电" not in page
    assert "Load more" in page or "加载更多" in page
    oldest_shown = TimelineEntry.objects.get(summary="第05次来电").pk
    more = client.get(
        reverse("customers:timeline", args=[customer_a.pk]), {"before_id": oldest_shown}, **HX
    ).content.decode()
    assert "第04次来电" in more and "第00次来电" in more and "第05次来电" not in more
    assert "before_id" not in more


def test_call_note_is_written_and_the_timeline_is_told_to_refresh(client, network, customer_a):
    response = login(client, network.clerk_a).post(
        reverse("customers:note", args=[customer_a.pk]), {"summary": "询问保修期", "phase": "after"}, **HX
    )
    assert response.status_code == 200 and "customer-changed" in response["HX-Trigger"]
    assert customer_a.timeline.filter(kind="note", summary="询问保修期").exists()
    refreshed = client.get(reverse("customers:timeline", args=[customer_a.pk]), **HX).content.decode()
    assert "询问保修期" in refreshed


def test_empty_call_note_shows_the_error(client, network, customer_a):
    response = login(client, network.clerk_a).post(
        reverse("customers:note", args=[customer_a.pk]), {"summary": "", "phase": "after"}, **HX
    )
    assert response.status_code == 422 and 'id="id_summary_error"' in response.content.decode()


# --- units ------------------------------------------------------------------------------------


def test_units_panel_lists_units_and_registers_one(client, network, customer_a):
    existing = UnitFactory(owner=customer_a)
    model = ProductModelFactory(code="XQG100-14")
    url = reverse("products:customer_units", args=[customer_a.pk])
    login(client, network.clerk_a)
    panel = client.get(url, **HX).content.decode()
    assert existing.serial in panel and "XQG100-14" in panel and "<html" not in panel
    address = customer_a.addresses.get()
    response = client.post(
        url,
        {
            "serial": "hx2025new0001",
            "model": model.code,
            "purchase_date": "2025-03-01",
            "selling_outlet": network.outlet_a.pk,
            "installed_on": "2025-03-05",
            "install_address": address.pk,
        },
        **HX,
    )
    unit = Unit.objects.get(serial="HX2025NEW0001")
    assert response.status_code == 200 and "HX2025NEW0001" in response.content.decode()
    assert "units-changed" in response["HX-Trigger"]
    assert (unit.owner, unit.install_address, unit.selling_outlet) == (customer_a, address, network.outlet_a)


def test_duplicate_serial_is_a_conflict_shown_at_the_serial(client, network, customer_a):
    existing = UnitFactory(owner=CustomerFactory(outlet=network.outlet_b))
    response = login(client, network.clerk_a).post(
        reverse("products:customer_units", args=[customer_a.pk]),
        {"serial": existing.serial, "model": existing.product_model.code},
        **HX,
    )
    assert response.status_code == 409 and 'id="id_serial_error"' in response.content.decode()
    assert Unit.objects.count() == 1


def test_installation_before_purchase_is_shown_at_the_date(client, network, customer_a):
    model = ProductModelFactory()
    response = login(client, network.clerk_a).post(
        reverse("products:customer_units", args=[customer_a.pk]),
        {"serial": "HX2025BAD001", "model": model.code, "purchase_date": "2025-03-01", "installed_on": "2025-01-01"},
        **HX,
    )
    assert response.status_code == 422 and 'id="id_installed_on_error"' in response.content.decode()
    assert not Unit.objects.exists()


def test_unit_page_shows_facts_and_history(client, network, customer_a):
    model = ProductModelFactory()
    login(client, network.clerk_a).post(
        reverse("products:customer_units", args=[customer_a.pk]), {"serial": "HX2025HIST01", "model": model.code}
    )
    unit = Unit.objects.get()
    response = client.get(reverse("products:unit_detail", args=[unit.pk]))
    content = response.content.decode()
    assert response.status_code == 200 and "HX2025HIST01" in content and "李建国" in content
    assert unit.events.get().get_verb_display() in content
