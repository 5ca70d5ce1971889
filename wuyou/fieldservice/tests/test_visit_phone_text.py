"""The visit page's phone line: a finished visit does not promise the number "on the day" (issue 13 item 10)."""

from __future__ import annotations

from wuyou.dispatch.models import WorkOrder, WorkOrderStatus

ON_THE_DAY = "The number is shown on the day of the visit."


def page(client, f, wo) -> str:
    client.force_login(f.network.engineer_a.user)
    response = client.get(f"/dispatch/work-orders/{wo.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def assigned(f, status: str) -> WorkOrder:
    wo = f.work_order()
    WorkOrder.objects.filter(pk=wo.pk).update(engineer=f.network.engineer_a, status=status)
    return wo


def test_a_finished_visit_says_it_is_finished(client, field_service):
    html = page(client, field_service, assigned(field_service, WorkOrderStatus.DONE))
    assert ON_THE_DAY not in html and "The visit is finished." in html


def test_a_cancelled_visit_says_so(client, field_service):
    html = page(client, field_service, assigned(field_service, WorkOrderStatus.CANCELLED))
    assert ON_THE_DAY not in html and "The visit was cancelled." in html
