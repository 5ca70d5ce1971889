"""Spare-parts and loaner pages (issue 5 items 4 and 5); included in wuyou.dispatch.urls (namespace "dispatch")."""

from django.urls import path

from wuyou.dispatch.views import loaners, parts

urlpatterns = [
    # Spare parts (views/parts.py)
    path("parts/", parts.stock_overview, name="parts_stock"),
    path("parts/places/<int:place_id>/", parts.place_detail, name="parts_place"),
    path("parts/places/<int:place_id>/receive/", parts.place_receive, name="parts_receive"),
    path("parts/places/<int:place_id>/adjust/", parts.place_adjust, name="parts_adjust"),
    path("parts/catalogue/", parts.catalogue, name="parts_catalogue"),
    path("parts/requisitions/", parts.requisition_list, name="parts_requisitions"),
    path("parts/requisitions/new/", parts.requisition_new, name="parts_requisition_new"),
    path("parts/requisitions/<int:requisition_id>/", parts.requisition_detail, name="parts_requisition"),
    path(
        "parts/requisitions/<int:requisition_id>/approve/",
        parts.requisition_decide,
        {"action": "approve"},
        name="parts_requisition_approve",
    ),
    path(
        "parts/requisitions/<int:requisition_id>/reject/",
        parts.requisition_decide,
        {"action": "reject"},
        name="parts_requisition_reject",
    ),
    path(
        "parts/requisitions/<int:requisition_id>/fulfil/",
        parts.requisition_decide,
        {"action": "fulfil"},
        name="parts_requisition_fulfil",
    ),
    # Loaners and take-back repair (views/loaners.py)
    path("loaners/", loaners.loaner_list, name="loaners_list"),
    path("loaners/take-backs/<int:take_back_id>/advance/", loaners.take_back_advance, name="loaners_advance"),
    path("loaners/take-backs/<int:take_back_id>/lend/", loaners.loaner_lend, name="loaners_lend"),
    path("loaners/loans/<int:loan_id>/return/", loaners.loan_return, name="loaners_return"),
]
