"""Spare-parts pages (R-F4): stock, a place's ledger, receiving, counting, the catalogue, requisitions."""

from django.urls import path

from wuyou.parts import views

app_name = "parts"
urlpatterns = [
    path("parts/", views.stock_overview, name="stock"),
    path("parts/places/<int:place_id>/", views.place_detail, name="place"),
    path("parts/places/<int:place_id>/receive/", views.place_receive, name="receive"),
    path("parts/places/<int:place_id>/adjust/", views.place_adjust, name="adjust"),
    path("parts/catalogue/", views.catalogue, name="catalogue"),
    path("parts/requisitions/", views.requisition_list, name="requisitions"),
    path("parts/requisitions/new/", views.requisition_new, name="requisition_new"),
    path("parts/requisitions/<int:requisition_id>/", views.requisition_detail, name="requisition"),
    path(
        "parts/requisitions/<int:requisition_id>/approve/",
        views.requisition_decide,
        {"action": "approve"},
        name="requisition_approve",
    ),
    path(
        "parts/requisitions/<int:requisition_id>/reject/",
        views.requisition_decide,
        {"action": "reject"},
        name="requisition_reject",
    ),
    path(
        "parts/requisitions/<int:requisition_id>/fulfil/",
        views.requisition_decide,
        {"action": "fulfil"},
        name="requisition_fulfil",
    ),
]
