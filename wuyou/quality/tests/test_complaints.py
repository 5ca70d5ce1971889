"""R-G3, the complaint desk: a complaint's promised disposition in 3 working days from the calendar, a disposition
that names who was responsible, remedies above the amount approved by the service manager, the disposition meeting
the request's clock, telling the customer and scheduling the callback report, repeat complaints, the rectification
plan escalating once per rung, the face-to-face reply to an authority, scope and stale pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.api_client import ApiClient
from tests.factories import CustomerFactory, UnitFactory
from wuyou.accounts.models import Outlet
from wuyou.core.errors import Conflict, PermissionDenied, TransitionNotAllowed, ValidationFailed
from wuyou.notifications.models import Message
from wuyou.quality import complaints as rules
from wuyou.quality.models import (
    Callback,
    CallbackReason,
    Complaint,
    ComplaintSettings,
    ComplaintStatus,
    RectificationAction,
)
from wuyou.quality.services.complaints import (
    complaint_approve,
    complaint_dispose,
    complaint_face_to_face,
    complaint_promise_told,
    complaint_register,
)
from wuyou.quality.services.rectification import rectification_add, rectification_done, rectification_overdue_sweep
from wuyou.tickets.models import ClockOutcome, ClockState, RequestEvent, ServiceRequest, Status
from wuyou.tickets.services import RequestInput, request_open

from .conftest import SHANGHAI, at, shanghai


def complaint_request(desk, *, outlet: Outlet | None = None, channel: str = "hotline", unit=None) -> ServiceRequest:
    """A complaint request of a customer of the outlet (A unless told), about his unit."""
    network = desk.network
    outlet = outlet or network.outlet_a
    clerk = network.clerk_a if outlet == network.outlet_a else network.clerk_b
    if unit is None:
        unit = UnitFactory(owner=CustomerFactory(outlet=outlet, name="王秀英"), purchase_date=dt.date(2025, 6, 1))
    return request_open(
        actor=desk.actor(clerk),
        intake=RequestInput(
            call_type="complaint",
            channel=channel,
            customer_id=unit.owner_id,
            unit_serial=unit.serial,
            symptom="师傅上门态度差，空调还是不制冷",
        ),
    )


def register(desk, sr: ServiceRequest, **kw) -> Complaint:
    kw.setdefault("category", "attitude")
    return complaint_register(actor=desk.clerk, request=sr, **kw)


def dispose(desk, complaint: Complaint, actor=None, **kw) -> Complaint:
    kw = {"finding": "师傅未按规范试机", "responsible": "engineer", "remedy": "revisit", **kw}
    return complaint_dispose(actor=actor or desk.clerk, complaint=complaint, **kw)


def written(sr: ServiceRequest) -> tuple:
    """Everything the desk writes about a complaint, to prove a refusal wrote nothing."""
    complaint = Complaint.objects.filter(request=sr).first()
    return (
        ServiceRequest.objects.get(pk=sr.pk).status,
        RequestEvent.objects.filter(request=sr).count(),
        None if complaint is None else (complaint.status, complaint.version, complaint.responsible),
        Callback.objects.filter(request=sr).count(),
        Message.objects.count(),
        RectificationAction.objects.count(),
    )


# --- the promise (R-G3: disposition within 3 working days on the outlet's calendar) -------------------------------


@pytest.mark.parametrize(
    ("complained_at", "promised_by"),
    [
        ("2026-03-03 10:00", "2026-03-06 Fri 17:30"),  # Tuesday: Wed, Thu, Fri
        ("2026-03-05 10:00", "2026-03-10 Tue 17:30"),  # Thursday: Fri, then over the weekend Mon, Tue
        ("2026-03-07 11:00", "2026-03-11 Wed 17:30"),  # Saturday: Mon, Tue, Wed
        ("2026-04-02 10:00", "2026-04-08 Wed 17:30"),  # Thursday before Qingming (Sat 4 – Mon 6 off): Fri, Tue, Wed
    ],
)
def test_the_promised_disposition_is_three_working_days_on_the_calendar_r_g3(desk, complained_at, promised_by):
    desk.now(complained_at)
    complaint = register(desk, complaint_request(desk))
    assert shanghai(complaint.promised_by) == promised_by
    script = rules.promise_script(
        customer_name="王秀英", number=complaint.request.number, promised_by=complaint.promised_by.astimezone(SHANGHAI)
    )
    assert promised_by[:10] in script
    event = RequestEvent.objects.get(request=complaint.request, verb="complaint_registered")
    assert event.data["promised_by"] == complaint.promised_by.isoformat()


def test_registering_needs_a_complaint_request_a_known_category_and_the_customers_unit_r_g3(desk):
    repair = desk.request()
    with pytest.raises(TransitionNotAllowed) as refused:
        register(desk, repair)
    assert refused.value.field == "request_id"
    sr = complaint_request(desk)
    before = written(sr)
    with pytest.raises(ValidationFailed) as refused:
        register(desk, sr, category="weather")
    assert refused.value.field == "category"
    stranger = UnitFactory(owner=CustomerFactory(outlet=desk.network.outlet_a))
    with pytest.raises(ValidationFailed) as refused:
        register(desk, sr, unit_id=stranger.pk)
    assert refused.value.field == "unit_id"
    assert written(sr) == before
    register(desk, sr)
    with pytest.raises(Conflict):
        register(desk, sr)


def test_the_agent_records_that_the_customer_was_told_the_promise_once_r_g3(desk):
    complaint = register(desk, complaint_request(desk))
    complaint_promise_told(actor=desk.clerk, complaint=complaint, expected_version=complaint.version)
    complaint.refresh_from_db()
    assert shanghai(complaint.promise_told_at) == "2026-03-03 Tue 10:00"
    with pytest.raises(Conflict):
        complaint_promise_told(actor=desk.clerk, complaint=complaint)


# --- the disposition ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("responsible", ["", "the weather"])
def test_a_disposition_without_a_responsible_party_is_refused_naming_the_field_r_g3(desk, responsible):
    sr = complaint_request(desk)
    complaint = register(desk, sr)
    before = written(sr)
    with pytest.raises(ValidationFailed) as refused:
        dispose(desk, complaint, responsible=responsible)
    assert refused.value.field == "responsible" and "responsible" in refused.value.errors
    assert written(sr) == before, "nothing written"


def test_the_disposition_meets_the_clock_tells_the_customer_and_schedules_the_callback_r_g3(desk):
    # Given a complaint registered on Tuesday
    sr = complaint_request(desk)
    complaint = register(desk, sr)
    # When the desk disposes of it on Thursday
    desk.now("2026-03-05 15:00")
    complaint = dispose(desk, complaint, remedy="compensation", remedy_amount=Decimal("200"))
    # Then the request is resolved and its disposition clock met in time
    sr.refresh_from_db()
    assert sr.status == Status.RESOLVED
    clock = sr.clocks.get(step="complaint_disposition")
    assert (clock.state, clock.outcome) == (ClockState.STOPPED, ClockOutcome.MET)
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.INFORMED
    assert shanghai(complaint.disposed_at) == shanghai(complaint.customer_informed_at) == "2026-03-05 Thu 15:00"
    # And the customer's message is queued to his number
    message = Message.objects.get(kind="complaint_disposed")
    assert message.recipient_id is None and message.address == sr.customer.phones.first().number
    assert sr.number in message.subject and "200.00" in message.body
    # And the callback report is scheduled
    callback = Callback.objects.get(request=sr)
    assert callback.reason == CallbackReason.COMPLAINT
    verbs = list(RequestEvent.objects.filter(request=sr).order_by("pk").values_list("verb", flat=True))
    assert verbs[-4:] == ["resolve", "complaint_disposed", "complaint_customer_informed", "callback_scheduled"]
    # And a satisfied customer on the callback report closes the complaint
    desk.now("2026-03-05 17:10")
    from wuyou.quality.services import callback_record

    callback_record(actor=desk.clerk, callback=callback, outcome="satisfied", note="客户接受赔偿")
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CLOSED
    assert RequestEvent.objects.filter(request=sr, verb="callback").latest("pk").data["complaint_closed"] is True


def test_compensation_above_the_amount_waits_for_the_service_managers_approval_r_g3(desk):
    network = desk.network
    ComplaintSettings.objects.create(organisation=network.outlet_a.region.organisation, approval_above=Decimal(500))
    sr = complaint_request(desk)
    complaint = register(desk, sr)
    # When a clerk offers 800 yuan
    complaint = dispose(desk, complaint, remedy="compensation", remedy_amount="800")
    # Then it waits for approval: the request open, the customer not told, no callback, the managers asked
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.AWAITING_APPROVAL and complaint.disposed_at is None
    sr.refresh_from_db()
    assert sr.status != Status.RESOLVED
    assert not Callback.objects.filter(request=sr).exists()
    assert not Message.objects.filter(kind="complaint_disposed").exists()
    assert Message.objects.filter(kind="complaint_approval", recipient=network.manager.user).exists()
    # And a clerk may not approve it
    before = written(sr)
    with pytest.raises(PermissionDenied):
        complaint_approve(actor=desk.clerk, complaint=complaint)
    assert written(sr) == before
    # When the service manager approves, the disposition completes
    complaint_approve(actor=desk.actor(network.manager), complaint=complaint, expected_version=complaint.version)
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.INFORMED and complaint.approved_by_id == network.manager.user_id
    sr.refresh_from_db()
    assert sr.status == Status.RESOLVED
    assert Callback.objects.filter(request=sr, reason=CallbackReason.COMPLAINT).count() == 1


def test_an_amount_at_the_threshold_needs_no_approval_and_the_manager_approves_his_own_r_g3(desk):
    complaint = dispose(desk, register(desk, complaint_request(desk)), remedy="refund", remedy_amount="500")
    assert complaint.status == ComplaintStatus.INFORMED
    other = register(desk, complaint_request(desk))
    other = dispose(desk, other, actor=desk.actor(desk.network.manager), remedy="compensation", remedy_amount="900")
    assert other.status == ComplaintStatus.INFORMED and other.approved_at is not None


def test_no_path_disposes_of_a_remedy_above_the_amount_without_approval_r_g3(desk):
    from wuyou.quality.services.complaints import _dispose

    complaint = dispose(desk, register(desk, complaint_request(desk)), remedy="compensation", remedy_amount="800")
    with pytest.raises(PermissionDenied) as refused:
        _dispose(desk.clerk, complaint, at("2026-03-03 10:00"), from_status=(ComplaintStatus.AWAITING_APPROVAL,))
    assert refused.value.field == "remedy_amount"


@pytest.mark.parametrize(
    ("remedy", "amount", "field"),
    [
        ("", None, "remedy"),
        ("compensation", None, "remedy_amount"),
        ("refund", "-5", "remedy_amount"),
        ("revisit", "abc", "remedy_amount"),
        ("compensation", "0", "remedy_amount"),
    ],
)
def test_bad_remedies_are_refused_naming_the_field(desk, remedy, amount, field):
    sr = complaint_request(desk)
    complaint = register(desk, sr)
    before = written(sr)
    with pytest.raises(ValidationFailed) as refused:
        dispose(desk, complaint, remedy=remedy, remedy_amount=amount)
    assert refused.value.field == field
    assert written(sr) == before


def test_a_stale_version_is_a_conflict_and_writes_nothing(desk):
    sr = complaint_request(desk)
    complaint = register(desk, sr)
    seen = complaint.version
    complaint_promise_told(actor=desk.clerk, complaint=complaint, expected_version=seen)
    before = written(sr)
    with pytest.raises(Conflict) as refused:
        dispose(desk, complaint, expected_version=seen)
    assert refused.value.status == 409 and refused.value.field == "version"
    assert written(sr) == before


# --- repeats, authority, rectification ------------------------------------------------------------------------------


def test_a_second_complaint_about_the_same_unit_or_engineer_within_the_window_is_flagged_r_g3(desk):
    network = desk.network
    first = register(desk, complaint_request(desk), about_engineer_id=network.engineer_a.pk)
    desk.now("2026-03-20 10:00")
    same_unit = register(desk, complaint_request(desk, unit=first.unit))
    assert same_unit.repeat_of_id == first.pk
    same_engineer = register(desk, complaint_request(desk), about_engineer_id=network.engineer_a.pk)
    assert same_engineer.repeat_of_id in (first.pk, same_unit.pk) and same_engineer.repeat_of_id == first.pk
    other_engineer = register(desk, complaint_request(desk), about_engineer_id=network.engineer_a2.pk)
    assert other_engineer.repeat_of_id is None
    desk.now("2026-07-01 10:00")  # beyond the 90 days
    late = register(desk, complaint_request(desk), about_engineer_id=network.engineer_a2.pk)
    assert late.repeat_of_id is None


def test_an_authority_complaint_records_the_managers_face_to_face_reply_r_g3(desk):
    network = desk.network
    complaint = register(desk, complaint_request(desk, channel="authority"))
    manager = desk.actor(network.outlet_manager_a)
    with pytest.raises(PermissionDenied):
        complaint_face_to_face(actor=desk.clerk, complaint=complaint, on=dt.date(2026, 3, 3))
    with pytest.raises(ValidationFailed) as refused:
        complaint_face_to_face(actor=manager, complaint=complaint, on=dt.date(2026, 3, 9))
    assert refused.value.field == "face_to_face_on"
    desk.now("2026-03-05 16:00")
    complaint_face_to_face(actor=manager, complaint=complaint, on=dt.date(2026, 3, 5))
    complaint.refresh_from_db()
    assert complaint.face_to_face_on == dt.date(2026, 3, 5)
    hotline = register(desk, complaint_request(desk))
    with pytest.raises(TransitionNotAllowed) as refused:
        complaint_face_to_face(actor=manager, complaint=hotline, on=dt.date(2026, 3, 5))
    assert refused.value.field == "face_to_face_on"


def test_an_overdue_rectification_action_escalates_once_per_rung_however_many_sweeps_r_g3(desk):
    network = desk.network
    complaint = register(desk, complaint_request(desk))
    action = rectification_add(
        actor=desk.clerk,
        complaint=complaint,
        action="对该师傅进行服务规范培训",
        owner_id=network.clerk_a.pk,
        due_on=dt.date(2026, 3, 4),
    )
    assert shanghai(action.escalate_at) == "2026-03-05 Thu 00:00"
    assert rectification_overdue_sweep(at("2026-03-04 23:00")) == 0, "not overdue before its day ends"
    # Two sweepers at the same moment: one escalation to the owner, one message
    moment = at("2026-03-05 08:00")
    assert rectification_overdue_sweep(moment) + rectification_overdue_sweep(moment) == 1
    action.refresh_from_db()
    assert action.escalation_level == rules.OWNER
    owner_messages = Message.objects.filter(kind="rectification_overdue", recipient=network.clerk_a.user)
    assert owner_messages.count() == 1
    # The next working day it reaches the outlet manager, then the service manager, then no more
    assert rectification_overdue_sweep(at("2026-03-06 18:00")) == 1
    assert Message.objects.filter(kind="rectification_overdue", recipient=network.outlet_manager_a.user).count() == 1
    assert rectification_overdue_sweep(at("2026-03-09 18:00")) == 1
    assert Message.objects.filter(kind="rectification_overdue", recipient=network.manager.user).count() == 1
    action.refresh_from_db()
    assert (action.escalation_level, action.escalate_at) == (rules.SERVICE_MANAGER, None)
    assert rectification_overdue_sweep(at("2026-03-20 18:00")) == 0
    assert RequestEvent.objects.filter(request=complaint.request, verb="rectification_escalated").count() == 3
    # Done: stays done, and a second "done" is a conflict
    rectification_done(actor=desk.clerk, action=action)
    with pytest.raises(Conflict):
        rectification_done(actor=desk.clerk, action=action)


def test_a_done_action_is_never_escalated_and_bad_actions_are_refused(desk):
    network = desk.network
    complaint = register(desk, complaint_request(desk))
    for kw, field in [
        ({"action": "", "owner_id": network.clerk_a.pk, "due_on": dt.date(2026, 3, 4)}, "action"),
        ({"action": "培训", "owner_id": network.clerk_b.pk, "due_on": dt.date(2026, 3, 4)}, "owner_id"),
        ({"action": "培训", "owner_id": network.clerk_a.pk, "due_on": dt.date(2026, 3, 1)}, "due_on"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            rectification_add(actor=desk.clerk, complaint=complaint, **kw)
        assert refused.value.field == field
    action = rectification_add(
        actor=desk.clerk, complaint=complaint, action="培训", owner_id=network.clerk_a.pk, due_on=dt.date(2026, 3, 4)
    )
    rectification_done(actor=desk.clerk, action=action)
    assert rectification_overdue_sweep(at("2026-03-10 10:00")) == 0


# --- the web and the API ----------------------------------------------------------------------------------------------


def test_the_request_page_shows_the_script_and_the_desk_works_the_complaint_on_the_web_r_g3(client, desk):
    sr = complaint_request(desk)
    client.force_login(desk.network.clerk_a.user)
    page = client.get(reverse("tickets:detail", args=[sr.pk])).content.decode()
    assert 'id="complaint-register-form"' in page
    response = client.post(
        reverse("quality:complaint_register", args=[sr.pk]), {"category": "attitude", "severity": "major"}
    )
    complaint = Complaint.objects.get(request=sr)
    assert response.status_code == 302 and response["Location"] == reverse("quality:complaint", args=[complaint.pk])
    page = client.get(reverse("tickets:detail", args=[sr.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="complaint-script"' in page and "2026-03-06 17:30" in page and 'id="promise-told"' in page
    url = reverse("quality:complaint_dispose", args=[complaint.pk])
    refused = client.post(
        url, {"finding": "态度问题", "responsible": "", "remedy": "explanation", "version": complaint.version}
    )
    assert refused.status_code == 422 and 'id="id_responsible_error"' in refused.content.decode()
    stale = client.post(url, {"finding": "态度问题", "responsible": "engineer", "remedy": "explanation", "version": 99})
    assert stale.status_code == 409
    done = client.post(
        url, {"finding": "态度问题", "responsible": "engineer", "remedy": "explanation", "version": complaint.version}
    )
    assert done.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.INFORMED
    listing = client.get(reverse("quality:complaints"), {"category": "attitude"}).content.decode()
    assert f'id="complaint-row-{complaint.pk}"' in listing
    assert (
        f'id="complaint-row-{complaint.pk}"'
        not in client.get(reverse("quality:complaints"), {"category": "fee"}).content.decode()
    )


def test_the_list_filters_repeat_and_overdue(client, desk):
    first = register(desk, complaint_request(desk))
    desk.now("2026-03-12 10:00")
    repeat = register(desk, complaint_request(desk, unit=first.unit))
    client.force_login(desk.network.clerk_a.user)
    repeats = client.get(reverse("quality:complaints"), {"repeat": "yes"}).content.decode()
    assert f"complaint-row-{repeat.pk}" in repeats and f"complaint-row-{first.pk}" not in repeats
    overdue = client.get(reverse("quality:complaints"), {"overdue": "on"}).content.decode()
    assert f"complaint-row-{first.pk}" in overdue and f"complaint-row-{repeat.pk}" not in overdue


def test_another_outlets_complaint_is_404_on_the_web_and_in_the_api_r_g3(client, desk):
    network = desk.network
    theirs = complaint_register(
        actor=desk.actor(network.clerk_b), request=complaint_request(desk, outlet=network.outlet_b), category="fee"
    )
    client.force_login(network.clerk_a.user)
    assert client.get(reverse("quality:complaint", args=[theirs.pk])).status_code == 404
    post = {"finding": "x", "responsible": "outlet", "remedy": "explanation", "version": theirs.version}
    assert client.post(reverse("quality:complaint_dispose", args=[theirs.pk]), post).status_code == 404
    assert f"complaint-row-{theirs.pk}" not in client.get(reverse("quality:complaints")).content.decode()
    api = ApiClient(staff=network.clerk_a)
    assert api.get(f"/complaints/{theirs.pk}").status_code == 404
    assert api.post(f"/complaints/{theirs.pk}/dispose", post).status_code == 404
    assert api.get("/complaints/").json()["count"] == 0
    assert ApiClient(staff=network.clerk_b).get(f"/complaints/{theirs.pk}").status_code == 200
    theirs.refresh_from_db()
    assert theirs.status == ComplaintStatus.REGISTERED


def test_the_api_registers_disposes_and_approves_with_problems_naming_the_field_r_g3(desk):
    network = desk.network
    sr = complaint_request(desk)
    api = ApiClient(staff=network.clerk_a)
    created = api.post("/complaints/", {"request_id": sr.pk, "category": "fee", "severity": "major"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["promised_by"].startswith("2026-03-06") and body["status"] == "registered"
    cid = body["id"]
    refused = api.post(f"/complaints/{cid}/dispose", {"finding": "多收费", "remedy": "refund", "remedy_amount": "80"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "responsible"
    stale = api.post(
        f"/complaints/{cid}/dispose",
        {"finding": "多收费", "responsible": "outlet", "remedy": "refund", "remedy_amount": "880", "version": 99},
    )
    assert stale.status_code == 409
    waiting = api.post(
        f"/complaints/{cid}/dispose",
        {
            "finding": "多收费",
            "responsible": "outlet",
            "remedy": "refund",
            "remedy_amount": "880",
            "version": body["version"],
        },
    )
    assert waiting.status_code == 200 and waiting.json()["status"] == "awaiting_approval"
    assert api.post(f"/complaints/{cid}/approve", {}).status_code == 403
    approved = ApiClient(staff=network.manager).post(f"/complaints/{cid}/approve", {})
    assert approved.status_code == 200 and approved.json()["status"] == "informed"
    action = api.post(
        f"/complaints/{cid}/actions", {"action": "退还多收费用", "owner_id": network.clerk_a.pk, "due_on": "2026-03-05"}
    )
    assert action.status_code == 201
    done = api.post(f"/complaints/actions/{action.json()['id']}/done", {"note": "已退"})
    assert done.status_code == 200 and done.json()["done_at"]
    assert len(api.get(f"/complaints/{cid}").json()["actions"]) == 1


def test_the_complaints_list_reads_a_fixed_number_of_queries(client, desk, django_assert_max_num_queries):
    for _ in range(3):
        register(desk, complaint_request(desk))
    client.force_login(desk.network.clerk_a.user)
    api = ApiClient(staff=desk.network.clerk_a)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("quality:complaints")).status_code == 200
    for _ in range(5):
        register(desk, complaint_request(desk))
    with django_assert_max_num_queries(12):
        assert client.get(reverse("quality:complaints")).status_code == 200
    with django_assert_max_num_queries(8):
        assert api.get("/complaints/").json()["count"] == 8


def test_the_desk_screen_of_an_authority_complaint_offers_the_face_to_face_reply_and_the_plan(client, desk):
    network = desk.network
    complaint = register(desk, complaint_request(desk, channel="authority"))
    rectification_add(
        actor=desk.clerk,
        complaint=complaint,
        action="整改上门流程",
        owner_id=network.clerk_a.pk,
        due_on=dt.date(2026, 3, 4),
    )
    client.force_login(network.outlet_manager_a.user)
    page = client.get(reverse("quality:complaint", args=[complaint.pk])).content.decode()
    assert 'id="face-to-face-form"' in page and "整改上门流程" in page and 'id="rectification-form"' in page
    response = client.post(
        reverse("quality:complaint_face_to_face", args=[complaint.pk]),
        {"face_to_face_on": "2026-03-03", "version": complaint.version},
    )
    assert response.status_code == 302
    future = client.post(
        reverse("quality:complaint_face_to_face", args=[complaint.pk]),
        {"face_to_face_on": "2026-04-03", "version": complaint.version + 1},
    )
    assert future.status_code == 422 and 'id="id_face_to_face_on_error"' in future.content.decode()
    client.force_login(network.clerk_a.user)
    page = client.get(reverse("quality:complaint", args=[complaint.pk])).content.decode()
    assert 'id="face-to-face-form"' not in page
