"""Loaner screens (issue 5 item 5, R-F5): the pool, take-backs and their stages, lending, returning, overdue.

Built on the `loaners` fixture of test_loans (outlet A: one available and one retired loaner; outlet B: one; a visit
on site); time is frozen by `field_service` on Tuesday 2026-11-24 07:00 Shanghai.
"""

# ruff: noqa: F811 — the `stock` / `loaners` fixtures are imported from the service tests and used as arguments
from __future__ import annotations

import datetime as dt

from django.urls import reverse

from tests.field_service import TODAY, local
from wuyou.loaners.models import Loan, LoanerStatus, LoanerUnit, TakeBack, TakeBackStage
from wuyou.loaners.services import loaner_lend
from wuyou.loaners.tests.test_services import DUE, Loaners, loaners  # noqa: F401  (the fixture)
from wuyou.tickets.models import RequestEvent


def as_(client, s: Loaners, name: str):
    """Log in as one of the network's staff, speaking English."""
    client.force_login(getattr(s.f.network, name).user)
    client.cookies.load({"django_language": "en"})
    return client


def lend(s: Loaners, take_back: TakeBack, loaner: LoanerUnit | None = None, due: dt.date = DUE) -> Loan:
    return loaner_lend(
        actor=s.actor("clerk_a"),
        take_back=take_back,
        loaner_id=(loaner or s.loaner).pk,
        due_back_on=due,
        receipt_number="LN-0001",
        signed_by="李建国",
    )


def section(page: str, anchor: str) -> str:
    return page.split(f'id="{anchor}"')[1].split("</section>")[0]


def test_the_clerk_sees_the_pool_the_take_backs_and_the_loans_out(client, loaners):
    s = loaners
    take_back = s.take_back()
    lend(s, take_back)
    page = as_(client, s, "clerk_a").get(reverse("loaners:list")).content.decode()
    pool = section(page, "pool")
    assert "LN-A-001" in pool and "LN-A-002" in pool and "Retired" in pool and "LN-B-001" not in pool
    taken = section(page, "take-backs")
    assert "TB-0001" in taken and take_back.unit.serial in taken and "Taken from the customer" in taken
    assert "Loaner out" in taken and "→ At the outlet" in taken
    out = section(page, "loans")
    assert "LN-A-001" in out and "2026-12-08" in out
    assert "No loaner is overdue." in section(page, "overdue")


def test_a_take_back_with_no_loaner_available_is_marked(client, loaners):
    s = loaners
    LoanerUnit.objects.filter(pk=s.loaner.pk).update(status=LoanerStatus.IN_REPAIR)
    take_back = s.take_back()
    page = as_(client, s, "outlet_manager_a").get(reverse("loaners:list")).content.decode()
    row = section(page, "take-backs").split(f'id="take-back-{take_back.pk}"')[1]
    assert "No loaner available" in row.split("</tr>")[0]
    page = as_(client, s, "clerk_a").get(reverse("loaners:lend", args=[take_back.pk])).content.decode()
    assert "No loaner is available at this outlet right now" in page


def test_the_clerk_lends_a_loaner_on_the_form(client, loaners):
    s = loaners
    take_back = s.take_back()
    c = as_(client, s, "clerk_a")
    url = reverse("loaners:lend", args=[take_back.pk])
    page = c.get(url).content.decode()
    # outlet A's available loaner is offered; the retired one and outlet B's are not; two weeks is proposed
    assert f'<option value="{s.loaner.pk}"' in page
    assert f'value="{s.retired.pk}"' not in page and f'value="{s.loaner_b.pk}"' not in page
    assert 'value="2026-12-08"' in page
    body = {"loaner": s.loaner.pk, "due_back_on": "2026-12-08", "receipt_number": "LN-0001", "signed_by": "李建国"}
    response = c.post(url, body)
    assert response.status_code == 302
    loan = Loan.objects.get()
    assert (loan.loaner_id, loan.take_back_id, loan.due_back_on) == (s.loaner.pk, take_back.pk, DUE)


def test_lending_with_bad_input_shows_the_error_next_to_the_field_and_writes_nothing(client, loaners):
    s = loaners
    take_back = s.take_back()
    c = as_(client, s, "clerk_a")
    url = reverse("loaners:lend", args=[take_back.pk])
    good = {"loaner": s.loaner.pk, "due_back_on": "2026-12-08", "receipt_number": "LN-0001", "signed_by": "李建国"}
    events = RequestEvent.objects.count()
    for change, field, message in (
        ({"due_back_on": "2026-11-24"}, "due_back_on", "after today"),
        ({"due_back_on": "2027-03-01"}, "due_back_on", "90 days"),
        ({"due_back_on": "明天"}, "due_back_on", "Enter a valid date"),
        ({"receipt_number": ""}, "receipt_number", "required"),
        ({"signed_by": ""}, "signed_by", "required"),
        ({"loaner": s.loaner_b.pk}, "loaner", "No such loaner at this outlet."),
    ):
        response = c.post(url, {**good, **change})
        page = response.content.decode()
        assert response.status_code in (404, 422), change
        assert f'id="id_{field}_error">' in page, change
        assert message in page.split(f'id="id_{field}_error">')[1][:200], change
    assert not Loan.objects.exists() and RequestEvent.objects.count() == events
    assert LoanerUnit.objects.get(pk=s.loaner.pk).status == LoanerStatus.AVAILABLE


def test_lending_a_loaner_that_is_already_out_is_refused_on_the_form(client, loaners):
    s = loaners
    lend(s, s.take_back())
    second = s.take_back(s.visit())
    body = {"loaner": s.loaner.pk, "due_back_on": "2026-12-08", "receipt_number": "LN-0002", "signed_by": "王芳"}
    response = as_(client, s, "clerk_a").post(reverse("loaners:lend", args=[second.pk]), body)
    page = response.content.decode()
    assert response.status_code == 409
    assert "Loaner LN-A-001 is already out." in page.split('id="id_loaner_error">')[1][:200]
    assert Loan.objects.count() == 1


def test_the_take_back_moves_through_its_stages_one_at_a_time(client, loaners):
    s = loaners
    take_back = s.take_back()
    c = as_(client, s, "clerk_a")
    url = reverse("loaners:advance", args=[take_back.pk])
    assert c.post(url, {"stage": "at_outlet"}).status_code == 302
    # skipping a stage is refused on the page, the stage stays
    response = c.post(url, {"stage": "returned"})
    assert response.status_code == 409 and "cannot go to" in response.content.decode()
    take_back.refresh_from_db()
    assert take_back.stage == TakeBackStage.AT_OUTLET
    for stage in ("in_repair", "repaired", "returned"):
        assert c.post(url, {"stage": stage}).status_code == 302
    page = c.get(reverse("loaners:list")).content.decode()
    assert "TB-0001" not in section(page, "take-backs")


def test_an_overdue_loan_is_listed_apart_and_the_return_closes_it(client, loaners):
    s = loaners
    loan = lend(s, s.take_back(), due=TODAY + dt.timedelta(days=3))
    s.f.traveller.move_to(local(TODAY + dt.timedelta(days=5), "09:00"))
    c = as_(client, s, "clerk_a")
    page = c.get(reverse("loaners:list")).content.decode()
    overdue = section(page, "overdue")
    assert "LN-A-001" in overdue and "2 days late" in overdue and "is-overdue" in overdue
    assert "LN-A-001" not in section(page, "loans")
    # a condition longer than allowed is refused next to the field
    url = reverse("loaners:return", args=[loan.pk])
    response = c.post(url, {"condition": "划" * 301})
    assert response.status_code == 422 and 'id="id_condition_error"' in response.content.decode()
    assert Loan.objects.get().returned_at is None
    assert c.post(url, {"condition": "外壳有划痕"}).status_code == 302
    s.loaner.refresh_from_db()
    assert (s.loaner.status, s.loaner.condition_note) == (LoanerStatus.AVAILABLE, "外壳有划痕")
    # returning twice is refused
    response = c.post(url, {"condition": ""})
    assert response.status_code == 409 and "already been returned" in response.content.decode()


def test_another_outlet_gets_404_on_take_backs_and_loans(client, loaners):
    s = loaners
    take_back = s.take_back()
    loan = lend(s, take_back)
    c = as_(client, s, "clerk_b")
    page = c.get(reverse("loaners:list")).content.decode()
    assert "TB-0001" not in page and "LN-A-001" not in page and "LN-B-001" in page
    assert c.get(reverse("loaners:lend", args=[take_back.pk])).status_code == 404
    assert c.post(reverse("loaners:advance", args=[take_back.pk]), {"stage": "at_outlet"}).status_code == 404
    assert c.post(reverse("loaners:return", args=[loan.pk]), {"condition": ""}).status_code == 404
    assert Loan.objects.get().returned_at is None


def test_the_engineer_sees_his_own_take_backs_and_his_outlets_available_loaners(client, loaners):
    s = loaners
    s.take_back()
    page = as_(client, s, "engineer_a").get(reverse("loaners:list")).content.decode()
    assert "TB-0001" in section(page, "take-backs")
    assert "LN-A-001" in section(page, "pool") and "LN-A-002" not in section(page, "pool")
    page = as_(client, s, "engineer_a2").get(reverse("loaners:list")).content.decode()
    assert "TB-0001" not in page
    assert as_(client, s, "sales_rep_a").get(reverse("loaners:list")).status_code == 403


def test_the_pages_render_in_the_default_language_too(client, loaners):
    s = loaners
    take_back = s.take_back()
    lend(s, take_back)
    client.force_login(s.f.network.outlet_manager_a.user)
    for url in (reverse("loaners:list"), reverse("parts:stock"), reverse("parts:catalogue")):
        assert client.get(url).status_code == 200, url


def test_the_loaners_page_takes_the_same_queries_for_one_loan_or_four(client, loaners):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    s = loaners
    c = as_(client, s, "clerk_a")
    url = reverse("loaners:list")

    def count() -> int:
        c.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert c.get(url).status_code == 200
        return len(captured)

    lend(s, s.take_back())
    one = count()
    model = s.loaner.product_model
    for n in range(3):
        extra = LoanerUnit.objects.create(outlet=s.f.network.outlet_a, product_model=model, serial=f"LN-A-20{n}")
        lend(s, s.take_back(s.visit()), loaner=extra)
    assert count() == one
