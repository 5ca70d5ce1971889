"""The dispatcher's board and plans, and opening and booking a visit from a request."""

from django.urls import path

from wuyou.dispatch.views import board, booking

app_name = "dispatch"
urlpatterns = [
    # The dispatcher's board (views/board.py)
    path("dispatch/board/", board.board, name="board"),
    path("dispatch/plans/new/", board.plan_new, name="plan_new"),
    path("dispatch/plans/<int:plan_id>/", board.plan_detail, name="plan"),
    path("dispatch/plans/<int:plan_id>/adjust/", board.plan_adjust, name="plan_adjust"),
    path("dispatch/plans/<int:plan_id>/pin/", board.plan_pin, name="plan_pin"),
    path("dispatch/plans/<int:plan_id>/commit/", board.plan_commit, name="plan_commit"),
    path("dispatch/plans/<int:plan_id>/discard/", board.plan_discard, name="plan_discard"),
    # Opening and booking a visit from a request (views/booking.py)
    path("requests/<int:request_id>/visit/", booking.work_order_new, name="work_order_new"),
    path("dispatch/work-orders/<int:work_order_id>/book/", booking.work_order_book, name="work_order_book"),
    path("dispatch/work-orders/<int:work_order_id>/cancel/", booking.work_order_cancel, name="work_order_cancel"),
]
