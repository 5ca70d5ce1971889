"""The engineer's phone through the test client (issue 13 item 6): the visit leads with its next step and folds the
steps done to a line each; "my jobs" is a card a job with its visit's window, contact and next step, the desk keeps
its table."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from tests.field_service import SHANGHAI, TODAY
from wuyou.core.masking import mask_phone
from wuyou.fieldservice.services import StepInput
from wuyou.fieldservice.tests.test_views import ON_SITE, commit_day, fresh, phone_of, step, walk


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies.load({"django_language": "en"})
    with translation.override("en"):
        yield


def _open_cards(html: str) -> list[str]:
    """The ids of the step cards shown unfolded (the quote card, fees', folds its own form)."""
    return re.findall(r'<details class="step-card[^"]*" id="(step-(?!quote)[a-z_]+)" open>', html)


def _now(html: str) -> str:
    """The section the page leads with."""
    return html[html.index('class="visit-now"') : html.index('class="visit-steps"')]


def test_the_visit_leads_with_the_next_step_and_folds_the_steps_done(field_service, client):
    f = field_service
    wo = f.work_order()
    commit_day(f)
    client.force_login(f.network.engineer_a.user)
    # Not started: the call to the customer leads; the road's other steps wait folded
    html = client.get(f"/dispatch/work-orders/{wo.pk}/").content.decode()
    assert _open_cards(html) == ["step-confirm_call"]
    assert 'id="step-confirm_call"' in _now(html) and 'id="next"' in _now(html)
    assert 'id="step-on_the_way"' in html and 'id="step-arrived"' in html  # reachable, folded
    # On site with the diagnosis written: the work done leads; the diagnosis folds to its line
    walk(f, wo, *ON_SITE, ("diagnosis", StepInput(note="启动电容老化\n外机不启动")))
    html = client.get(f"/dispatch/work-orders/{wo.pk}/").content.decode()
    assert _open_cards(html) == ["step-work_done"]
    assert "Next step" in _now(html)
    diagnosis = re.search(r'id="step-diagnosis">\s*<summary>(.*?)</summary>', html, re.S)
    assert diagnosis and '<span class="step-summary">启动电容老化 外机不启动</span>' in diagnosis.group(1)
    # A bad post brings its card to the top with the error, the next step folds meanwhile
    response = step(client, wo, step="test_run")
    assert response.status_code == 422
    html = response.content.decode()
    assert "Check and save again" in _now(html) and 'id="step-test_run"' in _now(html)
    assert "Say whether the test run passed." in _now(html)
    # Recorded steps say what they wrote, in one line each
    walk(f, wo, ("work_done", StepInput(note="更换启动电容")), ("test_run", StepInput(test_run_ok=True)))
    html = client.get(f"/dispatch/work-orders/{wo.pk}/").content.decode()
    assert _open_cards(html) == ["step-rating"]
    arrived = fresh(wo).arrived_at
    assert arrived is not None
    assert f'<span class="step-summary">{arrived.astimezone(SHANGHAI):%H:%M}</span>' not in html  # road steps gone
    assert '<span class="step-summary">Passed</span>' in html
    assert '<span class="step-summary">更换启动电容</span>' in html
    # The record so far lists the diagnosis even when the road steps were never taken on this page
    assert 'data-record="diagnosis"' in html


def test_my_jobs_are_cards_for_the_engineer_and_a_table_for_the_desk(field_service, client):
    f = field_service
    net = f.network
    today = f.work_order()
    tomorrow = f.work_order(day=TODAY.replace(day=TODAY.day + 1))
    commit_day(f)
    commit_day(f, day=TODAY.replace(day=TODAY.day + 1))
    walk(f, today, *ON_SITE)
    client.force_login(net.engineer_a.user)
    html = client.get("/jobs/").content.decode()
    assert 'id="job-cards"' in html and "<table" not in html
    assert html.count('<li class="job-card') == 2
    now = html[html.index(f'id="job-{today.request_id}"') :]
    now = now[: now.index("</li>")]
    # Today's visit on site: its window, the number to call, the next step, the visit page
    assert "11-24 09:00–11:00" in now and f'href="tel:{phone_of(today)}"' in now
    assert "Next step" in now and "Diagnosis" in now
    assert f'href="/dispatch/work-orders/{today.pk}/"' in now
    # Tomorrow's: the number is masked until the day of the visit (the visit's rule)
    later = html[html.index(f'id="job-{tomorrow.request_id}"') :]
    later = later[: later.index("</li>")]
    assert mask_phone(phone_of(tomorrow)) in later and "tel:" not in later
    assert "Confirm the appointment by phone" in later
    # Another engineer sees neither card
    client.force_login(net.engineer_a2.user)
    html = client.get("/jobs/").content.decode()
    assert '<li class="job-card' not in html and phone_of(today) not in html
    # The desk keeps its table
    client.force_login(net.clerk_a.user)
    html = client.get("/jobs/").content.decode()
    assert 'id="job-cards"' not in html and '<table class="dense requests">' in html
