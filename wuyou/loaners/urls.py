"""Loaner pages (R-F5): the pool and take-backs by stage, lending, returning."""

from django.urls import path

from wuyou.loaners import views

app_name = "loaners"
urlpatterns = [
    path("loaners/", views.loaner_list, name="list"),
    path("loaners/take-backs/<int:take_back_id>/advance/", views.take_back_advance, name="advance"),
    path("loaners/take-backs/<int:take_back_id>/lend/", views.loaner_lend, name="lend"),
    path("loaners/loans/<int:loan_id>/return/", views.loan_return, name="return"),
]
