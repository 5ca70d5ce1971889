"""Home, request list, "at risk", my jobs, intake panel and request detail with its writes."""

from django.urls import path

from wuyou.tickets import views

app_name = "tickets"
urlpatterns = [
    path("requests/", views.request_list, name="list"),
    path("requests/at-risk/", views.requests_at_risk, name="at_risk"),
    path("jobs/", views.my_jobs, name="mine"),
    path("customers/<int:customer_id>/requests/", views.customer_requests, name="customer_requests"),
    path("requests/<int:request_id>/", views.request_detail, name="detail"),
    path("requests/<int:request_id>/transition/", views.request_transition, name="transition"),
    path("requests/<int:request_id>/assign/", views.request_assign, name="assign"),
    path("requests/<int:request_id>/verify/", views.request_verify, name="verify"),
    path("requests/<int:request_id>/authority-report/", views.request_authority_report, name="authority_report"),
]
