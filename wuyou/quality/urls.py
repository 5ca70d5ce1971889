"""The follow-up desk (queue, work page, take, record, move) and resolving a request by phone guidance."""

from django.urls import path

from wuyou.quality import dashboard, views
from wuyou.quality.desk import views as desk

app_name = "quality"
urlpatterns = [
    path("callbacks/", views.callback_list, name="callbacks"),
    path("quality/", dashboard.quality_dashboard, name="dashboard"),
    path("callbacks/<int:callback_id>/", views.callback_work, name="callback_work"),
    path("callbacks/<int:callback_id>/take/", views.callback_take, name="callback_take"),
    path("callbacks/<int:callback_id>/record/", views.callback_record, name="callback_record"),
    path("callbacks/<int:callback_id>/move/", views.callback_move, name="callback_move"),
    path("requests/<int:request_id>/phone-guidance/", views.request_resolve_by_phone, name="phone_guidance"),
    # The complaint desk (R-G3).
    path("complaints/", desk.complaint_list, name="complaints"),
    path("complaints/<int:complaint_id>/", desk.complaint_detail, name="complaint"),
    path("requests/<int:request_id>/complaint/", desk.complaint_register, name="complaint_register"),
    path("complaints/<int:complaint_id>/told/", desk.complaint_promise_told, name="complaint_told"),
    path("complaints/<int:complaint_id>/dispose/", desk.complaint_dispose, name="complaint_dispose"),
    path("complaints/<int:complaint_id>/approve/", desk.complaint_approve, name="complaint_approve"),
    path("complaints/<int:complaint_id>/face-to-face/", desk.complaint_face_to_face, name="complaint_face_to_face"),
    path("complaints/<int:complaint_id>/actions/", desk.rectification_add, name="rectification_add"),
    path("complaint-actions/<int:action_id>/done/", desk.rectification_done, name="rectification_done"),
]
