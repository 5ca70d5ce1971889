"""The engineer's day and the visit page through the test client (R-F2, R-F3, R-F8)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import translation

from tests.field_service import SHANGHAI, SIGNATURE, TODAY
from wuyou.core.masking import mask_phone
from wuyou.core.signatures import signature_normalised
from wuyou.dispatch.models import EngineerDay, WorkOrder, WorkOrderStatus
from wuyou.dispatch.services import plan_commit, plan_request, plan_run
from wuyou.fees.pricing import QuotePart
from wuyou.fees.services import quote_decide, visit_quote_offer
from wuyou.fees.tests.test_views import parts_and_policy
from wuyou.fieldservice.services import StepInput, work_order_step
from wuyou.loaners.models import TakeBack
from wuyou.notifications.models import Message
from wuyou.products.models import Unit
from wuyou.tickets.models import RequestEvent, ServiceRequest, Status

STORED = signature_normalised(SIGNATURE)  # what the door keeps: the image re-encoded
TOMORROW = TODAY + dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies.load({"django_language": "en"})
    with translation.override("en"):
        yield


def commit_day(f, day=TODAY):
    """The desk plans and commits the outlet's day; engineer_a2 is off, so every visit goes to engineer_a."""
    net = f.network
    EngineerDay.objects.get_or_create(engineer=net.engineer_a2, day=day, defaults={"is_off": True})
    clerk = net.actor(net.clerk_a)
    plan = plan_run(plan_id=plan_request(actor=clerk, outlet_id=net.outlet_a.pk, day=day, seconds=1).pk)
    assert not plan.proposal["plan"]["unassigned"], plan.proposal["plan"]["unassigned"]
    plan_commit(actor=clerk, plan=plan)


def fresh(wo: WorkOrder) -> WorkOrder:
    return WorkOrder.objects.select_related("request", "engineer").get(pk=wo.pk)


def walk(f, wo: WorkOrder, *steps: tuple[str, StepInput]) -> WorkOrder:
    me = f.network.actor(f.network.engineer_a)
    wo = fresh(wo)
    for step, data in steps:
        wo = work_order_step(actor=me, work_order=wo, step=step, entry=data)
    return fresh(wo)


ON_SITE = (("on_the_way", StepInput()), ("arrived", StepInput()))
TO_DONE = (
    *ON_SITE,
    ("work_done", StepInput(note="更换电容")),
    ("rating", StepInput(quality=5, attitude=5, signature=SIGNATURE)),
    ("done", StepInput()),
)


def phone_of(wo: WorkOrder) -> str:
    sr = ServiceRequest.objects.get(pk=wo.request_id)
    if sr.contact_phone:
        return sr.contact_phone
    phone = sr.customer.phones.first()
    assert phone is not None
    return phone.number


def card(html: str, card_id: str) -> str:
    """The HTML of one step or exception card: errors must show inside it, next to the field."""
    found = re.search(rf'<details[^>]*id="{card_id}".*?</details>', html, re.S)
    assert found, card_id
    return found.group(0)


def step(client, wo: WorkOrder, **data):
    return client.post(f"/dispatch/work-orders/{wo.pk}/step/", {"version": fresh(wo).version, **data})


def exception(client, wo: WorkOrder, **data):
    return client.post(f"/dispatch/work-orders/{wo.pk}/exception/", {"version": fresh(wo).version, **data})


def test_my_day_lists_todays_visits_in_route_order_with_leave_by_and_the_phone_to_call(field_service, client):
    f = field_service
    # Given two visits of engineer_a today, planned and committed by the desk
    later = f.work_order(windows=(("10:30", "12:30"),), lat=36.08, lon=120.40)
    morning = f.work_order(lat=36.071, lon=120.385)
    commit_day(f)
    morning, later = fresh(morning), fresh(later)
    # When he opens his day
    client.force_login(f.network.engineer_a.user)
    html = client.get("/my-day/").content.decode()
    # Then the 09:00 visit comes first, with the time to leave worked back to arrive 5-10 minutes early
    assert html.index(f'id="stop-{morning.pk}"') < html.index(f'id="stop-{later.pk}"')
    early = html[html.index(f'id="stop-{morning.pk}"') : html.index(f'id="stop-{later.pk}"')]
    leave_by = re.search(r'class="stop-clock">(\d\d:\d\d)<', early).group(1)
    left = dt.datetime.combine(TODAY, dt.time.fromisoformat(leave_by), tzinfo=SHANGHAI)
    at_the_door = left + dt.timedelta(minutes=morning.travel_minutes)
    assert dt.timedelta(minutes=5) <= morning.planned_start - at_the_door <= dt.timedelta(minutes=10)
    assert "09:00–11:00" in early and "李建国" in early and "KFR-35GW/BP3" in early and "空调不制冷" in early
    # And the customer's phone is whole, as a tel: link, while the visit is today's
    number = phone_of(morning)
    assert f'href="tel:{number}"' in early
    assert f'href="/dispatch/work-orders/{morning.pk}/"' in early


def test_the_phone_is_masked_for_a_visit_of_another_day_and_once_the_visit_is_done(field_service, client):
    f = field_service
    today = f.work_order()
    later = f.work_order(day=TOMORROW, lat=36.08, lon=120.40)
    commit_day(f)
    commit_day(f, TOMORROW)
    client.force_login(f.network.engineer_a.user)
    # Tomorrow's visit: masked on his day and on the visit page
    html = client.get(f"/my-day/?day={TOMORROW:%Y-%m-%d}").content.decode()
    assert f'id="stop-{later.pk}"' in html
    assert mask_phone(phone_of(later)) in html and phone_of(later) not in html and "tel:" not in html
    page = client.get(f"/dispatch/work-orders/{later.pk}/").content.decode()
    assert mask_phone(phone_of(later)) in page and phone_of(later) not in page
    # Today's visit: whole until it is done, masked after
    assert f'href="tel:{phone_of(today)}"' in client.get(f"/dispatch/work-orders/{today.pk}/").content.decode()
    walk(f, today, *TO_DONE)
    page = client.get(f"/dispatch/work-orders/{today.pk}/").content.decode()
    assert mask_phone(phone_of(today)) in page and phone_of(today) not in page
    html = client.get("/my-day/").content.decode()
    assert f'id="stop-{today.pk}"' in html and phone_of(today) not in html


def test_an_engineer_sees_only_his_own_visits_and_another_outlet_sees_none(field_service, client):
    f = field_service
    net = f.network
    wo = f.work_order()
    commit_day(f)
    version = fresh(wo).version
    # Another engineer of the same outlet, and outlet B's engineer and clerk: 404 for the page and the writes
    for someone in (net.engineer_a2, net.engineer_b, net.clerk_b):
        client.force_login(someone.user)
        assert client.get(f"/dispatch/work-orders/{wo.pk}/").status_code == 404
        assert step(client, wo, step="confirm_call").status_code == 404
        assert exception(client, wo, kind="running_late", late_minutes="20").status_code == 404
    client.force_login(net.engineer_a2.user)
    assert f'id="stop-{wo.pk}"' not in client.get("/my-day/").content.decode()
    assert fresh(wo).version == version
    # Outlet A's desk opens it read-only, with recording on the engineer's behalf folded away
    client.force_login(net.clerk_a.user)
    page = client.get(f"/dispatch/work-orders/{wo.pk}/").content.decode()
    assert "Record a step on the engineer's behalf" in page and "engineer_a" in page
    # And may record a step for him
    assert step(client, wo, step="confirm_call").status_code == 302
    assert fresh(wo).status == WorkOrderStatus.CONFIRMED
    # The desk's "my day" is its board; a role that is neither gets 404
    assert client.get("/my-day/")["Location"] == "/dispatch/board/"
    client.force_login(net.sales_rep_a.user)
    assert client.get("/my-day/").status_code == 404


def test_each_step_form_posts_and_updates_the_visit_up_to_done(field_service, client):
    f = field_service
    net = f.network
    wo = f.work_order()
    commit_day(f)
    client.force_login(f.network.engineer_a.user)
    page = client.get(f"/dispatch/work-orders/{wo.pk}/").content.decode()
    assert 'value="confirm_call"' in page and 'value="diagnosis"' not in page

    def ok(response):
        assert response.status_code == 302, response.content.decode()[:3000]
        return fresh(wo)

    assert ok(step(client, wo, step="confirm_call")).confirmed_at is not None
    assert ok(step(client, wo, step="on_the_way")).status == WorkOrderStatus.ON_THE_WAY
    assert ok(step(client, wo, step="arrived")).status == WorkOrderStatus.ON_SITE
    assert ServiceRequest.objects.get(pk=wo.request_id).status == Status.IN_PROGRESS
    page = client.get(f"/dispatch/work-orders/{wo.pk}/").content.decode()
    assert all(f'name="step" value="{s}"' in page for s in ("diagnosis", "parts_used", "rating", "done"))
    assert ok(step(client, wo, step="diagnosis", note="压缩机不启动")).diagnosis == "压缩机不启动"
    # Parts come from the van by catalogue code, once the customer agreed to the quote listing them
    parts_and_policy(f)
    Unit.objects.filter(pk=fresh(wo).request.unit_id).update(purchase_date="2021-06-01")  # out of warranty
    me = net.actor(net.engineer_a)
    fee = visit_quote_offer(
        actor=me,
        work_order=fresh(wo),
        fault_cause="wear",
        parts=[QuotePart(code="CMP-35"), QuotePart(code="FLT-01", quantity=2)],
    )
    quote_decide(actor=me, quote_id=fee.pk, decision="accept", signed_by="李建国", signature=SIGNATURE)
    done = ok(
        step(
            client,
            wo,
            step="parts_used",
            part_code=["CMP-35", "", "FLT-01"],
            part_serial=["CAP-001", "", ""],
            part_quantity=["1", "1", "2"],
        )
    )
    assert [(p["code"], p["name"], p["serial"], p["quantity"]) for p in done.parts_used] == [
        ("CMP-35", "压缩机", "CAP-001", 1),
        ("FLT-01", "过滤网", "", 2),
    ]
    taken = ok(step(client, wo, step="take_back", receipt="TB-2026-0042", signed_by="李建国"))
    assert taken.take_back_receipt == "TB-2026-0042"
    assert TakeBack.objects.get(work_order=wo).signed_by == "李建国"
    assert ok(step(client, wo, step="work_done", note="更换启动电容")).work_done == "更换启动电容"
    tested = ok(step(client, wo, step="test_run", test_run="failed", note="外机异响"))
    assert tested.test_run_ok is False and tested.test_run_note == "外机异响"
    assert ok(step(client, wo, step="test_run", test_run="passed")).test_run_ok is True
    rated = ok(step(client, wo, step="rating", quality="4", attitude="5", signature=SIGNATURE, signed_by="李建国"))
    assert (rated.quality_rating, rated.attitude_rating, rated.signature, rated.signed_by) == (
        4,
        5,
        STORED,
        "李建国",
    )
    # The record so far is on the page
    page = client.get(f"/dispatch/work-orders/{wo.pk}/").content.decode()
    for shown in ("压缩机不启动", "CAP-001", "TB-2026-0042", "Quality 4/5", f'src="{STORED}"'):
        assert shown in page
    response = step(client, wo, step="done")
    assert response.status_code == 302 and response["Location"] == "/my-day/"
    assert fresh(wo).status == WorkOrderStatus.DONE
    assert ServiceRequest.objects.get(pk=wo.request_id).status == Status.RESOLVED


def test_a_customer_who_declines_to_sign_needs_a_note(field_service, client):
    f = field_service
    wo = f.work_order()
    commit_day(f)
    walk(f, wo, *ON_SITE)
    client.force_login(f.network.engineer_a.user)
    response = step(client, wo, step="rating", quality="3", attitude="4", declined="on", signature=SIGNATURE)
    assert response.status_code == 422
    assert "Say why the customer did not sign." in card(response.content.decode(), "step-rating")
    response = step(
        client, wo, step="rating", quality="3", attitude="4", declined="on", signature=SIGNATURE, note="客户手上有油"
    )
    assert response.status_code == 302
    rated = fresh(wo)
    assert rated.quality_rating == 3 and rated.signature == ""


# (card, what is posted, the message shown in that card)
BAD_INPUT = [
    ("step-rating", {"step": "rating", "quality": "7", "attitude": "5", "signature": SIGNATURE}, "Rate from 1 to 5."),
    (
        "step-rating",
        {"step": "rating", "quality": "5", "attitude": "5"},
        "Have the customer sign, or say why there is no signature.",
    ),
    (
        "step-parts_used",
        {"step": "parts_used", "part_code": [""], "part_serial": ["SN-9"], "part_quantity": ["1"]},
        "Choose the part from the catalogue.",
    ),
    (
        "step-parts_used",
        {"step": "parts_used", "part_code": ["CMP-35"], "part_serial": [""], "part_quantity": ["x"]},
        "A quantity is 1 to 99.",
    ),
    ("step-parts_used", {"step": "parts_used", "part_code": [""], "part_quantity": ["1"]}, "List at least one part."),
    (
        "step-parts_used",
        {"step": "parts_used", "part_code": ["CMP-35"], "part_serial": ["SN-1"], "part_quantity": ["1"]},
        "Quote the repair and have the customer agree before using parts.",
    ),
    ("step-diagnosis", {"step": "diagnosis", "note": "  "}, "Write what you found or did."),
    ("step-take_back", {"step": "take_back", "receipt": ""}, "Give the number of the take-back receipt"),
    (
        "step-take_back",
        {"step": "take_back", "receipt": "TB-2026-0042", "signed_by": " "},
        "Write who signed the take-back receipt.",
    ),
    ("step-test_run", {"step": "test_run"}, "Say whether the test run passed."),
    ("step-done", {"step": "done"}, "Record the work done before finishing."),
    ("exception-running_late", {"kind": "running_late", "late_minutes": "0"}, "Say how late, 1 to 600 minutes."),
    ("exception-running_late", {"kind": "running_late", "late_minutes": "soon"}, "Enter a whole number."),
    ("exception-nobody_home", {"kind": "nobody_home", "note": ""}, "a note is required"),
    ("exception-compensation", {"kind": "compensation", "note": ""}, "a note is required"),
    ("exception-hand_back", {"kind": "hand_back", "note": ""}, "a note is required"),
]


def test_bad_input_is_shown_next_to_its_field_and_writes_nothing(field_service, client):
    f = field_service
    wo = f.work_order()
    commit_day(f)
    wo = walk(f, wo, *ON_SITE)
    events = RequestEvent.objects.count()
    messages = Message.objects.count()
    client.force_login(f.network.engineer_a.user)
    for card_id, posted, message in BAD_INPUT:
        post = exception if "kind" in posted else step
        response = post(client, wo, **posted)
        assert response.status_code == 422, (posted, response.status_code)
        shown = card(response.content.decode(), card_id)
        assert message in shown, (posted, shown)
        assert 'aria-invalid="true"' in shown, posted
        after = fresh(wo)
        assert after.version == wo.version and after.status == WorkOrderStatus.ON_SITE, posted
        assert (after.quality_rating, after.parts_used, after.diagnosis, after.late_minutes) == (None, [], "", None)
    assert RequestEvent.objects.count() == events and Message.objects.count() == messages


def test_a_stale_page_is_told_to_reload_and_a_step_out_of_turn_is_refused(field_service, client):
    f = field_service
    wo = f.work_order()
    commit_day(f)
    client.force_login(f.network.engineer_a.user)
    stale = fresh(wo).version
    walk(f, wo, ("confirm_call", StepInput()))
    # A form from before the confirmation: changed by someone else
    response = client.post(f"/dispatch/work-orders/{wo.pk}/step/", {"step": "on_the_way", "version": stale})
    assert response.status_code == 409
    assert "changed by someone else; reload" in response.content.decode()
    assert fresh(wo).status == WorkOrderStatus.CONFIRMED
    # Finishing a visit that has not started: refused with the reason, not a 500
    response = step(client, wo, step="done")
    assert response.status_code == 409
    assert "cannot take this step" in response.content.decode()
    # A form with no version: asked to reload
    response = client.post(f"/dispatch/work-orders/{wo.pk}/step/", {"step": "on_the_way"})
    assert response.status_code == 422 and "reload the page" in response.content.decode()
    assert fresh(wo).status == WorkOrderStatus.CONFIRMED


def test_running_late_over_15_minutes_alerts_the_outlet_manager_and_10_does_not(field_service, client):
    f = field_service
    net = f.network
    wo = f.work_order()
    commit_day(f)
    client.force_login(net.engineer_a.user)
    late = Message.objects.filter(kind="visit_running_late")
    # 10 minutes: noted on the visit, nobody alerted
    response = exception(client, wo, kind="running_late", late_minutes="10")
    assert response.status_code == 302
    assert fresh(wo).late_minutes == 10 and not late.exists()
    assert "noted on the visit" in client.get(response["Location"]).content.decode()
    # 20 minutes: a message to the outlet manager
    response = exception(client, wo, kind="running_late", late_minutes="20", note="堵车")
    assert response.status_code == 302
    assert fresh(wo).late_minutes == 20
    assert list(late.values_list("recipient_id", flat=True).distinct()) == [net.outlet_manager_a.user_id]
    assert "the outlet manager has been told" in client.get(response["Location"]).content.decode()


def test_nobody_home_sends_the_visit_back_to_the_desk_with_the_notice_noted(field_service, client):
    f = field_service
    wo = f.work_order()
    commit_day(f)
    client.force_login(f.network.engineer_a.user)
    response = exception(client, wo, kind="nobody_home", note="敲门无人应答", notice_left="on")
    assert response.status_code == 302 and response["Location"] == "/my-day/"
    after = fresh(wo)
    assert after.status == WorkOrderStatus.UNBOOKED and after.engineer_id is None
    event = RequestEvent.objects.get(request_id=wo.request_id, verb="job_nobody_home")
    assert "A notice was left at the door." in event.note
    assert Message.objects.filter(kind="visit_nobody_home").exists()
    # It has left his route: he no longer sees it
    assert client.get(f"/dispatch/work-orders/{wo.pk}/").status_code == 404


def test_compensation_asked_is_escalated_with_the_never_promise_hint(field_service, client):
    f = field_service
    wo = f.work_order()
    commit_day(f)
    client.force_login(f.network.engineer_a.user)
    page = client.get(f"/dispatch/work-orders/{wo.pk}/").content.decode()
    assert "Never promise anything on site." in card(page, "exception-compensation")
    response = exception(client, wo, kind="compensation", note="要求赔偿误工费")
    assert response.status_code == 302
    assert Message.objects.filter(kind="visit_compensation", recipient=f.network.outlet_manager_a.user).exists()


def test_a_bad_day_in_the_address_shows_today_with_a_message(field_service, client):
    f = field_service
    client.force_login(f.network.engineer_a.user)
    response = client.get("/my-day/?day=2026-13-40")
    assert response.status_code == 400  # a bad address: today's page comes with the reason
    html = response.content.decode()
    assert "give the date as YYYY-MM-DD" in html and "Today is shown." in html
    assert "No visits are planned for you on this day." in html
