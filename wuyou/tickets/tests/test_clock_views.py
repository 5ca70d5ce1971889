"""R-E4 on the web: a request's clocks on its page, the sweeper's escalations in its history, the "at risk" list.

Clocks are made by the real services (`request_open` with the default time limits the `network` fixture installs)
and moved on by the real sweeper at frozen times. A repair opened on Monday 2026-03-02 09:00 (Shanghai) is due:
first response Tue 09:00 (24 h, warns Tue 04:12), appointment Tue 09:30 (8 business hours, warns Mon 16:54),
on site Wed 17:30 (warns Wed 11:36) and resolved Thu 17:30.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from tests.factories import CustomerFactory, UnitFactory
from wuyou.tickets.models import ServiceRequest, level_label
from wuyou.tickets.services import RequestInput, request_assign, request_open, request_record, request_transition
from wuyou.tickets.sla import ClockSignal, chain_rung
from wuyou.tickets.sweep import clocks_sweep
from wuyou.tickets.templatetags.clocks import clock_phrase, clock_tone, duration_phrase

SHANGHAI = ZoneInfo("Asia/Shanghai")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
HX = {"HTTP_HX_REQUEST": "true"}


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


# --- the relative phrase (pure) ----------------------------------------------------------------------------------

NOW = at("2026-03-02 09:00")
H, MIN, D = dt.timedelta(hours=1), dt.timedelta(minutes=1), dt.timedelta(days=1)

# (state, outcome, due_at - now) → English, Simplified Chinese
PHRASES = [
    ("running", "", 3 * H + 10 * MIN, "due in 3 h 10 min", "3 小时 10 分钟后到期"),
    ("running", "", 3 * H + 10 * MIN + dt.timedelta(seconds=59), "due in 3 h 10 min", "3 小时 10 分钟后到期"),
    ("running", "", 1 * H, "due in 1 h", "1 小时后到期"),
    ("running", "", 45 * MIN, "due in 45 min", "45 分钟后到期"),
    ("running", "", 2 * D, "due in 2 d", "2 天后到期"),
    ("running", "", 2 * D + 5 * H + 59 * MIN, "due in 2 d 5 h", "2 天 5 小时后到期"),
    ("running", "", dt.timedelta(seconds=30), "due now", "即将到期"),
    ("running", "", -dt.timedelta(seconds=30), "due now", "即将到期"),
    ("running", "", -(1 * D + 2 * H), "overdue by 1 d 2 h", "超时 1 天 2 小时"),
    ("running", "", -(1 * MIN), "overdue by 1 min", "超时 1 分钟"),
    ("running", "", -(26 * H + 30 * MIN), "overdue by 1 d 2 h", "超时 1 天 2 小时"),
    ("paused", "", -(5 * H), "paused", "已暂停"),
    ("stopped", "met", 5 * H, "met", "按时完成"),
    ("stopped", "missed", -(5 * H), "met late", "逾期完成"),
    ("stopped", "moot", 5 * H, "not needed", "无需办理"),
]


@pytest.mark.parametrize(("state", "outcome", "left", "english", "_chinese"), PHRASES)
def test_clock_phrase_in_english_r_e4(state, outcome, left, english, _chinese):
    with translation.override("en"):
        assert clock_phrase(state=state, outcome=outcome, due_at=NOW + left, now=NOW) == english


@pytest.mark.parametrize(("state", "outcome", "left", "_english", "chinese"), PHRASES)
def test_clock_phrase_in_chinese_r_e4(state, outcome, left, _english, chinese):
    with translation.override("zh-hans"):
        assert clock_phrase(state=state, outcome=outcome, due_at=NOW + left, now=NOW) == chinese


def test_durations_name_their_two_largest_units():
    with translation.override("en"):
        assert [duration_phrase(s) for s in (59, 60, 3600, 3660, 86400, 90000, 86460, -5400)] == [
            "0 min",
            "1 min",
            "1 h",
            "1 h 1 min",
            "1 d",
            "1 d 1 h",
            "1 d",  # minutes drop out beside days
            "1 h 30 min",
        ]


@pytest.mark.parametrize(
    ("chain", "level", "expected"),
    [
        (["responsible", "outlet_manager", "service_manager"], 1, "outlet_manager"),
        (["responsible", "outlet_manager"], 5, "outlet_manager"),  # past the end: the last rung
        ([], 0, "responsible"),
        (None, 2, "responsible"),
    ],
)
def test_the_level_reached_is_a_rung_of_the_chain(chain, level, expected):
    assert chain_rung(chain, level) == expected


def test_level_labels():
    with translation.override("en"):
        assert level_label("outlet_manager") == "Outlet manager"
        assert level_label("someone_else") == "someone_else"


@pytest.mark.parametrize(
    ("state", "stage", "left", "tone"),
    [
        ("running", "on_time", H, ""),
        ("running", "warned", H, "warned"),
        ("running", "breached", -H, "breached"),
        ("running", "on_time", -H, "breached"),  # past due before the sweeper came by
        ("paused", "breached", -H, "breached"),
        ("paused", "warned", H, "warned"),
        ("stopped", "breached", -H, ""),
    ],
)
def test_tone_amber_when_warned_red_when_breached(state, stage, left, tone):
    assert clock_tone(state=state, stage=stage, due_at=NOW + left, now=NOW) == tone


# --- the request page --------------------------------------------------------------------------------------------


class Desk:
    """Outlet A's clerk working the real services at a frozen time."""

    def __init__(self, network, traveller) -> None:
        self.network = network
        self.actor = network.actor(network.clerk_a)
        self.traveller = traveller
        self.customer = CustomerFactory(outlet=network.outlet_a, name="李建国")

    def now(self, text: str) -> None:
        self.traveller.move_to(at(text))

    def open(self, customer=None, **kw: Any) -> ServiceRequest:
        customer = customer or self.customer
        kw.setdefault("unit_serial", UnitFactory(owner=customer).serial)
        kw.setdefault("symptom", "不制冷")
        actor = (
            self.actor if customer.outlet_id == self.network.outlet_a.pk else self.network.actor(self.network.manager)
        )
        return request_open(actor=actor, intake=RequestInput(call_type="repair", customer_id=customer.pk, **kw))

    def act(self, sr: ServiceRequest, action: str) -> ServiceRequest:
        return request_transition(actor=self.actor, request=sr, action=action, note="客户来电")

    def assign(self, sr: ServiceRequest, engineer=None) -> ServiceRequest:
        engineer = engineer or self.network.engineer_a
        return request_assign(actor=self.network.actor(self.network.manager), request=sr, engineer_id=engineer.pk)

    def book(self, sr: ServiceRequest) -> None:
        actor = self.network.actor(self.network.manager)
        request_record(
            actor=actor, request=sr, verb="appointment_booked", summary="", clock_signal=ClockSignal.APPOINTMENT_AGREED
        )


@pytest.fixture
def desk(network):
    with time_machine.travel(at("2026-03-02 09:00"), tick=False) as traveller:
        yield Desk(network, traveller)


def page_of(client, staff, sr: ServiceRequest) -> str:
    client.force_login(staff.user)
    response = client.get(reverse("tickets:detail", args=[sr.pk]), **EN)
    assert response.status_code == 200
    return response.content.decode()


def clock_rows(html: str) -> list[str]:
    """The clock table's rows, as text with tags dropped and spaces squeezed."""
    table = html.split('id="clocks"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr class=\"clock [^\"]*\">(.*?)</tr>", table, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


def test_a_new_request_shows_each_clock_with_its_local_due_time(client, network, desk):
    sr = desk.open()
    assert clock_rows(page_of(client, network.clerk_a, sr)) == [
        "First response 2026-03-03 09:00 due in 1 d —",
        "Appointment confirmed 2026-03-03 09:30 due in 1 d —",
        "Engineer on site 2026-03-04 17:30 due in 2 d 8 h —",
        "Resolved 2026-03-05 17:30 due in 3 d 8 h —",
    ]


def test_a_warned_clock_is_amber_and_says_so(client, network, desk):
    sr = desk.open()
    desk.now("2026-03-02 17:00")  # the appointment warned at 16:54
    clocks_sweep()
    html = page_of(client, network.clerk_a, sr)
    rows = clock_rows(html)
    assert rows[1] == "Appointment confirmed 2026-03-03 09:30 due in 16 h 30 min Warned —"
    assert re.search(r'<tr class="clock clock-running clock-warned">\s*<td>Appointment confirmed', html)
    assert "Warning sent to Assignee (else the outlet&#x27;s clerks)" in html


def test_a_breached_clock_is_red_says_overdue_and_names_the_level_reached(client, network, desk):
    sr = desk.open()
    desk.now("2026-03-03 17:00")
    clocks_sweep()  # first response breached (outlet manager); appointment breached, escalated to the service manager
    html = page_of(client, network.clerk_a, sr)
    rows = clock_rows(html)
    assert rows[0] == "First response 2026-03-03 09:00 overdue by 8 h Breached Outlet manager"
    assert (
        rows[1] == "Appointment confirmed 2026-03-03 09:30 overdue by 7 h 30 min Breached Head-office service manager"
    )
    assert 'class="clock clock-running clock-breached"' in html
    assert 'class="badge badge-overdue">Overdue' in html


def test_the_sweepers_escalations_are_labelled_in_the_history_as_the_system(client, network, desk):
    sr = desk.open()
    desk.now("2026-03-03 17:00")
    clocks_sweep()
    html = page_of(client, network.clerk_a, sr)
    history = html.split('id="history-h"', 1)[1].replace("&#x27;", "'")
    items = re.findall(r'<li class="tl-item ([^"]*)">(.*?)</li>', history, re.S)
    texts = [(css, " ".join(re.sub(r"<[^>]+>", " ", body).split())) for css, body in items]
    clock_lines = [(css, text[17:]) for css, text in texts if css.startswith("tl-clock")]  # without the time
    # A sweep that comes after the deadlines skips "due soon": both clocks breach, then one climbs further.
    assert clock_lines == [
        (
            "tl-clock tl-clock-escalated",
            "Escalated to Head-office service manager system Appointment confirmed, due 2026-03-03 09:30",
        ),
        (
            "tl-clock tl-clock-breached",
            "Overdue: escalated to Outlet manager system First response, due 2026-03-03 09:00",
        ),
        (
            "tl-clock tl-clock-breached",
            "Overdue: escalated to Outlet manager system Appointment confirmed, due 2026-03-03 09:30",
        ),
    ]
    assert "clerk_a" in history.split("tl-clock-breached")[-1]  # the opening is still by the clerk


def called_back_soon(desk, sr) -> None:
    """A callback scheduled now, as quality schedules one: its clock starts (tickets knows no callbacks)."""
    request_record(
        actor=desk.actor,
        request=sr,
        verb="callback_scheduled",
        summary="…",
        clock_signal=ClockSignal.CALLBACK_SCHEDULED,
    )


def test_stopped_clocks_say_met_met_late_or_not_needed_and_stay_as_history(client, network, desk):
    sr = desk.open()
    desk.now("2026-03-03 10:00")
    clocks_sweep()
    desk.act(sr, "accept")  # first response: an hour late
    desk.assign(sr)
    desk.book(sr)  # appointment: late as well
    desk.now("2026-03-03 11:00")
    desk.act(sr, "resolve")  # on-site visit no longer needed
    called_back_soon(desk, sr)  # quality schedules the callback, and with it the callback clock
    rows = clock_rows(page_of(client, network.clerk_a, sr))
    assert rows == [
        "First response 2026-03-03 09:00 met late Outlet manager",
        "Appointment confirmed 2026-03-03 09:30 met late Outlet manager",
        "Engineer on site 2026-03-04 17:30 not needed —",
        "Resolved 2026-03-05 17:30 met —",
        "Callback 2026-03-04 17:30 due in 1 d 6 h —",  # close of the next working day
    ]


def test_a_reopened_step_lists_the_new_clock_before_the_old_one(client, network, desk):
    sr = desk.open()
    desk.act(sr, "resolve")
    desk.now("2026-03-03 10:00")
    desk.act(sr, "reopen")
    rows = [row for row in clock_rows(page_of(client, network.clerk_a, sr)) if row.startswith("Resolved")]
    assert rows == ["Resolved 2026-03-06 17:30 due in 3 d 7 h —", "Resolved 2026-03-05 17:30 met —"]


def test_a_paused_clock_says_paused(client, network, desk):
    sr = desk.open()
    desk.act(sr, "accept")
    desk.act(sr, "wait_customer")
    rows = clock_rows(page_of(client, network.clerk_a, sr))
    assert any(row.startswith("Resolved") and "paused" in row for row in rows)


def test_a_deadline_in_an_unpublished_year_is_badged_provisional(client, network, desk):
    desk.now("2027-03-01 09:00")
    sr = desk.open()
    html = page_of(client, network.clerk_a, sr)
    assert html.count('class="badge badge-provisional"') == 3  # all but the 24-clock-hour first response
    assert "Next year&#x27;s holidays are not published yet; weekends assumed." in html
    assert not sr.clocks.get(step="first_response").provisional


def test_another_outlets_request_page_is_a_404_and_the_engineer_sees_only_his_own(client, network, desk):
    theirs = desk.open(customer=CustomerFactory(outlet=network.outlet_b))
    mine = desk.open()
    desk.assign(mine)
    other = desk.open()
    desk.assign(other, network.engineer_a2)
    client.force_login(network.clerk_a.user)
    assert client.get(reverse("tickets:detail", args=[theirs.pk])).status_code == 404
    client.force_login(network.engineer_a.user)
    assert client.get(reverse("tickets:detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("tickets:detail", args=[other.pk])).status_code == 404


# --- the request list -------------------------------------------------------------------------------------------


def test_the_list_marks_warned_and_overdue_requests_and_filters_overdue_by_the_clocks(client, network, desk):
    late = desk.open()  # Mon 09:00: answer due Tue 09:00
    resolved = desk.open()
    desk.act(resolved, "resolve")  # every clock stops
    called_back_soon(desk, resolved)  # the callback is due by close of Tuesday
    desk.now("2026-03-04 08:30")
    warned = desk.open(priority="urgent")  # answer due 12:30, warns 11:42
    desk.now("2026-03-04 11:00")
    quiet = desk.open()
    desk.now("2026-03-04 12:00")
    clocks_sweep()
    client.force_login(network.clerk_a.user)
    html = client.get(reverse("tickets:list"), **EN).content.decode()
    rows = {sr.number: row for sr in (late, warned, quiet, resolved) for row in html.split("<tr") if sr.number in row}
    assert 'class="is-overdue"' in rows[late.number] and ">Overdue<" in rows[late.number]
    assert ">Warned<" in rows[warned.number] and "is-overdue" not in rows[warned.number]
    assert ">Overdue<" in rows[resolved.number], "resolved, but its callback is overdue"
    assert "Warned" not in rows[quiet.number] and "Overdue" not in rows[quiet.number]

    def listed(**params) -> set[str]:
        page = client.get(reverse("tickets:list"), params, **HX).content.decode()
        return {sr.number for sr in (late, warned, quiet, resolved) if sr.number in page}

    assert listed(overdue="yes") == {late.number, resolved.number}
    assert listed(overdue="no") == {warned.number, quiet.number}


# --- the "at risk" list ------------------------------------------------------------------------------------------


def at_risk(client, staff, **params) -> str:
    client.force_login(staff.user)
    response = client.get(reverse("tickets:at_risk"), params, **EN)
    assert response.status_code == 200
    return response.content.decode()


def numbers_in(html: str, *requests: ServiceRequest) -> list[str | None]:
    """The requests' numbers in the order the page shows them."""
    found = [(html.find(f">{sr.number}<"), sr.number) for sr in requests if f">{sr.number}<" in html]
    return [number for _pos, number in sorted(found)]


@pytest.fixture
def risky(network, desk):
    """Wed 2026-03-04 12:00, just swept: outlet A's requests in each stage, and one of outlet B."""
    breached = desk.open()  # Mon 09:00: answer (due Tue 09:00) and appointment breached, on-site visit warned
    theirs = desk.open(customer=CustomerFactory(outlet=network.outlet_b, name="王芳"))  # the same, at outlet B
    desk.now("2026-03-02 10:00")
    on_site = desk.open()  # dispatched at once: the visit is due Wed 17:30 and warns at 11:48
    desk.assign(on_site)
    desk.book(on_site)
    colleagues = desk.open()
    desk.assign(colleagues, network.engineer_a2)
    desk.book(colleagues)
    desk.now("2026-03-04 09:00")
    soon = desk.open(priority="urgent")  # answer due 13:00, warns only at 12:12: due soon
    fresh = desk.open()  # answer due Thu 09:00: not at risk within 4 hours
    desk.now("2026-03-04 12:00")
    clocks_sweep()
    return {
        "breached": breached,
        "theirs": theirs,
        "on_site": on_site,
        "colleagues": colleagues,
        "soon": soon,
        "fresh": fresh,
    }


def test_at_risk_lists_visible_requests_warned_overdue_or_due_soon_nearest_first(client, network, desk, risky):
    html = at_risk(client, network.clerk_a)
    r = risky
    assert numbers_in(html, *r.values()) == [  # the most urgent first (issue 13 item 9)
        r["soon"].number,  # answer due Wed 13:00: the soonest still to save
        r["breached"].number,  # visit due Wed 17:30 (warned), and its answer breached Tue 09:00
        r["on_site"].number,  # visit due Wed 17:30, warned
        r["colleagues"].number,
    ]
    assert "王芳" not in html and "李建国" in html
    row = html.split(f">{r['breached'].number}</a>", 1)[1].split("</tr>", 1)[0]
    assert " ".join(re.sub(r"<[^>]+>", " ", row).split()) == (
        "李建国 First response Appointment confirmed Engineer on site"
        " 2026-03-03 09:00 overdue by 1 d 3 h 2026-03-03 09:30 overdue by 1 d 2 h"
        " 2026-03-04 17:30 due in 5 h 30 min"
        " Breached Breached Warned Head of service Head of service — —"
    )
    row = html.split(f">{r['soon'].number}</a>", 1)[1].split("</tr>", 1)[0]
    assert "due in 1 h" in row and "Due soon" in row


def test_the_due_within_filter_widens_the_window(client, network, desk, risky):
    assert risky["fresh"].number not in at_risk(client, network.clerk_a)
    assert risky["fresh"].number in at_risk(client, network.clerk_a, within_hours=24)
    # An unreadable window is the default, never an error page.
    assert risky["fresh"].number not in at_risk(client, network.clerk_a, within_hours="soon")
    assert risky["fresh"].number not in at_risk(client, network.clerk_a, within_hours=100000)


def test_mine_is_the_engineers_own_jobs_and_a_managers_outlet(client, network, desk, risky):
    r = risky
    assert numbers_in(at_risk(client, network.manager), *r.values()) == [
        r["soon"].number,
        r["breached"].number,
        r["theirs"].number,
        r["on_site"].number,
        r["colleagues"].number,
    ]
    assert numbers_in(at_risk(client, network.engineer_a), *r.values()) == [r["on_site"].number]
    assert 'name="show"' not in at_risk(client, network.engineer_a)
    outlet_manager = numbers_in(at_risk(client, network.outlet_manager_a, show="mine"), *r.values())
    assert outlet_manager == [r["soon"].number, r["breached"].number, r["on_site"].number, r["colleagues"].number]
    assert len(numbers_in(at_risk(client, network.manager, show="mine"), *r.values())) == 5, "head office: all"
    # A clerk's own are his outlet's unassigned requests (the warnings go to him) and those a warning reached him on
    unassigned = {sr.number for sr in r.values() if sr.assignee_id is None and sr.outlet_id == network.outlet_a.pk}
    visible = numbers_in(at_risk(client, network.clerk_a), *r.values())
    expected = [number for number in visible if number in unassigned]
    assert expected and numbers_in(at_risk(client, network.clerk_a, show="mine"), *r.values()) == expected


def test_outsiders_see_nothing_of_outlet_a_at_risk(client, network, desk, risky):
    html = at_risk(client, network.clerk_b)
    assert numbers_in(html, *risky.values()) == [risky["theirs"].number]
    assert "李建国" not in html
    assert "Nothing is at risk." in at_risk(client, network.engineer_b)
    assert numbers_in(at_risk(client, network.engineer_a2), *risky.values()) == [risky["colleagues"].number]
    assert "Nothing is at risk." in at_risk(client, network.sales_rep_a, show="mine")


def test_at_risk_swaps_only_the_table_for_htmx(client, network, desk, risky):
    client.force_login(network.clerk_a.user)
    html = client.get(reverse("tickets:at_risk"), {"within_hours": 24}, **HX, **EN).content.decode()
    assert "<html" not in html and 'id="results"' in html and risky["fresh"].number in html


def test_the_nav_offers_at_risk_to_the_desk_managers_and_engineers(client, network):
    for staff in (
        network.clerk_a,
        network.outlet_manager_a,
        network.manager,
        network.regional_manager,
        network.engineer_a,
    ):
        client.force_login(staff.user)
        assert 'href="/requests/at-risk/"' in client.get(reverse("tickets:list")).content.decode(), staff
    client.force_login(network.sales_rep_a.user)
    assert 'href="/requests/at-risk/"' not in client.get(reverse("tickets:list")).content.decode()


def test_at_risk_query_count_does_not_grow_with_rows_and_pages_by_25(client, network, desk):
    desk.open()
    desk.now("2026-03-04 10:00")
    clocks_sweep()
    client.force_login(network.clerk_a.user)
    url = reverse("tickets:at_risk")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    desk.now("2026-03-02 09:00")
    for _ in range(29):
        desk.open()
    desk.now("2026-03-04 10:00")
    clocks_sweep()
    with CaptureQueriesContext(connection) as many:
        first = client.get(url).content.decode()
    assert len(many) == len(one) <= 8, [q["sql"][:120] for q in many]  # 8: the old backlog's count
    assert first.count('class="mono" href="/requests/') == 25
    second = client.get(url, {"page": 2}, **HX).content.decode()
    assert second.count('class="mono" href="/requests/') == 5 and "?page=1" in second
