"""Dates far past or future in the web UI (issue 12 item 4): a 400 or a form message naming the field, never a 500.

`/dispatch/board/?day=9999-12-31` once raised OverflowError computing the next day; every page that takes a date
now reads it through wuyou.core.dates, bounded to the API's years (1900-2200).
"""

# ruff: noqa: F811 — the `loaners` fixture is imported from the loaner service tests and used as an argument
from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
from types import SimpleNamespace

import pytest
from django import forms
from django.urls import reverse

import wuyou
from tests.factories import CustomerFactory, ProductModelFactory
from tests.field_service import TODAY
from wuyou.core.dates import BoundedDateField, BoundedDateTimeField, day_from_text, day_or_default
from wuyou.core.errors import ValidationFailed
from wuyou.dispatch.models import DispatchPlan, EngineerDay
from wuyou.loaners.models import Loan
from wuyou.loaners.tests.test_services import loaners  # noqa: F401  (the fixture)
from wuyou.products.models import Unit
from wuyou.tickets.models import ServiceRequest
from wuyou.tickets.services import RequestInput, request_open

HX = {"HTTP_HX_REQUEST": "true"}
FAR = ["0001-01-01", "9999-12-31", "1899-12-31", "2201-01-01"]
GARBAGE = ["garbage", "2026-02-30", "明天", "2026-1-1x", "9" * 5000]
BAD_DAYS = FAR + GARBAGE
BOUND = "between 1900-01-01 and 2200-12-31"
ON_FORMS = [*FAR, "garbage", "9" * 300]  # a form page says the bound, or Django's "Enter a valid date"


def told_at(response, field: str) -> bool:
    """Whether the page tells what is wrong at the field: the years allowed, or that it is no date."""
    message = field_error(response, field)
    return BOUND in message or "Enter a valid date" in message


def as_(client, staff):
    client.force_login(staff.user)
    client.cookies.load({"django_language": "en"})
    return client


def field_error(response, field: str) -> str:
    """The message shown at a form field (empty when there is none)."""
    page = response.content.decode()
    marker = f'id="id_{field}_error">'
    return page.split(marker)[1][:300] if marker in page else ""


# --------------------------------------------------------------------------------------------------- the helper


@pytest.mark.parametrize("raw", ["2026-11-24", " 2026-11-24 ", "1900-01-01", "2200-12-31"])
def test_a_day_within_the_years_is_read(raw):
    assert day_from_text(raw) == dt.date.fromisoformat(raw.strip())


@pytest.mark.parametrize("raw", BAD_DAYS)
def test_a_bad_day_is_refused_naming_the_field(raw):
    with pytest.raises(ValidationFailed) as refused:
        day_from_text(raw, field="due_on", label="Due on")
    assert refused.value.field == "due_on" and "Due on" in refused.value.message
    assert len(refused.value.message) < 200  # the text typed is not echoed back


def test_no_day_is_none_and_a_bad_one_falls_back_with_the_reason():
    assert day_from_text("") is None and day_from_text(None) is None and day_from_text("  ") is None
    assert day_or_default(None, TODAY) == (TODAY, "")
    day, error = day_or_default("9999-12-31", TODAY, label="Day")
    assert day == TODAY and "Day" in error and "2200" in error


def _project_forms() -> list[type[forms.BaseForm]]:
    for app in pkgutil.iter_modules(wuyou.__path__):
        for module in ("forms", "views", "admin"):
            try:
                importlib.import_module(f"wuyou.{app.name}.{module}")
            except ModuleNotFoundError as exc:
                if exc.name != f"wuyou.{app.name}.{module}":
                    raise
        if app.ispkg:
            with_views = importlib.import_module(f"wuyou.{app.name}")
            for sub in pkgutil.iter_modules(with_views.__path__):
                if sub.name == "views" and sub.ispkg:
                    for view in pkgutil.iter_modules(importlib.import_module(f"wuyou.{app.name}.views").__path__):
                        importlib.import_module(f"wuyou.{app.name}.views.{view.name}")
    found, todo = [], [forms.BaseForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("wuyou."):
                found.append(sub)
    return found


def _bounded_by_the_form(form: type[forms.BaseForm], name: str, field: forms.Field) -> bool:
    """Whether the form's own clean_<name> refuses a far year (admin forms keep Django's split date widgets)."""
    method = getattr(form, f"clean_{name}", None)
    if method is None:
        return False
    far = dt.datetime(9999, 12, 31, 12) if isinstance(field, forms.DateTimeField) else dt.date(9999, 12, 31)
    try:
        method(SimpleNamespace(cleaned_data={name: far}, fields={name: field}))
    except forms.ValidationError:
        return True
    return False


def test_every_date_field_of_every_project_form_is_bounded():
    """A new form with a plain DateField would take 9999-12-31 again: this fails for it."""
    project_forms = _project_forms()
    assert len(project_forms) > 10
    plain = [
        f"{form.__module__}.{form.__name__}.{name}"
        for form in project_forms
        for name, field in form.base_fields.items()
        if (
            (isinstance(field, forms.DateField) and not isinstance(field, BoundedDateField))
            or (isinstance(field, forms.DateTimeField) and not isinstance(field, BoundedDateTimeField))
        )
        and not _bounded_by_the_form(form, name, field)
    ]
    assert not plain, f"date fields without the 1900-2200 bound: {plain}"


@pytest.mark.parametrize("raw", ["0001-01-01T00:00", "9999-12-31T23:59", "1899-12-31T12:00"])
def test_a_bounded_datetime_field_refuses_the_far_years(settings, raw):
    field = BoundedDateTimeField(label="Requested from", input_formats=["%Y-%m-%dT%H:%M"])
    with pytest.raises(forms.ValidationError) as refused:
        field.clean(raw)
    assert "Requested from" in str(refused.value.messages)


# ----------------------------------------------------------------------------------- the pages that take a day


@pytest.mark.parametrize("raw", BAD_DAYS)
@pytest.mark.parametrize("partial", [False, True], ids=["page", "htmx"])
def test_the_board_with_a_bad_day_is_400_and_shows_today_saying_why(client, field_service, raw, partial):
    outlet = field_service.network.outlet_a
    url = f"{reverse('dispatch:board')}?{'outlet'}={outlet.pk}&day={raw}"
    response = as_(client, field_service.network.clerk_a).get(url, **(HX if partial else {}))
    assert response.status_code == 400, response.content[:300]
    page = response.content.decode()
    assert "Day" in page and ("YYYY-MM-DD" in page or BOUND in page)
    assert TODAY.isoformat() in page


@pytest.mark.parametrize("raw", BAD_DAYS)
def test_planning_a_bad_day_is_a_form_message_and_plans_nothing(client, field_service, raw):
    outlet = field_service.network.outlet_a
    response = as_(client, field_service.network.clerk_a).post(
        reverse("dispatch:plan_new"), {"outlet": outlet.pk, "day": raw, "seconds": 10}
    )
    assert response.status_code == 422, response.content[:300]
    page = response.content.decode()
    assert (BOUND in page and "Day must be" in page) or "Enter a valid date" in page
    assert not DispatchPlan.objects.exists()


@pytest.mark.parametrize("raw", BAD_DAYS)
def test_my_day_with_a_bad_day_is_400_and_shows_today_saying_why(client, field_service, raw):
    response = as_(client, field_service.network.engineer_a).get(f"{reverse('fieldservice:my_day')}?day={raw}")
    assert response.status_code == 400, response.content[:300]
    page = response.content.decode()
    assert "Today is shown." in page and ("YYYY-MM-DD" in page or BOUND in page)


@pytest.mark.parametrize("day", ["1900-01-01", "2200-12-31"])
def test_the_edges_of_the_years_still_show(client, field_service, day):
    network = field_service.network
    board = as_(client, network.clerk_a).get(f"{reverse('dispatch:board')}?outlet={network.outlet_a.pk}&day={day}")
    assert board.status_code == 200 and day in board.content.decode()
    mine = as_(client, network.engineer_a).get(f"{reverse('fieldservice:my_day')}?day={day}")
    assert mine.status_code == 200


@pytest.mark.parametrize("raw", ON_FORMS)
@pytest.mark.parametrize("field", ["purchase_date", "installed_on"])
def test_registering_a_unit_with_a_far_date_is_a_message_at_the_field(client, network, field, raw):
    customer = CustomerFactory(outlet=network.outlet_a)
    model = ProductModelFactory()
    response = as_(client, network.clerk_a).post(
        reverse("products:customer_units", args=[customer.pk]),
        {"serial": "HX2025FAR0001", "model": model.code, field: raw},
        **HX,
    )
    assert 400 <= response.status_code < 500, response.content[:300]
    assert told_at(response, field), field_error(response, field)
    assert not Unit.objects.filter(serial="HX2025FAR0001").exists()


@pytest.mark.parametrize(
    ("field", "raw"),
    [
        *(("reported_purchase_date", raw) for raw in ON_FORMS),
        *(("window_start", f"{raw}T09:00") for raw in ON_FORMS),
        *(("window_end", f"{raw}T12:00") for raw in ON_FORMS),
    ],
)
def test_opening_a_request_with_a_far_date_is_a_message_at_the_field(client, network, field, raw):
    customer = CustomerFactory(outlet=network.outlet_a)
    body = {"call_type": "repair", "channel": "hotline", "priority": "normal", "symptom": "不制冷", field: raw}
    response = as_(client, network.clerk_a).post(reverse("tickets:customer_requests", args=[customer.pk]), body, **HX)
    assert 400 <= response.status_code < 500, response.content[:300]
    assert told_at(response, field), field_error(response, field)
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize("raw", ON_FORMS)
def test_verifying_a_request_with_a_far_date_is_a_message_at_the_field(client, network, raw):
    customer = CustomerFactory(outlet=network.outlet_a)
    sr = request_open(
        actor=network.actor(network.clerk_a),
        intake=RequestInput(call_type="repair", customer_id=customer.pk, symptom="不制冷", reported_model=""),
    )
    response = as_(client, network.clerk_a).post(
        reverse("tickets:verify", args=[sr.pk]), {"reported_purchase_date": raw, "version": sr.version}
    )
    assert 400 <= response.status_code < 500, response.content[:300]
    assert told_at(response, "reported_purchase_date"), field_error(response, "reported_purchase_date")
    sr.refresh_from_db()
    assert sr.reported_purchase_date is None


@pytest.mark.parametrize("raw", ON_FORMS)
def test_lending_with_a_far_due_day_is_a_message_at_the_field(client, loaners, raw):
    take_back = loaners.take_back()
    body = {"loaner": loaners.loaner.pk, "due_back_on": raw, "receipt_number": "LN-0001", "signed_by": "李建国"}
    response = as_(client, loaners.f.network.clerk_a).post(reverse("loaners:lend", args=[take_back.pk]), body)
    assert 400 <= response.status_code < 500, response.content[:300]
    assert told_at(response, "due_back_on"), field_error(response, "due_back_on")
    assert not Loan.objects.exists()


@pytest.mark.parametrize("raw", ["0001-01-01", "9999-12-31"])
def test_the_engineer_day_admin_with_a_far_day_is_a_message_at_the_field(client, field_service, admin_user, raw):
    client.force_login(admin_user)
    client.cookies.load({"django_language": "en"})
    body = {
        "engineer": field_service.network.engineer_a.pk,
        "day": raw,
        "starts_at_0": raw,
        "starts_at_1": "08:00",
        "ends_at_0": raw,
        "ends_at_1": "17:00",
        "note": "",
    }
    response = client.post(reverse("admin:dispatch_engineerday_add"), body)
    assert response.status_code == 200, response.content[:300]
    assert BOUND in response.content.decode()
    assert not EngineerDay.objects.exists()
