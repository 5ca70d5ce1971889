"""The follow-up list of callbacks, recording one, and resolving a request by phone guidance."""

from django.urls import path

from wuyou.quality import views

app_name = "quality"
urlpatterns = [
    path("callbacks/", views.callback_list, name="callbacks"),
    path("callbacks/<int:callback_id>/record/", views.callback_record, name="callback_record"),
    path("requests/<int:request_id>/phone-guidance/", views.request_resolve_by_phone, name="phone_guidance"),
]
